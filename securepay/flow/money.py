"""Read an amount of money out loud as a list of Asterisk media URIs.

Money is ``Decimal`` only: a float cannot hold 49.95 exactly, and a caller must hear
exactly the amount the agent typed. US dollars are read as words ("forty-nine dollars
and ninety-five cents"); we have no recorded unit names for other currencies, so they
are read honestly as the whole units, the currency code spelled out, then the cents
("forty-nine, E U R, ninety-five") rather than with the wrong unit words.
"""

from decimal import Decimal

from securepay.flow.media import characters, number, sound

_CENT = Decimal("0.01")
# Asterisk's English number reader stops below one billion.
_LIMIT = Decimal(1_000_000_000)


def amount_media(amount: Decimal, currency: str) -> list[str]:
    """The media that read ``amount`` in ``currency`` (an ISO 4217 code such as "USD").

    Raises ``TypeError`` for a non-Decimal amount and ``ValueError`` for an amount that
    is not positive, has more than two decimals, is too large to read, or for a currency
    that is not three uppercase letters.
    """
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    if not amount.is_finite() or amount <= 0 or amount >= _LIMIT:
        raise ValueError("amount must be above 0 and below 1,000,000,000")
    if amount != amount.quantize(_CENT):
        raise ValueError("amount must have at most 2 decimal places")
    if len(currency) != 3 or not (currency.isascii() and currency.isalpha() and currency.isupper()):
        raise ValueError("currency must be a three-letter uppercase ISO 4217 code")
    units, cents = divmod(int(amount.scaleb(2)), 100)
    if currency == "USD":
        return _dollars(units, cents)
    media = [number(units), characters(currency)]
    if cents:
        media.append(number(cents))
    return media


def _dollars(units: int, cents: int) -> list[str]:
    media: list[str] = []
    if units:
        media += [number(units), sound("dollar" if units == 1 else "dollars")]
    if cents:
        if units:
            media.append(sound("and"))
        media += [number(cents), sound("cent" if cents == 1 else "cents")]
    return media
