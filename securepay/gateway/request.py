"""A charge as a caller asks for it, validated before any gateway sees it."""

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from securepay.gateway.card import CardData, card_format_problem
from securepay.gateway.description import clean_description

INVOICE_NUMBER_MAX = 20

_INVOICE_RE = re.compile(r"[A-Za-z0-9._-]{1,20}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_POSTAL_CODE_RE = re.compile(r"[A-Za-z0-9 -]{1,20}")
_REFERENCE_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CENT = Decimal("0.01")
_INVOICE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_invoice_number(now: datetime | None = None) -> str:
    """A fresh invoice number: ``SP`` + UTC date + 8 random characters (18 in all).

    Finding a charge after a lost answer relies on the invoice number being unique per
    payment attempt, so it is random rather than a counter that restarts could repeat.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d")
    suffix = "".join(secrets.choice(_INVOICE_ALPHABET) for _ in range(8))
    return f"SP{stamp}{suffix}"


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    """One payment attempt.

    ``invoice_number`` must be unique per attempt: it is how a charge whose answer was
    lost is found again. ``postal_code`` overrides the one keyed with the card (for a
    billing ZIP known from elsewhere). ``reference`` is the payment the attempt belongs to,
    kept with the charge where the gateway has room for it (Stripe metadata). The card is
    excluded from ``repr`` and equality so that printing or comparing a request never
    touches card data.
    """

    invoice_number: str
    amount: Decimal
    description: str
    card: CardData = field(repr=False, compare=False)
    currency: str = "USD"
    postal_code: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        if not _INVOICE_RE.fullmatch(self.invoice_number):
            raise ValueError("invoice_number must be 1-20 characters of A-Z a-z 0-9 . _ -")
        object.__setattr__(self, "amount", _checked_amount(self.amount))
        if not _CURRENCY_RE.fullmatch(self.currency):
            raise ValueError("currency must be a 3-letter upper-case ISO 4217 code")
        object.__setattr__(self, "description", clean_description(self.description))
        if self.postal_code is not None and not _POSTAL_CODE_RE.fullmatch(self.postal_code):
            raise ValueError("postal_code must be 1-20 letters, digits, spaces or hyphens")
        if self.reference is not None and not _REFERENCE_RE.fullmatch(self.reference):
            raise ValueError("reference must be 1-64 characters of A-Z a-z 0-9 . _ -")
        problem = card_format_problem(self.card)
        if problem:
            raise ValueError(problem)
        if self.postal_code is None and not _POSTAL_CODE_RE.fullmatch(
            self.card.postal_code.decode("ascii", "replace")
        ):
            raise ValueError("the card's postal code must be 1-20 letters, digits or spaces")

    @property
    def billing_postal_code(self) -> str:
        """The ZIP sent for address verification."""
        return self.postal_code or self.card.postal_code.decode("ascii")


def _checked_amount(amount: Decimal) -> Decimal:
    """Money stays Decimal end to end; sub-cent values are refused, never rounded away."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError("amount must be a finite Decimal")
    if amount <= 0:
        raise ValueError("amount must be greater than zero")
    quantized = amount.quantize(_CENT)
    if quantized != amount:
        raise ValueError("amount must have at most 2 decimal places")
    return quantized
