"""No card is charged unless the ledger holds the payment's invoice number first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from securepay.config import Settings
from securepay.flow import CardDetails, GatewayResult, GatewayStatus
from securepay.gateway.request import ChargeRequest
from securepay.gateway.result import ChargeResult, ChargeStatus
from securepay.ivr.charging import LEDGER_UNAVAILABLE, charge_card
from securepay.ledger import Ledger
from securepay.payments.model import Payment, PaymentRequest
from securepay.payments.recording import PaymentRecorder


class CountingGateway:
    name = "counting"

    def __init__(self) -> None:
        self.charged: list[str] = []

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.charged.append(request.invoice_number)
        return ChargeResult(ChargeStatus.APPROVED, None, self.name, transaction_id="60000000001")

    async def lookup(self, invoice_number: str) -> ChargeResult | None:
        return None

    async def void(self, transaction_id: str) -> ChargeResult:
        raise NotImplementedError

    async def check_credentials(self) -> None:
        return None


def visa() -> CardDetails:
    card = CardDetails()
    card.pan[:] = b"4111111111111111"
    card.exp_month[:] = b"12"
    card.exp_year[:] = b"2030"
    card.cvc[:] = b"900"
    card.postal_code[:] = b"46201"
    card.brand = "visa"
    return card


def payment() -> Payment:
    return Payment("p-c4a46e0001", "c-1", "alice", PaymentRequest("Widget", Decimal("9.99"), "USD", "en"))


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = Ledger.open(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


async def charge(ledger: Ledger, attempt: Payment, gateway: CountingGateway) -> list[GatewayResult]:
    results: list[GatewayResult] = []
    await charge_card(gateway, attempt, visa(), PaymentRecorder(ledger, Settings()), results.append)
    return results


async def test_a_recorded_invoice_is_charged(ledger: Ledger) -> None:
    attempt, gateway = payment(), CountingGateway()
    await ledger.payment_started(attempt, "Alice Smith")
    results = await charge(ledger, attempt, gateway)
    entry = await ledger.get(attempt.id)
    assert entry is not None and gateway.charged == [entry.invoice_number]
    assert results == [GatewayResult(GatewayStatus.APPROVED, None, "60000000001")]


async def test_a_payment_without_a_ledger_row_is_never_charged(ledger: Ledger) -> None:
    attempt, gateway = payment(), CountingGateway()
    results = await charge(ledger, attempt, gateway)
    assert gateway.charged == []
    assert results == [GatewayResult(GatewayStatus.ERROR, LEDGER_UNAVAILABLE)]
    assert attempt.invoice_number is None


async def test_a_payment_counts_as_possibly_charged_once_its_invoice_is_recorded(ledger: Ledger) -> None:
    attempt, recorder = payment(), PaymentRecorder(ledger, Settings())
    await ledger.payment_started(attempt, "Alice Smith")
    assert not await recorder.charge_was_submitted(attempt.id)
    await charge(ledger, attempt, CountingGateway())
    assert await recorder.charge_was_submitted(attempt.id)
