"""Charge requests are validated before any gateway sees them, and never show card data."""

from decimal import Decimal

import pytest

from securepay.gateway import ChargeRequest, new_invoice_number
from securepay.gateway.authorizenet_payloads import format_amount

from .conftest import VISA, make_card, make_request


def test_amount_is_kept_with_exactly_two_decimals() -> None:
    assert make_request(amount="5").amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("amount", "sent"),
    [("5", "5.00"), ("49.9", "49.90"), ("49.95", "49.95"), ("1E+2", "100.00"), ("0.01", "0.01")],
)
def test_amount_is_formatted_with_two_decimals(amount: str, sent: str) -> None:
    assert format_amount(Decimal(amount)) == sent


def test_sub_cent_amount_is_refused_rather_than_rounded() -> None:
    with pytest.raises(ValueError, match="2 decimal places"):
        make_request(amount="1.005")


@pytest.mark.parametrize("amount", ["0", "-1.00", "NaN", "Infinity"])
def test_non_positive_or_non_finite_amount_is_refused(amount: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        make_request(amount=amount)


def test_float_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="Decimal"):
        ChargeRequest("INV1", 49.95, "x", make_card())  # type: ignore[arg-type]


@pytest.mark.parametrize("invoice", ["", "x" * 21, "has space", "ünï"])
def test_invoice_number_must_be_short_and_plain(invoice: str) -> None:
    with pytest.raises(ValueError, match="invoice_number"):
        ChargeRequest(invoice, Decimal("1.00"), "x", make_card())


def test_new_invoice_numbers_fit_and_differ() -> None:
    numbers = {new_invoice_number() for _ in range(50)}
    assert len(numbers) == 50
    assert all(len(number) <= 20 for number in numbers)


def test_description_is_cleaned_on_construction() -> None:
    assert make_request(description="Blue\n\x00widget").description == "Blue widget"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pan", "41111111111", "card number"),
        ("pan", "4111-1111-1111-1111", "card number"),
        ("exp_month", "13", "expiry month"),
        ("exp_month", "1", "expiry month"),
        ("exp_year", "31", "expiry year"),
        ("cvc", "12", "security code"),
    ],
)
def test_malformed_card_is_refused_without_quoting_it(field: str, value: str, message: str) -> None:
    card = make_card()
    setattr(card, field, bytearray(value.encode()))
    with pytest.raises(ValueError, match=message) as raised:
        make_request(card)
    assert value not in str(raised.value)


def test_repr_of_a_request_shows_no_card_data() -> None:
    request = make_request(make_card(cvc="737"))
    text = repr(request)
    assert VISA not in text
    assert "737" not in text
    assert "card" not in text


def test_explicit_postal_code_overrides_the_keyed_one() -> None:
    request = ChargeRequest("INV1", Decimal("1.00"), "x", make_card(postal_code="46201"), postal_code="46282")
    assert request.billing_postal_code == "46282"
