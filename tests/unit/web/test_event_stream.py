"""`GET /api/v1/events`: sign in with the first message, the snapshot first, then the events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.exceptions import ConnectionError as RedisConnectionError

from securepay.ari.models import Channel
from securepay.calls.dialplan import DialplanCall
from securepay.events.bus import InProcessBus
from securepay.flow import Outcome
from securepay.payments.model import Payment, PaymentRequest, new_payment_id
from securepay.web import events_ws
from tests.unit.web.support import (
    ALICE_TOKEN,
    BOB_TOKEN,
    SUPERVISOR_TOKEN,
    WebRig,
    bearer,
    component,
    event_validator,
    web_rig,
)

EVENTS = event_validator()


async def open_stream(rig: WebRig, token: str | None, **auth: Any) -> aiohttp.ClientWebSocketResponse:
    ws = await rig.client().ws_connect("/api/v1/events")
    if token is not None:
        await ws.send_json({"type": "auth", "token": token, **auth})
    return ws


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    return await asyncio.wait_for(ws.receive_json(), 5)


async def refused(ws: aiohttp.ClientWebSocketResponse) -> tuple[dict[str, Any], int | None]:
    message = await receive(ws)
    component("StreamError").validate(message)
    closing = await asyncio.wait_for(ws.receive(), 5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    return message, ws.close_code


async def test_the_snapshot_comes_first_then_the_agents_events_in_order() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        ws = await open_stream(rig, ALICE_TOKEN)
        snapshot = await receive(ws)
        component("Snapshot").validate(snapshot)
        assert snapshot["call"]["id"] == call.id and snapshot["payment"] is None
        payment = await rig.start_payment(call)
        await rig.payments.step(payment, "amount", "entering")
        await rig.payments.step(payment, "amount", "completed")
        events = [await receive(ws) for _ in range(3)]
        for event in events:
            EVENTS.validate(event)
        assert [(e["type"], e["seq"]) for e in events] == [
            ("payment.requested", 1),
            ("payment.step", 2),
            ("payment.step", 3),
        ]


async def test_a_reconnecting_panel_gets_the_payment_as_it_stands() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        payment = await rig.start_payment(call)
        await rig.payments.step(payment, "amount", "completed")
        await rig.payments.step(payment, "card_number", "entering")
        snapshot = await receive(await open_stream(rig, ALICE_TOKEN))
        assert snapshot["payment"]["id"] == payment.id
        assert snapshot["payment"]["steps"]["amount"] == "completed"
        assert snapshot["payment"]["steps"]["card_number"] == "entering"


async def test_a_reloaded_panel_still_shows_the_calls_finished_payment() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        body = {"item": "Widget", "amount": "12.00"}
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/calls/{call.id}/payments", json=body) as resp:
            payment = rig.payments.get((await resp.json())["id"])
        await rig.payments.finish(payment, Outcome.SUCCESS, transaction_id="60001", last4="1111")
        snapshot = await receive(await open_stream(rig, ALICE_TOKEN))
        assert snapshot["payment"]["outcome"] == "success"
        assert snapshot["payment"]["transaction_id"] == "60001"


async def test_after_a_restart_the_panel_of_an_adopted_call_shows_the_settled_payment() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        left = Payment(
            new_payment_id(), call.id, "alice", PaymentRequest("Widget", Decimal("12.00"), "USD", "en")
        )
        left.outcome, left.transaction_id = Outcome.SUCCESS, "60002"
        rig.payments.settled(left)
        snapshot = await receive(await open_stream(rig, ALICE_TOKEN))
        assert snapshot["call"]["id"] == call.id and snapshot["call"]["payment_id"] is None
        assert (snapshot["payment"]["id"], snapshot["payment"]["outcome"]) == (left.id, "success")


async def test_the_panel_is_told_when_a_call_arrives() -> None:
    async with web_rig() as rig:
        ws = await open_stream(rig, ALICE_TOKEN)
        assert (await receive(ws))["call"] is None
        call = rig.add_call()
        message = await receive(ws)
        component("CallMessage").validate(message)
        assert message["call"]["id"] == call.id


async def test_a_queue_or_dial_call_is_shown_until_a_payment_moves_it_in() -> None:
    async with web_rig() as rig:
        agent_leg = Channel("chan-a", "PJSIP/alice-00000001", "Up")
        caller_leg = Channel("chan-c", "PJSIP/trunk-00000002", "Up", language="es")
        rig.payments.dialplan["alice"] = DialplanCall("d-chan-a", "alice", agent_leg, caller_leg)
        snapshot = await receive(await open_stream(rig, ALICE_TOKEN))
        component("Snapshot").validate(snapshot)
        assert snapshot["call"]["id"] == "d-chan-a" and snapshot["call"]["language"] == "es"


async def test_an_agent_gets_none_of_another_agents_events() -> None:
    async with web_rig() as rig:
        ws = await open_stream(rig, ALICE_TOKEN)
        await receive(ws)
        bobs = await rig.start_payment(rig.add_call("bob"))
        await rig.payments.step(bobs, "amount", "entering")
        alices = await rig.start_payment(rig.add_call("alice"))
        seen = [await receive(ws)]
        while seen[-1].get("type") != "payment.requested":
            seen.append(await receive(ws))
        assert seen[-1]["payment_id"] == alices.id
        assert all(m["type"] == "call" for m in seen[:-1])


async def test_a_client_may_sign_in_with_the_authorization_header_instead() -> None:
    async with web_rig() as rig:
        ws = await rig.client().ws_connect("/api/v1/events", headers=bearer(ALICE_TOKEN))
        assert (await receive(ws))["type"] == "snapshot"


async def test_a_wrong_token_is_refused_with_4401() -> None:
    async with web_rig() as rig:
        message, code = await refused(await open_stream(rig, "wrong"))
        assert (message["error"], code) == ("unauthorized", 4401)


async def test_a_first_message_that_is_not_auth_is_refused_with_4400() -> None:
    async with web_rig() as rig:
        ws = await rig.client().ws_connect("/api/v1/events")
        await ws.send_str("hello")
        message, code = await refused(ws)
        assert (message["error"], code) == ("bad-request", 4400)


async def test_a_silent_client_is_dropped_after_the_sign_in_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_ws, "SIGN_IN_TIMEOUT_S", 0.2)
    async with web_rig() as rig:
        _, code = await refused(await rig.client().ws_connect("/api/v1/events"))
        assert code == 4400


async def test_an_agent_cannot_follow_another_agent() -> None:
    async with web_rig() as rig:
        message, code = await refused(await open_stream(rig, ALICE_TOKEN, agent_id="bob"))
        assert (message["error"], code) == ("forbidden", 4403)


async def test_a_supervisor_must_name_the_agent_to_follow() -> None:
    async with web_rig() as rig:
        _, code = await refused(await open_stream(rig, SUPERVISOR_TOKEN))
        assert code == 4400
        _, code = await refused(await open_stream(rig, SUPERVISOR_TOKEN, agent_id="carol"))
        assert code == 4404


async def test_a_supervisor_follows_the_agent_they_name() -> None:
    async with web_rig() as rig:
        call = rig.add_call("bob")
        snapshot = await receive(await open_stream(rig, SUPERVISOR_TOKEN, agent_id="bob"))
        assert snapshot["agent_id"] == "bob" and snapshot["call"]["id"] == call.id


async def test_guessing_tokens_on_the_stream_is_braked_too() -> None:
    async with web_rig(auth_failures_max=2) as rig:
        for _ in range(2):
            await refused(await open_stream(rig, "guess"))
        message, code = await refused(await open_stream(rig, BOB_TOKEN))
        assert (message["error"], code) == ("too-many-failures", 4429)
        assert message["retry_after"] >= 1


async def test_a_page_on_another_origin_cannot_open_the_stream() -> None:
    async with web_rig() as rig:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
            await rig.client().ws_connect("/api/v1/events", origin="https://evil.example")
        assert refusal.value.status == 403


async def test_a_plain_get_is_told_to_upgrade() -> None:
    async with web_rig() as rig, rig.client().get("/api/v1/events") as resp:
        assert resp.status == 426
        assert (await resp.json())["error"] == "upgrade-required"


async def test_a_stopping_daemon_closes_open_streams_at_once() -> None:
    async with web_rig() as rig:
        ws = await open_stream(rig, ALICE_TOKEN)
        await receive(ws)
        closing_soon = asyncio.create_task(ws.receive())  # a browser answers the close at once
        started = time.monotonic()
        await rig.restart()
        assert time.monotonic() - started < 2
        closing = await asyncio.wait_for(closing_soon, 2)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY


class UnreachableBus(InProcessBus):
    """Redis down: subscribing fails."""

    def subscribe(self, channels: Sequence[str]) -> Any:
        raise RedisConnectionError("Connection refused")


async def test_an_unreachable_bus_closes_the_stream_with_try_again_later() -> None:
    async with web_rig(bus=UnreachableBus()) as rig:
        ws = await open_stream(rig, ALICE_TOKEN)
        closing = await asyncio.wait_for(ws.receive(), 5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == aiohttp.WSCloseCode.TRY_AGAIN_LATER


any_text = st.text() | st.builds("{}\udc80{}".format, st.text(max_size=4), st.text(max_size=4))
"""Text, sometimes with a lone surrogate: JSON can carry one ("\\udc80")."""
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
first_messages = st.one_of(
    st.text(),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.just("auth"), "token": any_text | json_values},
        optional={"agent_id": any_text | json_values},
    ).map(json.dumps),
)


async def first_message_refusal(first: str) -> tuple[dict[str, Any], int | None]:
    async with web_rig() as rig:
        ws = await rig.client().ws_connect("/api/v1/events")
        await ws.send_str(first)
        return await refused(ws)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(first_messages)
def test_any_first_message_gets_a_reasoned_refusal_never_a_dropped_socket(first: str) -> None:
    message, code = asyncio.run(first_message_refusal(first))
    assert code in (4400, 4401) and message["message"], (first, message, code)
