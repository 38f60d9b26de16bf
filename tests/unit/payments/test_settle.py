"""A payment a killed daemon left unfinished is settled at the next start, and its agent told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from securepay.config import Settings
from securepay.events.bus import InProcessBus
from securepay.events.publisher import SETTLED_SEQ, agent_channel
from securepay.gateway.result import ChargeResult, ChargeStatus
from securepay.ledger import Ledger
from securepay.payments.model import Payment, PaymentRequest
from securepay.payments.recording import PaymentRecorder
from securepay.payments.settle import settle_unfinished
from tests.unit.payments.test_charging import CountingGateway
from tests.unit.web.support import event_validator


class ChargedGateway(CountingGateway):
    async def lookup(self, invoice_number: str) -> ChargeResult | None:
        return ChargeResult(ChargeStatus.APPROVED, None, self.name, transaction_id="60000000042")


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = Ledger.open(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


async def unfinished(ledger: Ledger, invoice_number: str | None) -> Payment:
    payment = Payment("p-5e771e0001", "c-1", "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en"))
    await ledger.payment_started(payment, "Alice Smith")
    if invoice_number is not None:
        payment.invoice_number = invoice_number
        await ledger.charge_submitted(payment)
    return payment


async def settle_and_listen(
    ledger: Ledger, gateway: CountingGateway, kept: list[Payment] | None = None
) -> dict[str, object]:
    kept = [] if kept is None else kept
    bus = InProcessBus()
    async with bus.subscribe([agent_channel("alice")]) as events:
        await settle_unfinished(ledger, gateway, PaymentRecorder(ledger, Settings()), bus, kept.append)
        return await anext(events)


async def test_a_submitted_charge_found_at_the_gateway_ends_as_success_for_ledger_and_agent(
    ledger: Ledger,
) -> None:
    payment = await unfinished(ledger, "INV-SETTLE-1")
    kept: list[Payment] = []
    event = await settle_and_listen(ledger, ChargedGateway(), kept)
    assert [(p.id, p.outcome and p.outcome.value) for p in kept] == [(payment.id, "success")]
    entry = await ledger.get(payment.id)
    assert entry is not None and (entry.outcome, entry.transaction_id) == ("success", "60000000042")
    assert (event["type"], event["outcome"], event["transaction_id"]) == (
        "payment.result",
        "success",
        "60000000042",
    )
    assert event["seq"] == SETTLED_SEQ and event["payment_id"] == payment.id
    event_validator().validate(event)


async def test_a_payment_killed_before_its_charge_ends_as_an_internal_error_without_a_lookup(
    ledger: Ledger,
) -> None:
    await unfinished(ledger, None)
    gateway = CountingGateway()
    event = await settle_and_listen(ledger, gateway)
    assert (event["outcome"], event["reason"], event["transaction_id"]) == (
        "internal-error",
        "daemon-restarted",
        None,
    )
    assert gateway.charged == [] and await ledger.unfinished() == []
