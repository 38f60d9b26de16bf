"""The non-sensitive facts of one charge, and results built from them alone.

Every gateway client needs these when an answer is missing or says nothing about the
card: the result still names the invoice, amount, brand and last four digits.
"""

from dataclasses import dataclass
from decimal import Decimal

from securepay.gateway.request import ChargeRequest
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus


@dataclass(frozen=True, slots=True)
class ChargeContext:
    """The non-sensitive facts of a charge, to fill in what an answer leaves out."""

    invoice_number: str
    amount: Decimal
    brand: str | None
    last4: str

    @classmethod
    def of(cls, request: ChargeRequest) -> "ChargeContext":
        return cls(request.invoice_number, request.amount, request.card.brand, request.card.last4)


def context_result(
    gateway: str,
    status: ChargeStatus,
    reason: ChargeReason | None,
    context: ChargeContext,
    code: str | None = None,
    text: str | None = None,
) -> ChargeResult:
    return ChargeResult(
        status=status,
        reason=reason,
        gateway=gateway,
        gateway_code=code,
        gateway_text=text,
        brand=context.brand,
        masked_account=f"XXXX{context.last4}",
        invoice_number=context.invoice_number,
        amount=context.amount,
    )
