"""Reading an amount of money as Asterisk media."""

from decimal import Decimal

import pytest

from securepay.flow import amount_media

from .driver import sound


def test_dollars_and_cents_read_with_words() -> None:
    assert amount_media(Decimal("49.95"), "USD") == [
        "number:49",
        sound("dollars"),
        sound("and"),
        "number:95",
        sound("cents"),
    ]


def test_one_dollar_is_singular_and_zero_cents_are_not_read() -> None:
    assert amount_media(Decimal("1.00"), "USD") == ["number:1", sound("dollar")]


def test_whole_dollars_without_decimals() -> None:
    assert amount_media(Decimal("20"), "USD") == ["number:20", sound("dollars")]


def test_cents_only_amount_reads_no_dollars() -> None:
    assert amount_media(Decimal("0.50"), "USD") == ["number:50", sound("cents")]


def test_one_cent_is_singular() -> None:
    assert amount_media(Decimal("1.01"), "USD") == [
        "number:1",
        sound("dollar"),
        sound("and"),
        "number:1",
        sound("cent"),
    ]


def test_single_decimal_is_tens_of_cents() -> None:
    assert amount_media(Decimal("3.5"), "USD") == [
        "number:3",
        sound("dollars"),
        sound("and"),
        "number:50",
        sound("cents"),
    ]


def test_trailing_zero_beyond_cents_is_accepted() -> None:
    assert amount_media(Decimal("2.500"), "USD") == amount_media(Decimal("2.50"), "USD")


def test_large_amount_reads_as_one_number() -> None:
    assert amount_media(Decimal("1234567.89"), "USD")[0] == "number:1234567"


def test_other_currency_reads_units_code_then_cents() -> None:
    assert amount_media(Decimal("49.95"), "EUR") == ["number:49", "characters:EUR", "number:95"]


def test_other_currency_whole_amount_reads_no_cents() -> None:
    assert amount_media(Decimal("12.00"), "GBP") == ["number:12", "characters:GBP"]


def test_other_currency_cents_only_reads_zero_units() -> None:
    assert amount_media(Decimal("0.05"), "EUR") == ["number:0", "characters:EUR", "number:5"]


def test_float_amount_is_refused() -> None:
    with pytest.raises(TypeError):
        amount_media(49.95, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "NaN", "Infinity", "1000000000"])
def test_amount_must_be_positive_finite_and_readable(amount: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        amount_media(Decimal(amount), "USD")


def test_amount_with_three_decimals_is_refused() -> None:
    with pytest.raises(ValueError, match="2 decimal places"):
        amount_media(Decimal("1.005"), "USD")


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", "U5D", ""])
def test_currency_must_be_three_uppercase_letters(currency: str) -> None:
    with pytest.raises(ValueError, match="currency"):
        amount_media(Decimal("1.00"), currency)
