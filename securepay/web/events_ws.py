"""`GET /api/v1/events`: one agent's payment events, relayed from the bus to a browser.

Browsers cannot set an Authorization header on a WebSocket and a token in the URL ends
up in access logs, so a browser signs in with its first message,
`{"type": "auth", "token": ..., "agent_id": ...}` (`agent_id` only for supervisors);
other clients may send the header instead. The stream subscribes through the
configured bus (Redis when set, so any daemon serves any agent) before it sends the
`snapshot` of the agent's call and payment: nothing published in between is lost, and a
reloaded or reconnected panel starts from the truth. A `call` message follows whenever
the agent's call on this daemon comes, goes or connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from securepay.events.bus import EventBus
from securepay.events.publisher import agent_channel, agent_state_key
from securepay.web.auth import ACCESS, Refusal, bearer_token, client_address
from securepay.web.errors import error
from securepay.web.payments_api import CALLS, SETTINGS, agent_call_view, current_payment

log = logging.getLogger("securepay.web")

BUS = web.AppKey("bus", EventBus)
STOPPING = web.AppKey("event_streams_stopping", asyncio.Event)
"""Set at shutdown: every stream closes (1001) so a panel left open does not hold up the daemon."""
SIGN_IN_TIMEOUT_S = 10.0
CALL_CHECK_S = 0.5
DIALPLAN_CHECKS_EVERY = 6
"""Looking for a Queue/Dial call asks Asterisk, so it is done every 6th check (3 s), not every one."""
HEARTBEAT_S = 20.0
CLOSE_FOR = {400: 4400, 401: 4401, 403: 4403, 404: 4404, 429: 4429}
"""Refusals as WebSocket close codes: 4000 + the HTTP status a plain request would get."""


async def events(request: web.Request) -> web.StreamResponse:
    if not request.app[ACCESS].origin_allowed(request):
        return error(403, "origin-not-allowed", "this page's origin may not open the event stream")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=4096)
    if not ws.can_prepare(request).ok:
        return error(
            426, "upgrade-required", "this is a WebSocket endpoint", headers={"Upgrade": "websocket"}
        )
    await ws.prepare(request)
    agent_id = await _sign_in(request, ws)
    if agent_id is None:
        return ws
    try:
        async with request.app[BUS].subscribe([agent_channel(agent_id)]) as stream:
            await _send(ws, await snapshot(request.app, agent_id))
            await _relay(request.app, ws, stream, agent_id)
        if request.app[STOPPING].is_set():
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"daemon stopping")
    except Exception as exc:  # the bus (Redis) failed: close, and the panel reconnects later
        log.warning("event stream for %s failed (%s); the panel will reconnect", agent_id, type(exc).__name__)
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"event bus unavailable")
    return ws


async def snapshot(app: web.Application, agent_id: str) -> dict[str, Any]:
    """The agent's call and its current (or last) payment as the API shows them.

    A call this daemon does not hold (another daemon sharing Redis does) comes from the
    state that daemon shares.
    """
    call = app[CALLS].for_agent(agent_id)
    payment = current_payment(app, call) if call else None
    view = await agent_call_view(app, agent_id)
    if view is None:
        shared = await app[BUS].recall(agent_state_key(agent_id)) or {}
        view, payment_view = shared.get("call"), shared.get("payment")
    else:
        payment_view = payment.snapshot() if payment else None
    return {"type": "snapshot", "agent_id": agent_id, "call": view, "payment": payment_view}


async def _sign_in(request: web.Request, ws: web.WebSocketResponse) -> str | None:
    """The agent whose events this socket gets, or None once the socket is closed with the reason."""
    header_token = bearer_token(request.headers.get("Authorization"))
    message: dict[str, Any] = {}
    if header_token is None:
        try:
            message = await _first_message(ws)
        except ValueError as exc:
            await _refuse(ws, Refusal(400, "bad-request", str(exc)))
            return None
    result = request.app[ACCESS].authenticate(client_address(request), header_token or message.get("token"))
    if isinstance(result, Refusal):
        await _refuse(ws, result)
        return None
    wanted = message.get("agent_id") or result.agent_id
    if not isinstance(wanted, str):
        await _refuse(ws, Refusal(400, "invalid-field", "a supervisor must name the agent_id to follow"))
        return None
    if not result.may_see(wanted):
        await _refuse(ws, Refusal(403, "forbidden", "this belongs to another agent"))
        return None
    if wanted not in request.app[SETTINGS].agents:
        await _refuse(ws, Refusal(404, "unknown-agent", "no such agent"))
        return None
    return wanted


async def _first_message(ws: web.WebSocketResponse) -> dict[str, Any]:
    try:
        msg = await ws.receive(timeout=SIGN_IN_TIMEOUT_S)
    except TimeoutError:
        raise ValueError(f"send the auth message within {SIGN_IN_TIMEOUT_S:g} s") from None
    if msg.type != WSMsgType.TEXT:
        raise ValueError('the first message must be {"type": "auth", "token": ...}')
    try:
        message = json.loads(msg.data)
    except json.JSONDecodeError:
        message = None
    if (
        not isinstance(message, dict)
        or message.get("type") != "auth"
        or not isinstance(message.get("token"), str)
    ):
        raise ValueError('the first message must be {"type": "auth", "token": ...}')
    return message


async def _refuse(ws: web.WebSocketResponse, refusal: Refusal) -> None:
    body: dict[str, Any] = {"type": "error", "error": refusal.code, "message": refusal.message}
    if refusal.retry_after is not None:
        body["retry_after"] = refusal.retry_after
    await ws.send_json(body)
    await ws.close(code=CLOSE_FOR[refusal.status], message=refusal.code.encode())


async def _relay(
    app: web.Application, ws: web.WebSocketResponse, stream: AsyncIterator[dict[str, Any]], agent_id: str
) -> None:
    """Until the browser or the daemon goes: forward events, and tell the browser when its call changes."""

    async def forward() -> None:
        async for event in stream:
            await _send(ws, event)

    async def watch_call() -> None:
        seen = _call_key((await snapshot(app, agent_id))["call"])
        owned = app[CALLS].for_agent(agent_id) is not None
        for check in itertools.count(1):
            await asyncio.sleep(CALL_CHECK_S)
            call = app[CALLS].for_agent(agent_id)
            if call is None and not owned and check % DIALPLAN_CHECKS_EVERY:
                continue
            owned = call is not None
            view = await agent_call_view(app, agent_id)
            if view is None:
                view = (await app[BUS].recall(agent_state_key(agent_id)) or {}).get("call")
            if _call_key(view) != seen:
                seen = _call_key(view)
                await _send(ws, {"type": "call", "call": view})

    async def until_closed() -> None:
        async for _ in ws:  # the browser sends nothing after signing in; this only sees the close
            pass

    relay = asyncio.create_task(forward())
    tasks = [
        relay,
        asyncio.create_task(watch_call()),
        asyncio.create_task(until_closed()),
        asyncio.create_task(app[STOPPING].wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if not relay.cancelled() and (failure := relay.exception()) is not None:
        raise failure


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    """A browser that has just gone is not an error: the relay ends when its close arrives."""
    with contextlib.suppress(ConnectionError):
        await ws.send_json(message)


def _call_key(view: dict[str, Any] | None) -> tuple[Any, Any] | None:
    return (view["id"], view["connected"]) if view else None


async def _stop_streams(app: web.Application) -> None:
    app[STOPPING].set()


def add_routes(app: web.Application) -> None:
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/api/v1/events", events)
