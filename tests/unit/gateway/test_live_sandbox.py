"""The real Authorize.Net sandbox; runs only when sandbox credentials are in the environment.

This is the one test allowed to skip: it needs network access and a sandbox account.
"""

import asyncio
import os
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from securepay.gateway import AuthorizeNetConfig, AuthorizeNetGateway, ChargeResult, ChargeStatus

from .conftest import make_card, make_request

LOGIN = os.environ.get("AUTHORIZE_NET_API_LOGIN_ID", "")
KEY = os.environ.get("AUTHORIZE_NET_TRANSACTION_KEY", "")

pytestmark = pytest.mark.skipif(
    not (LOGIN and KEY),
    reason="set AUTHORIZE_NET_API_LOGIN_ID and AUTHORIZE_NET_TRANSACTION_KEY to run",
)


async def test_live_sandbox_charge_lookup_and_void() -> None:
    config = AuthorizeNetConfig(api_login_id=LOGIN, transaction_key=KEY, environment="sandbox")
    cents = datetime.now(UTC).microsecond % 9000 + 1000
    request = make_request(make_card(postal_code="10001"), amount=str(Decimal(cents) / 100))
    async with AuthorizeNetGateway(config) as gateway:
        await gateway.check_credentials()
        charged = await gateway.charge(request)
        assert charged.status is ChargeStatus.APPROVED, charged
        assert charged.transaction_id is not None
        found = await _lookup_when_listed(gateway, request.invoice_number)
        assert found is not None
        assert found.transaction_id == charged.transaction_id
        voided = await gateway.void(charged.transaction_id)
        assert voided.status is ChargeStatus.VOIDED, voided


async def _lookup_when_listed(gateway: AuthorizeNetGateway, invoice_number: str) -> ChargeResult | None:
    """The reporting API can lag a new transaction by a few seconds."""
    for _ in range(15):
        found = await gateway.lookup(invoice_number)
        if found is not None:
            return found
        await asyncio.sleep(1)
    return None
