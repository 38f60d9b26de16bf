"""Which prompts are private: every read-back of what the caller keyed plays to the caller
alone, even where the agent of an assisted payment hears the instructions."""

import pytest

from securepay.flow import AgentRestart, AgentSubmit, FlowSettings, GatewayResult, GatewayStatus, Play, Step

from .driver import AMEX, AMEX_CVC, CVC, EXPIRY, POSTAL, TRANSACTION_ID, VISA, Driver, of_type, sound

ENTRIES = {
    Step.CARD_NUMBER: (VISA + "#", (sound("card-ending-in"), "digits:1111")),
    Step.EXPIRY: (EXPIRY, (sound("expiry-is"), sound("month-12"), "number:2030")),
    Step.CVC: (CVC, (sound("cvc-3-digits"),)),
    Step.POSTAL_CODE: (POSTAL, (sound("postal-code-is"), "digits:90210")),
}


@pytest.mark.parametrize("step", list(ENTRIES))
def test_a_readback_and_its_confirm_question_are_one_private_prompt(step: Step) -> None:
    d = Driver(settings=FlowSettings(assisted=True))
    d.advance(step)
    keys, readback = ENTRIES[step]
    (play,) = of_type(d.answer(keys), Play)
    assert play.media == (*readback, sound("confirm-or-reenter"))
    assert play.private


def opening(plays: list[Play], private: bool) -> list[str]:
    """The first prompt name of each play that is (or is not) private."""
    return [play.media[0].removeprefix("sound:securepay/") for play in plays if play.private is private]


def test_instructions_errors_the_amount_and_the_result_are_not_private() -> None:
    d = Driver(settings=FlowSettings(assisted=True))
    d.advance(Step.CARD_NUMBER)
    d.answer("4111111111111112#")  # fails the Luhn check
    d.answer(AMEX + "#")
    d.answer("3")  # neither 1 nor 2
    for keys in ("1", EXPIRY, "1", AMEX_CVC):
        d.answer(keys)
    d.send(AgentRestart(Step.EXPIRY))
    for keys in (EXPIRY, "1", AMEX_CVC, "1", POSTAL, "1"):
        d.answer(keys)
    d.finish_prompt()
    d.send(AgentSubmit())
    d.finish_prompt()
    d.send(GatewayResult(GatewayStatus.APPROVED, None, TRANSACTION_ID))
    d.finish_prompt()
    assert d.flow.finished
    plays = of_type(d.actions, Play)
    assert opening(plays, private=False) == [
        "intro-assisted",
        "amount-is",
        "enter-card",
        "card-invalid",
        "press-1-or-2",
        "enter-expiry",
        "enter-cvc-amex",
        "reenter-requested",
        "enter-cvc-amex",
        "enter-postal-code",
        "agent-will-submit",
        "please-wait",
        "payment-success",
    ]
    assert opening(plays, private=True) == [
        "card-ending-in",
        "expiry-is",
        "cvc-4-digits",
        "expiry-is",
        "cvc-4-digits",
        "postal-code-is",
    ]
