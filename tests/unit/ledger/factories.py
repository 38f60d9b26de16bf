"""Finished payments as the IVR runner leaves them, with sensible defaults for each test to vary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from securepay.config import CrmConfig
from securepay.crm.activity import CrmActivity, build_activity
from securepay.flow import Outcome
from securepay.payments.model import Payment, PaymentRequest

STARTED = datetime(2024, 7, 1, 16, 29, 0, tzinfo=UTC)
FINISHED = datetime(2024, 7, 1, 16, 30, 5, tzinfo=UTC)
SF_ACCOUNT = "001Ax00000AbCdEfGH"
WEBHOOK_SECRET = "whsec-test-not-a-real-secret"


def make_payment(
    payment_id: str = "p-00000000000000a1",
    *,
    outcome: Outcome | None = Outcome.SUCCESS,
    item: str = "Blue widget",
    amount: str = "49.95",
    currency: str = "USD",
    record: str | None = SF_ACCOUNT,
    agent_id: str = "alice",
    call_id: str = "call-a",
    transaction_id: str | None = "60123456789",
    invoice_number: str | None = "INV-A",
    brand: str | None = "visa",
    last4: str | None = "1111",
    reason: str | None = None,
    created_at: datetime = STARTED,
    finished_at: datetime | None = FINISHED,
) -> Payment:
    payment = Payment(
        payment_id,
        call_id,
        agent_id,
        PaymentRequest(
            item=item, amount=Decimal(amount), currency=currency, language="en", crm_record_id=record
        ),
        created_at=created_at,
    )
    if outcome is not None:
        payment.outcome = outcome
        payment.reason = reason
        payment.transaction_id = transaction_id
        payment.invoice_number = invoice_number
        payment.brand = brand
        payment.last4 = last4
        payment.state = "finished"
        payment.finished_at = finished_at
    return payment


def crm_config(**overrides: object) -> CrmConfig:
    settings: dict[str, object] = {
        "kind": "webhook",
        "webhook_url": "http://127.0.0.1:9/hook",
        "webhook_secret": WEBHOOK_SECRET,
    }
    settings.update(overrides)
    return CrmConfig.model_validate(settings)


def make_activity(
    payment: Payment | None = None, agent_name: str = "Alice Smith", **config: object
) -> CrmActivity:
    activity = build_activity(payment or make_payment(), agent_name, crm_config(**config))
    assert activity is not None
    return activity


def ledger_files(path: Path) -> bytes:
    """The raw bytes of the database and its WAL/shared-memory files, whichever exist."""
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if candidate.exists()
    )
