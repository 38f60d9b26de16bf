"""A key pressed while a question is still being asked stops it and counts."""

from securepay.flow import (
    GatewayResult,
    GatewayStatus,
    PromptFinished,
    PublishEntry,
    StartTimer,
    State,
    Step,
    StopPlayback,
)

from .driver import VISA, Driver, of_type, plays, sound


def test_digit_during_the_card_prompt_stops_it_and_counts() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    prompt = d.prompt.prompt_id
    move = d.press("4")
    keyed = PublishEntry(Step.CARD_NUMBER, 1, "\u2022", "visa", False, 1, None)
    assert move == [StopPlayback(prompt), keyed, StartTimer(d.timer.timer_id, 5.0)]
    d.press(VISA[1:] + "#")
    assert plays(d.actions)[-1][1] == "digits:1111"


def test_whole_card_keyed_over_the_prompt_is_taken() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    move = d.press(VISA + "#")
    assert plays(move) == [(sound("card-ending-in"), "digits:1111", sound("confirm-or-reenter"))]


def test_key_during_a_readback_stops_it_and_answers() -> None:
    d = Driver()
    d.advance(Step.CVC)
    d.answer("737")
    readback = d.prompt.prompt_id
    move = d.press("1")
    assert move[0] == StopPlayback(readback)
    assert plays(move) == [(sound("enter-postal-code"),)]


def test_key_during_the_amount_stops_it_and_answers() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    amount = d.prompt.prompt_id
    move = d.press("1")
    assert move[0] == StopPlayback(amount)
    assert d.flow.state is State.CARD_NUMBER_ENTRY


def test_prompt_finished_of_a_stopped_prompt_starts_no_timer() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    prompt = d.prompt.prompt_id
    d.press("4")
    interdigit = d.timer
    assert d.send(PromptFinished(prompt)) == []
    assert d.timer == interdigit


def test_digits_during_please_wait_are_ignored() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    assert d.press("1*#2") == []
    assert d.flow.state is State.PROCESSING


def test_digits_during_the_closing_prompt_are_ignored() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    d.finish_prompt()
    d.send(GatewayResult(GatewayStatus.APPROVED, None, "1"))
    closing = d.prompt
    assert d.press("1*#") == []
    assert d.prompt == closing
    assert of_type(d.actions, StopPlayback) == []
