"""The agent's screen fills in as the caller keys: counts, bullets, brand, attempt, error type.

Never a digit: only the last four of a complete card number, as read back to the caller.
"""

from securepay.flow import ENTRY_ERRORS, FlowSettings, PublishEntry, Step

from .driver import AMEX, VISA, Driver, of_type

DOT = "\u2022"


def entries(actions: list) -> list[PublishEntry]:
    return of_type(actions, PublishEntry)


def test_each_key_of_the_card_number_counts_one_more_bullet() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    masks = [entries(d.press(key))[0].masked for key in VISA[:6]]
    assert masks == [DOT, DOT * 2, DOT * 3, DOT * 4, f"{DOT * 4} {DOT}", f"{DOT * 4} {DOT * 2}"]
    assert [e.digits_entered for e in entries(d.actions)[-6:]] == [1, 2, 3, 4, 5, 6]


def test_the_brand_shows_as_soon_as_the_iin_tells_it() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    assert [entries(d.press(key))[0].brand for key in "5424"] == [
        None,
        "mastercard",
        "mastercard",
        "mastercard",
    ]


def test_a_complete_card_number_shows_its_last_four_and_brand_only() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    complete = entries(d.press(AMEX + "#"))[-1]
    assert complete == PublishEntry(
        Step.CARD_NUMBER, 15, f"{DOT * 4} {DOT * 4} {DOT * 3} 0005", "amex", True, 1, None
    )


def test_expiry_cvc_and_zip_are_bullets_in_their_shape() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    assert [entries(d.press(key))[0].masked for key in "123"] == [DOT, DOT * 2, f"{DOT * 2}/{DOT}"]
    assert entries(d.press("0"))[-1].masked == f"{DOT * 2}/{DOT * 2}"
    d.answer("1")
    assert entries(d.answer("737"))[-1] == PublishEntry(Step.CVC, 3, DOT * 3, None, True, 1, None)
    d.answer("1")
    assert entries(d.answer("90210"))[-1].masked == DOT * 5


def test_an_invalid_entry_names_its_error_type_and_the_next_attempt() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    refused = entries(d.press("4111111111111112#"))[-1]
    assert refused == PublishEntry(Step.CARD_NUMBER, 0, "", None, False, 2, "invalid-card-number")
    assert entries(d.press("4"))[0].error is None


def test_every_kind_of_invalid_entry_has_its_own_error_type() -> None:
    cases = [
        (Step.CARD_NUMBER, "4111111111111112#", "invalid-card-number"),
        (Step.CARD_NUMBER, "3530111333300000#", "card-type-not-accepted"),
        (Step.EXPIRY, "1399", "invalid-expiry"),
        (Step.EXPIRY, "0120", "card-expired"),
        (Step.CVC, "12#", "invalid-cvc"),
        (Step.POSTAL_CODE, "123#", "invalid-postal-code"),
    ]
    for step, keys, error in cases:
        d = Driver()
        d.advance(step)
        assert entries(d.press(keys))[-1].error == error, error
    assert {error for _, _, error in cases} | {"input-timeout"} == set(ENTRY_ERRORS)


def test_silence_at_a_field_is_reported_as_an_input_timeout() -> None:
    d = Driver()
    d.advance(Step.EXPIRY)
    d.finish_prompt()
    assert entries(d.fire_timer())[0].error == "input-timeout"


def test_the_last_refused_attempt_is_reported_before_the_payment_ends() -> None:
    d = Driver(settings=FlowSettings(max_attempts=2))
    d.advance(Step.CVC)
    d.press("12#")
    last = entries(d.press("34#"))
    assert [(e.attempt, e.error) for e in last] == [(2, None), (2, None), (2, "invalid-cvc")]


def test_pressing_two_clears_the_field_on_the_agents_screen() -> None:
    d = Driver()
    d.advance(Step.POSTAL_CODE)
    d.answer("90210")
    assert entries(d.answer("2")) == [PublishEntry(Step.POSTAL_CODE, 0, "", None, False, 1, None)]


def test_no_entry_ever_carries_more_than_the_last_four() -> None:
    d = Driver()
    d.advance(Step.PROCESSING, card=VISA)
    for entry in entries(d.actions):
        assert not any(char.isdigit() for char in entry.masked.replace("1111", ""))
