"""Reading Stripe answers into ``ChargeResult``s; pure, so every mapping is testable.

A confirmed PaymentIntent answers HTTP 200 with the intent (``succeeded`` when charged),
a card decline answers HTTP 402 with a ``card_error`` naming the intent it left in
``requires_payment_method``, and a request Stripe refused before charging answers 400,
401 or 403. Anything else (5xx, 409 for a key still in use, 429, no answer at all) leaves
the outcome unknown: the client retries with the same idempotency key, then searches.
"""

from dataclasses import replace
from decimal import Decimal
from typing import Any

from securepay.gateway.context import ChargeContext, context_result
from securepay.gateway.currency import exponent
from securepay.gateway.fields import child, gateway_text, scalar
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus
from securepay.gateway.stripe_payloads import INVOICE_METADATA_KEY

GATEWAY_NAME = "stripe"

DECLINE_REASONS: dict[str, ChargeReason] = {
    "card_declined": ChargeReason.DECLINED,
    "generic_decline": ChargeReason.DECLINED,
    "insufficient_funds": ChargeReason.DECLINED,
    "lost_card": ChargeReason.DECLINED,
    "stolen_card": ChargeReason.DECLINED,
    "fraudulent": ChargeReason.DECLINED,
    "do_not_honor": ChargeReason.DECLINED,
    "card_velocity_exceeded": ChargeReason.DECLINED,
    "test_mode_live_card": ChargeReason.DECLINED,
    "expired_card": ChargeReason.CARD_EXPIRED,
    "incorrect_cvc": ChargeReason.CVC_MISMATCH,
    "incorrect_zip": ChargeReason.AVS_MISMATCH,
    "card_not_supported": ChargeReason.CARD_TYPE_NOT_ACCEPTED,
    "currency_not_supported": ChargeReason.CURRENCY_NOT_ACCEPTED,
}
"""``decline_code`` or ``code`` of a 402 that declined the card (an issuer's or Radar's no)."""

ERROR_REASONS: dict[str, ChargeReason] = {
    "invalid_number": ChargeReason.INVALID_CARD_NUMBER,
    "incorrect_number": ChargeReason.INVALID_CARD_NUMBER,
    "invalid_expiry_month": ChargeReason.INVALID_EXPIRY,
    "invalid_expiry_year": ChargeReason.INVALID_EXPIRY,
    "invalid_cvc": ChargeReason.CVC_MISMATCH,
    "processing_error": ChargeReason.GATEWAY_ERROR,
    "amount_too_small": ChargeReason.INVALID_AMOUNT,
    "amount_too_large": ChargeReason.INVALID_AMOUNT,
    "parameter_missing": ChargeReason.INVALID_REQUEST,
    "parameter_unknown": ChargeReason.INVALID_REQUEST,
    "parameter_invalid_integer": ChargeReason.INVALID_REQUEST,
    "parameter_invalid_empty": ChargeReason.INVALID_REQUEST,
    "payment_intent_unexpected_state": ChargeReason.INVALID_REQUEST,
}
"""``code`` of an error after which nothing was charged, for a reason other than a decline."""

_BRANDS = {"american_express": "amex", "diners_club": "diners"}


def read_charge_answer(http_status: int, document: dict[str, Any], context: ChargeContext) -> ChargeResult:
    """The result of one create-and-confirm answer; ``outcome_unknown`` unless it is definitive."""
    if http_status == 200:
        return result_from_intent(document, context, reconciled=False)
    error = child(document, "error")
    code = scalar(error.get("decline_code")) or scalar(error.get("code"))
    text = gateway_text(error.get("message"))
    if http_status == 402:
        intent = child(error, "payment_intent")
        status, reason = _card_error(code)
        result = context_result(GATEWAY_NAME, status, reason, context, code, text)
        return _with_intent_id(result, intent)
    if http_status in (401, 403):
        return context_result(
            GATEWAY_NAME, ChargeStatus.ERROR, ChargeReason.AUTHENTICATION_FAILED, context, code, text
        )
    if http_status in (400, 404) and scalar(error.get("type")) == "invalid_request_error":
        if scalar(error.get("param")) == "currency":
            reason = ChargeReason.CURRENCY_NOT_ACCEPTED
        else:
            reason = ERROR_REASONS.get(code or "", ChargeReason.INVALID_REQUEST)
        return context_result(GATEWAY_NAME, ChargeStatus.ERROR, reason, context, code, text)
    return outcome_unknown(context, code or f"HTTP {http_status}", text)


def result_from_intent(intent: dict[str, Any], context: ChargeContext, *, reconciled: bool) -> ChargeResult:
    """A PaymentIntent, from a create answer or a search; its status is what counts."""
    charge = child(intent, "latest_charge")
    card = child(child(charge, "payment_method_details"), "card")
    checks = child(card, "checks")
    status, reason, code, text = _intent_outcome(intent, charge)
    currency = (scalar(intent.get("currency")) or "").upper()
    last4 = scalar(card.get("last4"))
    return ChargeResult(
        status=status,
        reason=reason,
        gateway=GATEWAY_NAME,
        gateway_code=code,
        gateway_text=text,
        transaction_id=scalar(intent.get("id")),
        auth_code=scalar(card.get("authorization_code")),
        brand=_brand(card.get("brand")) or context.brand,
        masked_account=f"XXXX{last4 or context.last4}",
        invoice_number=invoice_of(intent) or context.invoice_number,
        amount=_major(intent.get("amount"), currency) or context.amount,
        avs_result=scalar(checks.get("address_postal_code_check")),
        cvv_result=scalar(checks.get("cvc_check")),
        reconciled=reconciled,
    )


def result_from_search(intent: dict[str, Any]) -> ChargeResult:
    """A search hit, with only what the intent itself says."""
    context = ChargeContext(
        invoice_number=invoice_of(intent) or "",
        amount=Decimal(0),
        brand=None,
        last4="0000",
    )
    return result_from_intent(intent, context, reconciled=True)


def read_refund_answer(http_status: int, document: dict[str, Any], transaction_id: str) -> ChargeResult:
    """A refund answer; "already refunded" counts as voided, so a repeated void is safe."""
    error = child(document, "error")
    code = scalar(error.get("code"))
    refunded = http_status == 200 and scalar(document.get("status")) in ("succeeded", "pending")
    if refunded or code == "charge_already_refunded":
        status, reason = ChargeStatus.VOIDED, None
    elif http_status in (400, 402, 404):
        status, reason = ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR
    elif http_status in (401, 403):
        status, reason = ChargeStatus.ERROR, ChargeReason.AUTHENTICATION_FAILED
    else:
        status, reason = ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR
    text = gateway_text(error.get("message"))
    return refund_result(transaction_id, status, reason, code or scalar(document.get("id")), text)


def refund_result(
    transaction_id: str, status: ChargeStatus, reason: ChargeReason | None, code: str | None, text: str | None
) -> ChargeResult:
    return ChargeResult(
        status=status,
        reason=reason,
        gateway=GATEWAY_NAME,
        gateway_code=code,
        gateway_text=text,
        transaction_id=transaction_id,
    )


def outcome_unknown(context: ChargeContext, code: str | None = None, text: str | None = None) -> ChargeResult:
    return context_result(
        GATEWAY_NAME, ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR, context, code, text
    )


def refused(context: ChargeContext, reason: ChargeReason, text: str) -> ChargeResult:
    """Nothing was charged: the request was refused here or provably never processed."""
    return context_result(GATEWAY_NAME, ChargeStatus.ERROR, reason, context, None, text)


def invoice_of(intent: dict[str, Any]) -> str | None:
    return scalar(child(intent, "metadata").get(INVOICE_METADATA_KEY))


def error_message(document: dict[str, Any]) -> str:
    """Stripe's own message, digits masked (an invalid-key message quotes part of the key)."""
    return gateway_text(child(document, "error").get("message")) or "no message"


def _intent_outcome(
    intent: dict[str, Any], charge: dict[str, Any]
) -> tuple[ChargeStatus, ChargeReason | None, str | None, str | None]:
    state = scalar(intent.get("status")) or ""
    if state in ("succeeded", "requires_capture"):
        if charge.get("refunded") is True:
            return ChargeStatus.VOIDED, None, state, "refunded"
        return ChargeStatus.APPROVED, None, state, None
    if state == "canceled":
        return ChargeStatus.VOIDED, None, state, None
    if state == "processing":
        return ChargeStatus.HELD_FOR_REVIEW, ChargeReason.HELD_FOR_REVIEW, state, None
    if state == "requires_action":
        text = "the issuer asked for authentication the caller cannot give by phone"
        return ChargeStatus.DECLINED, ChargeReason.DECLINED, state, text
    error = child(intent, "last_payment_error")
    if error:
        code = scalar(error.get("decline_code")) or scalar(error.get("code"))
        status, reason = _card_error(code)
        return status, reason, code, gateway_text(error.get("message"))
    return ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR, state or None, "the intent was never confirmed"


def _card_error(code: str | None) -> tuple[ChargeStatus, ChargeReason]:
    if code in DECLINE_REASONS:
        return ChargeStatus.DECLINED, DECLINE_REASONS[code]
    if code in ERROR_REASONS:
        return ChargeStatus.ERROR, ERROR_REASONS[code]
    return ChargeStatus.DECLINED, ChargeReason.DECLINED


def _with_intent_id(result: ChargeResult, intent: dict[str, Any]) -> ChargeResult:
    return replace(result, transaction_id=scalar(intent.get("id")))


def _major(minor: object, currency: str) -> Decimal | None:
    if not isinstance(minor, int) or not currency:
        return None
    return Decimal(minor).scaleb(-exponent(currency))


def _brand(value: object) -> str | None:
    name = scalar(value)
    return None if name is None else _BRANDS.get(name, name)
