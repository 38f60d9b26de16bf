"""Keying in the card number, expiry, CVC and postal code: validation, readback,
confirm or re-enter, and the per-field attempt limit."""

import pytest

from securepay.flow import (
    Charge,
    Finished,
    FlowSettings,
    Outcome,
    PublishStep,
    ReturnCaller,
    State,
    Step,
    StepStatus,
)

from .driver import (
    AMEX,
    DISCOVER,
    JCB,
    MASTERCARD,
    VISA,
    Driver,
    luhn_number,
    of_type,
    plays,
    published,
    sound,
)

CONFIRM = sound("confirm-or-reenter")


def finish_payment(d: Driver) -> Charge:
    """From a confirmed card number onwards, enter valid data and return the Charge."""
    while d.flow.state is not State.PROCESSING:
        entries = {
            State.EXPIRY_ENTRY: "1230",
            State.CVC_ENTRY: "737",
            State.POSTAL_CODE_ENTRY: "90210",
        }
        d.answer(entries[d.flow.state])
        d.answer("1")
    return of_type(d.actions, Charge)[-1]


# Card number


def test_card_number_readback_is_the_last_four_only() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    move = d.answer(MASTERCARD + "#")
    assert plays(move) == [(sound("card-ending-in"), "digits:4444", CONFIRM)]


def test_card_number_ends_by_itself_at_max_card_digits() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    number = luhn_number("4", 19)
    move = d.answer(number)
    assert plays(move) == [(sound("card-ending-in"), f"digits:{number[-4:]}", CONFIRM)]
    assert d.flow.state is State.CARD_NUMBER_CONFIRM


def test_card_number_ends_at_a_lower_configured_max_card_digits() -> None:
    d = Driver(settings=FlowSettings(max_card_digits=16))
    d.advance(Step.CARD_NUMBER)
    d.answer(VISA)
    assert d.flow.state is State.CARD_NUMBER_CONFIRM


def test_invalid_card_number_says_invalid_and_asks_again() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    move = d.answer("4111111111111112#")
    assert plays(move) == [(sound("card-invalid"), sound("enter-card"))]
    assert published(move) == [PublishStep(Step.CARD_NUMBER, StepStatus.ENTERING, 2, "card-invalid")]
    assert d.flow.state is State.CARD_NUMBER_ENTRY


def test_invalid_card_then_valid_card_goes_on() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer("1234#")
    move = d.answer(DISCOVER + "#")
    assert plays(move) == [(sound("card-ending-in"), "digits:1117", CONFIRM)]
    d.answer("1")
    assert finish_payment(d).card.pan == bytearray(DISCOVER.encode())


def test_brand_not_accepted_gets_its_own_message() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    move = d.answer(JCB + "#")
    assert plays(move) == [(sound("card-not-accepted"), sound("enter-card"))]
    assert published(move) == [PublishStep(Step.CARD_NUMBER, StepStatus.ENTERING, 2, "card-not-accepted")]


def test_brand_accepted_by_settings_is_taken() -> None:
    d = Driver(settings=FlowSettings(accepted_brands=("jcb",)))
    d.advance(Step.CARD_NUMBER)
    d.answer(JCB + "#")
    assert d.flow.state is State.CARD_NUMBER_CONFIRM


def test_brand_removed_from_settings_is_not_accepted() -> None:
    d = Driver(settings=FlowSettings(accepted_brands=("visa",)))
    d.advance(Step.CARD_NUMBER)
    assert plays(d.answer(AMEX + "#"))[0][0] == sound("card-not-accepted")


def test_hash_with_nothing_typed_is_ignored() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.finish_prompt()
    assert d.press("#") == []
    assert d.flow.state is State.CARD_NUMBER_ENTRY


def test_card_failures_end_with_too_many_attempts() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer("1234#")
    d.answer(JCB + "#")
    move = d.answer("4111111111111112#")
    assert plays(move) == [(sound("card-invalid"), sound("too-many-attempts"), sound("returning-to-agent"))]
    assert published(move) == [
        PublishStep(Step.CARD_NUMBER, StepStatus.FAILED, 3, "too-many-failed-attempts")
    ]
    assert d.finish_prompt() == [
        ReturnCaller(),
        Finished(Outcome.TOO_MANY_FAILED_ATTEMPTS, None, None, None, None),
    ]
    assert d.flow.steps[Step.CARD_NUMBER] is StepStatus.FAILED
    assert of_type(d.actions, Charge) == []


def test_failures_are_counted_per_field() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer("1234#")
    d.answer("5678#")
    d.answer(VISA + "#")
    d.answer("1")
    d.answer("1399")
    move = d.answer("0099")
    assert published(move) == [PublishStep(Step.EXPIRY, StepStatus.ENTERING, 3, "expiry-invalid")]
    assert d.flow.outcome is None


def test_max_attempts_is_configurable() -> None:
    d = Driver(settings=FlowSettings(max_attempts=5))
    d.advance(Step.CARD_NUMBER)
    for _ in range(4):
        d.answer("1234#")
    assert d.flow.outcome is None
    d.answer("1234#")
    assert d.flow.outcome is Outcome.TOO_MANY_FAILED_ATTEMPTS


def test_wrong_keys_at_a_readback_count_towards_the_field_limit() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer("1234#")
    d.answer(VISA + "#")
    assert plays(d.answer("9")) == [(sound("press-1-or-2"),)]
    move = d.answer("8")
    assert plays(move) == [(sound("too-many-attempts"), sound("returning-to-agent"))]
    assert d.flow.outcome is Outcome.TOO_MANY_FAILED_ATTEMPTS


# Expiry


def test_expiry_readback_is_month_name_and_year() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    move = d.answer("0327")
    assert plays(move) == [(sound("expiry-is"), sound("month-03"), "number:2027", CONFIRM)]


def test_expired_date_says_the_card_has_expired() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    move = d.answer("0525")
    assert plays(move) == [(sound("card-expired"), sound("enter-expiry"))]
    assert published(move) == [PublishStep(Step.EXPIRY, StepStatus.ENTERING, 2, "card-expired")]


def test_expiry_this_month_is_accepted() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    d.answer("0625")
    assert d.flow.state is State.EXPIRY_CONFIRM


def test_expiry_month_thirteen_is_invalid() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    move = d.answer("1330")
    assert plays(move) == [(sound("expiry-invalid"), sound("enter-expiry"))]


def test_expiry_more_than_twenty_years_ahead_is_invalid() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    assert plays(d.answer("0745"))[0][0] == sound("expiry-invalid")


def test_expiry_ended_early_with_hash_is_invalid() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    assert plays(d.answer("123#"))[0][0] == sound("expiry-invalid")


def test_expiry_ends_by_itself_after_four_digits() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    d.answer("1230")
    assert d.flow.state is State.EXPIRY_CONFIRM


# CVC


def test_cvc_readback_says_how_many_digits_never_the_digits() -> None:
    d = Driver()
    d.advance(Step.CVC)
    move = d.answer("737")
    assert plays(move) == [(sound("cvc-3-digits"), CONFIRM)]
    assert "737" not in repr(move)


def test_cvc_ends_by_itself_after_three_digits() -> None:
    d = Driver()
    d.advance(Step.CVC)
    d.answer("737")
    assert d.flow.state is State.CVC_CONFIRM


def test_short_cvc_ended_with_hash_is_invalid() -> None:
    d = Driver()
    d.advance(Step.CVC)
    move = d.answer("73#")
    assert plays(move) == [(sound("cvc-invalid"), sound("enter-cvc"))]


# Postal code


def test_postal_code_readback_is_digit_by_digit() -> None:
    d = Driver()
    d.advance(Step.POSTAL_CODE)
    move = d.answer("02134")
    assert plays(move) == [(sound("postal-code-is"), "digits:02134", CONFIRM)]


def test_short_postal_code_ended_with_hash_is_invalid() -> None:
    d = Driver()
    d.advance(Step.POSTAL_CODE)
    move = d.answer("9021#")
    assert plays(move) == [(sound("postal-code-invalid"), sound("enter-postal-code"))]


def test_postal_code_in_a_configured_range_ends_with_hash() -> None:
    d = Driver(settings=FlowSettings(postal_code_min=3, postal_code_max=9))
    d.advance(Step.POSTAL_CODE)
    move = d.answer("1234#")
    assert plays(move) == [(sound("postal-code-is"), "digits:1234", CONFIRM)]


def test_postal_code_ends_by_itself_at_the_configured_maximum() -> None:
    d = Driver(settings=FlowSettings(postal_code_min=3, postal_code_max=6))
    d.advance(Step.POSTAL_CODE)
    d.answer("123456")
    assert d.flow.state is State.POSTAL_CODE_CONFIRM


def test_postal_code_below_the_configured_minimum_is_invalid() -> None:
    d = Driver(settings=FlowSettings(postal_code_min=3, postal_code_max=9))
    d.advance(Step.POSTAL_CODE)
    assert plays(d.answer("12#"))[0][0] == sound("postal-code-invalid")


# Confirm or re-enter, at every step

ENTRIES = {
    Step.CARD_NUMBER: (VISA + "#", MASTERCARD + "#", "enter-card"),
    Step.EXPIRY: ("1230", "0131", "enter-expiry"),
    Step.CVC: ("737", "123", "enter-cvc"),
    Step.POSTAL_CODE: ("90210", "02134", "enter-postal-code"),
}


@pytest.mark.parametrize("step", list(ENTRIES), ids=lambda step: step.value)
def test_key_two_at_a_readback_asks_for_the_same_entry_again(step: Step) -> None:
    d = Driver()
    d.advance(step)
    first, _, prompt = ENTRIES[step]
    d.answer(first)
    move = d.answer("2")
    assert plays(move) == [(sound(prompt),)]
    assert published(move) == [PublishStep(step, StepStatus.ENTERING, 1, None)]
    assert d.flow.state.value.endswith("-entry")


def test_re_entered_values_replace_the_first_ones_at_every_step() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    for first, second, _ in ENTRIES.values():
        d.answer(first)
        d.answer("2")
        d.answer(second)
        d.answer("1")
    card = of_type(d.actions, Charge)[-1].card
    assert (card.pan, card.exp_month, card.exp_year, card.cvc, card.postal_code) == (
        bytearray(MASTERCARD.encode()),
        bytearray(b"01"),
        bytearray(b"2031"),
        bytearray(b"123"),
        bytearray(b"02134"),
    )
    assert card.brand == "mastercard"


def test_re_entering_with_two_does_not_count_as_a_failure() -> None:
    d = Driver(settings=FlowSettings(max_attempts=1))
    d.advance(Step.CVC)
    for _ in range(5):
        d.answer("737")
        d.answer("2")
    assert d.flow.outcome is None
    assert d.flow.state is State.CVC_ENTRY


def test_other_key_at_a_readback_asks_for_one_or_two_then_one_confirms() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    d.answer("1230")
    move = d.answer("7")
    assert plays(move) == [(sound("press-1-or-2"),)]
    assert d.flow.state is State.EXPIRY_CONFIRM
    assert plays(d.answer("1")) == [(sound("enter-cvc"),)]


def test_habitual_hash_after_an_entry_that_ended_by_length_is_ignored() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    d.finish_prompt()
    d.press("1230")
    readback = d.prompt
    assert d.press("#") == []
    assert d.prompt == readback
    assert d.flow.state is State.EXPIRY_CONFIRM
