"""The agent's shared state (what a panel on another daemon starts from) follows each step;
a keystroke travels as its event alone."""

from decimal import Decimal

from securepay.events.bus import InProcessBus
from securepay.events.publisher import PaymentEvents, agent_state_key
from securepay.payments.model import Payment, PaymentRequest, new_payment_id

ENTRY = {"step": "card_number", "digits_entered": 4, "masked": "••••", "brand": "visa", "complete": False}


def new_payment() -> Payment:
    return Payment(new_payment_id(), "c-1", "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en"))


async def test_a_step_event_shares_the_payment_as_it_stands() -> None:
    bus, payment = InProcessBus(), new_payment()
    payment.state = "card_number:entering"
    PaymentEvents(bus, payment).publish_soon("payment.step", step="card_number", status="entering")
    shared = await bus.recall(agent_state_key("alice"))
    assert shared is not None and shared["payment"]["state"] == "card_number:entering"


async def test_a_keystroke_event_leaves_the_shared_state_to_the_next_step_event() -> None:
    bus, payment = InProcessBus(), new_payment()
    events = PaymentEvents(bus, payment)
    events.publish_soon("payment.step", step="card_number", status="entering")
    payment.fields["card_number"] = ENTRY
    events.publish_soon("payment.entry", **ENTRY)
    after_key = await bus.recall(agent_state_key("alice"))
    events.publish_soon("payment.step", step="card_number", status="completed")
    after_step = await bus.recall(agent_state_key("alice"))
    assert after_key is not None and after_key["payment"]["fields"] == {}
    assert after_step is not None and after_step["payment"]["fields"] == {"card_number": ENTRY}
