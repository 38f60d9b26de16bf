"""Events of real payments on the real daemon and Asterisk: the schema, the order, the stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from securepay.events.publisher import agent_channel
from securepay.flow import State
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig
from tests.unit.web.live import VISA, api, api_url, key_card, live_rig, request_payment
from tests.unit.web.support import ALICE_TOKEN, component, event_validator

STEPS = ["amount", "card_number", "expiry", "cvc", "postal_code", "processing"]


@contextlib.asynccontextmanager
async def stream(rig: PaymentRig) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """Alice's event stream, signed in as the panel does: with the first message."""
    async with (
        aiohttp.ClientSession(base_url=api_url(rig)) as session,
        session.ws_connect("/api/v1/events") as ws,
    ):
        await ws.send_json({"type": "auth", "token": ALICE_TOKEN})
        yield ws


async def receive_until(ws: aiohttp.ClientWebSocketResponse, done: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not seen or not done(seen[-1]):
        seen.append(await asyncio.wait_for(ws.receive_json(), 40))
    return seen


async def test_a_real_payment_publishes_schema_valid_events_in_order_without_card_data(
    asterisk: AsteriskInstance,
) -> None:
    async with live_rig(asterisk) as rig, api(rig, ALICE_TOKEN) as alice:
        call_id = await rig.place_call()
        async with rig.daemon.bus.subscribe([agent_channel("alice")]) as stream:
            payment = await request_payment(alice, rig, call_id)
            await key_card(rig, payment)
            await rig.finished(payment)
            events = []
            while not events or events[-1]["type"] != "payment.result":
                events.append(await asyncio.wait_for(anext(stream), 5))
    validator = event_validator()
    for event in events:
        validator.validate(event)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "payment.requested" and events[0]["amount"] == "49.95"
    completed = [e["step"] for e in events if e["type"] == "payment.step" and e["status"] == "completed"]
    assert completed == STEPS
    result = events[-1]
    assert (result["outcome"], result["brand"], result["last4"]) == ("success", "visa", "1111")
    assert result["transaction_id"] == payment.transaction_id
    assert VISA not in json.dumps(events) and "1230" not in json.dumps(events)


async def test_the_stream_relays_a_real_payment_and_a_reconnect_sees_it_as_it_stands(
    asterisk: AsteriskInstance,
) -> None:
    async with live_rig(asterisk) as rig, api(rig, ALICE_TOKEN) as alice:
        call_id = await rig.place_call()
        async with stream(rig) as first:
            snapshot = await asyncio.wait_for(first.receive_json(), 5)
            component("Snapshot").validate(snapshot)
            assert snapshot["call"]["id"] == call_id and snapshot["payment"] is None
            payment = await request_payment(alice, rig, call_id)
            await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
            await receive_until(first, lambda m: m.get("step") == "card_number" and m["status"] == "entering")
            async with stream(rig) as reloaded:
                again = await asyncio.wait_for(reloaded.receive_json(), 5)
                component("Snapshot").validate(again)
                assert again["payment"]["id"] == payment.id
                assert again["payment"]["steps"]["amount"] == "completed"
                assert again["payment"]["steps"]["card_number"] == "entering"
                async with alice.delete(f"/api/v1/payments/{payment.id}") as resp:
                    assert resp.status == 202
                for ws in (first, reloaded):
                    result = (await receive_until(ws, lambda m: m.get("type") == "payment.result"))[-1]
                    assert result["outcome"] == "agent-cancelled"
