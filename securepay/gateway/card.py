"""The card as the gateway layer sees it.

The caller flow owns the card (``securepay.flow.card.CardDetails``) and wipes its buffers
when the payment ends. The gateway only reads it while building one request body, so it
types the card structurally instead of importing the flow.
"""

from typing import Protocol


class CardData(Protocol):
    """Card fields as mutable ASCII buffers, so their owner can wipe them after use."""

    @property
    def pan(self) -> bytearray: ...

    @property
    def exp_month(self) -> bytearray:
        """Two ASCII digits, ``01``..``12``."""
        ...

    @property
    def exp_year(self) -> bytearray:
        """Four ASCII digits."""
        ...

    @property
    def cvc(self) -> bytearray: ...

    @property
    def postal_code(self) -> bytearray: ...

    @property
    def brand(self) -> str | None: ...

    @property
    def last4(self) -> str: ...


def card_format_problem(card: CardData) -> str | None:
    """Name what is malformed about the card, without quoting any of it."""
    if not (12 <= len(card.pan) <= 19 and card.pan.isdigit()):
        return "card number must be 12 to 19 ASCII digits"
    if not (len(card.exp_month) == 2 and card.exp_month.isdigit()):
        return "expiry month must be 2 ASCII digits"
    if not 1 <= int(card.exp_month) <= 12:
        return "expiry month must be 01 to 12"
    if not (len(card.exp_year) == 4 and card.exp_year.isdigit()):
        return "expiry year must be 4 ASCII digits"
    if not (3 <= len(card.cvc) <= 4 and card.cvc.isdigit()):
        return "security code must be 3 or 4 ASCII digits"
    if not (len(card.last4) == 4 and card.last4.isdigit()):
        return "last4 must be 4 digits"
    return None
