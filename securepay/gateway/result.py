"""What a gateway call came to, in terms every gateway can be mapped onto.

Callers decide on ``status`` and ``reason`` only; the gateway's own code and text are kept
for the ledger and for support, never for branching, so a second gateway can be added
without touching callers.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ChargeStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    ERROR = "error"
    HELD_FOR_REVIEW = "held_for_review"
    OUTCOME_UNKNOWN = "outcome_unknown"
    """The charge may or may not have gone through: the ledger must say so and a person
    must reconcile it. Never retry a charge in this state."""
    VOIDED = "voided"
    """The result of a successful ``void``, or a lookup of a transaction that was voided."""


class ChargeReason(StrEnum):
    INVALID_CARD_NUMBER = "invalid-card-number"
    CARD_EXPIRED = "card-expired"
    INVALID_EXPIRY = "invalid-expiry"
    CVC_MISMATCH = "cvc-mismatch"
    AVS_MISMATCH = "avs-mismatch"
    AVS_AND_CVC_MISMATCH = "avs-and-cvc-mismatch"
    CARD_TYPE_NOT_ACCEPTED = "card-type-not-accepted"
    CURRENCY_NOT_ACCEPTED = "currency-not-accepted"
    DUPLICATE = "duplicate"
    DECLINED = "declined"
    INVALID_AMOUNT = "invalid-amount"
    INVALID_REQUEST = "invalid-request"
    AUTHENTICATION_FAILED = "authentication-failed"
    GATEWAY_UNAVAILABLE = "gateway-unavailable"
    GATEWAY_ERROR = "gateway-error"
    HELD_FOR_REVIEW = "held-for-review"


@dataclass(frozen=True, slots=True)
class ChargeResult:
    """One gateway outcome. ``reason`` is None exactly when nothing went wrong."""

    status: ChargeStatus
    reason: ChargeReason | None
    gateway: str
    gateway_code: str | None = None
    gateway_text: str | None = None
    transaction_id: str | None = None
    auth_code: str | None = None
    brand: str | None = None
    masked_account: str | None = None
    invoice_number: str | None = None
    amount: Decimal | None = None
    avs_result: str | None = None
    cvv_result: str | None = None
    reconciled: bool = False
    """True when the outcome was established by looking the charge up after the original
    answer was lost, rather than read from that answer."""
