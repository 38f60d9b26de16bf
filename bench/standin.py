"""An ARI stand-in: the REST calls and WebSocket events the daemon uses, with no media.

Plays answer at once with `PlaybackStarted` and end with `PlaybackFinished` after a set
prompt length (at once when stopped). Channels and bridges are bookkeeping only, so one
daemon can be driven with thousands of concurrent flows and its own cost seen alone.
The stand-in also plays the callers: it starts each call with a `StasisStart` and keys
digits as `ChannelDtmfReceived` events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from bench.asterisk_phones import PromptTimer

APP = "securepay"
Json = dict[str, Any]


def ari_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def channel_json(channel_id: str, caller_number: str = "") -> Json:
    return {
        "id": channel_id,
        "name": f"Local/standin-{channel_id}",
        "state": "Up",
        "language": "en",
        "caller": {"number": caller_number, "name": ""},
    }


class AriStandIn:
    """One Asterisk's worth of ARI, for one app; `on_bridged(agent, call_id)` reports each
    agent joining its caller (the caller's number names the agent, as the daemon dials it)."""

    def __init__(self, prompt_s: float, on_bridged: Callable[[str, str], None]) -> None:
        self.prompt_s = prompt_s
        self.timer = PromptTimer()
        self._on_bridged = on_bridged
        self._channels: dict[str, Json] = {}
        self._agent_of_call: dict[str, str] = {}
        self._playbacks: dict[str, tuple[str, asyncio.TimerHandle]] = {}
        self._bridges: set[str] = set()
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._ids = itertools.count(1)
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._count])
        routes = [
            web.get("/ari/events", self._events),
            web.get("/ari/asterisk/info", self._info),
            web.get("/ari/applications/{app}", self._application),
            web.get("/ari/channels", self._empty_list),
            web.get("/ari/bridges", self._empty_list),
            web.post("/ari/channels", self._originate),
            web.get("/ari/channels/{id}", self._channel),
            web.delete("/ari/channels/{id}", self._hangup),
            web.post("/ari/channels/{id}/continue", self._continue),
            web.get("/ari/channels/{id}/variable", self._variable),
            web.post("/ari/channels/{id}/play", self._play),
            web.delete("/ari/playbacks/{id}", self._stop_playback),
            web.post("/ari/bridges", self._create_bridge),
            web.post("/ari/bridges/{id}/addChannel", self._add_channel),
            web.delete("/ari/bridges/{id}", self._destroy_bridge),
        ]
        no_op = ("/answer", "/ring", "/moh", "/variable")
        routes += [web.post(f"/ari/channels/{{id}}{path}", self._no_content) for path in no_op]
        routes += [web.delete(f"/ari/channels/{{id}}{path}", self._no_content) for path in no_op[1:]]
        routes.append(web.post("/ari/bridges/{id}/moh", self._no_content))
        routes.append(web.delete("/ari/bridges/{id}/moh", self._no_content))
        app.add_routes(routes)
        return app

    # The callers' side.

    def call_in(self, agent: str) -> str:
        channel = f"caller-{agent}"
        self._channels[channel] = channel_json(channel, agent)
        self._emit("StasisStart", channel=self._channels[channel], args=["inbound", agent])
        return channel

    def key(self, channel: str, digit: str) -> None:
        if channel in self._channels:
            self.timer.digit(channel, time.monotonic())
            self._emit("ChannelDtmfReceived", channel=self._channels[channel], digit=digit, duration_ms=100)

    def hang_up(self, channel: str) -> None:
        self._leave(channel, hung_up=True)

    # The daemon's side.

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests += 1
        return await handler(request)

    async def _events(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=10)
        await ws.prepare(request)
        writer = asyncio.create_task(self._write(ws))
        try:
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            writer.cancel()
        return ws

    async def _write(self, ws: web.WebSocketResponse) -> None:
        while True:
            await ws.send_str(await self._outbox.get())

    def _emit(self, kind: str, **fields: Any) -> None:
        event = {"type": kind, "application": APP, "timestamp": ari_timestamp(), **fields}
        self._outbox.put_nowait(json.dumps(event))

    async def _info(self, request: web.Request) -> web.Response:
        return web.json_response({"system": {"version": "stand-in"}})

    async def _application(self, request: web.Request) -> web.Response:
        body = {"name": APP, "channel_ids": list(self._channels), "bridge_ids": list(self._bridges)}
        return web.json_response(body)

    async def _empty_list(self, request: web.Request) -> web.Response:
        return web.json_response([])

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _channel(self, request: web.Request) -> web.Response:
        channel = self._channels.get(request.match_info["id"])
        return web.json_response(channel) if channel else _not_found()

    async def _variable(self, request: web.Request) -> web.Response:
        return web.json_response({"value": ""})

    async def _originate(self, request: web.Request) -> web.Response:
        query = request.query
        channel_id = query.get("channelId") or f"standin-{next(self._ids)}"
        channel = self._channels[channel_id] = channel_json(channel_id, query.get("callerId", ""))
        args = query.get("appArgs", "").split(",")
        if args[0] == "agent" and len(args) > 1:
            self._agent_of_call[channel_id] = query.get("callerId", "")
        self._emit("StasisStart", channel=channel, args=args)
        return web.json_response(channel)

    async def _hangup(self, request: web.Request) -> web.Response:
        return (
            web.Response(status=204) if self._leave(request.match_info["id"], hung_up=True) else _not_found()
        )

    async def _continue(self, request: web.Request) -> web.Response:
        return web.Response(status=204) if self._leave(request.match_info["id"]) else _not_found()

    def _leave(self, channel_id: str, *, hung_up: bool = False) -> bool:
        channel = self._channels.pop(channel_id, None)
        if channel is None:
            return False
        self._agent_of_call.pop(channel_id, None)
        self._emit("StasisEnd", channel=channel)
        if hung_up:
            self._emit("ChannelDestroyed", channel=channel, cause=16)
        return True

    async def _play(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["id"]
        if channel_id not in self._channels:
            return _not_found()
        self.timer.prompt_started(channel_id, time.monotonic())
        playback_id = request.query.get("playbackId") or f"pb-{next(self._ids)}"
        playback = {"id": playback_id, "target_uri": f"channel:{channel_id}", "state": "playing"}
        handle = asyncio.get_running_loop().call_later(self.prompt_s, self._finish_playback, playback_id)
        self._playbacks[playback_id] = (channel_id, handle)
        self._emit("PlaybackStarted", playback=playback)
        return web.json_response(playback)

    async def _stop_playback(self, request: web.Request) -> web.Response:
        playback = self._playbacks.get(request.match_info["id"])
        if playback is None:
            return _not_found()
        playback[1].cancel()
        self._finish_playback(request.match_info["id"])
        return web.Response(status=204)

    def _finish_playback(self, playback_id: str) -> None:
        channel_id, _ = self._playbacks.pop(playback_id)
        self._emit(
            "PlaybackFinished",
            playback={"id": playback_id, "target_uri": f"channel:{channel_id}", "state": "done"},
        )

    async def _create_bridge(self, request: web.Request) -> web.Response:
        bridge_id = request.query.get("bridgeId") or f"bridge-{next(self._ids)}"
        self._bridges.add(bridge_id)
        return web.json_response({"id": bridge_id, "channels": [], "name": request.query.get("name", "")})

    async def _add_channel(self, request: web.Request) -> web.Response:
        channel_id = request.query.get("channel", "")
        if channel_id not in self._channels:
            return _not_found()
        agent = self._agent_of_call.get(channel_id)
        if agent:
            call_id = channel_id.removesuffix("-agent")
            self._on_bridged(agent, call_id)
        return web.Response(status=204)

    async def _destroy_bridge(self, request: web.Request) -> web.Response:
        self._bridges.discard(request.match_info["id"])
        return web.Response(status=204)


def _not_found() -> web.Response:
    return web.json_response({"message": "not found"}, status=404)
