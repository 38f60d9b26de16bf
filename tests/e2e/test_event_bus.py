"""Both bus backends deliver every message, in order, to every subscriber."""

from __future__ import annotations

import asyncio

import pytest

from securepay.events.bus import EventBus, InProcessBus, RedisBus
from securepay.testing.redis_rig import RedisInstance


async def deliver_in_order(bus: EventBus) -> None:
    async with (
        bus.subscribe(["securepay:agent:alice"]) as first,
        bus.subscribe(["securepay:agent:alice"]) as second,
    ):
        for seq in range(1, 51):
            await bus.publish("securepay:agent:alice", {"seq": seq})
        await bus.publish("securepay:agent:bob", {"seq": -1})
        for stream in (first, second):
            got = [(await asyncio.wait_for(anext(stream), 5))["seq"] for _ in range(50)]
            assert got == list(range(1, 51))


@pytest.mark.redis
async def test_redis_bus_delivers_every_message_in_order_to_each_subscriber(
    redis_server: RedisInstance,
) -> None:
    bus = RedisBus(redis_server.url)
    try:
        assert await bus.ping()
        await deliver_in_order(bus)
    finally:
        await bus.close()


async def test_in_process_bus_delivers_every_message_in_order_to_each_subscriber() -> None:
    await deliver_in_order(InProcessBus())
