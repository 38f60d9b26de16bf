"""Stripe: request shape, every result mapping, and never a double charge after a lost answer."""

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from securepay.gateway import ChargeReason, ChargeStatus, GatewayAuthError
from securepay.gateway.context import ChargeContext
from securepay.gateway.currency import format_major, to_minor_units
from securepay.gateway.stripe import StripeGateway
from securepay.gateway.stripe_config import StripeConfig
from securepay.gateway.stripe_payloads import payment_intent_body
from securepay.gateway.stripe_responses import read_charge_answer, result_from_search
from securepay.testing.sim_faults import Fault
from securepay.testing.stripe_sim import (
    CREATE,
    LIST,
    REFUND,
    SEARCH,
    SIM_SECRET_KEY,
    StripeSimulator,
    serve_stripe_simulator,
)

from .conftest import FAST_TIMEOUT_S, FUTURE_YEAR, make_card, make_request

STRIPE_VISA = "4242424242424242"


def stripe_card(pan: str = STRIPE_VISA, **fields: str):  # type: ignore[no-untyped-def]
    return make_card(pan, **{"cvc": "123", "postal_code": "10001", **fields})


@pytest.fixture
def stripe_sim() -> StripeSimulator:
    return StripeSimulator(slow_response_s=FAST_TIMEOUT_S * 3)


@pytest.fixture
async def stripe_url(stripe_sim: StripeSimulator) -> AsyncIterator[str]:
    async with serve_stripe_simulator(stripe_sim) as url:
        yield url


def stripe_config(url: str, **overrides: object) -> StripeConfig:
    settings: dict[str, object] = {
        "secret_key": SIM_SECRET_KEY,
        "endpoint": url,
        "connect_timeout_s": FAST_TIMEOUT_S,
        "timeout_s": FAST_TIMEOUT_S,
    }
    return StripeConfig(**{**settings, **overrides})  # type: ignore[arg-type]


@pytest.fixture
async def stripe(stripe_url: str) -> AsyncIterator[StripeGateway]:
    async with StripeGateway(stripe_config(stripe_url)) as client:
        yield client


def test_the_body_creates_and_confirms_a_moto_intent_with_the_card_as_payment_method_data() -> None:
    request = replace(make_request(stripe_card(), amount="49.95"), reference="p-1234")
    fields = dict(parse_qsl(payment_intent_body(request).decode()))
    assert fields == {
        "amount": "4995",
        "currency": "usd",
        "confirm": "true",
        "payment_method_types[0]": "card",
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": STRIPE_VISA,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": str(FUTURE_YEAR),
        "payment_method_data[card][cvc]": "123",
        "payment_method_data[billing_details][address][postal_code]": "10001",
        "payment_method_options[card][moto]": "true",
        "description": "Blue widget",
        "metadata[securepay_invoice]": request.invoice_number,
        "metadata[securepay_payment_id]": "p-1234",
        "expand[0]": "latest_charge",
    }


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "major"),
    [("49.95", "USD", 4995, "49.95"), ("4995", "JPY", 4995, "4995"), ("49.95", "KWD", 49950, "49.950")],
)
def test_amounts_are_minor_units_of_the_currency_exponent(
    amount: str, currency: str, minor: int, major: str
) -> None:
    assert to_minor_units(Decimal(amount), currency) == minor
    assert format_major(Decimal(amount), currency) == major


def test_a_fraction_of_a_zero_decimal_currency_is_refused() -> None:
    with pytest.raises(ValueError, match="JPY amounts have at most 0 decimal places"):
        to_minor_units(Decimal("49.95"), "JPY")


async def test_approved_charge_is_one_moto_intent(stripe_sim: StripeSimulator, stripe: StripeGateway) -> None:
    request = make_request(stripe_card())
    result = await stripe.charge(request)
    intent = stripe_sim.approved[0]
    assert (result.status, result.reason, result.reconciled) == (ChargeStatus.APPROVED, None, False)
    assert result.transaction_id == intent.id and result.transaction_id.startswith("pi_")
    assert (result.brand, result.masked_account, result.amount) == ("visa", "XXXX4242", Decimal("49.95"))
    assert (result.cvv_result, result.avs_result) == ("pass", "pass")
    assert (intent.moto, intent.amount, intent.currency, intent.invoice_number) == (
        True,
        4995,
        "usd",
        request.invoice_number,
    )
    assert intent.description == "Blue widget"
    assert len(stripe_sim.charges) == 1


async def test_a_japanese_yen_amount_is_charged_in_whole_yen(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    request = replace(make_request(stripe_card(), amount="4995"), currency="JPY")
    result = await stripe.charge(request)
    assert result.status is ChargeStatus.APPROVED
    assert (stripe_sim.approved[0].amount, stripe_sim.approved[0].currency) == (4995, "jpy")


async def test_a_yen_amount_with_decimals_is_refused_before_sending(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    result = await stripe.charge(replace(make_request(stripe_card()), currency="JPY"))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.INVALID_AMOUNT)
    assert stripe_sim.requests == []


@pytest.mark.parametrize(
    ("pan", "status", "reason", "code"),
    [
        ("4000000000000002", ChargeStatus.DECLINED, ChargeReason.DECLINED, "generic_decline"),
        ("4000000000009995", ChargeStatus.DECLINED, ChargeReason.DECLINED, "insufficient_funds"),
        ("4000000000009987", ChargeStatus.DECLINED, ChargeReason.DECLINED, "lost_card"),
        ("4000000000009979", ChargeStatus.DECLINED, ChargeReason.DECLINED, "stolen_card"),
        ("4100000000000019", ChargeStatus.DECLINED, ChargeReason.DECLINED, "fraudulent"),
        ("4000000000000069", ChargeStatus.DECLINED, ChargeReason.CARD_EXPIRED, "expired_card"),
        ("4000000000000127", ChargeStatus.DECLINED, ChargeReason.CVC_MISMATCH, "incorrect_cvc"),
        ("4000000000000101", ChargeStatus.DECLINED, ChargeReason.CVC_MISMATCH, "incorrect_cvc"),
        ("4000000000000119", ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR, "processing_error"),
        ("4242424242424241", ChargeStatus.ERROR, ChargeReason.INVALID_CARD_NUMBER, "incorrect_number"),
        ("4111111111111111", ChargeStatus.DECLINED, ChargeReason.DECLINED, "test_mode_live_card"),
    ],
)
async def test_each_test_card_maps_to_its_outcome(
    stripe: StripeGateway, pan: str, status: ChargeStatus, reason: ChargeReason, code: str
) -> None:
    result = await stripe.charge(make_request(stripe_card(pan)))
    assert (result.status, result.reason, result.gateway_code) == (status, reason, code)


async def test_a_decline_names_the_intent_it_left_behind(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    result = await stripe.charge(make_request(stripe_card("4000000000000002")))
    assert result.transaction_id == stripe_sim.charges[0].id
    assert stripe_sim.approved == []


async def test_a_failed_postal_code_check_is_charged_unless_the_account_declines_it(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    first = await stripe.charge(make_request(stripe_card("4000000000000036")))
    stripe_sim.decline_on_postal_code_failure = True
    second = await stripe.charge(make_request(stripe_card("4000000000000036")))
    assert (first.status, first.avs_result) == (ChargeStatus.APPROVED, "fail")
    assert (second.status, second.reason) == (ChargeStatus.DECLINED, ChargeReason.AVS_MISMATCH)


async def test_a_three_digit_amex_code_is_refused(stripe: StripeGateway) -> None:
    result = await stripe.charge(make_request(stripe_card("378282246310005", cvc="123", brand="amex")))
    assert (result.status, result.reason, result.gateway_code) == (
        ChargeStatus.ERROR,
        ChargeReason.CVC_MISMATCH,
        "invalid_cvc",
    )


async def test_an_amount_below_stripes_minimum_is_an_invalid_amount(stripe: StripeGateway) -> None:
    result = await stripe.charge(make_request(stripe_card(), amount="0.30"))
    assert (result.status, result.reason, result.gateway_code) == (
        ChargeStatus.ERROR,
        ChargeReason.INVALID_AMOUNT,
        "amount_too_small",
    )


async def test_an_account_without_moto_refuses_the_charge(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    stripe_sim.moto_enabled = False
    result = await stripe.charge(make_request(stripe_card()))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.INVALID_REQUEST)
    assert stripe_sim.charges == []


async def test_a_wrong_key_fails_the_charge_and_the_credentials_check(stripe_url: str) -> None:
    async with StripeGateway(stripe_config(stripe_url, secret_key="sk_test_wrong0000000000")) as client:
        result = await client.charge(make_request(stripe_card()))
        with pytest.raises(GatewayAuthError) as caught:
            await client.check_credentials()
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.AUTHENTICATION_FAILED)
    assert "sk_test_wrong" not in str(caught.value)


async def test_the_right_key_passes_the_credentials_check(stripe: StripeGateway) -> None:
    await stripe.check_credentials()


@pytest.mark.parametrize("fault", [Fault.SLOW_RESPONSE, Fault.DROP_CONNECTION])
async def test_commit_then_lost_answer_is_replayed_by_the_same_key_with_one_charge(
    stripe_sim: StripeSimulator, stripe: StripeGateway, fault: Fault
) -> None:
    stripe_sim.inject(fault)
    result = await stripe.charge(make_request(stripe_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert result.transaction_id == stripe_sim.charges[0].id
    assert len(stripe_sim.charges) == 1
    assert stripe_sim.request_count(CREATE) == 2


async def test_a_500_after_commit_is_replayed_then_found_by_search(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    stripe_sim.inject(Fault.HTTP_500, commit=True)
    result = await stripe.charge(make_request(stripe_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert result.transaction_id == stripe_sim.charges[0].id
    assert len(stripe_sim.charges) == 1
    assert (stripe_sim.request_count(CREATE), stripe_sim.request_count(SEARCH)) == (2, 1)


async def test_a_500_before_commit_is_charged_once_by_the_resend(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    stripe_sim.inject(Fault.HTTP_500)
    result = await stripe.charge(make_request(stripe_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert len(stripe_sim.charges) == 1


async def test_a_lost_decline_is_replayed_as_a_decline(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    stripe_sim.inject(Fault.DROP_CONNECTION)
    result = await stripe.charge(make_request(stripe_card("4000000000000002")))
    assert (result.status, result.reason, result.reconciled) == (
        ChargeStatus.DECLINED,
        ChargeReason.DECLINED,
        True,
    )
    assert len(stripe_sim.charges) == 1


async def test_still_unknown_after_resend_and_search_is_outcome_unknown_never_a_new_charge(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    stripe_sim.search_lag_s = 60
    stripe_sim.inject(Fault.HTTP_500, commit=True)
    stripe_sim.inject(Fault.HTTP_500, request=LIST, times=None)
    result = await stripe.charge(make_request(stripe_card()))
    assert (result.status, result.reason) == (ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR)
    assert len(stripe_sim.charges) == 1


async def test_a_charge_the_search_index_does_not_show_yet_is_found_in_the_recent_list(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    stripe_sim.search_lag_s = 60
    stripe_sim.inject(Fault.HTTP_500, commit=True)
    result = await stripe.charge(make_request(stripe_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert result.transaction_id == stripe_sim.charges[0].id
    assert (stripe_sim.request_count(SEARCH), stripe_sim.request_count(LIST)) == (1, 1)


async def test_the_recent_list_is_paged_until_the_invoice_is_found(
    stripe_url: str, stripe_sim: StripeSimulator
) -> None:
    stripe_sim.search_lag_s = 60
    async with StripeGateway(stripe_config(stripe_url)) as client:
        first = make_request(stripe_card())
        await client.charge(first)
        for _ in range(100):
            await client.charge(make_request(stripe_card()))
        found = await client.lookup(first.invoice_number)
    assert found is not None and found.invoice_number == first.invoice_number
    assert stripe_sim.request_count(LIST) == 2


def test_a_publishable_key_is_refused_in_config() -> None:
    with pytest.raises(ValueError, match="stripe_secret_key"):
        StripeConfig(secret_key="pk_test_abcdefghijkl")


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ValueError, match="https only"):
        StripeConfig(secret_key=SIM_SECRET_KEY, endpoint="http://api.stripe.com")


async def test_a_currency_stripe_does_not_take_is_not_accepted(stripe: StripeGateway) -> None:
    result = await stripe.charge(replace(make_request(stripe_card()), currency="XYZ"))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.CURRENCY_NOT_ACCEPTED)


@pytest.mark.parametrize(
    ("intent", "status", "reason"),
    [
        ({"status": "succeeded"}, ChargeStatus.APPROVED, None),
        ({"status": "requires_capture"}, ChargeStatus.APPROVED, None),
        ({"status": "succeeded", "latest_charge": {"refunded": True}}, ChargeStatus.VOIDED, None),
        ({"status": "canceled"}, ChargeStatus.VOIDED, None),
        ({"status": "processing"}, ChargeStatus.HELD_FOR_REVIEW, ChargeReason.HELD_FOR_REVIEW),
        ({"status": "requires_action"}, ChargeStatus.DECLINED, ChargeReason.DECLINED),
        (
            {"status": "requires_payment_method", "last_payment_error": {"code": "expired_card"}},
            ChargeStatus.DECLINED,
            ChargeReason.CARD_EXPIRED,
        ),
        ({"status": "requires_payment_method"}, ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR),
        ({"status": "requires_confirmation"}, ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR),
    ],
)
def test_every_intent_state_maps_to_a_result(
    intent: dict[str, object], status: ChargeStatus, reason: ChargeReason | None
) -> None:
    result = result_from_search({"id": "pi_1", "metadata": {"securepay_invoice": "SP1"}, **intent})
    assert (result.status, result.reason, result.invoice_number, result.reconciled) == (
        status,
        reason,
        "SP1",
        True,
    )


@pytest.mark.parametrize(
    ("http_status", "error", "status", "reason"),
    [
        (401, {"type": "invalid_request_error"}, ChargeStatus.ERROR, ChargeReason.AUTHENTICATION_FAILED),
        (403, {"type": "invalid_request_error"}, ChargeStatus.ERROR, ChargeReason.AUTHENTICATION_FAILED),
        (
            400,
            {"type": "invalid_request_error", "code": "parameter_unknown"},
            ChargeStatus.ERROR,
            ChargeReason.INVALID_REQUEST,
        ),
        (400, {"type": "idempotency_error"}, ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR),
        (
            409,
            {"type": "idempotency_error", "code": "idempotency_key_in_use"},
            ChargeStatus.OUTCOME_UNKNOWN,
            ChargeReason.GATEWAY_ERROR,
        ),
        (
            429,
            {"type": "invalid_request_error", "code": "rate_limit"},
            ChargeStatus.OUTCOME_UNKNOWN,
            ChargeReason.GATEWAY_ERROR,
        ),
        (500, {"type": "api_error"}, ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR),
    ],
)
def test_every_error_answer_maps_to_a_result(
    http_status: int, error: dict[str, str], status: ChargeStatus, reason: ChargeReason
) -> None:
    context = ChargeContext("SP1", Decimal("1.00"), "visa", "4242")
    result = read_charge_answer(http_status, {"error": error}, context)
    assert (result.status, result.reason) == (status, reason)


async def test_a_refund_whose_answer_is_lost_is_resent_under_its_key_and_refunds_once(
    stripe_sim: StripeSimulator, stripe: StripeGateway
) -> None:
    charged = await stripe.charge(make_request(stripe_card()))
    assert charged.transaction_id is not None
    stripe_sim.inject(Fault.DROP_CONNECTION, request=REFUND)
    result = await stripe.void(charged.transaction_id)
    assert result.status is ChargeStatus.VOIDED
    assert stripe_sim.request_count(REFUND) == 2
    assert stripe_sim.charges[0].status == "voided"
