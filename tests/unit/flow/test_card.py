"""Card validation rules: Luhn, brand by IIN and length, expiry, CVC, postal code, and
the wipeable CardDetails holder."""

from datetime import date

import pytest

from securepay.flow import (
    KNOWN_BRANDS,
    CardDetails,
    CardStatus,
    ExpiryStatus,
    check_cvc,
    check_expiry,
    check_postal_code,
    cvc_length,
    luhn_valid,
    validate_card_number,
    wipe_buffer,
)

from .driver import AMEX, DINERS, DISCOVER, JCB, MASTERCARD, VISA, luhn_number

ALL_BRANDS = tuple(sorted(KNOWN_BRANDS))
TODAY = date(2025, 6, 15)


def brand_of(number: str) -> str | None:
    check = validate_card_number(bytearray(number.encode()), ALL_BRANDS)
    assert check.status is CardStatus.OK
    return check.brand


def test_luhn_accepts_a_valid_number() -> None:
    assert luhn_valid(bytearray(VISA.encode()))


def test_luhn_rejects_a_single_changed_digit() -> None:
    assert not luhn_valid(b"4111111111111112")


def test_luhn_rejects_non_digits() -> None:
    assert not luhn_valid(b"41111111111111a1")


def test_luhn_rejects_empty_and_single_digit() -> None:
    assert not luhn_valid(b"")
    assert not luhn_valid(b"0")


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        (VISA, "visa"),
        (luhn_number("4", 13), "visa"),
        (luhn_number("4", 19), "visa"),
        (MASTERCARD, "mastercard"),
        (luhn_number("51", 16), "mastercard"),
        (luhn_number("2221", 16), "mastercard"),
        (luhn_number("2720", 16), "mastercard"),
        (AMEX, "amex"),
        (luhn_number("34", 15), "amex"),
        (DISCOVER, "discover"),
        (luhn_number("644", 16), "discover"),
        (luhn_number("649", 19), "discover"),
        (luhn_number("65", 16), "discover"),
        (luhn_number("622126", 16), "discover"),
        (luhn_number("622925", 19), "discover"),
        (JCB, "jcb"),
        (luhn_number("3528", 16), "jcb"),
        (luhn_number("3589", 19), "jcb"),
        (DINERS, "diners"),
        (luhn_number("300", 14), "diners"),
        (luhn_number("36", 14), "diners"),
        (luhn_number("38", 16), "diners"),
        (luhn_number("39", 19), "diners"),
    ],
)
def test_brand_is_found_by_iin_within_its_lengths(number: str, brand: str) -> None:
    assert brand_of(number) == brand


@pytest.mark.parametrize(
    "number",
    [
        luhn_number("4", 15),  # visa issues 13, 16 or 19 digits
        luhn_number("51", 15),  # mastercard issues 16
        luhn_number("37", 16),  # amex issues 15
        luhn_number("6011", 15),  # discover issues 16-19
        luhn_number("3528", 15),  # jcb issues 16-19
        luhn_number("36", 13),  # diners issues 14-19
        luhn_number("4", 20),
    ],
)
def test_known_iin_with_a_length_the_brand_does_not_issue_is_invalid(number: str) -> None:
    check = validate_card_number(number.encode(), ALL_BRANDS)
    assert check.status is CardStatus.INVALID


@pytest.mark.parametrize(
    "number",
    [
        luhn_number("50", 16),
        luhn_number("56", 16),
        luhn_number("2220", 16),
        luhn_number("2721", 16),
        luhn_number("643", 16),
        luhn_number("622125", 16),
        luhn_number("622926", 16),
        luhn_number("3527", 16),
        luhn_number("3590", 16),
        luhn_number("306", 14),
        luhn_number("1", 16),
        luhn_number("9", 16),
    ],
)
def test_number_outside_every_iin_range_is_invalid(number: str) -> None:
    check = validate_card_number(number.encode(), ALL_BRANDS)
    assert check.status is CardStatus.INVALID
    assert check.brand is None


def test_number_failing_luhn_is_invalid() -> None:
    check = validate_card_number(b"4111111111111112", ALL_BRANDS)
    assert check.status is CardStatus.INVALID


def test_number_with_a_non_digit_is_invalid() -> None:
    assert validate_card_number(b"4111-1111111111", ALL_BRANDS).status is CardStatus.INVALID


def test_empty_number_is_invalid() -> None:
    assert validate_card_number(b"", ALL_BRANDS).status is CardStatus.INVALID


def test_valid_number_of_a_brand_not_accepted_says_not_accepted_with_brand() -> None:
    check = validate_card_number(JCB.encode(), ("visa", "mastercard"))
    assert check.status is CardStatus.NOT_ACCEPTED
    assert check.brand == "jcb"


def test_invalid_number_of_a_brand_not_accepted_is_invalid_not_unaccepted() -> None:
    check = validate_card_number(b"3530111333300001", ("visa",))
    assert check.status is CardStatus.INVALID


def test_accepted_valid_number_is_ok_with_lowercase_brand() -> None:
    check = validate_card_number(bytearray(AMEX.encode()), ("amex",))
    assert check.status is CardStatus.OK
    assert check.brand == "amex"


def test_validation_leaves_the_buffer_untouched() -> None:
    buffer = bytearray(VISA.encode())
    validate_card_number(buffer, ALL_BRANDS)
    assert buffer == VISA.encode()


def test_expiry_this_month_is_ok_with_four_digit_year() -> None:
    check = check_expiry(b"0625", TODAY, 20)
    assert (check.status, check.month, check.year) == (ExpiryStatus.OK, 6, 2025)


def test_expiry_last_month_is_expired() -> None:
    assert check_expiry(b"0525", TODAY, 20).status is ExpiryStatus.EXPIRED


def test_expiry_last_year_is_expired() -> None:
    assert check_expiry(b"1224", TODAY, 20).status is ExpiryStatus.EXPIRED


def test_expiry_exactly_max_years_ahead_is_ok() -> None:
    assert check_expiry(b"0645", TODAY, 20).status is ExpiryStatus.OK


def test_expiry_beyond_max_years_ahead_is_invalid() -> None:
    assert check_expiry(b"0745", TODAY, 20).status is ExpiryStatus.INVALID


def test_expiry_max_years_is_configurable() -> None:
    assert check_expiry(b"0730", TODAY, 5).status is ExpiryStatus.INVALID


@pytest.mark.parametrize("mmyy", [b"0030", b"1330", b"9930"])
def test_expiry_month_outside_01_to_12_is_invalid(mmyy: bytes) -> None:
    assert check_expiry(mmyy, TODAY, 20).status is ExpiryStatus.INVALID


@pytest.mark.parametrize("mmyy", [b"", b"123", b"12300", b"12a0"])
def test_expiry_not_exactly_four_digits_is_invalid(mmyy: bytes) -> None:
    assert check_expiry(mmyy, TODAY, 20).status is ExpiryStatus.INVALID


def test_expiry_year_is_resolved_across_a_century_boundary() -> None:
    check = check_expiry(b"0105", date(2095, 6, 1), 20)
    assert (check.status, check.year) == (ExpiryStatus.OK, 2105)


def test_expiry_far_past_two_digit_year_is_expired_not_future() -> None:
    assert check_expiry(b"0180", TODAY, 20).status is ExpiryStatus.EXPIRED


def test_cvc_is_three_digits_for_visa() -> None:
    assert cvc_length("visa") == 3
    assert check_cvc(b"737", "visa")
    assert not check_cvc(b"7373", "visa")
    assert not check_cvc(b"73", "visa")


def test_cvc_is_four_digits_for_amex() -> None:
    assert cvc_length("amex") == 4
    assert check_cvc(b"7373", "amex")
    assert not check_cvc(b"737", "amex")


def test_cvc_with_a_non_digit_is_invalid() -> None:
    assert not check_cvc(b"7#7", "visa")


def test_postal_code_within_lengths_is_valid() -> None:
    assert check_postal_code(b"90210", 5, 5)
    assert check_postal_code(b"123", 3, 9)
    assert check_postal_code(b"123456789", 3, 9)


def test_postal_code_outside_lengths_is_invalid() -> None:
    assert not check_postal_code(b"9021", 5, 5)
    assert not check_postal_code(b"902100", 5, 5)
    assert not check_postal_code(b"", 1, 5)


def test_postal_code_with_a_non_digit_is_invalid() -> None:
    assert not check_postal_code(b"9021*", 5, 5)


def filled_card() -> CardDetails:
    card = CardDetails()
    card.pan.extend(VISA.encode())
    card.exp_month.extend(b"12")
    card.exp_year.extend(b"2030")
    card.cvc.extend(b"737")
    card.postal_code.extend(b"90210")
    card.brand = "visa"
    return card


def test_card_details_last4_is_the_last_four_pan_digits() -> None:
    assert filled_card().last4 == "1111"


def test_card_details_last4_is_empty_without_a_pan() -> None:
    assert CardDetails().last4 == ""


def test_card_details_repr_shows_brand_and_last4_only() -> None:
    card = filled_card()
    for text in (repr(card), str(card), f"{card}"):
        assert text == "CardDetails(brand='visa', last4='1111')"
        assert VISA not in text
        assert "737" not in text
        assert "2030" not in text


class RecordingBuffer(bytearray):
    """A bytearray that remembers its contents at the moment it is cleared."""

    at_clear: bytes | None = None

    def clear(self) -> None:
        self.at_clear = bytes(self)
        super().clear()


def test_wipe_buffer_zeroes_the_bytes_before_clearing() -> None:
    buffer = RecordingBuffer(b"4111111111111111")
    wipe_buffer(buffer)
    assert buffer.at_clear == bytes(16)
    assert buffer == bytearray()


def test_card_details_wipe_zeroes_and_clears_every_buffer() -> None:
    card = filled_card()
    names = ("pan", "exp_month", "exp_year", "cvc", "postal_code")
    for name in names:
        setattr(card, name, RecordingBuffer(getattr(card, name)))
    card.wipe()
    for name in names:
        buffer = getattr(card, name)
        assert buffer == bytearray(), name
        assert buffer.at_clear is not None
        assert set(buffer.at_clear) == {0}, name
    assert card.last4 == ""


def test_card_details_wipe_keeps_the_brand() -> None:
    card = filled_card()
    card.wipe()
    assert card.brand == "visa"


def test_jcb_legacy_range_is_recognised_as_jcb() -> None:
    assert brand_of("3088000000000017") == "jcb"
