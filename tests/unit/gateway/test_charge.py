"""Charges against the simulator: sandbox cards, triggers and what each one reports."""

from decimal import Decimal

import pytest

from securepay.gateway import AuthorizeNetGateway, ChargeReason, ChargeStatus
from securepay.gateway.description import DESCRIPTION_MAX_BYTES
from securepay.testing.gateway_sim import GatewaySimulator

from .conftest import FUTURE_YEAR, closed_port_url, make_card, make_request, sim_config


async def test_approved_charge_is_recorded_once(sim: GatewaySimulator, gateway: AuthorizeNetGateway) -> None:
    request = make_request(amount="49.95")
    result = await gateway.charge(request)
    assert result.status is ChargeStatus.APPROVED
    assert result.reason is None
    assert result.transaction_id == sim.charges[0].trans_id
    assert result.auth_code
    assert (result.brand, result.masked_account) == ("visa", "XXXX1111")
    assert not result.reconciled
    (recorded,) = sim.charges
    assert (recorded.invoice_number, recorded.amount, recorded.last4, recorded.status) == (
        request.invoice_number,
        Decimal("49.95"),
        "1111",
        "approved",
    )
    assert recorded.market_type == "1"


async def test_amount_is_sent_with_two_decimals(sim: GatewaySimulator, gateway: AuthorizeNetGateway) -> None:
    await gateway.charge(make_request(amount="5"))
    assert sim.charges[0].amount_text == "5.00"


async def test_long_description_arrives_trimmed(sim: GatewaySimulator, gateway: AuthorizeNetGateway) -> None:
    await gateway.charge(make_request(description="Widget ünïcode " * 40))
    description = sim.charges[0].description
    assert description is not None
    assert len(description.encode("utf-8")) <= DESCRIPTION_MAX_BYTES


@pytest.mark.parametrize(
    ("pan", "brand"),
    [
        ("4111111111111111", "visa"),
        ("4007000000027", "visa"),
        ("4012888818888", "visa"),
        ("5424000000000015", "mastercard"),
        ("2223000010309703", "mastercard"),
        ("370000000000002", "amex"),
        ("6011000000000012", "discover"),
        ("3088000000000017", "jcb"),
        ("38000000000006", "diners"),
    ],
)
async def test_sandbox_test_card_is_approved(gateway: AuthorizeNetGateway, pan: str, brand: str) -> None:
    cvc = "9001" if brand == "amex" else "900"
    result = await gateway.charge(make_request(make_card(pan, cvc=cvc, brand=None)))
    assert result.status is ChargeStatus.APPROVED
    assert result.brand == brand


async def test_zip_46282_is_declined(gateway: AuthorizeNetGateway) -> None:
    result = await gateway.charge(make_request(make_card(postal_code="46282")))
    assert (result.status, result.reason) == (ChargeStatus.DECLINED, ChargeReason.DECLINED)
    assert result.gateway_code == "2"


async def test_avs_no_match_is_declined_as_avs_mismatch(gateway: AuthorizeNetGateway) -> None:
    result = await gateway.charge(make_request(make_card(postal_code="46205")))
    assert (result.status, result.reason) == (ChargeStatus.DECLINED, ChargeReason.AVS_MISMATCH)
    assert result.avs_result == "N"


@pytest.mark.parametrize(
    ("zip_code", "avs"),
    [("46201", "A"), ("46203", "E"), ("46208", "S"), ("46217", "Z"), ("10001", "Y")],
)
async def test_avs_zip_codes_give_their_result_code(
    gateway: AuthorizeNetGateway, zip_code: str, avs: str
) -> None:
    result = await gateway.charge(make_request(make_card(postal_code=zip_code)))
    assert result.status is ChargeStatus.APPROVED
    assert result.avs_result == avs


async def test_card_code_901_is_declined_as_cvc_mismatch(gateway: AuthorizeNetGateway) -> None:
    result = await gateway.charge(make_request(make_card(cvc="901")))
    assert (result.status, result.reason) == (ChargeStatus.DECLINED, ChargeReason.CVC_MISMATCH)
    assert result.cvv_result == "N"


@pytest.mark.parametrize(("cvc", "cvv"), [("900", "M"), ("902", "S"), ("903", "U"), ("904", "P")])
async def test_card_codes_give_their_result_code(gateway: AuthorizeNetGateway, cvc: str, cvv: str) -> None:
    result = await gateway.charge(make_request(make_card(cvc=cvc)))
    assert result.status is ChargeStatus.APPROVED
    assert result.cvv_result == cvv


async def test_avs_and_card_code_mismatch_together(gateway: AuthorizeNetGateway) -> None:
    result = await gateway.charge(make_request(make_card(postal_code="46205", cvc="901")))
    assert result.reason is ChargeReason.AVS_AND_CVC_MISMATCH


async def test_expired_card_is_refused_with_error_8(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    card = make_card(exp_month="01", exp_year=str(FUTURE_YEAR - 10))
    result = await gateway.charge(make_request(card))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.CARD_EXPIRED)
    assert result.gateway_code == "8"
    assert sim.charges == []


async def test_card_failing_luhn_is_refused_with_error_6(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    result = await gateway.charge(make_request(make_card("4111111111111112")))
    assert (result.status, result.reason) == (
        ChargeStatus.ERROR,
        ChargeReason.INVALID_CARD_NUMBER,
    )
    assert result.gateway_code == "6"
    assert result.transaction_id is None
    assert sim.charges == []


async def test_card_brand_the_merchant_refuses(sim: GatewaySimulator, gateway: AuthorizeNetGateway) -> None:
    sim.accepted_account_types.discard("JCB")
    result = await gateway.charge(make_request(make_card("3088000000000017")))
    assert result.reason is ChargeReason.CARD_TYPE_NOT_ACCEPTED


async def test_card_number_longer_than_16_digits_is_refused_before_sending(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    result = await gateway.charge(make_request(make_card("4111111111111111110")))
    assert (result.status, result.reason) == (
        ChargeStatus.ERROR,
        ChargeReason.CARD_TYPE_NOT_ACCEPTED,
    )
    assert sim.requests == []


async def test_held_for_review(sim: GatewaySimulator, gateway: AuthorizeNetGateway) -> None:
    sim.held_for_review_zip_codes.add("46299")
    result = await gateway.charge(make_request(make_card(postal_code="46299")))
    assert (result.status, result.reason) == (
        ChargeStatus.HELD_FOR_REVIEW,
        ChargeReason.HELD_FOR_REVIEW,
    )
    assert result.transaction_id == sim.charges[0].trans_id


async def test_same_invoice_charged_again_is_refused_as_a_duplicate(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    request = make_request()
    first = await gateway.charge(request)
    second = await gateway.charge(request)
    assert (second.status, second.reason) == (ChargeStatus.ERROR, ChargeReason.DUPLICATE)
    assert second.gateway_code == "11"
    assert second.transaction_id == first.transaction_id
    assert len(sim.charges) == 1


async def test_same_card_and_amount_with_a_new_invoice_is_a_new_charge(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    await gateway.charge(make_request())
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert len(sim.charges) == 2


async def test_unreachable_gateway_is_unavailable_and_charges_nothing() -> None:
    async with AuthorizeNetGateway(sim_config(closed_port_url())) as client:
        result = await client.charge(make_request())
    assert (result.status, result.reason) == (
        ChargeStatus.ERROR,
        ChargeReason.GATEWAY_UNAVAILABLE,
    )
