"""The intro and the amount question."""

from securepay.flow import (
    Finished,
    FlowSettings,
    Outcome,
    PublishStep,
    ReturnCaller,
    Start,
    State,
    Step,
    StepStatus,
    StopPlayback,
)

from .driver import Driver, plays, published, sound


def test_intro_is_not_interrupted_by_digits() -> None:
    d = Driver()
    d.send(Start())
    assert d.press("1249#") == []
    assert d.flow.state is State.INTRO


def test_amount_is_read_after_the_intro_finishes() -> None:
    d = Driver()
    d.send(Start())
    move = d.finish_prompt()
    assert plays(move)[0][0] == sound("amount-is")
    assert plays(move)[0][-1] == sound("amount-confirm")
    assert d.flow.state is State.AMOUNT_CONFIRM
    assert d.flow.steps[Step.AMOUNT] is StepStatus.ENTERING


def test_amount_in_another_currency_is_read_with_its_code() -> None:
    d = Driver(amount="12.30", currency="EUR")
    move = d.advance(Step.AMOUNT)
    assert plays(move) == [
        (
            sound("amount-is"),
            "number:12",
            "characters:EUR",
            "number:30",
            sound("amount-confirm"),
        )
    ]


def test_key_one_confirms_the_amount_and_asks_for_the_card() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    move = d.answer("1")
    assert plays(move) == [(sound("enter-card"),)]
    assert d.flow.steps[Step.AMOUNT] is StepStatus.COMPLETED
    assert d.flow.state is State.CARD_NUMBER_ENTRY


def test_key_two_declines_the_amount_and_returns_the_caller() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    move = d.answer("2")
    assert published(move) == [PublishStep(Step.AMOUNT, StepStatus.FAILED, 1, "amount-declined")]
    assert plays(move) == [(sound("amount-declined"), sound("returning-to-agent"))]
    assert d.flow.outcome is Outcome.AMOUNT_DECLINED
    assert d.finish_prompt() == [
        ReturnCaller(),
        Finished(Outcome.AMOUNT_DECLINED, None, None, None, None),
    ]


def test_other_key_at_the_amount_asks_for_one_or_two() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    move = d.answer("5")
    assert plays(move) == [(sound("press-1-or-2"),)]
    assert d.flow.state is State.AMOUNT_CONFIRM
    assert plays(d.answer("1")) == [(sound("enter-card"),)]


def test_hash_at_the_amount_is_ignored() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    d.finish_prompt()
    assert d.press("#") == []


def test_repeated_wrong_keys_at_the_amount_end_with_too_many_attempts() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    d.answer("9")
    d.answer("0")
    move = d.answer("3")
    assert plays(move) == [(sound("too-many-attempts"), sound("returning-to-agent"))]
    assert published(move) == [PublishStep(Step.AMOUNT, StepStatus.FAILED, 3, "too-many-failed-attempts")]
    assert d.flow.outcome is Outcome.TOO_MANY_FAILED_ATTEMPTS


def test_star_during_the_intro_cancels_at_once() -> None:
    d = Driver()
    d.send(Start())
    intro = d.prompt.prompt_id
    move = d.press("*")
    assert move[0] == StopPlayback(intro)
    assert plays(move) == [(sound("payment-cancelled"), sound("returning-to-agent"))]
    assert published(move) == []
    assert d.flow.outcome is Outcome.CALLER_CANCELLED
    assert d.flow.steps[Step.AMOUNT] is StepStatus.WAITING


def test_max_attempts_of_one_ends_at_the_first_wrong_key() -> None:
    d = Driver(settings=FlowSettings(max_attempts=1))
    d.advance(Step.AMOUNT)
    d.answer("7")
    assert d.flow.outcome is Outcome.TOO_MANY_FAILED_ATTEMPTS
