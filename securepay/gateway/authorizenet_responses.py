"""Reading Authorize.Net answers into ``ChargeResult``s; pure, so every mapping is testable.

The decision is made on ``transactionResponse.responseCode``, never on
``messages.resultCode``: a decline arrives with ``Ok``, a card error with ``Error`` and
both have a transaction. Request-level failures (bad order, bad credentials) have no
transaction at all, and ``E00001`` means the gateway itself does not know the outcome.
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from securepay.gateway.context import ChargeContext, context_result
from securepay.gateway.fields import gateway_text
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus

GATEWAY_NAME = "authorizenet"

OUTCOME_UNKNOWN_CODES = frozenset({"E00001"})
"""API codes after which the transaction may or may not exist: reconcile, never assume."""

DUPLICATE_CODE = "11"
ALREADY_VOIDED_CODE = "310"

TRANSACTION_REASONS: dict[str, ChargeReason] = {
    "2": ChargeReason.DECLINED,
    "3": ChargeReason.DECLINED,
    "4": ChargeReason.DECLINED,
    "5": ChargeReason.INVALID_AMOUNT,
    "6": ChargeReason.INVALID_CARD_NUMBER,
    "37": ChargeReason.INVALID_CARD_NUMBER,
    "7": ChargeReason.INVALID_EXPIRY,
    "8": ChargeReason.CARD_EXPIRED,
    "11": ChargeReason.DUPLICATE,
    "13": ChargeReason.AUTHENTICATION_FAILED,
    "17": ChargeReason.CARD_TYPE_NOT_ACCEPTED,
    "28": ChargeReason.CARD_TYPE_NOT_ACCEPTED,
    "27": ChargeReason.AVS_MISMATCH,
    "39": ChargeReason.CURRENCY_NOT_ACCEPTED,
    "44": ChargeReason.CVC_MISMATCH,
    "65": ChargeReason.CVC_MISMATCH,
    "78": ChargeReason.CVC_MISMATCH,
    "45": ChargeReason.AVS_AND_CVC_MISMATCH,
    "252": ChargeReason.HELD_FOR_REVIEW,
    "253": ChargeReason.HELD_FOR_REVIEW,
}
"""Transaction response reason codes (``errors[].errorCode``) to reasons."""

REQUEST_REASONS: dict[str, ChargeReason] = {
    "E00003": ChargeReason.INVALID_REQUEST,
    "E00007": ChargeReason.AUTHENTICATION_FAILED,
    "E00053": ChargeReason.GATEWAY_UNAVAILABLE,
    "E00104": ChargeReason.GATEWAY_UNAVAILABLE,
}
"""Request-level API codes (no transaction was created) to reasons."""

_STATUS_BY_RESPONSE_CODE = {
    "1": ChargeStatus.APPROVED,
    "2": ChargeStatus.DECLINED,
    "3": ChargeStatus.ERROR,
    "4": ChargeStatus.HELD_FOR_REVIEW,
}

_STATUS_BY_TRANSACTION_STATUS = {
    "authorizedPendingCapture": ChargeStatus.APPROVED,
    "capturedPendingSettlement": ChargeStatus.APPROVED,
    "settledSuccessfully": ChargeStatus.APPROVED,
    "pendingSettlement": ChargeStatus.APPROVED,
    "pendingFinalSettlement": ChargeStatus.APPROVED,
    "approvedReview": ChargeStatus.APPROVED,
    "declined": ChargeStatus.DECLINED,
    "failedReview": ChargeStatus.DECLINED,
    "voided": ChargeStatus.VOIDED,
    "FDSPendingReview": ChargeStatus.HELD_FOR_REVIEW,
    "FDSAuthorizedPendingReview": ChargeStatus.HELD_FOR_REVIEW,
    "underReview": ChargeStatus.HELD_FOR_REVIEW,
    "authorizedPendingRelease": ChargeStatus.HELD_FOR_REVIEW,
    "generalError": ChargeStatus.ERROR,
    "communicationError": ChargeStatus.ERROR,
}

_DEFAULT_REASON = {
    ChargeStatus.DECLINED: ChargeReason.DECLINED,
    ChargeStatus.ERROR: ChargeReason.GATEWAY_ERROR,
    ChargeStatus.HELD_FOR_REVIEW: ChargeReason.HELD_FOR_REVIEW,
    ChargeStatus.OUTCOME_UNKNOWN: ChargeReason.GATEWAY_ERROR,
}

_BRANDS = {
    "Visa": "visa",
    "MasterCard": "mastercard",
    "AmericanExpress": "amex",
    "Discover": "discover",
    "JCB": "jcb",
    "DinersClub": "diners",
}


@dataclass(frozen=True, slots=True)
class ApiMessage:
    result_code: str | None
    code: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class ChargeAnswer:
    """A charge answer plus what the client needs to decide on reconciliation.

    ``processed``: the gateway ran the request as a transaction (a known responseCode),
    so the answer is definitive about this very request. ``duplicate_of``: the gateway
    refused it as a duplicate and named the original transaction.
    """

    result: ChargeResult
    processed: bool
    duplicate_of: str | None


def decode(raw: bytes) -> dict[str, Any]:
    """Parse a response body; every one starts with a UTF-8 BOM that plain JSON rejects."""
    document = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal)
    if not isinstance(document, dict):
        raise ValueError("Authorize.Net response is not a JSON object")
    return document


def api_message(document: dict[str, Any]) -> ApiMessage:
    messages = document.get("messages")
    if not isinstance(messages, dict):
        return ApiMessage(None, None, None)
    entries = messages.get("message")
    first = entries[0] if isinstance(entries, list) and entries else {}
    first = first if isinstance(first, dict) else {}
    return ApiMessage(
        _text(messages.get("resultCode")), _text(first.get("code")), gateway_text(first.get("text"))
    )


def read_charge_answer(document: dict[str, Any], context: ChargeContext) -> ChargeAnswer:
    transaction = document.get("transactionResponse")
    if isinstance(transaction, dict) and _response_code(transaction) in _STATUS_BY_RESPONSE_CODE:
        result = _from_transaction_response(transaction, context)
        duplicate_of = result.transaction_id if result.reason is ChargeReason.DUPLICATE else None
        return ChargeAnswer(result, processed=True, duplicate_of=duplicate_of)
    message = api_message(document)
    if message.result_code == "Error" and message.code and message.code not in OUTCOME_UNKNOWN_CODES:
        reason = REQUEST_REASONS.get(message.code, ChargeReason.GATEWAY_ERROR)
        result = _context_result(ChargeStatus.ERROR, reason, context, message.code, message.text)
        return ChargeAnswer(result, processed=False, duplicate_of=None)
    return ChargeAnswer(
        outcome_unknown(context, message.code, message.text), processed=False, duplicate_of=None
    )


def read_void_answer(document: dict[str, Any], transaction_id: str) -> ChargeAnswer:
    """A void answer; "already voided" counts as voided, which makes a repeated void safe."""
    transaction = document.get("transactionResponse")
    if isinstance(transaction, dict) and _response_code(transaction) in _STATUS_BY_RESPONSE_CODE:
        code, text = _transaction_code(transaction)
        voided = _response_code(transaction) == "1" or code == ALREADY_VOIDED_CODE
        result = ChargeResult(
            status=ChargeStatus.VOIDED if voided else ChargeStatus.ERROR,
            reason=None if voided else TRANSACTION_REASONS.get(code or "", ChargeReason.GATEWAY_ERROR),
            gateway=GATEWAY_NAME,
            gateway_code=code,
            gateway_text=text,
            transaction_id=transaction_id,
            auth_code=_text(transaction.get("authCode")),
            brand=_brand(transaction.get("accountType")),
            masked_account=_text(transaction.get("accountNumber")),
        )
        return ChargeAnswer(result, processed=True, duplicate_of=None)
    message = api_message(document)
    known = message.result_code == "Error" and message.code not in OUTCOME_UNKNOWN_CODES
    result = void_failure(
        transaction_id,
        ChargeStatus.ERROR if known else ChargeStatus.OUTCOME_UNKNOWN,
        REQUEST_REASONS.get(message.code or "", ChargeReason.GATEWAY_ERROR),
        message.code,
        message.text,
    )
    return ChargeAnswer(result, processed=False, duplicate_of=None)


def void_failure(
    transaction_id: str,
    status: ChargeStatus,
    reason: ChargeReason,
    code: str | None,
    text: str | None,
) -> ChargeResult:
    return ChargeResult(
        status=status,
        reason=reason,
        gateway=GATEWAY_NAME,
        gateway_code=code,
        gateway_text=text,
        transaction_id=transaction_id,
    )


def result_from_details(transaction: dict[str, Any]) -> ChargeResult:
    """A ``getTransactionDetails`` transaction; its current status is what counts."""
    status = _status_of(transaction)
    code = _text(transaction.get("responseReasonCode"))
    card = _child(_child(transaction, "payment"), "creditCard")
    return ChargeResult(
        status=status,
        reason=_reason(status, code),
        gateway=GATEWAY_NAME,
        gateway_code=code,
        gateway_text=gateway_text(transaction.get("responseReasonDescription")),
        transaction_id=_transaction_id(transaction.get("transId")),
        auth_code=_text(transaction.get("authCode")),
        brand=_brand(card.get("cardType")),
        masked_account=_text(card.get("cardNumber")),
        invoice_number=_text(_child(transaction, "order").get("invoiceNumber")),
        amount=_amount(transaction.get("authAmount")),
        avs_result=_text(transaction.get("AVSResponse")),
        cvv_result=_text(transaction.get("cardCodeResponse")),
        reconciled=True,
    )


def result_from_summary(summary: dict[str, Any]) -> ChargeResult:
    """An unsettled-list entry, used when the details call is not available."""
    status = _status_of(summary)
    return ChargeResult(
        status=status,
        reason=_reason(status, None),
        gateway=GATEWAY_NAME,
        gateway_text=_text(summary.get("transactionStatus")),
        transaction_id=_transaction_id(summary.get("transId")),
        brand=_brand(summary.get("accountType")),
        masked_account=_text(summary.get("accountNumber")),
        invoice_number=_text(summary.get("invoiceNumber")),
        amount=_amount(summary.get("settleAmount")),
        reconciled=True,
    )


def transactions_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of an unsettled-list page; the key is absent when the page is empty."""
    entries = document.get("transactions")
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)]


def find_invoice(entries: list[dict[str, Any]], invoice_number: str) -> dict[str, Any] | None:
    """The newest entry for ``invoice_number`` (pages are requested newest first)."""
    return next((e for e in entries if _text(e.get("invoiceNumber")) == invoice_number), None)


def outcome_unknown(context: ChargeContext, code: str | None = None, text: str | None = None) -> ChargeResult:
    return _context_result(ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR, context, code, text)


def refused(context: ChargeContext, reason: ChargeReason, text: str) -> ChargeResult:
    """Nothing was charged: the request was refused here or provably never processed."""
    return _context_result(ChargeStatus.ERROR, reason, context, None, text)


def _from_transaction_response(transaction: dict[str, Any], context: ChargeContext) -> ChargeResult:
    status = _STATUS_BY_RESPONSE_CODE[_response_code(transaction) or ""]
    code, text = _transaction_code(transaction)
    return ChargeResult(
        status=status,
        reason=_reason(status, code),
        gateway=GATEWAY_NAME,
        gateway_code=code,
        gateway_text=text,
        transaction_id=_transaction_id(transaction.get("transId")),
        auth_code=_text(transaction.get("authCode")),
        brand=_brand(transaction.get("accountType")) or context.brand,
        masked_account=_text(transaction.get("accountNumber")) or f"XXXX{context.last4}",
        invoice_number=context.invoice_number,
        amount=context.amount,
        avs_result=_text(transaction.get("avsResultCode")),
        cvv_result=_text(transaction.get("cvvResultCode")),
    )


def _context_result(
    status: ChargeStatus,
    reason: ChargeReason,
    context: ChargeContext,
    code: str | None,
    text: str | None,
) -> ChargeResult:
    return context_result(GATEWAY_NAME, status, reason, context, code, text)


def _transaction_code(transaction: dict[str, Any]) -> tuple[str | None, str | None]:
    """The first error if there is one, else the first message."""
    errors = transaction.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return _text(errors[0].get("errorCode")), gateway_text(errors[0].get("errorText"))
    messages = transaction.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return _text(messages[0].get("code")), gateway_text(messages[0].get("description"))
    return None, None


def _reason(status: ChargeStatus, code: str | None) -> ChargeReason | None:
    if status in (ChargeStatus.APPROVED, ChargeStatus.VOIDED):
        return None
    if status is ChargeStatus.HELD_FOR_REVIEW:
        return ChargeReason.HELD_FOR_REVIEW
    return TRANSACTION_REASONS.get(code or "", _DEFAULT_REASON[status])


def _status_of(transaction: dict[str, Any]) -> ChargeStatus:
    name = _text(transaction.get("transactionStatus")) or ""
    return _STATUS_BY_TRANSACTION_STATUS.get(name, ChargeStatus.OUTCOME_UNKNOWN)


def _response_code(transaction: dict[str, Any]) -> str | None:
    return _text(transaction.get("responseCode"))


def _transaction_id(value: object) -> str | None:
    """Failed requests carry transId ``"0"``: there is no transaction."""
    text = _text(value)
    return None if text in (None, "0") else text


def _brand(account_type: object) -> str | None:
    name = _text(account_type)
    return None if name is None else _BRANDS.get(name, name.lower())


def _amount(value: object) -> Decimal | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    """All values should be strings, but numbers and nulls occur; empty means absent."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    return text or None
