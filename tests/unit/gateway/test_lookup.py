"""Finding a charge by invoice number."""

import pytest

from securepay.gateway import AuthorizeNetGateway, ChargeStatus, GatewayUnavailableError
from securepay.testing.gateway_sim import Fault, GatewaySimulator

from .conftest import make_card, make_request, sim_config


async def test_lookup_finds_a_charge_by_invoice(gateway: AuthorizeNetGateway) -> None:
    request = make_request()
    charged = await gateway.charge(request)
    found = await gateway.lookup(request.invoice_number)
    assert found is not None
    assert found.status is ChargeStatus.APPROVED
    assert (found.transaction_id, found.auth_code) == (charged.transaction_id, charged.auth_code)
    assert (found.invoice_number, found.amount) == (request.invoice_number, request.amount)
    assert found.reconciled


async def test_lookup_of_an_unknown_invoice_is_none(gateway: AuthorizeNetGateway) -> None:
    await gateway.charge(make_request())
    assert await gateway.lookup("NO-SUCH-INVOICE") is None


async def test_lookup_pages_through_older_charges(sim: GatewaySimulator, sim_url: str) -> None:
    async with AuthorizeNetGateway(sim_config(sim_url, lookup_page_size=2)) as client:
        oldest = make_request()
        await client.charge(oldest)
        for _ in range(4):
            await client.charge(make_request())
        found = await client.lookup(oldest.invoice_number)
    assert found is not None
    assert found.invoice_number == oldest.invoice_number
    assert sim.request_count("getUnsettledTransactionListRequest") == 3


async def test_lookup_finds_a_declined_charge(gateway: AuthorizeNetGateway) -> None:
    request = make_request(make_card(postal_code="46282"))
    await gateway.charge(request)
    found = await gateway.lookup(request.invoice_number)
    assert found is not None
    assert found.status is ChargeStatus.DECLINED


async def test_lookup_without_details_uses_the_list_entry(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    request = make_request()
    charged = await gateway.charge(request)
    sim.inject(Fault.E00001, times=None, request="getTransactionDetailsRequest")
    found = await gateway.lookup(request.invoice_number)
    assert found is not None
    assert (found.status, found.transaction_id) == (
        ChargeStatus.APPROVED,
        charged.transaction_id,
    )
    assert found.masked_account == "XXXX1111"


async def test_lookup_that_cannot_ask_raises_instead_of_saying_not_found(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    sim.inject(Fault.HTTP_500, request="getUnsettledTransactionListRequest")
    with pytest.raises(GatewayUnavailableError):
        await gateway.lookup("ANY")
