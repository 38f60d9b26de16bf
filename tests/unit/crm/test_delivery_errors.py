"""How a CRM's answer is classified: retry later, or stop and ask a person."""

import socket

import pytest
from pydantic import SecretStr

from securepay.crm.connector import DeliveryError
from securepay.crm.webhook import WebhookConnector
from tests.unit.crm.fakes import FakeWebhook, serve
from tests.unit.ledger.factories import WEBHOOK_SECRET, make_activity


async def _deliver_against(fake: FakeWebhook) -> DeliveryError:
    async with serve(fake.app()) as url:
        connector = WebhookConnector(f"{url}/hook", SecretStr(WEBHOOK_SECRET), timeout_s=2)
        try:
            with pytest.raises(DeliveryError) as caught:
                await connector.deliver(make_activity())
        finally:
            await connector.close()
    return caught.value


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_a_4xx_answer_is_permanent(status: int) -> None:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode())
    fake.fail(status)
    error = await _deliver_against(fake)
    assert error.permanent
    assert f"HTTP {status}" in str(error)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_timeouts_rate_limits_and_5xx_are_retryable(status: int) -> None:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode())
    fake.fail(status)
    assert not (await _deliver_against(fake)).permanent


async def test_retry_after_header_is_passed_on() -> None:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode())
    fake.fail(429, headers={"Retry-After": "7"})
    assert (await _deliver_against(fake)).retry_after_s == 7.0


async def test_unreachable_crm_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = WebhookConnector(f"http://127.0.0.1:{port}/hook", SecretStr(WEBHOOK_SECRET), timeout_s=2)
    with pytest.raises(DeliveryError) as caught:
        await connector.deliver(make_activity())
    await connector.close()
    assert not caught.value.permanent
    assert WEBHOOK_SECRET not in str(caught.value)
