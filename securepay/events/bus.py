"""The event bus: Redis pub/sub when configured, an in-process bus otherwise.

Both deliver JSON objects per channel in publish order. With Redis, any daemon can
serve any agent's panel; the in-process bus serves a single daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis

Message = dict[str, Any]


class EventBus(Protocol):
    async def publish(self, channel: str, message: Message) -> None: ...

    async def publish_with_state(
        self, channels: Sequence[str], message: Message, key: str, state: Message, ttl_s: int
    ) -> None:
        """`message` on each of `channels`, then `state` kept under `key` (as `remember`):
        one payment event, in one round trip on Redis."""
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
        for queue in list(self._queues.get(channel, ())):
            queue.put_nowait(message)

    async def publish_with_state(
        self, channels: Sequence[str], message: Message, key: str, state: Message, ttl_s: int
    ) -> None:
        for channel in channels:
            await self.publish(channel, message)
        await self.remember(key, state, ttl_s)

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
dead peer with no RST) must not hold a caller: the event is dropped with a warning."""


class RedisBus:
    """Commands and subscriptions on separate clients: a command gives up after
    COMMAND_TIMEOUT_S, while a subscription waits for its next message as long as it takes."""

    def __init__(self, url: str) -> None:
        timeouts = {"socket_timeout": COMMAND_TIMEOUT_S, "socket_connect_timeout": COMMAND_TIMEOUT_S}
        self._redis = aioredis.Redis.from_url(url, decode_responses=True, **timeouts)
        self._subscriber = aioredis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=COMMAND_TIMEOUT_S
        )

    async def publish(self, channel: str, message: Message) -> None:
        await self._redis.publish(channel, json.dumps(message, separators=(",", ":")))

    async def publish_with_state(
        self, channels: Sequence[str], message: Message, key: str, state: Message, ttl_s: int
    ) -> None:
        text = json.dumps(message, separators=(",", ":"))
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel in channels:
                pipe.publish(channel, text)
            pipe.set(key, json.dumps(state, separators=(",", ":")), ex=ttl_s)
            await pipe.execute()

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

    async def remember(self, key: str, value: Message, ttl_s: int) -> None:
        await self._redis.set(key, json.dumps(value, separators=(",", ":")), ex=ttl_s)

    async def recall(self, key: str) -> Message | None:
        raw = await self._redis.get(key)
        return json.loads(raw) if raw else None

    async def close(self) -> None:
        await self._redis.aclose()
        await self._subscriber.aclose()


async def _redis_messages(pubsub: aioredis.client.PubSub) -> AsyncIterator[Message]:
    async for raw in pubsub.listen():
        if raw.get("type") == "message":
            yield json.loads(raw["data"])


def make_bus(redis_url: str) -> EventBus:
    return RedisBus(redis_url) if redis_url else InProcessBus()
