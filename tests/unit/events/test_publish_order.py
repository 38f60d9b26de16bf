"""Step events go out behind the caller's next prompt, never out of order."""

from decimal import Decimal

from securepay.events.bus import InProcessBus
from securepay.events.publisher import PaymentEvents, payment_channel
from securepay.payments.model import Payment, PaymentRequest, new_payment_id


async def test_queued_step_events_reach_subscribers_in_order_before_the_result() -> None:
    bus = InProcessBus()
    payment = Payment(
        new_payment_id(), "c-1", "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en")
    )
    events = PaymentEvents(bus, payment)
    async with bus.subscribe([payment_channel(payment.id)]) as received:
        events.publish_soon("payment.step", step="amount", status="entering")
        events.publish_soon("payment.step", step="amount", status="completed")
        await events.publish("payment.result", outcome="success")
        seen = [await anext(received) for _ in range(3)]
    assert [(e["seq"], e["type"], e.get("status")) for e in seen] == [
        (1, "payment.step", "entering"),
        (2, "payment.step", "completed"),
        (3, "payment.result", None),
    ]
