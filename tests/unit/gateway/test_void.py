"""Voiding an unsettled charge."""

import pytest

from securepay.gateway import AuthorizeNetGateway, ChargeStatus
from securepay.testing.gateway_sim import Fault, GatewaySimulator

from .conftest import make_request


async def test_void_of_an_approved_charge(sim: GatewaySimulator, gateway: AuthorizeNetGateway) -> None:
    charged = await gateway.charge(make_request())
    assert charged.transaction_id is not None
    voided = await gateway.void(charged.transaction_id)
    assert voided.status is ChargeStatus.VOIDED
    assert voided.transaction_id == charged.transaction_id
    assert sim.charges[0].status == "voided"


async def test_voided_charge_looks_up_as_voided(gateway: AuthorizeNetGateway) -> None:
    request = make_request()
    charged = await gateway.charge(request)
    assert charged.transaction_id is not None
    await gateway.void(charged.transaction_id)
    found = await gateway.lookup(request.invoice_number)
    assert found is not None
    assert found.status is ChargeStatus.VOIDED


async def test_void_repeated_still_reports_voided(gateway: AuthorizeNetGateway) -> None:
    charged = await gateway.charge(make_request())
    assert charged.transaction_id is not None
    await gateway.void(charged.transaction_id)
    again = await gateway.void(charged.transaction_id)
    assert again.status is ChargeStatus.VOIDED
    assert again.gateway_code == "310"


async def test_void_with_a_lost_answer_is_sent_again(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    charged = await gateway.charge(make_request())
    assert charged.transaction_id is not None
    sim.inject(Fault.DROP_CONNECTION)
    voided = await gateway.void(charged.transaction_id)
    assert voided.status is ChargeStatus.VOIDED
    assert sim.charges[0].status == "voided"


async def test_void_of_an_unknown_transaction_is_an_error(gateway: AuthorizeNetGateway) -> None:
    result = await gateway.void("123456789")
    assert result.status is ChargeStatus.ERROR
    assert result.gateway_code == "16"


async def test_void_refuses_a_malformed_transaction_id(gateway: AuthorizeNetGateway) -> None:
    with pytest.raises(ValueError, match="digits"):
        await gateway.void("12 OR 1=1")
