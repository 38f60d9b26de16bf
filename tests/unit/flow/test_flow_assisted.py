"""Assisted mode: the agent stays on the line, may ask for a field again, and submits the
charge once the caller has confirmed every field."""

from securepay.flow import (
    AgentHungUp,
    AgentRestart,
    AgentSubmit,
    Charge,
    FlowSettings,
    PublishEntry,
    State,
    Step,
    StepStatus,
)

from .driver import AMEX, Driver, of_type, plays, sound

ASSISTED = FlowSettings(assisted=True)


def assisted() -> Driver:
    return Driver(settings=ASSISTED)


def test_the_caller_hears_that_the_agent_stays_on_the_line() -> None:
    d = assisted()
    d.advance(Step.AMOUNT)
    assert plays(d.actions)[0] == (sound("intro-assisted"),)


def test_the_flow_says_when_the_caller_is_keying_a_field() -> None:
    d = assisted()
    d.advance(Step.EXPIRY)
    assert d.flow.keying
    d.answer("1230")
    assert not d.flow.keying


def test_confirming_every_field_waits_for_the_agent_to_submit() -> None:
    d = assisted()
    last = d.advance(Step.PROCESSING)
    assert d.flow.state is State.READY and d.flow.can_submit
    assert plays(last) == [(sound("agent-will-submit"),)]
    assert of_type(d.actions, Charge) == []
    assert d.finish_prompt() == []
    assert of_type(d.send(AgentSubmit()), Charge)
    assert d.flow.state is State.PROCESSING


def test_submit_before_every_field_is_confirmed_does_nothing() -> None:
    d = assisted()
    d.advance(Step.POSTAL_CODE)
    assert not d.flow.can_submit
    assert d.send(AgentSubmit()) == []


def test_the_agent_restarts_the_expiry_and_the_caller_then_goes_on_where_they_were() -> None:
    d = assisted()
    d.advance(Step.POSTAL_CODE)
    d.answer("902")
    assert d.flow.can_restart(Step.EXPIRY)
    move = d.send(AgentRestart(Step.EXPIRY))
    assert plays(move) == [(sound("reenter-requested"), sound("enter-expiry"))]
    assert d.flow.state is State.EXPIRY_ENTRY
    assert d.flow.steps[Step.POSTAL_CODE] is StepStatus.WAITING
    assert d.flow.steps[Step.CVC] is StepStatus.COMPLETED
    assert of_type(move, PublishEntry) == [PublishEntry(Step.EXPIRY, 0, "", None, False, 1, None)]
    d.answer("0131")
    assert plays(d.answer("1")) == [(sound("enter-postal-code"),)]
    d.answer("90210")
    d.answer("1")
    assert d.flow.can_submit


def test_a_new_card_number_asks_for_its_cvc_again() -> None:
    d = assisted()
    d.advance(Step.PROCESSING)
    d.send(AgentRestart(Step.CARD_NUMBER))
    assert d.flow.steps[Step.CVC] is StepStatus.WAITING
    d.answer(AMEX + "#")
    assert plays(d.answer("1")) == [(sound("enter-cvc-amex"),)]
    d.answer("7373")
    d.answer("1")
    assert d.flow.can_submit
    (charge,) = of_type(d.send(AgentSubmit()), Charge)
    assert charge.card.brand == "amex" and len(charge.card.cvc) == 4 and len(charge.card.exp_month) == 2


def test_a_field_the_caller_has_not_reached_cannot_be_restarted() -> None:
    d = assisted()
    d.advance(Step.EXPIRY)
    assert not d.flow.can_restart(Step.CVC)
    assert not d.flow.can_restart(Step.AMOUNT)
    assert d.send(AgentRestart(Step.CVC)) == []


def test_nothing_restarts_once_the_charge_is_submitted() -> None:
    d = assisted()
    d.advance(Step.PROCESSING)
    d.send(AgentSubmit())
    assert not d.flow.can_restart(Step.EXPIRY)
    assert d.send(AgentRestart(Step.EXPIRY)) == []


def test_the_agent_leaving_before_submitting_charges_what_the_caller_confirmed() -> None:
    d = assisted()
    d.advance(Step.PROCESSING)
    assert of_type(d.send(AgentHungUp()), Charge)


def test_the_caller_can_still_cancel_while_the_agent_has_not_submitted() -> None:
    d = assisted()
    d.advance(Step.PROCESSING)
    d.press("*")
    assert d.flow.outcome is not None and d.flow.outcome.value == "caller-cancelled"


def test_the_closing_prompt_does_not_say_returning_to_the_agent() -> None:
    d = assisted()
    d.advance(Step.AMOUNT)
    assert plays(d.answer("2")) == [(sound("amount-declined"),)]


def test_private_mode_charges_as_soon_as_the_zip_is_confirmed() -> None:
    d = Driver()
    assert of_type(d.advance(Step.PROCESSING), Charge)
