"""A payment as the agent, the API and the ledger see it: never any card data.

Brand and last 4 are the most of the card that ever leaves the flow.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from securepay.flow import Outcome, Step, StepStatus


def new_payment_id() -> str:
    return "p-" + secrets.token_hex(8)


@dataclass(frozen=True)
class PaymentRequest:
    item: str
    amount: Decimal
    currency: str
    language: str
    crm_record_id: str | None = None
    mode: Literal["private", "assisted"] = "private"
    """private: the caller leaves the agent for the payment; assisted: the agent stays on
    the line, the caller's digits absorbed before they reach the agent."""


@dataclass
class Payment:
    id: str
    call_id: str
    agent_id: str
    request: PaymentRequest
    state: str = "starting"
    steps: dict[Step, StepStatus] = field(default_factory=lambda: dict.fromkeys(Step, StepStatus.WAITING))
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The latest ``payment.entry`` of each card field (bullets and brand, never digits)."""
    last_error: str | None = None
    """What went wrong at the latest step event (a prompt name such as "card-invalid")."""
    error_count: int = 0
    outcome: Outcome | None = None
    reason: str | None = None
    transaction_id: str | None = None
    invoice_number: str | None = None
    brand: str | None = None
    last4: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def snapshot(self) -> dict[str, Any]:
        """The API's view of the payment."""
        return {
            "id": self.id,
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "item": self.request.item,
            "amount": f"{self.request.amount:.2f}",
            "currency": self.request.currency,
            "language": self.request.language,
            "mode": self.request.mode,
            "crm_record_id": self.request.crm_record_id,
            "state": self.state,
            "steps": {step.value: status.value for step, status in self.steps.items()},
            "fields": dict(self.fields),
            "last_error": self.last_error,
            "outcome": self.outcome.value if self.outcome else None,
            "reason": self.reason,
            "transaction_id": self.transaction_id,
            "brand": self.brand,
            "last4": self.last4,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
