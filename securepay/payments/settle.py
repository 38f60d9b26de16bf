"""At start-up, settle the payments a previous run left unfinished (it crashed or was killed).

An attempt that never reached the gateway ends as `internal-error`. One whose charge
was submitted is looked up at the gateway by its invoice number, so the ledger and the
CRM say what really happened to the card, and nothing is ever charged again. The agent's
panel is told the outcome on the event bus, and the API keeps it for the adopted call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from securepay.events.bus import EventBus
from securepay.events.publisher import publish_settled_result
from securepay.flow import Outcome
from securepay.gateway.base import Gateway
from securepay.gateway.errors import GatewayError
from securepay.gateway.result import ChargeResult, ChargeStatus
from securepay.ledger import Ledger
from securepay.ledger.records import LedgerEntry
from securepay.payments.model import Payment, PaymentRequest
from securepay.payments.recording import PaymentRecorder

log = logging.getLogger("securepay.payments")

RESTARTED = "daemon-restarted"


async def settle_unfinished(
    ledger: Ledger,
    gateway: Gateway,
    recorder: PaymentRecorder,
    bus: EventBus,
    keep: Callable[[Payment], None],
) -> None:
    """Settle each unfinished payment, record it, `keep` it (for the API) and tell its agent."""
    for entry in await ledger.unfinished():
        payment = _payment(entry)
        if entry.invoice_number:
            await _settle_charged(payment, entry.invoice_number, gateway)
        else:
            _end(payment, Outcome.INTERNAL_ERROR, RESTARTED)
        await recorder.finished(payment)
        keep(payment)
        await publish_settled_result(bus, payment)
        log.warning(
            "settled unfinished payment %s: %s", payment.id, payment.outcome.value if payment.outcome else ""
        )


async def _settle_charged(payment: Payment, invoice_number: str, gateway: Gateway) -> None:
    try:
        result = await gateway.lookup(invoice_number)
    except GatewayError as exc:
        log.error("could not look up invoice %s (%s): outcome unknown", invoice_number, exc.code)
        _end(payment, Outcome.GATEWAY_ERROR, "outcome-unknown")
        return
    if result is None:
        _end(payment, Outcome.INTERNAL_ERROR, RESTARTED)
    else:
        _end_with(payment, result)


def _end_with(payment: Payment, result: ChargeResult) -> None:
    payment.transaction_id = result.transaction_id
    if result.status is ChargeStatus.APPROVED:
        _end(payment, Outcome.SUCCESS, None)
    elif result.status is ChargeStatus.DECLINED:
        _end(payment, Outcome.DECLINED, result.reason.value if result.reason else "declined")
    else:
        _end(payment, Outcome.GATEWAY_ERROR, result.reason.value if result.reason else str(result.status))


def _end(payment: Payment, outcome: Outcome, reason: str | None) -> None:
    payment.outcome = outcome
    payment.reason = reason
    payment.state = "finished"
    payment.finished_at = datetime.now(UTC)


def _payment(entry: LedgerEntry) -> Payment:
    request = PaymentRequest(
        item=entry.product_name,
        amount=entry.amount,
        currency=entry.currency,
        language="",
        crm_record_id=entry.crm_record_id,
    )
    payment = Payment(entry.id, entry.call_id, entry.agent_id, request, created_at=entry.created_at)
    payment.invoice_number = entry.invoice_number
    payment.brand, payment.last4 = entry.brand, entry.last4
    return payment
