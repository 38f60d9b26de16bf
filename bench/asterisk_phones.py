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
import time
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
"""A caller hears the prompt out, thinks half a second, then keys about three digits a second."""
CODEC = "ulaw"
"""Callers arrive as on a G.711 trunk (the agent's leg follows the caller's codec). Left to
themselves, Local channels take signed linear at 192 kHz, which no phone sends, and Asterisk
would spend most of its CPU resampling prompts and hold music to it (bench/NOTES.md row 13)."""
LISTEN_MAX_S = 30.0
"""A caller who hears no prompt end this long keys anyway (the daemon's own timeout is 60 s)."""
PLAYING_VARIABLE = "BENCH_PLAYING"
"""Set to 1/0 around each prompt by the AGI baseline, whose prompts raise no ARI playback events."""


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
class Ears:
    """What a caller hears: whether a prompt plays, how many have ended, and since when all is quiet."""

    playing: bool = False
    heard: int = 0
    quiet_since: float = 0.0

    def prompt_started(self) -> None:
        self.playing = True

    def prompt_ended(self) -> None:
        self.playing, self.heard, self.quiet_since = False, self.heard + 1, time.monotonic()

    def done_listening(self, heard_before: int) -> bool:
        """A prompt has ended since `heard_before`, and nothing has played for THINK_S."""
        quiet = not self.playing and time.monotonic() - self.quiet_since >= THINK_S
        return self.heard > heard_before and quiet


@dataclass
class CallerLine:
    phone: str
    """The `;1` half: the bench keys digits on it."""
    watched: str
    """The `;2` half: securepay's caller channel."""
    ears: Ears = field(default_factory=Ears)


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
            ("formats", CODEC),
        ]
        await self.rest.request("POST", "/channels", params)
        await self.rest.request(
            "POST", f"/applications/{DRIVER_APP}/subscription", [("eventSource", f"channel:{line.watched}")]
        )
        self.lines[who] = line
        self.callers[line.watched] = who

    def key(self, who: str, digits: str) -> None:
        """Key a step's entry and the 1 that confirms it, each after hearing its prompt out."""
        task = asyncio.get_running_loop().create_task(self._key(self.lines[who], digits))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _key(self, line: CallerLine, digits: str) -> None:
        entry, confirm = digits[:-1], digits[-1:]
        heard = line.ears.heard
        if entry:
            await self._listen(line.ears, heard)
            heard = line.ears.heard
            await self.rest.send_dtmf(line.phone, entry, between_ms=DIGIT_GAP_MS, duration_ms=DIGIT_MS)
        await self._listen(line.ears, heard)
        await self.rest.send_dtmf(line.phone, confirm, between_ms=DIGIT_GAP_MS, duration_ms=DIGIT_MS)

    @staticmethod
    async def _listen(ears: Ears, heard_before: int) -> None:
        deadline = time.monotonic() + LISTEN_MAX_S
        while not ears.done_listening(heard_before) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

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
            if line := self._line_of(channel):
                line.ears.prompt_started()
        elif kind == "PlaybackFinished":
            if line := self._line_of(event["playback"]["target_uri"].removeprefix("channel:")):
                line.ears.prompt_ended()
        elif kind == "ChannelVarset" and (who := self.callers.get(event.get("channel", {}).get("id"))):
            if event["variable"] == PLAYING_VARIABLE:
                ears = self.lines[who].ears
                if event["value"] == "1":
                    ears.prompt_started()
                else:
                    ears.prompt_ended()
            self.on_variable(who, event["variable"], event["value"])

    def _line_of(self, watched: str) -> CallerLine | None:
        who = self.callers.get(watched)
        return self.lines.get(who) if who is not None else None


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
