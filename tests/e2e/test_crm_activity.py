"""A real payment, through the daemon, posts exactly one CRM activity with the seed's fields."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator

from aiohttp import web

from securepay.events.publisher import agent_channel
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import payment_rig
from tests.e2e.test_payment_flow import key_card
from tests.unit.web.support import event_validator

SECRET = "webhook-secret-for-tests"


@contextlib.asynccontextmanager
async def webhook_receiver(
    received: list[tuple[dict[str, str], bytes]], port: int = 0, fail_first: int = 0
) -> AsyncIterator[str]:
    """A CRM webhook on `port` (0: any) that answers 503 to its first `fail_first` posts."""

    async def receive(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        if len(received) <= fail_first:
            return web.json_response({"error": "try later"}, status=503)
        return web.json_response({"id": f"crm-{len(received)}"})

    app = web.Application()
    app.router.add_post("/activity", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/activity"
    finally:
        await runner.cleanup()


async def test_a_successful_payment_posts_one_signed_activity_and_the_ledger_says_posted(
    asterisk: AsteriskInstance,
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    async with webhook_receiver(received) as url:
        crm = {
            "SECUREPAY_CRM_KIND": "webhook",
            "SECUREPAY_CRM_WEBHOOK_URL": url,
            "SECUREPAY_CRM_WEBHOOK_SECRET": SECRET,
            "SECUREPAY_CRM_TIMEZONE": "America/New_York",
        }
        async with payment_rig(asterisk, crm) as rig:
            call_id = await rig.place_call(crm_record="003XYZ")
            async with rig.daemon.bus.subscribe([agent_channel("alice")]) as stream:
                payment = await rig.request_payment(call_id)
                await key_card(rig, payment)
                event = {}
                while event.get("type") != "payment.crm":
                    event = await asyncio.wait_for(anext(stream), 60)
            assert (
                event["status"] == "posted" and event["crm_record_id"] == "003XYZ" and event["error"] is None
            )
            event_validator().validate(event)
            entry = await rig.ledger.get(payment.id)
            assert entry is not None and entry.outcome == "success" and entry.crm_state.value == "posted"

    assert len(received) == 1
    headers, body = received[0]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Securepay-Signature"] == f"sha256={expected}"
    assert headers["Idempotency-Key"] == payment.id
    activity = json.loads(body)
    assert activity["record_id"] == "003XYZ"
    lines = activity["text"].splitlines()
    assert lines[:5] == [
        "Agent: Alice Smith",
        "Product Name: Blue widget",
        f"Transaction ID: {payment.transaction_id}",
        "Amount Charged: $49.95",
        "Payment Status: Success",
    ]
    assert re.fullmatch(r"Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", lines[5])
    assert "4111111111111111" not in body.decode()
