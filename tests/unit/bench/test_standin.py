"""The ARI stand-in speaks the calls and events the daemon relies on."""

import contextlib
import json
from collections.abc import AsyncIterator

import aiohttp
from aiohttp.test_utils import TestServer

from bench.standin import AriStandIn


@contextlib.asynccontextmanager
async def connected(
    standin: AriStandIn,
) -> AsyncIterator[tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]]:
    """An HTTP session and the events WebSocket on a served stand-in, as the daemon holds them."""
    async with TestServer(standin.app()) as server:
        url = str(server.make_url(""))
        async with aiohttp.ClientSession(url) as http, http.ws_connect("/ari/events?app=securepay") as ws:
            yield http, ws


async def next_event(ws: aiohttp.ClientWebSocketResponse) -> dict:
    return json.loads((await ws.receive(timeout=2)).data)


async def test_a_play_starts_at_once_and_finishes_after_the_prompt_length() -> None:
    bridged: list[tuple[str, str]] = []
    standin = AriStandIn(prompt_s=0.05, on_bridged=lambda agent, call: bridged.append((agent, call)))
    async with connected(standin) as (http, ws):
        caller = standin.call_in("agent7")
        start = await next_event(ws)
        assert (start["type"], start["args"], start["channel"]["caller"]["number"]) == (
            "StasisStart",
            ["inbound", "agent7"],
            "agent7",
        )
        async with http.post(f"/ari/channels/{caller}/play?media=sound:x&playbackId=p1") as resp:
            assert (await resp.json())["id"] == "p1"
        assert (await next_event(ws))["type"] == "PlaybackStarted"
        finished = await next_event(ws)
        assert (finished["type"], finished["playback"]["id"]) == ("PlaybackFinished", "p1")
        async with http.delete("/ari/playbacks/p1") as resp:
            assert resp.status == 404


async def test_a_stopped_play_finishes_at_once_and_an_agent_joining_is_reported() -> None:
    bridged: list[tuple[str, str]] = []
    standin = AriStandIn(prompt_s=60, on_bridged=lambda agent, call: bridged.append((agent, call)))
    async with connected(standin) as (http, ws):
        caller = standin.call_in("agent1")
        await next_event(ws)
        await http.post(f"/ari/channels/{caller}/play?media=sound:x&playbackId=p2")
        await next_event(ws)
        async with http.delete("/ari/playbacks/p2") as resp:
            assert resp.status == 204
        assert (await next_event(ws))["type"] == "PlaybackFinished"
        params = {
            "endpoint": "Local/a@b",
            "app": "securepay",
            "appArgs": "agent,c-1",
            "channelId": "c-1-agent",
        }
        async with http.post("/ari/channels", params={**params, "callerId": "agent1"}) as resp:
            assert resp.status == 200
        assert (await next_event(ws))["args"] == ["agent", "c-1"]
        await http.post("/ari/bridges/b1/addChannel?channel=c-1-agent")
        assert bridged == [("agent1", "c-1")]
