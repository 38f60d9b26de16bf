"""Star, hang-ups, the agent's abort and internal failures: every way out."""

from securepay.flow import (
    Action,
    AgentAbort,
    AgentHungUp,
    CallerHungUp,
    CancelTimer,
    Charge,
    Fallback,
    Finished,
    GatewayResult,
    GatewayStatus,
    InternalFailure,
    Outcome,
    Play,
    PublishStep,
    ReturnCaller,
    Start,
    State,
    Step,
    StepStatus,
    StopPlayback,
)

from .driver import VISA, Driver, of_type, pay, plays, published, sound

CANCELLED = (sound("payment-cancelled"), sound("returning-to-agent"))
AGENT_GONE = (sound("agent-unavailable"), sound("goodbye"))


# Star


def test_star_at_the_card_step_cancels_and_returns_the_caller() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    move = d.answer("*")
    assert published(move) == [PublishStep(Step.CARD_NUMBER, StepStatus.FAILED, 1, "caller-cancelled")]
    assert plays(move) == [CANCELLED]
    assert d.flow.outcome is Outcome.CALLER_CANCELLED
    assert d.finish_prompt() == [
        ReturnCaller(),
        Finished(Outcome.CALLER_CANCELLED, None, None, None, None),
    ]
    assert of_type(d.actions, Charge) == []


def test_star_in_the_middle_of_an_entry_cancels_and_stops_the_timer() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer("4111")
    timer = d.timer.timer_id
    move = d.press("*")
    assert move[0] == CancelTimer(timer)
    assert plays(move) == [CANCELLED]


def test_star_over_a_question_stops_it_and_cancels() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    prompt = d.prompt.prompt_id
    move = d.press("*")
    assert move[0] == StopPlayback(prompt)
    assert plays(move) == [CANCELLED]


def test_star_at_a_readback_cancels() -> None:
    d = Driver()
    d.advance(Step.POSTAL_CODE)
    d.answer("90210")
    d.answer("*")
    assert d.flow.outcome is Outcome.CALLER_CANCELLED
    assert d.flow.steps[Step.POSTAL_CODE] is StepStatus.FAILED


def test_star_after_the_card_was_confirmed_reports_brand_and_last4() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    d.answer("*")
    assert d.finish_prompt()[-1] == Finished(Outcome.CALLER_CANCELLED, None, None, "visa", "1111")


def test_card_held_before_the_charge_is_wiped_when_the_flow_ends() -> None:
    d = Driver()
    d.advance(Step.CVC)
    d.answer("73")
    card = d.flow._card  # the only place the card lives before a charge
    assert card.pan
    d.press("*")
    assert (card.pan, card.exp_month, card.exp_year, card.cvc) == (bytearray(),) * 4
    assert d.flow._entry == bytearray()


# Caller hangs up


def test_caller_hangs_up_during_cvc_and_nothing_is_charged() -> None:
    d = Driver()
    d.advance(Step.CVC)
    d.answer("73")
    timer = d.timer.timer_id
    move = d.send(CallerHungUp())
    assert move == [
        CancelTimer(timer),
        PublishStep(Step.CVC, StepStatus.FAILED, 1, "caller-hung-up"),
        Finished(Outcome.CALLER_HUNG_UP, None, None, "visa", "1111"),
    ]
    assert of_type(d.actions, Charge) == []
    assert d.flow.finished


def test_caller_hangs_up_before_start() -> None:
    d = Driver()
    assert d.send(CallerHungUp()) == [Finished(Outcome.CALLER_HUNG_UP, None, None, None, None)]


def test_caller_hangs_up_while_charging_and_the_result_is_recorded_silently() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    assert d.send(CallerHungUp()) == []
    assert not d.flow.finished
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, "321"))
    assert move == [
        PublishStep(Step.PROCESSING, StepStatus.COMPLETED, 1, None),
        Finished(Outcome.SUCCESS, None, "321", "visa", "1111"),
    ]
    assert of_type(move, Play) == []
    assert of_type(move, ReturnCaller) == []


def test_caller_hangs_up_during_the_closing_prompt_keeps_the_outcome() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    d.answer("2")
    assert d.send(CallerHungUp()) == [Finished(Outcome.AMOUNT_DECLINED, None, None, None, None)]


# Agent hangs up


def test_agent_hangs_up_mid_flow_the_caller_completes_then_falls_back() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    assert d.send(AgentHungUp()) == []
    assert d.flow.state is State.EXPIRY_ENTRY
    last_move = pay_from_expiry(d)
    assert plays(d.actions)[-1] == (sound("payment-success"), "digits:40012345", *AGENT_GONE)
    assert last_move == [Fallback(), Finished(Outcome.SUCCESS, None, "40012345", "visa", "1111")]


def pay_from_expiry(d: Driver) -> list[Action]:
    d.answer("1230")
    d.answer("1")
    d.answer("737")
    d.answer("1")
    d.answer("90210")
    d.answer("1")
    d.finish_prompt()
    d.send(GatewayResult(GatewayStatus.APPROVED, None, "40012345"))
    return d.finish_prompt()


def test_agent_hangs_up_during_returning_to_agent_then_caller_is_told_and_falls_back() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer("*")
    d.send(AgentHungUp())
    move = d.finish_prompt()
    assert plays(move) == [AGENT_GONE]
    assert d.finish_prompt() == [
        Fallback(),
        Finished(Outcome.CALLER_CANCELLED, None, None, None, None),
    ]


def test_agent_gone_before_an_early_ending_replaces_returning_to_agent() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.send(AgentHungUp())
    d.finish_prompt()
    move = d.fire_timer()
    assert plays(move) == [(sound("input-timeout"), *AGENT_GONE)]
    assert d.finish_prompt() == [
        Fallback(),
        Finished(Outcome.INPUT_TIMEOUT, None, None, None, None),
    ]


# Agent aborts


def test_agent_abort_cancels_and_returns_the_caller() -> None:
    d = Driver()
    d.advance(Step.CVC)
    prompt = d.prompt.prompt_id
    move = d.send(AgentAbort())
    assert move[0] == StopPlayback(prompt)
    assert published(move) == [PublishStep(Step.CVC, StepStatus.FAILED, 1, "agent-cancelled")]
    assert plays(move) == [CANCELLED]
    assert d.finish_prompt() == [
        ReturnCaller(),
        Finished(Outcome.AGENT_CANCELLED, None, None, "visa", "1111"),
    ]


def test_agent_abort_before_start_still_tells_the_caller() -> None:
    d = Driver()
    assert plays(d.send(AgentAbort())) == [CANCELLED]
    assert d.flow.outcome is Outcome.AGENT_CANCELLED


def test_agent_abort_is_ignored_while_charging() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    assert d.send(AgentAbort()) == []
    assert d.flow.state is State.PROCESSING


def test_agent_abort_is_ignored_once_the_outcome_is_decided() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    d.answer("2")
    assert not d.flow.can_abort
    assert d.send(AgentAbort()) == []
    assert d.flow.outcome is Outcome.AMOUNT_DECLINED


# Internal failure


def test_internal_failure_hands_the_caller_back_at_once() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    prompt = d.prompt.prompt_id
    move = d.send(InternalFailure("playback failed"))
    assert move == [
        StopPlayback(prompt),
        PublishStep(Step.CARD_NUMBER, StepStatus.FAILED, 1, "internal-error"),
        ReturnCaller(),
        Finished(Outcome.INTERNAL_ERROR, "playback failed", None, None, None),
    ]


def test_internal_failure_after_the_agent_left_falls_back() -> None:
    d = Driver()
    d.send(Start(), AgentHungUp())
    move = d.send(InternalFailure("bridge gone"))
    assert move[-2:] == [
        Fallback(),
        Finished(Outcome.INTERNAL_ERROR, "bridge gone", None, None, None),
    ]


def test_internal_failure_while_closing_keeps_the_decided_outcome() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    d.finish_prompt()
    d.send(GatewayResult(GatewayStatus.APPROVED, None, "5"))
    move = d.send(InternalFailure("playback failed"))
    assert move[-1] == Finished(Outcome.SUCCESS, None, "5", "visa", "1111")
    assert d.flow.steps[Step.PROCESSING] is StepStatus.COMPLETED


def test_internal_failure_wipes_the_card_in_flight() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    card = of_type(d.actions, Charge)[0].card
    d.send(InternalFailure("shell crashed"))
    assert card.pan == bytearray()
    assert d.flow.steps[Step.PROCESSING] is StepStatus.FAILED


def test_a_whole_payment_with_an_agent_present_ends_with_return_caller() -> None:
    d = Driver()
    assert pay(d)[0] == ReturnCaller()
    assert VISA not in repr(d.actions)
