"""What the ledger hands back: a payment attempt and its CRM delivery, never card data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from securepay.crm.activity import CrmActivity


class LedgerError(Exception):
    """A ledger request that cannot be met (unknown payment, newer schema, ...); the message says why."""


class CrmState(StrEnum):
    """Where a payment's CRM activity stands (``none``: kept in the ledger only)."""

    NONE = "none"
    PENDING = "pending"
    POSTED = "posted"
    FAILED = "failed"


@dataclass(frozen=True)
class LedgerEntry:
    """One payment attempt as recorded; ``outcome`` is None while it runs."""

    id: str
    call_id: str
    agent_id: str
    agent_name: str
    product_name: str
    amount: Decimal
    currency: str
    crm_record_id: str | None
    outcome: str | None
    reason: str | None
    transaction_id: str | None
    invoice_number: str | None
    brand: str | None
    last4: str | None
    created_at: datetime
    finished_at: datetime | None
    crm_state: CrmState
    crm_attempts: int
    crm_last_error: str | None
    crm_remote_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the amount as exact text, times as ISO 8601 with their offset."""
        return {
            "id": self.id,
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "agent_name": self.agent_name,
            "product_name": self.product_name,
            "amount": str(self.amount),
            "currency": self.currency,
            "crm_record_id": self.crm_record_id,
            "outcome": self.outcome,
            "reason": self.reason,
            "transaction_id": self.transaction_id,
            "invoice_number": self.invoice_number,
            "brand": self.brand,
            "last4": self.last4,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "crm_state": self.crm_state.value,
            "crm_attempts": self.crm_attempts,
            "crm_last_error": self.crm_last_error,
            "crm_remote_id": self.crm_remote_id,
        }


@dataclass(frozen=True)
class OutboxItem:
    """One activity waiting for (or done with) delivery."""

    activity: CrmActivity
    state: CrmState
    attempts: int
    next_attempt_at: datetime
    retrying_since: datetime
    """Start of the current retry window: the first write, or the last manual retry."""
    last_error: str | None
    remote_id: str | None
    updated_at: datetime

    @property
    def payment_id(self) -> str:
        return self.activity.payment_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "payment_id": self.payment_id,
            "record_id": self.activity.record_id,
            "state": self.state.value,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "retrying_since": self.retrying_since.isoformat(),
            "last_error": self.last_error,
            "remote_id": self.remote_id,
            "updated_at": self.updated_at.isoformat(),
        }
