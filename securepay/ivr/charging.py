"""One charge attempt for a flow's `Charge` action, answered with a `GatewayResult`.

The flow owns the card buffers and wipes them when the result is fed back; this
function only lends them to the gateway for the request body. No card is charged
unless the ledger holds the invoice number first (disk full, read-only, no row:
the charge fails before it is sent, and the caller and agent are told).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from securepay import metrics
from securepay.flow import CardDetails, GatewayResult, GatewayStatus
from securepay.gateway.base import Gateway
from securepay.gateway.request import ChargeRequest, new_invoice_number
from securepay.gateway.result import ChargeStatus
from securepay.payments.model import Payment
from securepay.payments.recording import PaymentRecorder

log = logging.getLogger("securepay.ivr")

LEDGER_UNAVAILABLE = "ledger-unavailable"

_STATUS = {
    ChargeStatus.APPROVED: GatewayStatus.APPROVED,
    ChargeStatus.DECLINED: GatewayStatus.DECLINED,
    ChargeStatus.ERROR: GatewayStatus.ERROR,
    ChargeStatus.HELD_FOR_REVIEW: GatewayStatus.HELD_FOR_REVIEW,
    ChargeStatus.OUTCOME_UNKNOWN: GatewayStatus.OUTCOME_UNKNOWN,
}


async def charge_card(
    gateway: Gateway,
    payment: Payment,
    card: CardDetails,
    recorder: PaymentRecorder,
    deliver: Callable[[GatewayResult], None],
) -> None:
    try:
        request = ChargeRequest(
            invoice_number=new_invoice_number(),
            amount=payment.request.amount,
            description=payment.request.item,
            card=card,
            currency=payment.request.currency,
            reference=payment.id,
        )
    except ValueError:
        log.error("the charge request was refused before sending")
        deliver(GatewayResult(GatewayStatus.ERROR, "invalid-request"))
        return
    payment.invoice_number = request.invoice_number
    if not await recorder.charge_submitted(payment):
        payment.invoice_number = None
        log.error("not charging: the ledger could not record the invoice")
        deliver(GatewayResult(GatewayStatus.ERROR, LEDGER_UNAVAILABLE))
        return
    try:
        with metrics.gateway_timer() as timer:
            result = await gateway.charge(request)
            timer.done(result.status)
    except Exception as exc:  # sent or not, nobody knows: never retry, flag for reconciliation
        log.error("gateway %s raised %s; outcome unknown", gateway.name, type(exc).__name__)
        deliver(GatewayResult(GatewayStatus.OUTCOME_UNKNOWN, "gateway-error"))
        return
    payment.transaction_id = result.transaction_id
    status = _STATUS.get(result.status, GatewayStatus.ERROR)
    reason = result.reason.value if result.reason else None
    deliver(GatewayResult(status, reason, result.transaction_id))
