"""The activity posted on the CRM record when a payment ends: the seed's six fields, nothing more.

Agent, Product Name, Transaction ID, Amount Charged, Payment Status and Timestamp are what
the agent's colleagues read on the record's timeline. The payment id travels beside the
text (idempotency key, check-before-create marker), never inside it, and no card data
exists here at all: the activity is built from the payment record, which holds at most
brand and last 4, and neither is part of the activity.

``build_activity`` is pure: it decides whether a finished payment is posted and what
is posted, so that decision is tested without a CRM, a ledger or a clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from securepay.config import AgentConfig, CrmConfig
from securepay.crm.scrub import scrub_card_numbers
from securepay.flow import Outcome
from securepay.payments.model import Payment

GATEWAY_OUTCOMES = frozenset({Outcome.SUCCESS, Outcome.DECLINED, Outcome.GATEWAY_ERROR})
"""Outcomes that mean the card reached the gateway: always posted."""

NO_TRANSACTION = "none"
"""The Transaction ID shown when the gateway gave none (declined before an id, or never charged)."""

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

_CENT = Decimal("0.01")
_SYMBOLS = {"USD": "$", "EUR": "€"}


def format_amount(amount: Decimal, currency: str) -> str:
    """``$49.95`` for USD, ``€49.95`` for EUR, else ``49.95 GBP``: a symbol is never guessed."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    text = f"{amount.quantize(_CENT):f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@dataclass(frozen=True)
class CrmActivity:
    """One payment's activity, as stored in the outbox and handed to a connector."""

    payment_id: str
    record_id: str
    agent_name: str
    product_name: str
    transaction_id: str | None
    amount: Decimal
    currency: str
    outcome: Outcome
    occurred_at: datetime
    """When the payment finished, in the configured time zone (the offset is kept)."""

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("amount must be a Decimal")
        if self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")

    @property
    def status(self) -> str:
        return "Success" if self.outcome is Outcome.SUCCESS else "Failed"

    @property
    def amount_charged(self) -> str:
        return format_amount(self.amount, self.currency)

    @property
    def timestamp(self) -> str:
        return self.occurred_at.strftime(TIMESTAMP_FORMAT)

    def fields(self) -> tuple[tuple[str, str], ...]:
        """The seed's fields, in the seed's order."""
        return (
            ("Agent", self.agent_name),
            ("Product Name", self.product_name),
            ("Transaction ID", self.transaction_id or NO_TRANSACTION),
            ("Amount Charged", self.amount_charged),
            ("Payment Status", self.status),
            ("Timestamp", self.timestamp),
        )

    @property
    def text(self) -> str:
        """The activity as plain text, one ``Label: value`` line per field."""
        return "\n".join(f"{label}: {value}" for label, value in self.fields())

    def to_json(self) -> str:
        return json.dumps(
            {
                "payment_id": self.payment_id,
                "record_id": self.record_id,
                "agent_name": self.agent_name,
                "product_name": self.product_name,
                "transaction_id": self.transaction_id,
                "amount": str(self.amount),
                "currency": self.currency,
                "outcome": self.outcome.value,
                "occurred_at": self.occurred_at.isoformat(),
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> CrmActivity:
        data = json.loads(text)
        return cls(
            payment_id=data["payment_id"],
            record_id=data["record_id"],
            agent_name=data["agent_name"],
            product_name=data["product_name"],
            transaction_id=data["transaction_id"],
            amount=Decimal(data["amount"]),
            currency=data["currency"],
            outcome=Outcome(data["outcome"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
        )


def reached_gateway(payment: Payment) -> bool:
    """Whether the card was sent to the gateway (a charge request was built for it)."""
    return payment.outcome in GATEWAY_OUTCOMES or payment.invoice_number is not None


def agent_display_name(agents: Mapping[str, AgentConfig], agent_id: str) -> str:
    """The configured ``[agents.<id>] name``; the id itself for an agent not in the config."""
    agent = agents.get(agent_id)
    return agent.name if agent is not None else agent_id


def build_activity(payment: Payment, agent_name: str, config: CrmConfig) -> CrmActivity | None:
    """The activity to post for a finished payment, or None when it is kept in the ledger only.

    None when no CRM is configured, when the payment names no CRM record, or when it ended
    before the gateway (cancelled, timed out, ...) and ``crm.post_unsubmitted`` is off.
    """
    if payment.outcome is None or payment.finished_at is None:
        raise ValueError(f"payment {payment.id} has not finished")
    record_id = (payment.request.crm_record_id or "").strip()
    if config.kind == "none" or not record_id:
        return None
    if not (reached_gateway(payment) or config.post_unsubmitted):
        return None
    return CrmActivity(
        payment_id=payment.id,
        record_id=record_id,
        agent_name=agent_name,
        product_name=scrub_card_numbers(payment.request.item),
        transaction_id=payment.transaction_id or None,
        amount=payment.request.amount,
        currency=payment.request.currency,
        outcome=payment.outcome,
        occurred_at=payment.finished_at.astimezone(ZoneInfo(config.timezone)),
    )
