"""Helpers for driving real Asterisk from tests: a connected client and an event log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from securepay.ari import AriClient, AriSettings
from securepay.ari.models import (
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    Event,
    PlaybackFinished,
    PlaybackStarted,
    StasisEnd,
    StasisStart,
)
from securepay.testing.asterisk_rig import AriEndpoint

E = TypeVar("E", bound=Event)
RECORDED = (
    StasisStart,
    StasisEnd,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    ChannelDestroyed,
    PlaybackStarted,
    PlaybackFinished,
)


class EventLog:
    """Every event the client dispatched, and a way to wait for one."""

    def __init__(self, client: AriClient) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()
        for kind in RECORDED:
            client.on(kind, self._record)

    async def _record(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(
        self, kind: type[E], match: Callable[[E], bool] = lambda _: True, timeout: float = 10
    ) -> E:
        def found() -> E | None:
            return next((e for e in self.events if isinstance(e, kind) and match(e)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
            event = found()
            assert event is not None
            return event

    def of(self, kind: type[E], match: Callable[[E], bool] = lambda _: True) -> list[E]:
        return [e for e in self.events if isinstance(e, kind) and match(e)]


@contextlib.asynccontextmanager
async def connected(
    endpoint: AriEndpoint, url: str | None = None
) -> AsyncIterator[tuple[AriClient, EventLog]]:
    client = AriClient(AriSettings(url or endpoint.url, endpoint.username, endpoint.password, endpoint.app))
    log = EventLog(client)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(client.connected.wait(), 10)
        yield client, log
    finally:
        await client.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def local_call(client: AriClient, log: EventLog, exten: str = "caller") -> tuple[str, str]:
    """Originate Local/<exten>@securepay-test; return (phone ;1 id, dialplan ;2 id), both in Stasis."""
    phone = await client.rest.originate(
        f"Local/{exten}@securepay-test/n", app=client.settings.app, app_args="driver"
    )
    leg = await log.wait_for(StasisStart, lambda e: e.args == (exten,))
    await client.rest.answer(leg.channel.id)
    await log.wait_for(StasisStart, lambda e: e.channel.id == phone.id)
    return phone.id, leg.channel.id
