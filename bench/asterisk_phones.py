"""The bench's phones on real Asterisk, and the second ARI app that times the daemon.

One ARI app (`securepay-driver`, which the test dialplan's agent phones enter) dials
every caller as a Local channel, answers every agent phone, and keys each caller's
digits. It also subscribes to each caller's `;2` channel, the one securepay controls, so
it sees Asterisk's own timestamps of the digits securepay receives and of the prompts it
starts: the added latency is measured on Asterisk's clock, not the daemon's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from securepay.ari.rest import AriRest
from securepay.testing.asterisk_rig import AriEndpoint
from securepay.testing.phones import DRIVER_APP

DIGIT_GAP_MS = 250
DIGIT_MS = 100
THINK_S = 0.5
"""A caller reads the prompt, then keys about three digits a second."""


def asterisk_time(stamp: str) -> float:
    """An ARI event timestamp (`2026-12-03T07:45:00.123+0000`) as epoch seconds."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


@dataclass
class PromptTimer:
    """Pairs the last digit before each prompt with that prompt's start, per channel."""

    pending: dict[str, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def digit(self, channel: str, at: float) -> None:
        self.pending[channel] = at

    def prompt_started(self, channel: str, at: float) -> None:
        keyed = self.pending.pop(channel, None)
        if keyed is not None:
            self.latencies_ms.append((at - keyed) * 1000)


@dataclass
class CallerLine:
    phone: str
    """The `;1` half: the bench keys digits on it."""
    watched: str
    """The `;2` half: securepay's caller channel."""


class AsteriskPhones:
    def __init__(self, ari: AriEndpoint, session: aiohttp.ClientSession) -> None:
        self._ari = ari
        self._session = session
        self.rest = AriRest(session, ari.url)
        self.timer = PromptTimer()
        self.lines: dict[str, CallerLine] = {}
        self.callers: dict[str, str] = {}
        """Who each watched channel belongs to."""
        self.on_variable: Callable[[str, str, str], None] = lambda who, name, value: None
        """Told of channel variables set on a watched channel: (who, name, value)."""
        self._tasks: set[asyncio.Task[None]] = set()

    async def call_in(self, agent: str, tag: str) -> None:
        """A caller for `agent`, entering securepay as the test dialplan routes it."""
        await self.dial(f"Local/call-{agent}@securepay-test/n", agent, tag)

    async def dial(self, endpoint: str, who: str, tag: str) -> None:
        """Dial `endpoint` as caller `who` (whose digits `key(who, ...)` sends)."""
        line = CallerLine(f"bench-{tag}-phone", f"bench-{tag}-caller")
        params = [
            ("endpoint", endpoint),
            ("app", DRIVER_APP),
            ("appArgs", "callerphone"),
            ("channelId", line.phone),
            ("otherChannelId", line.watched),
        ]
        await self.rest.request("POST", "/channels", params)
        await self.rest.request(
            "POST", f"/applications/{DRIVER_APP}/subscription", [("eventSource", f"channel:{line.watched}")]
        )
        self.lines[who] = line
        self.callers[line.watched] = who

    def key(self, who: str, digits: str) -> None:
        task = asyncio.get_running_loop().create_task(self._key(self.lines[who].phone, digits))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _key(self, phone: str, digits: str) -> None:
        await asyncio.sleep(THINK_S)
        await self.rest.send_dtmf(phone, digits, between_ms=DIGIT_GAP_MS, duration_ms=DIGIT_MS)

    async def hang_up_all(self) -> None:
        for line in self.lines.values():
            with contextlib.suppress(Exception):
                await self.rest.hangup(line.phone)
        self.lines.clear()

    async def run(self, ready: asyncio.Event) -> None:
        url = self._ari.url.rstrip("/") + "/ari/events"
        async with self._session.ws_connect(url, params={"app": DRIVER_APP}) as ws:
            ready.set()
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await self._handle(json.loads(message.data))

    async def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "StasisStart" and event.get("args") == ["agentphone"]:
            with contextlib.suppress(Exception):
                await self.rest.answer(event["channel"]["id"])
        elif kind == "ChannelDtmfReceived":
            self.timer.digit(event["channel"]["id"], asterisk_time(event["timestamp"]))
        elif kind == "PlaybackStarted":
            channel = event["playback"]["target_uri"].removeprefix("channel:")
            self.timer.prompt_started(channel, asterisk_time(event["timestamp"]))
        elif kind == "ChannelVarset" and (who := self.callers.get(event.get("channel", {}).get("id"))):
            self.on_variable(who, event["variable"], event["value"])


@contextlib.asynccontextmanager
async def asterisk_phones(ari: AriEndpoint) -> AsyncIterator[AsteriskPhones]:
    auth = aiohttp.BasicAuth(ari.username, ari.password)
    async with aiohttp.ClientSession(auth=auth, timeout=aiohttp.ClientTimeout(total=30)) as session:
        phones = AsteriskPhones(ari, session)
        ready = asyncio.Event()
        task = asyncio.create_task(phones.run(ready))
        await asyncio.wait_for(ready.wait(), 10)
        try:
            yield phones
        finally:
            await phones.hang_up_all()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
