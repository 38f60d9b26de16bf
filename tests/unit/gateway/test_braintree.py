"""Braintree: request shape, every result mapping, and never a double charge after a lost answer."""

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest

from securepay.gateway import ChargeReason, ChargeStatus, GatewayAuthError
from securepay.gateway.braintree import BraintreeGateway
from securepay.gateway.braintree_config import BraintreeConfig
from securepay.gateway.braintree_payloads import charge_body, tokenize_body
from securepay.gateway.braintree_responses import refusal, result_from_transaction
from securepay.gateway.context import ChargeContext
from securepay.testing.braintree_sim import (
    CHARGE,
    SEARCH,
    SIM_MERCHANT_ACCOUNT_ID,
    SIM_PRIVATE_KEY,
    SIM_PUBLIC_KEY,
    TOKENIZE,
    BraintreeSimulator,
    serve_braintree_simulator,
)
from securepay.testing.sim_faults import Fault

from .conftest import FAST_TIMEOUT_S, FUTURE_YEAR, VISA, make_card, make_request

CONTEXT = ChargeContext("SP1", Decimal("1.00"), "visa", "1111")


@pytest.fixture
def bt_sim() -> BraintreeSimulator:
    return BraintreeSimulator(slow_response_s=FAST_TIMEOUT_S * 3)


@pytest.fixture
async def bt_url(bt_sim: BraintreeSimulator) -> AsyncIterator[str]:
    async with serve_braintree_simulator(bt_sim) as url:
        yield url


def bt_config(url: str, **overrides: object) -> BraintreeConfig:
    settings: dict[str, object] = {
        "public_key": SIM_PUBLIC_KEY,
        "private_key": SIM_PRIVATE_KEY,
        "endpoint": url,
        "connect_timeout_s": FAST_TIMEOUT_S,
        "timeout_s": FAST_TIMEOUT_S,
    }
    return BraintreeConfig(**{**settings, **overrides})  # type: ignore[arg-type]


@pytest.fixture
async def braintree(bt_url: str) -> AsyncIterator[BraintreeGateway]:
    async with BraintreeGateway(bt_config(bt_url)) as client:
        yield client


def bt_card(pan: str = VISA, **fields: str):  # type: ignore[no-untyped-def]
    return make_card(pan, **{"cvc": "123", "postal_code": "60606", **fields})


def test_the_card_is_tokenized_with_its_postal_code() -> None:
    body = json.loads(tokenize_body(make_request(bt_card())))
    assert "TokenizeCreditCardInput!" in body["query"]
    assert body["variables"] == {
        "input": {
            "creditCard": {
                "number": VISA,
                "expirationMonth": "12",
                "expirationYear": str(FUTURE_YEAR),
                "cvv": "123",
                "billingAddress": {"postalCode": "60606"},
            }
        }
    }


def test_the_charge_is_a_moto_sale_under_the_invoice_number() -> None:
    request = make_request(bt_card())
    body = json.loads(charge_body(request, "tokencc_1", SIM_MERCHANT_ACCOUNT_ID))
    assert "chargeCreditCard(input: $input)" in body["query"]
    assert body["variables"]["input"] == {
        "paymentMethodId": "tokencc_1",
        "transaction": {
            "amount": "49.95",
            "orderId": request.invoice_number,
            "paymentInitiator": "MOTO",
            "merchantAccountId": SIM_MERCHANT_ACCOUNT_ID,
            "lineItems": [
                {
                    "name": "Blue widget",
                    "kind": "DEBIT",
                    "quantity": "1",
                    "unitAmount": "49.95",
                    "totalAmount": "49.95",
                }
            ],
        },
    }


def test_a_long_item_name_is_cut_to_the_line_item_limit() -> None:
    request = make_request(bt_card(), description="A very long product name that goes on and on")
    body = json.loads(charge_body(request, "tokencc_1", ""))
    assert (
        body["variables"]["input"]["transaction"]["lineItems"][0]["name"]
        == "A very long product name that goes"
    )
    assert "merchantAccountId" not in body["variables"]["input"]["transaction"]


async def test_approved_charge_is_one_moto_transaction(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway
) -> None:
    request = make_request(bt_card())
    result = await braintree.charge(request)
    recorded = bt_sim.charges[0]
    assert (result.status, result.reason, result.reconciled) == (ChargeStatus.APPROVED, None, False)
    assert result.transaction_id == recorded.id
    assert (result.brand, result.masked_account, result.amount) == ("visa", "XXXX1111", Decimal("49.95"))
    assert (result.cvv_result, result.avs_result, result.auth_code) == (
        "MATCHES",
        "MATCHES",
        recorded.authorization_id,
    )
    assert (recorded.payment_initiator, recorded.invoice_number, recorded.amount) == (
        "MOTO",
        request.invoice_number,
        "49.95",
    )
    assert recorded.line_item_name == "Blue widget"
    assert len(bt_sim.charges) == 1


@pytest.mark.parametrize(
    ("card", "amount", "status", "reason", "code"),
    [
        (bt_card(), "2000.00", ChargeStatus.DECLINED, ChargeReason.DECLINED, "2000"),
        (bt_card(), "2001.00", ChargeStatus.DECLINED, ChargeReason.DECLINED, "2001"),
        (bt_card(), "2010.00", ChargeStatus.DECLINED, ChargeReason.CVC_MISMATCH, "2010"),
        (bt_card(), "3000.00", ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR, "3000"),
        (bt_card(cvc="200"), "49.95", ChargeStatus.DECLINED, ChargeReason.CVC_MISMATCH, "CVV"),
        (bt_card(postal_code="20000"), "49.95", ChargeStatus.DECLINED, ChargeReason.AVS_MISMATCH, "AVS"),
        (
            bt_card(cvc="200", postal_code="20000"),
            "49.95",
            ChargeStatus.DECLINED,
            ChargeReason.AVS_AND_CVC_MISMATCH,
            "AVS_AND_CVV",
        ),
        (bt_card("4242424242424242"), "49.95", ChargeStatus.ERROR, ChargeReason.INVALID_CARD_NUMBER, "81717"),
        (
            bt_card("378282246310005", brand="amex"),
            "49.95",
            ChargeStatus.ERROR,
            ChargeReason.CVC_MISMATCH,
            "81707",
        ),
    ],
)
async def test_each_sandbox_trigger_maps_to_its_outcome(
    braintree: BraintreeGateway,
    card: object,
    amount: str,
    status: ChargeStatus,
    reason: ChargeReason,
    code: str,
) -> None:
    result = await braintree.charge(make_request(card, amount=amount))  # type: ignore[arg-type]
    assert (result.status, result.reason, result.gateway_code) == (status, reason, code)


async def test_an_expired_card_is_declined_by_the_processor(braintree: BraintreeGateway) -> None:
    result = await braintree.charge(make_request(bt_card(exp_year="2020")))
    assert (result.status, result.reason, result.gateway_code) == (
        ChargeStatus.DECLINED,
        ChargeReason.CARD_EXPIRED,
        "2004",
    )


async def test_a_yen_amount_with_decimals_is_refused_before_sending(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway
) -> None:
    result = await braintree.charge(replace(make_request(bt_card()), currency="JPY"))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.INVALID_AMOUNT)
    assert bt_sim.requests == []


async def test_an_unknown_merchant_account_is_an_invalid_request(
    bt_url: str, bt_sim: BraintreeSimulator
) -> None:
    async with BraintreeGateway(bt_config(bt_url, merchant_account_id="nope")) as client:
        result = await client.charge(make_request(bt_card()))
    assert (result.status, result.reason, result.gateway_code) == (
        ChargeStatus.ERROR,
        ChargeReason.INVALID_REQUEST,
        "91513",
    )
    assert bt_sim.charges == []


async def test_wrong_keys_fail_the_charge_and_the_credentials_check(bt_url: str) -> None:
    async with BraintreeGateway(bt_config(bt_url, private_key="wrong")) as client:
        result = await client.charge(make_request(bt_card()))
        with pytest.raises(GatewayAuthError):
            await client.check_credentials()
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.AUTHENTICATION_FAILED)


async def test_the_right_keys_pass_the_credentials_check(braintree: BraintreeGateway) -> None:
    await braintree.check_credentials()


@pytest.mark.parametrize("fault", [Fault.SLOW_RESPONSE, Fault.DROP_CONNECTION])
async def test_commit_then_lost_answer_is_found_by_order_id_with_one_charge(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway, fault: Fault
) -> None:
    bt_sim.inject(fault)
    result = await braintree.charge(make_request(bt_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert result.transaction_id == bt_sim.charges[0].id
    assert len(bt_sim.charges) == 1
    assert (bt_sim.request_count(CHARGE), bt_sim.request_count(SEARCH)) == (1, 1)


async def test_a_500_before_commit_is_charged_once_by_the_resend(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway
) -> None:
    bt_sim.inject(Fault.HTTP_500)
    result = await braintree.charge(make_request(bt_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert len(bt_sim.charges) == 1
    assert bt_sim.request_count(CHARGE) == 2


async def test_a_resend_after_an_unseen_commit_is_refused_as_a_used_payment_method(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway
) -> None:
    bt_sim.inject(Fault.HTTP_500, commit=True)
    bt_sim.inject(Fault.HTTP_500, request=SEARCH)
    result = await braintree.charge(make_request(bt_card()))
    assert (result.status, result.reconciled) == (ChargeStatus.APPROVED, True)
    assert len(bt_sim.charges) == 1
    assert (bt_sim.request_count(CHARGE), bt_sim.request_count(SEARCH)) == (2, 2)


async def test_still_unknown_after_search_and_resend_is_outcome_unknown(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway
) -> None:
    bt_sim.inject(Fault.HTTP_500, commit=True)
    bt_sim.inject(Fault.HTTP_500, request=SEARCH, times=None)
    result = await braintree.charge(make_request(bt_card()))
    assert (result.status, result.reason) == (ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR)
    assert len(bt_sim.charges) == 1


async def test_a_lost_tokenize_answer_charges_nothing(
    bt_sim: BraintreeSimulator, braintree: BraintreeGateway
) -> None:
    bt_sim.inject(Fault.DROP_CONNECTION, request=TOKENIZE)
    result = await braintree.charge(make_request(bt_card()))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.GATEWAY_UNAVAILABLE)
    assert bt_sim.charges == []


async def test_voiding_a_declined_charge_is_an_error(braintree: BraintreeGateway) -> None:
    declined = await braintree.charge(make_request(bt_card(), amount="2000.00"))
    assert declined.transaction_id is not None
    result = await braintree.void(declined.transaction_id)
    assert (result.status, result.gateway_code) == (ChargeStatus.ERROR, "91504")


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ValueError, match="https only"):
        BraintreeConfig(SIM_PUBLIC_KEY, SIM_PRIVATE_KEY, endpoint="http://payments.braintree-api.com/graphql")


@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        ("SUBMITTED_FOR_SETTLEMENT", ChargeStatus.APPROVED, None),
        ("AUTHORIZED", ChargeStatus.APPROVED, None),
        ("SETTLING", ChargeStatus.APPROVED, None),
        ("SETTLED", ChargeStatus.APPROVED, None),
        ("VOIDED", ChargeStatus.VOIDED, None),
        ("PROCESSOR_DECLINED", ChargeStatus.DECLINED, ChargeReason.DECLINED),
        ("GATEWAY_REJECTED", ChargeStatus.DECLINED, ChargeReason.DECLINED),
        ("SETTLEMENT_DECLINED", ChargeStatus.DECLINED, ChargeReason.DECLINED),
        ("FAILED", ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR),
        ("SOMETHING_NEW", ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR),
    ],
)
def test_every_transaction_status_maps_to_a_result(
    state: str, status: ChargeStatus, reason: ChargeReason | None
) -> None:
    result = result_from_transaction(
        {"id": "dHJh", "status": state, "orderId": "SP1"}, CONTEXT, reconciled=True
    )
    assert (result.status, result.reason, result.invoice_number) == (status, reason, "SP1")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("2004", ChargeReason.CARD_EXPIRED),
        ("2005", ChargeReason.INVALID_CARD_NUMBER),
        ("2006", ChargeReason.INVALID_EXPIRY),
        ("2060", ChargeReason.AVS_AND_CVC_MISMATCH),
        ("2046", ChargeReason.DECLINED),
    ],
)
def test_processor_codes_keep_their_precise_reason(code: str, reason: ChargeReason) -> None:
    transaction = {"status": "PROCESSOR_DECLINED", "processorResponse": {"legacyCode": code}}
    assert result_from_transaction(transaction, CONTEXT, reconciled=False).reason is reason


@pytest.mark.parametrize(
    ("error_class", "code", "reason"),
    [
        ("AUTHENTICATION", None, ChargeReason.AUTHENTICATION_FAILED),
        ("VALIDATION", "81503", ChargeReason.INVALID_AMOUNT),
        ("VALIDATION", "81703", ChargeReason.CARD_TYPE_NOT_ACCEPTED),
        ("VALIDATION", "99999", ChargeReason.INVALID_REQUEST),
    ],
)
def test_refusals_before_a_transaction_map_to_a_reason(
    error_class: str, code: str | None, reason: ChargeReason
) -> None:
    extensions = {"errorClass": error_class, **({"legacyCode": code} if code else {})}
    result = refusal({"errors": [{"message": "no", "extensions": extensions}]}, CONTEXT)
    assert (result.status, result.reason) == (ChargeStatus.ERROR, reason)
