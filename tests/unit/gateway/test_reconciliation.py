"""Lost answers: look the charge up, resend at most once, never charge twice."""

from securepay.gateway import AuthorizeNetGateway, ChargeReason, ChargeStatus
from securepay.testing.gateway_sim import Fault, GatewaySimulator

from .conftest import make_card, make_request

CHARGE = "createTransactionRequest"
LIST = "getUnsettledTransactionListRequest"
DETAILS = "getTransactionDetailsRequest"


async def test_commit_then_timeout_ends_with_one_approved_charge(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.SLOW_RESPONSE)
    request = make_request()
    result = await gateway.charge(request)
    assert result.status is ChargeStatus.APPROVED
    assert result.reconciled
    assert result.invoice_number == request.invoice_number
    assert result.transaction_id == sim.charges[0].trans_id
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 1


async def test_drop_after_commit_ends_with_one_approved_charge(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.DROP_CONNECTION)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert result.reconciled
    assert result.transaction_id == sim.charges[0].trans_id
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 1


async def test_reconciled_charge_carries_the_gateway_details(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.DROP_CONNECTION)
    result = await gateway.charge(make_request(make_card(cvc="902", postal_code="46208")))
    recorded = sim.charges[0]
    assert (result.auth_code, result.avs_result, result.cvv_result) == (
        recorded.auth_code,
        "S",
        "S",
    )
    assert (result.brand, result.masked_account) == ("visa", "XXXX1111")


async def test_lost_answer_of_a_decline_is_found_as_a_decline(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.DROP_CONNECTION)
    result = await gateway.charge(make_request(make_card(postal_code="46282")))
    assert (result.status, result.reason) == (ChargeStatus.DECLINED, ChargeReason.DECLINED)
    assert sim.request_count(CHARGE) == 1


async def test_http_500_after_commit_is_found_by_lookup(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.HTTP_500, commit=True)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert result.reconciled
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 1
    assert sim.request_count(LIST) == 1


async def test_http_500_without_commit_is_resent_once(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.HTTP_500)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 2


async def test_e00001_then_lookup_not_found_then_one_resend_succeeds(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.E00001)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert not result.reconciled
    assert len(sim.charges) == 1
    assert sim.requests[:3] == [CHARGE, LIST, CHARGE]


async def test_e00001_after_commit_is_found_by_lookup(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.E00001, commit=True)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert result.reconciled
    assert sim.request_count(CHARGE) == 1


async def test_still_unknown_after_one_resend_is_reported_as_unknown(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.E00001, times=None)
    request = make_request()
    result = await gateway.charge(request)
    assert (result.status, result.reason) == (
        ChargeStatus.OUTCOME_UNKNOWN,
        ChargeReason.GATEWAY_ERROR,
    )
    assert result.invoice_number == request.invoice_number
    assert sim.charges == []
    assert sim.request_count(CHARGE) == 2


async def test_timeouts_on_every_attempt_never_charge_twice(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.SLOW_RESPONSE, times=None)
    sim.inject(Fault.SLOW_RESPONSE, times=None, request=LIST)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.OUTCOME_UNKNOWN
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 2


async def test_resend_refused_as_duplicate_of_the_original_is_success(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.DROP_CONNECTION)
    sim.inject(Fault.E00001, times=None, request=LIST)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert result.reconciled
    assert result.transaction_id == sim.charges[0].trans_id
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 2


async def test_duplicate_original_without_details_still_counts_as_approved(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.DROP_CONNECTION)
    sim.inject(Fault.E00001, times=None, request=LIST)
    sim.inject(Fault.E00001, times=None, request=DETAILS)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert result.transaction_id == sim.charges[0].trans_id
    assert result.gateway_code == "11"


async def test_lookup_failure_still_allows_the_single_safe_resend(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.HTTP_500)
    sim.inject(Fault.HTTP_500, times=None, request=LIST)
    result = await gateway.charge(make_request())
    assert result.status is ChargeStatus.APPROVED
    assert len(sim.charges) == 1
    assert sim.request_count(CHARGE) == 2
