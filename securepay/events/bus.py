"""The event bus: Redis pub/sub when configured, an in-process bus otherwise.

Both deliver JSON objects per channel in publish order. With Redis, any daemon can
serve any agent's panel; the in-process bus serves a single daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis

log = logging.getLogger("securepay.events")

Message = dict[str, Any]
StateNow = Callable[[], Message]
"""Builds a state when it is sent: a burst of events for one key writes the state once."""


@dataclass(frozen=True)
class SharedState:
    """A state to keep under `key` for `ttl_s`, built by `build` when it goes out."""

    key: str
    build: StateNow
    ttl_s: int


class EventBus(Protocol):
    async def publish(self, channel: str, message: Message) -> None: ...

    def publish_soon(
        self, channels: Sequence[str], message: Message, state: SharedState | None = None
    ) -> asyncio.Future[None]:
        """Queue `message` for each of `channels`, then `state` if given (kept as `remember`
        keeps it); done once sent. Publishes and `remember`s go out in call order."""
        ...

    def subscribe(
        self, channels: Sequence[str]
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Message]]:
        """Messages published on any of `channels` after the subscription is live."""
        ...

    async def ping(self) -> bool:
        """Whether events can be published now (for /healthz)."""
        ...

    async def remember(self, key: str, value: Message, ttl_s: int) -> None:
        """Keep `value` under `key` for `ttl_s`: state any daemon can read back with `recall`."""
        ...

    async def recall(self, key: str) -> Message | None: ...

    async def close(self) -> None: ...


class InProcessBus:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Message]]] = defaultdict(set)
        self._kept: dict[str, Message] = {}

    async def publish(self, channel: str, message: Message) -> None:
        self._deliver(channel, message)

    def _deliver(self, channel: str, message: Message) -> None:
        for queue in list(self._queues.get(channel, ())):
            queue.put_nowait(message)

    def publish_soon(
        self, channels: Sequence[str], message: Message, state: SharedState | None = None
    ) -> asyncio.Future[None]:
        for channel in channels:
            self._deliver(channel, message)
        if state is not None:
            self._kept[state.key] = state.build()
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.set_result(None)
        return sent

    @contextlib.asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        for channel in channels:
            self._queues[channel].add(queue)
        try:
            yield _drain(queue)
        finally:
            for channel in channels:
                self._queues[channel].discard(queue)

    async def ping(self) -> bool:
        return True

    async def remember(self, key: str, value: Message, ttl_s: int) -> None:
        self._kept[key] = value

    async def recall(self, key: str) -> Message | None:
        return self._kept.get(key)

    async def close(self) -> None:
        self._queues.clear()


async def _drain(queue: asyncio.Queue[Message]) -> AsyncIterator[Message]:
    while True:
        yield await queue.get()


COMMAND_TIMEOUT_S = 1.0
"""How long a publish or state write may take. A Redis that hangs (stopped, swapping, a
dead peer with no RST) must not hold a caller: whoever waits is told it failed."""
RETRY_S = 1.0
"""Events Redis did not take are sent again this often, ahead of newer ones, until it does."""
UNSENT_MAX = 10_000
"""Publishes kept for a Redis that does not answer (about 5 MB); beyond, the oldest go."""


@dataclass
class _Batch:
    """What goes out in the next pipeline: publishes in order, then the last state per key."""

    sent: asyncio.Future[None]
    publishes: list[tuple[str, str]] = field(default_factory=list)
    states: dict[str, SharedState] = field(default_factory=dict)


class RedisBus:
    """Commands and subscriptions on separate clients: a command gives up after
    COMMAND_TIMEOUT_S, while a subscription waits for its next message as long as it takes.

    Events and states are group-committed: whatever every payment queues while one
    pipeline is on the wire goes out in the next, so under load one round trip carries
    many events (bench/NOTES.md), and when idle an event still leaves at once. Events
    Redis did not take are kept and sent again, in order, once it answers: a payment's
    result still reaches the panels after an outage (each de-duplicates by `seq`).
    """

    def __init__(self, url: str) -> None:
        timeouts = {"socket_timeout": COMMAND_TIMEOUT_S, "socket_connect_timeout": COMMAND_TIMEOUT_S}
        self._redis = aioredis.Redis.from_url(url, decode_responses=True, **timeouts)
        self._subscriber = aioredis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=COMMAND_TIMEOUT_S
        )
        self._next: _Batch | None = None
        self._sender: asyncio.Task[None] | None = None
        self._unsent: list[tuple[str, str]] = []
        self._unsent_states: dict[str, SharedState] = {}
        """What Redis has not taken yet, to go ahead of the next batch."""
        self._retry: asyncio.TimerHandle | None = None

    async def publish(self, channel: str, message: Message) -> None:
        await self._redis.publish(channel, json.dumps(message, separators=(",", ":")))

    def publish_soon(
        self, channels: Sequence[str], message: Message, state: SharedState | None = None
    ) -> asyncio.Future[None]:
        text = json.dumps(message, separators=(",", ":"))
        return self._queue([(channel, text) for channel in channels], state).sent

    async def remember(self, key: str, value: Message, ttl_s: int) -> None:
        """Queued like events: an agent's state never lands before an older one."""
        await asyncio.shield(self._queue([], SharedState(key, lambda: value, ttl_s)).sent)

    def _queue(self, publishes: list[tuple[str, str]], state: SharedState | None) -> _Batch:
        batch = self._batch()
        batch.publishes.extend(publishes)
        if state is not None:
            batch.states.pop(state.key, None)  # the key moves behind any state queued before it
            batch.states[state.key] = state
        return batch

    def _batch(self) -> _Batch:
        loop = asyncio.get_running_loop()
        if self._next is None:
            self._next = _Batch(loop.create_future())
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send_batches())
        return self._next

    async def _send_batches(self) -> None:
        while self._next is not None:
            batch, self._next = self._next, None
            publishes = self._unsent + batch.publishes
            states = {**self._unsent_states, **batch.states}
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, text in publishes:
                        pipe.publish(channel, text)
                    for shared in states.values():
                        state = json.dumps(shared.build(), separators=(",", ":"))
                        pipe.set(shared.key, state, ex=shared.ttl_s)
                    await pipe.execute()
            except Exception as exc:  # every publisher waiting on the batch is told
                self._keep_unsent(publishes, states)
                batch.sent.set_exception(exc)
                batch.sent.exception()  # retrieved: a batch of retries has no waiter
            else:
                self._unsent, self._unsent_states = [], {}
                batch.sent.set_result(None)
            finally:
                if not batch.sent.done():  # this task was cancelled: so are its waiters
                    batch.sent.cancel()
        if self._retry is not None:
            self._retry.cancel()  # one retry pending at most, whichever run failed last
        if self._unsent or self._unsent_states:
            self._retry = asyncio.get_running_loop().call_later(RETRY_S, self._batch)

    def _keep_unsent(self, publishes: list[tuple[str, str]], states: dict[str, SharedState]) -> None:
        dropped = len(publishes) - UNSENT_MAX
        if dropped > 0:
            log.warning("Redis has not answered for a while: %d oldest events dropped", dropped)
            publishes = publishes[dropped:]
        self._unsent, self._unsent_states = publishes, states

    @contextlib.asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[Message]]:
        pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*channels)
        try:
            yield _redis_messages(pubsub)
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def recall(self, key: str) -> Message | None:
        raw = await self._redis.get(key)
        return json.loads(raw) if raw else None

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        if self._sender is not None:
            with contextlib.suppress(Exception):
                await self._sender
        await self._redis.aclose()
        await self._subscriber.aclose()


async def _redis_messages(pubsub: aioredis.client.PubSub) -> AsyncIterator[Message]:
    async for raw in pubsub.listen():
        if raw.get("type") == "message":
            yield json.loads(raw["data"])


def make_bus(redis_url: str) -> EventBus:
    return RedisBus(redis_url) if redis_url else InProcessBus()
