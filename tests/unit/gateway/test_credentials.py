"""Credentials: a clear error up front, and a clean refusal on a charge."""

import pytest

from securepay.gateway import (
    AuthorizeNetGateway,
    ChargeReason,
    ChargeStatus,
    GatewayAuthError,
    GatewayUnavailableError,
)
from securepay.testing.gateway_sim import GatewaySimulator

from .conftest import closed_port_url, make_request, sim_config


async def test_valid_credentials_pass(gateway: AuthorizeNetGateway) -> None:
    await gateway.check_credentials()


async def test_bad_credentials_give_a_clear_error(sim_url: str) -> None:
    async with AuthorizeNetGateway(sim_config(sim_url, transaction_key="WrongKey12345678")) as c:
        with pytest.raises(GatewayAuthError) as raised:
            await c.check_credentials()
    message = str(raised.value)
    assert "E00007" in message
    assert "transaction key" in message
    assert "WrongKey12345678" not in message
    assert raised.value.code == "E00007"


async def test_unreachable_gateway_is_reported_as_unavailable() -> None:
    async with AuthorizeNetGateway(sim_config(closed_port_url())) as client:
        with pytest.raises(GatewayUnavailableError):
            await client.check_credentials()


async def test_charge_with_bad_credentials_fails_without_charging(
    sim: GatewaySimulator, sim_url: str
) -> None:
    async with AuthorizeNetGateway(sim_config(sim_url, api_login_id="someone-else")) as client:
        result = await client.charge(make_request())
    assert (result.status, result.reason) == (
        ChargeStatus.ERROR,
        ChargeReason.AUTHENTICATION_FAILED,
    )
    assert result.gateway_code == "E00007"
    assert sim.charges == []
