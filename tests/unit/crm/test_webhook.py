"""The webhook request as the receiver sees it: signed JSON with an idempotency key."""

import hashlib
import hmac
import json

from pydantic import SecretStr

from securepay.crm.webhook import WebhookConnector
from securepay.flow import Outcome
from tests.unit.crm.fakes import FakeWebhook, serve
from tests.unit.ledger.factories import WEBHOOK_SECRET, make_activity, make_payment


async def test_webhook_posts_signed_json_with_the_payment_id_as_idempotency_key() -> None:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode())
    activity = make_activity(
        make_payment(outcome=Outcome.DECLINED, transaction_id="60999"), timezone="Europe/Paris"
    )
    async with serve(fake.app()) as url:
        connector = WebhookConnector(f"{url}/hook", SecretStr(WEBHOOK_SECRET), timeout_s=2)
        await connector.deliver(activity)
        await connector.close()
    assert fake.problems == []
    ((headers, body),) = fake.deliveries
    assert headers["Idempotency-Key"] == activity.payment_id
    assert headers["X-Securepay-Signature"] == (
        "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    assert json.loads(body) == {
        "schema": "securepay.crm-activity/1",
        "type": "payment.activity",
        "payment_id": "p-00000000000000a1",
        "record_id": activity.record_id,
        "agent": "Alice Smith",
        "product_name": "Blue widget",
        "transaction_id": "60999",
        "amount": "49.95",
        "currency": "USD",
        "amount_charged": "$49.95",
        "status": "Failed",
        "outcome": "declined",
        "timestamp": "2024-07-01 18:30:05",
        "occurred_at": "2024-07-01T18:30:05+02:00",
        "text": activity.text,
    }


async def test_webhook_secret_is_not_sent() -> None:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode())
    async with serve(fake.app()) as url:
        connector = WebhookConnector(f"{url}/hook", SecretStr(WEBHOOK_SECRET), timeout_s=2)
        await connector.deliver(make_activity())
        await connector.close()
    ((headers, body),) = fake.deliveries
    assert WEBHOOK_SECRET not in json.dumps(headers) + body.decode()


async def test_webhook_returns_the_receivers_id_for_the_activity() -> None:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode(), answer={"id": "evt_42"})
    async with serve(fake.app()) as url:
        connector = WebhookConnector(f"{url}/hook", SecretStr(WEBHOOK_SECRET), timeout_s=2)
        assert await connector.deliver(make_activity()) == "evt_42"
        await connector.close()
