"""Events over a real Redis: in order to any subscriber, and relayed by any daemon to a panel."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import redis.asyncio as aioredis

from securepay.calls.registry import Call
from securepay.events.bus import RedisBus
from securepay.events.publisher import PaymentEvents, share_agent_state
from securepay.flow import Step, StepStatus
from securepay.payments.model import Payment, PaymentRequest, new_payment_id
from securepay.testing.redis_rig import RedisInstance
from tests.unit.web.support import ALICE_TOKEN, event_validator, web_rig

STEPS = ("amount", "card_number", "expiry", "cvc", "postal_code", "processing")


def alices_payment() -> Payment:
    return Payment(new_payment_id(), "c-1", "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en"))


async def publish_a_payment(events: PaymentEvents) -> int:
    """payment.requested, each step entering then completed, payment.result: the count sent."""
    await events.publish("payment.requested", item="Widget", amount="9.99", currency="USD", mode="private")
    for step in STEPS:
        for status in ("entering", "completed"):
            await events.publish("payment.step", step=step, status=status, attempt=1, error=None)
    await events.publish(
        "payment.result",
        outcome="success",
        reason=None,
        transaction_id="60000001",
        amount="9.99",
        currency="USD",
        brand="visa",
        last4="1111",
    )
    return 2 + 2 * len(STEPS)


async def test_payment_events_reach_a_redis_subscriber_on_both_channels_in_order(
    redis_server: RedisInstance,
) -> None:
    payment = alices_payment()
    bus = RedisBus(redis_server.url)
    subscriber = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
    channels = (f"securepay:agent:{payment.agent_id}", f"securepay:payment:{payment.id}")
    await pubsub.subscribe(*channels)
    try:
        sent = await publish_a_payment(PaymentEvents(bus, payment))
        received: dict[str, list[dict]] = {channel: [] for channel in channels}
        while sum(map(len, received.values())) < 2 * sent:
            message = await pubsub.get_message(timeout=5)
            if message is not None:
                received[message["channel"]].append(json.loads(message["data"]))
    finally:
        await pubsub.aclose()
        await subscriber.aclose()
        await bus.close()
    validator = event_validator()
    for events in received.values():
        assert [e["seq"] for e in events] == list(range(1, sent + 1))
        for event in events:
            validator.validate(event)
    assert received[channels[0]] == received[channels[1]]


class PipelineCount:
    """Counts the round trips a real Redis client makes for events (a spy, not a stand-in)."""

    def __init__(self, bus: RedisBus) -> None:
        self.count = 0
        client = bus._redis
        real = client.pipeline

        def pipeline(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)

        client.pipeline = pipeline  # type: ignore[method-assign]


async def test_events_many_payments_queue_at_once_share_round_trips_and_keep_each_payments_order(
    redis_server: RedisInstance,
) -> None:
    payments = [
        Payment(new_payment_id(), f"c-{i}", "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en"))
        for i in range(40)
    ]
    bus = RedisBus(redis_server.url)
    trips = PipelineCount(bus)
    subscriber = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("securepay:agent:alice")
    try:
        senders = [PaymentEvents(bus, payment) for payment in payments]
        for step in STEPS:
            for events in senders:
                events.publish_soon("payment.step", step=step, status="entering", attempt=1, error=None)
        await asyncio.gather(*(events.flush() for events in senders))
        seen: dict[str, list[int]] = {payment.id: [] for payment in payments}
        while sum(map(len, seen.values())) < len(payments) * len(STEPS):
            message = await pubsub.get_message(timeout=5)
            if message is not None:
                event = json.loads(message["data"])
                seen[event["payment_id"]].append(event["seq"])
    finally:
        await pubsub.aclose()
        await subscriber.aclose()
        await bus.close()
    assert all(seqs == list(range(1, len(STEPS) + 1)) for seqs in seen.values())
    assert trips.count <= 2, f"{len(payments) * len(STEPS)} events took {trips.count} round trips"


async def test_an_agents_state_shared_after_an_event_is_not_overwritten_by_it(
    redis_server: RedisInstance,
) -> None:
    payment = alices_payment()
    bus = RedisBus(redis_server.url)
    try:
        events = PaymentEvents(bus, payment, Call("c-1", "alice", "caller-1", "bridge-1", "en"))
        events.publish_soon("payment.step", step="amount", status="entering", attempt=1, error=None)
        await share_agent_state(bus, "alice", None, None)
        await events.flush()
        assert await bus.recall("securepay:state:agent:alice") == {"call": None, "payment": None}
    finally:
        await bus.close()


async def test_events_a_hung_redis_did_not_take_arrive_in_order_once_it_answers() -> None:
    redis = RedisInstance()
    await asyncio.to_thread(redis.start)
    payment = alices_payment()
    bus = RedisBus(redis.url)
    subscriber = aioredis.Redis.from_url(redis.url, decode_responses=True)
    pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"securepay:payment:{payment.id}")
    try:
        events = PaymentEvents(bus, payment)
        events.publish_soon("payment.step", step="amount", status="entering", attempt=1, error=None)
        await events.flush()
        redis.pause()
        try:
            for status in ("completed", "failed"):
                events.publish_soon("payment.step", step="amount", status=status, attempt=1, error=None)
            await events.flush()  # told it failed, after COMMAND_TIMEOUT_S: nobody is held
        finally:
            redis.resume()
        seqs: list[int] = []
        deadline = asyncio.get_running_loop().time() + 10
        while len(set(seqs)) < 3 and asyncio.get_running_loop().time() < deadline:
            if message := await pubsub.get_message(timeout=1):
                seqs.append(json.loads(message["data"])["seq"])
    finally:
        await pubsub.aclose()
        await subscriber.aclose()
        await bus.close()
        await asyncio.to_thread(redis.stop)
    # at least once: Redis may have taken a batch it could not confirm in time, so a panel
    # de-duplicates by seq; the order of first arrival is the order sent
    assert list(dict.fromkeys(seqs)) == [1, 2, 3]


async def test_any_daemon_relays_an_agents_events_from_redis_to_the_panel(
    redis_server: RedisInstance,
) -> None:
    elsewhere = RedisBus(redis_server.url)
    async with web_rig(bus=RedisBus(redis_server.url)) as rig:
        ws = await rig.client().ws_connect("/api/v1/events")
        await ws.send_json({"type": "auth", "token": ALICE_TOKEN})
        assert (await asyncio.wait_for(ws.receive_json(), 5))["type"] == "snapshot"
        sent = await publish_a_payment(PaymentEvents(elsewhere, alices_payment()))
        relayed = [await asyncio.wait_for(ws.receive_json(), 5) for _ in range(sent)]
        await ws.close()
    await elsewhere.close()
    assert [e["seq"] for e in relayed] == list(range(1, sent + 1))
    assert relayed[-1]["type"] == "payment.result"


async def test_a_panel_on_another_daemon_starts_from_the_call_and_payment_in_progress(
    redis_server: RedisInstance,
) -> None:
    holder = RedisBus(redis_server.url)
    call = Call("c-elsewhere", "alice", "caller-1", "bridge-1", "en", agent_channel="agent-1")
    payment = Payment(
        new_payment_id(), call.id, "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en")
    )
    call.payment_id = payment.id
    events = PaymentEvents(holder, payment, call)
    await events.publish("payment.requested", item="Widget", amount="9.99", currency="USD", mode="private")
    payment.steps[Step.CARD_NUMBER] = StepStatus.ENTERING
    await events.publish("payment.step", step="card_number", status="entering", attempt=1, error=None)
    async with web_rig(bus=RedisBus(redis_server.url)) as rig:
        assert rig.calls.for_agent("alice") is None, "this daemon does not hold the call"
        ws = await rig.client().ws_connect("/api/v1/events")
        await ws.send_json({"type": "auth", "token": ALICE_TOKEN})
        first = await asyncio.wait_for(ws.receive_json(), 5)
        assert first["type"] == "snapshot"
        assert first["call"]["id"] == "c-elsewhere" and first["call"]["payment_id"] == payment.id
        assert first["payment"]["steps"]["card_number"] == "entering"
        await share_agent_state(holder, "alice", None, None)
        gone = await asyncio.wait_for(ws.receive_json(), 10)
        assert gone == {"type": "call", "call": None}
        await ws.close()
    await holder.close()
