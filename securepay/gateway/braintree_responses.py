"""Reading Braintree GraphQL answers into ``ChargeResult``s; pure, so every mapping is testable.

Transactions are named by their legacy id, the short one the Control Panel shows and the
caller can be read; ``void`` converts it back to the GraphQL id. A charge that reached
the processor answers with a transaction whose ``status`` is the
outcome: declines are not errors (``PROCESSOR_DECLINED`` with the processor's code,
``GATEWAY_REJECTED`` with the reason). A request refused before any transaction existed
answers ``data.<mutation> = null`` and ``errors[].extensions.legacyCode``. HTTP 401/403
are credentials; 5xx, 503 and missing answers leave the outcome unknown.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from securepay.gateway.context import ChargeContext, context_result
from securepay.gateway.fields import child, gateway_text, scalar
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus

GATEWAY_NAME = "braintree"

PAYMENT_METHOD_CONSUMED = "91564"
"""``Cannot use a payment_method_nonce more than once``: the charge already used it."""

STATUSES = {
    "AUTHORIZED": ChargeStatus.APPROVED,
    "AUTHORIZING": ChargeStatus.APPROVED,
    "SUBMITTED_FOR_SETTLEMENT": ChargeStatus.APPROVED,
    "SETTLING": ChargeStatus.APPROVED,
    "SETTLED": ChargeStatus.APPROVED,
    "SETTLEMENT_PENDING": ChargeStatus.APPROVED,
    "SETTLEMENT_CONFIRMED": ChargeStatus.APPROVED,
    "PROCESSOR_DECLINED": ChargeStatus.DECLINED,
    "GATEWAY_REJECTED": ChargeStatus.DECLINED,
    "SETTLEMENT_DECLINED": ChargeStatus.DECLINED,
    "FAILED": ChargeStatus.ERROR,
    "VOIDED": ChargeStatus.VOIDED,
    "AUTHORIZATION_EXPIRED": ChargeStatus.VOIDED,
}

PROCESSOR_REASONS = {
    "2004": ChargeReason.CARD_EXPIRED,
    "2005": ChargeReason.INVALID_CARD_NUMBER,
    "2006": ChargeReason.INVALID_EXPIRY,
    "2010": ChargeReason.CVC_MISMATCH,
    "2060": ChargeReason.AVS_AND_CVC_MISMATCH,
}
"""Processor response codes (2000-2999 decline) with a reason more precise than "declined"."""

REJECTION_REASONS = {
    "AVS": ChargeReason.AVS_MISMATCH,
    "CVV": ChargeReason.CVC_MISMATCH,
    "AVS_AND_CVV": ChargeReason.AVS_AND_CVC_MISMATCH,
    "DUPLICATE": ChargeReason.DUPLICATE,
}
"""``gatewayRejectionReason`` values with their own reason; fraud and risk rules decline."""

VALIDATION_REASONS = {
    "81715": ChargeReason.INVALID_CARD_NUMBER,
    "81716": ChargeReason.INVALID_CARD_NUMBER,
    "81717": ChargeReason.INVALID_CARD_NUMBER,
    "81703": ChargeReason.CARD_TYPE_NOT_ACCEPTED,
    "81710": ChargeReason.INVALID_EXPIRY,
    "81712": ChargeReason.INVALID_EXPIRY,
    "81713": ChargeReason.INVALID_EXPIRY,
    "81707": ChargeReason.CVC_MISMATCH,
    "81736": ChargeReason.CVC_MISMATCH,
    "81503": ChargeReason.INVALID_AMOUNT,
    "81528": ChargeReason.INVALID_AMOUNT,
    "81531": ChargeReason.INVALID_AMOUNT,
}
"""Validation ``legacyCode``s (no transaction was created) to reasons; others are invalid requests."""

_BRANDS = {
    "VISA": "visa",
    "MASTERCARD": "mastercard",
    "AMERICAN_EXPRESS": "amex",
    "DISCOVER": "discover",
    "JCB": "jcb",
    "DINERS": "diners",
    "UNION_PAY": "unionpay",
}


def first_error(document: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """``(legacyCode, errorClass, message)`` of the first GraphQL error, if any."""
    errors = document.get("errors")
    if not (isinstance(errors, list) and errors and isinstance(errors[0], dict)):
        return None, None, None
    extensions = errors[0].get("extensions")
    extensions = extensions if isinstance(extensions, dict) else {}
    return (
        scalar(extensions.get("legacyCode")),
        scalar(extensions.get("errorClass")),
        gateway_text(errors[0].get("message")),
    )


def payload(document: dict[str, Any], field: str) -> dict[str, Any]:
    """``data.<field>``, or an empty dict when the mutation returned null."""
    return child(child(document, "data"), field)


def refusal(document: dict[str, Any], context: ChargeContext) -> ChargeResult:
    """A request refused before any transaction: nothing was charged."""
    code, error_class, text = first_error(document)
    if error_class in ("AUTHENTICATION", "AUTHORIZATION"):
        reason = ChargeReason.AUTHENTICATION_FAILED
    else:
        reason = VALIDATION_REASONS.get(code or "", ChargeReason.INVALID_REQUEST)
    return context_result(GATEWAY_NAME, ChargeStatus.ERROR, reason, context, code or error_class, text)


def result_from_transaction(
    transaction: dict[str, Any], context: ChargeContext, *, reconciled: bool
) -> ChargeResult:
    """A transaction from a charge answer or a search; its status is what counts."""
    state = scalar(transaction.get("status")) or ""
    status = STATUSES.get(state, ChargeStatus.OUTCOME_UNKNOWN)
    processor = child(transaction, "processorResponse")
    code = scalar(processor.get("legacyCode"))
    rejection = scalar(transaction.get("gatewayRejectionReason"))
    card = child(transaction, "paymentMethodSnapshot")
    amount = child(transaction, "amount")
    return ChargeResult(
        status=status,
        reason=_reason(status, state, code, rejection),
        gateway=GATEWAY_NAME,
        gateway_code=rejection if state == "GATEWAY_REJECTED" else code,
        gateway_text=gateway_text(processor.get("message")) or state,
        transaction_id=scalar(transaction.get("legacyId")) or scalar(transaction.get("id")),
        auth_code=scalar(processor.get("authorizationId")),
        brand=_BRANDS.get(scalar(card.get("brandCode")) or "") or context.brand,
        masked_account=f"XXXX{scalar(card.get('last4')) or context.last4}",
        invoice_number=scalar(transaction.get("orderId")) or context.invoice_number,
        amount=_decimal(amount.get("value")) or context.amount,
        avs_result=scalar(processor.get("avsPostalCodeResponse")),
        cvv_result=scalar(processor.get("cvvResponse")),
        reconciled=reconciled,
    )


def search_hits(document: dict[str, Any]) -> list[dict[str, Any]]:
    connection = child(child(child(document, "data"), "search"), "transactions")
    edges = connection.get("edges")
    if not isinstance(edges, list):
        return []
    return [child(edge, "node") for edge in edges if isinstance(edge, dict) and child(edge, "node")]


def outcome_unknown(context: ChargeContext, code: str | None = None, text: str | None = None) -> ChargeResult:
    return context_result(
        GATEWAY_NAME, ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR, context, code, text
    )


def refused(context: ChargeContext, reason: ChargeReason, text: str) -> ChargeResult:
    """Nothing was charged: the request was refused here or provably never processed."""
    return context_result(GATEWAY_NAME, ChargeStatus.ERROR, reason, context, None, text)


def void_result(
    transaction_id: str, status: ChargeStatus, code: str | None, text: str | None
) -> ChargeResult:
    return ChargeResult(
        status=status,
        reason=None if status is ChargeStatus.VOIDED else ChargeReason.GATEWAY_ERROR,
        gateway=GATEWAY_NAME,
        gateway_code=code,
        gateway_text=text,
        transaction_id=transaction_id,
    )


def _reason(status: ChargeStatus, state: str, code: str | None, rejection: str | None) -> ChargeReason | None:
    if status in (ChargeStatus.APPROVED, ChargeStatus.VOIDED):
        return None
    if state == "GATEWAY_REJECTED":
        return REJECTION_REASONS.get(rejection or "", ChargeReason.DECLINED)
    if status is ChargeStatus.DECLINED:
        return PROCESSOR_REASONS.get(code or "", ChargeReason.DECLINED)
    return ChargeReason.GATEWAY_ERROR


def _decimal(value: object) -> Decimal | None:
    text = scalar(value)
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None
