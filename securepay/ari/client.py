"""One ARI connection: REST plus the events WebSocket, kept alive across outages.

When the WebSocket drops, channels stay in Stasis but events are lost and nothing is
replayed, so every (re)connect ends with a resync: `GET /applications/{app}` tells the
daemon which channels and bridges it still owns. Connection state is logged once per
change, never per retry.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from securepay.ari.backoff import Backoff
from securepay.ari.errors import AriAuthError, AriError
from securepay.ari.models import ApplicationReplaced, Event, parse_event
from securepay.ari.rest import AppState, AriRest

log = logging.getLogger("securepay.ari")

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None] | None]


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth-failed"


@dataclass(frozen=True)
class AriSettings:
    url: str
    username: str
    password: str = field(repr=False)
    app: str = "securepay"
    reconnect_initial_s: float = 0.2
    reconnect_max_s: float = 10.0


class AriClient:
    """Owns the HTTP session; `run()` keeps the events WebSocket up until `close()`."""

    def __init__(self, settings: AriSettings) -> None:
        self.settings = settings
        self._session = aiohttp.ClientSession(
            # sock_connect, not connect: waiting for one of the pool's connections while
            # thousands of calls are busy is not Asterisk being down (bench/NOTES.md row 11).
            timeout=aiohttp.ClientTimeout(total=15, sock_connect=5),
            headers={"Authorization": aiohttp.encode_basic_auth(settings.username, settings.password)},
        )
        self.rest = AriRest(self._session, settings.url)
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)
        self._resync_handlers: list[Callable[[AppState], Awaitable[None]]] = []
        self._state_handlers: list[Callable[[ConnectionState], None]] = []
        self.state = ConnectionState.CONNECTING
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._closing = False

    def on(self, event_type: type[E], handler: Callable[[E], Awaitable[None] | None]) -> None:
        """Call `handler` for each event of that type, in arrival order.

        Handlers run one after another on the reading task, so a slow one delays the
        next event: hand long work to a queue or task.
        """
        self._handlers[event_type].append(handler)

    def on_resync(self, handler: Callable[[AppState], Awaitable[None]]) -> None:
        self._resync_handlers.append(handler)

    def on_state(self, handler: Callable[[ConnectionState], None]) -> None:
        self._state_handlers.append(handler)

    async def run(self) -> None:
        """Connect, dispatch, and reconnect with backoff until `close()` or bad credentials."""
        backoff = Backoff(self.settings.reconnect_initial_s, self.settings.reconnect_max_s)
        while not self._closing:
            try:
                await self._connect_and_read(backoff)
            except AriAuthError:
                self._set_state(ConnectionState.AUTH_FAILED)
                raise
            except (TimeoutError, aiohttp.ClientError, OSError, AriError) as exc:
                self._set_state(ConnectionState.UNREACHABLE, type(exc).__name__)
            if self._closing:
                break
            self.connected.clear()
            await asyncio.sleep(backoff.next_delay())

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        await self._session.close()

    async def _connect_and_read(self, backoff: Backoff) -> None:
        url = self.settings.url.rstrip("/") + "/ari/events"
        params = {"app": self.settings.app, "subscribeAll": "false"}
        try:
            ws = await self._session.ws_connect(url, params=params, heartbeat=10)
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in (401, 403):
                raise AriAuthError(
                    "GET", "/ari/events", exc.status, "wrong ARI username or password"
                ) from None
            raise
        self._ws = ws
        try:
            await self._resync()
            backoff.reset()
            self.connected.set()
            self._set_state(ConnectionState.CONNECTED)
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await self._dispatch(parse_event(json.loads(message.data)))
        finally:
            self._ws = None
            await ws.close()
        if not self._closing:
            self._set_state(ConnectionState.UNREACHABLE, "events connection closed")

    async def _resync(self) -> None:
        state = await self.rest.application(self.settings.app)
        for handler in self._resync_handlers:
            await handler(state)

    async def _dispatch(self, event: Event) -> None:
        if isinstance(event, ApplicationReplaced):
            log.warning("another client took over ARI app %r", self.settings.app)
        for handler in self._handlers.get(type(event), ()):
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("handler for %s failed", event.type)

    def _set_state(self, state: ConnectionState, detail: str = "") -> None:
        if state == self.state:
            return
        if state == ConnectionState.CONNECTED and self.state == ConnectionState.UNREACHABLE:
            self.reconnects += 1
        self.state = state
        if state == ConnectionState.CONNECTED:
            log.info("ARI connected to %s (app %s)", self.settings.url, self.settings.app)
        elif state == ConnectionState.UNREACHABLE:
            log.warning("ARI unreachable at %s (%s); retrying", self.settings.url, detail)
        elif state == ConnectionState.AUTH_FAILED:
            log.error("ARI rejected user %r: wrong username or password", self.settings.username)
        for handler in self._state_handlers:
            handler(state)
