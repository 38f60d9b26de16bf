"""The versioned event schema describes what the publisher sends, and nothing else."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from securepay.events.bus import InProcessBus
from securepay.events.publisher import PaymentEvents, agent_channel
from securepay.payments.model import Payment, PaymentRequest, new_payment_id
from tests.unit.web.support import EVENTS_SCHEMA, event_validator

VALIDATOR = event_validator()


async def published(*emit: tuple[str, dict]) -> list[dict]:
    bus = InProcessBus()
    payment = Payment(new_payment_id(), "c-1", "alice", PaymentRequest("Widget", Decimal("5"), "USD", "en"))
    events = PaymentEvents(bus, payment)
    async with bus.subscribe([agent_channel("alice")]) as stream:
        for kind, fields in emit:
            if kind == "payment.cancelled":
                events.cancelled(**fields)
            else:
                await events.publish(kind, **fields)
        return [await asyncio.wait_for(anext(stream), 1) for _ in emit]


EVERY_KIND = (
    ("payment.requested", {"item": "Widget", "amount": "5.00", "currency": "USD", "mode": "assisted"}),
    (
        "payment.entry",
        {
            "step": "card_number",
            "digits_entered": 16,
            "masked": "\u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 1111",
            "brand": "visa",
            "complete": True,
            "attempt": 1,
            "error": None,
        },
    ),
    (
        "payment.entry",
        {
            "step": "expiry",
            "digits_entered": 0,
            "masked": "",
            "brand": None,
            "complete": False,
            "attempt": 2,
            "error": "card-expired",
        },
    ),
    ("payment.step", {"step": "card_number", "status": "entering", "attempt": 2, "error": "card-invalid"}),
    ("payment.step", {"step": "processing", "status": "completed", "attempt": 1, "error": None}),
    ("payment.cancelled", {"by": "agent"}),
    (
        "payment.result",
        {
            "outcome": "success",
            "reason": None,
            "transaction_id": "60123456789",
            "amount": "5.00",
            "currency": "USD",
            "brand": "visa",
            "last4": "1111",
        },
    ),
    ("payment.crm", {"status": "posted", "crm_record_id": "CRM-1", "error": None}),
)

RESULT = next(fields for kind, fields in EVERY_KIND if kind == "payment.result")
ENTRY = next(fields for kind, fields in EVERY_KIND if kind == "payment.entry")


async def test_every_kind_of_event_the_publisher_sends_fits_the_schema() -> None:
    events = await published(*EVERY_KIND)
    for event in events:
        VALIDATOR.validate(event)
    assert [e["seq"] for e in events] == list(range(1, len(EVERY_KIND) + 1))


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("payment.result", {**RESULT, "card_number": "4111111111111111"}),
        ("payment.step", {"step": "card_number", "status": "typing", "attempt": 1, "error": None}),
        ("payment.step", {"step": "pin", "status": "entering", "attempt": 1, "error": None}),
        ("payment.result", {**RESULT, "amount": 5.0}),
        ("payment.entry", {**ENTRY, "masked": "4111 \u2022\u2022"}),
        ("payment.entry", {**ENTRY, "masked": "\u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 4111 1111"}),
        ("payment.entry", {**ENTRY, "error": "card-invalid"}),
        ("payment.refunded", {}),
    ],
    ids=[
        "card-data",
        "unknown-status",
        "unknown-step",
        "float-amount",
        "entry-digits",
        "entry-more-than-last4",
        "entry-unknown-error",
        "unknown-type",
    ],
)
async def test_an_event_outside_the_schema_is_refused(kind: str, fields: dict) -> None:
    (event,) = await published((kind, fields))
    assert not VALIDATOR.is_valid(event)


async def test_an_event_of_another_schema_version_is_refused() -> None:
    (event,) = await published(EVERY_KIND[0])
    assert not VALIDATOR.is_valid({**event, "schema": "securepay.event/1"})


def test_version_1_stays_readable_for_the_event_types_it_knows() -> None:
    """A v1 consumer that accepts securepay.event/2 reads every v1 type unchanged but for added fields."""
    v1 = json.loads((EVENTS_SCHEMA.parent / "events-v1.schema.json").read_text())
    for kind, fields in EVERY_KIND:
        if kind in v1["properties"]["type"]["enum"]:
            assert set(v1["$defs"][kind]["required"]) <= set(fields) | {"schema", "type"}, kind
