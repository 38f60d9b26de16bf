"""Pure card checks and the wipeable holder for the card a caller keys in.

Card data lives in ``bytearray`` buffers, never in ``str``: a ``str`` is immutable and
may be interned or copied anywhere, while a ``bytearray`` can be zeroed when the flow is
done with it. Every check here reads those buffers in place (no slicing into new objects,
no ``str`` of digits), and every result says *what* is wrong without echoing the digits,
so results and exceptions are safe to log. Python gives no hard guarantee that no copy
of a buffer survives in freed memory; this is best effort, done consistently.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import Enum

_ZERO = ord("0")
_NINE = ord("9")


@dataclass(frozen=True)
class _Brand:
    """A card brand: its IIN ranges and the PAN lengths it issues."""

    name: str
    # (prefix length, lowest prefix, highest prefix), bounds inclusive.
    ranges: tuple[tuple[int, int, int], ...]
    lengths: frozenset[int]


_BRANDS: tuple[_Brand, ...] = (
    _Brand("visa", ((1, 4, 4),), frozenset({13, 16, 19})),
    _Brand("mastercard", ((2, 51, 55), (4, 2221, 2720)), frozenset({16})),
    _Brand("amex", ((2, 34, 34), (2, 37, 37)), frozenset({15})),
    _Brand(
        "discover",
        ((4, 6011, 6011), (3, 644, 649), (2, 65, 65), (6, 622126, 622925)),
        frozenset(range(16, 20)),
    ),
    # JCB's legacy 308x-334x ranges are still issued (Authorize.Net's JCB test card is 3088...).
    _Brand(
        "jcb",
        (
            (4, 3528, 3589),
            (4, 3088, 3094),
            (4, 3096, 3102),
            (4, 3112, 3120),
            (4, 3158, 3159),
            (4, 3337, 3349),
        ),
        frozenset(range(16, 20)),
    ),
    _Brand("diners", ((3, 300, 305), (2, 36, 36), (2, 38, 39)), frozenset(range(14, 20))),
)

KNOWN_BRANDS: frozenset[str] = frozenset(brand.name for brand in _BRANDS)
"""Every brand name :func:`validate_card_number` can return (lowercase)."""


class CardStatus(Enum):
    """Why a card number is or is not usable; the caller hears a different message for each."""

    OK = "ok"
    INVALID = "invalid"
    NOT_ACCEPTED = "not-accepted"


@dataclass(frozen=True)
class CardCheck:
    """The verdict on a card number: the status, and the brand when it is known and valid."""

    status: CardStatus
    brand: str | None


class ExpiryStatus(Enum):
    """An expiry date is well formed and current, malformed or too far ahead, or past."""

    OK = "ok"
    INVALID = "invalid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ExpiryCheck:
    """The verdict on an MMYY expiry: month and four-digit year, which are 0 unless OK."""

    status: ExpiryStatus
    month: int = 0
    year: int = 0


def _all_digits(data: bytes | bytearray) -> bool:
    return all(_ZERO <= byte <= _NINE for byte in data)


def _prefix_value(data: bytes | bytearray, length: int) -> int:
    """The first ``length`` digits as an int, read in place (no slice copy)."""
    value = 0
    for index in range(length):
        value = value * 10 + data[index] - _ZERO
    return value


def luhn_valid(digits: bytes | bytearray) -> bool:
    """Whether ``digits`` (ASCII) pass the Luhn mod-10 check; non-digits fail."""
    if len(digits) < 2 or not _all_digits(digits):
        return False
    total = 0
    for position, byte in enumerate(reversed(digits)):
        value = byte - _ZERO
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _brand_by_iin(digits: bytes | bytearray) -> _Brand | None:
    for brand in _BRANDS:
        for length, low, high in brand.ranges:
            if len(digits) >= length and low <= _prefix_value(digits, length) <= high:
                return brand
    return None


def brand_by_iin(digits: bytes | bytearray) -> str | None:
    """The brand of a card number being keyed, as soon as its first digits tell it.

    Brands' IIN ranges do not overlap, so the first match on a prefix is final; ``None``
    until enough digits are in (or for an unknown IIN). Reads the buffer in place.
    """
    if not _all_digits(digits):
        return None
    brand = _brand_by_iin(digits)
    return brand.name if brand else None


def validate_card_number(digits: bytes | bytearray, accepted_brands: Collection[str]) -> CardCheck:
    """Check a PAN: digits only, a known IIN, a length that brand issues, and Luhn.

    A number failing any of those is INVALID (the caller mistyped); a valid number of a
    brand outside ``accepted_brands`` is NOT_ACCEPTED (the caller needs another card).
    """
    if not _all_digits(digits):
        return CardCheck(CardStatus.INVALID, None)
    brand = _brand_by_iin(digits)
    if brand is None or len(digits) not in brand.lengths or not luhn_valid(digits):
        return CardCheck(CardStatus.INVALID, None)
    if brand.name not in accepted_brands:
        return CardCheck(CardStatus.NOT_ACCEPTED, brand.name)
    return CardCheck(CardStatus.OK, brand.name)


def _expiry_year(two_digits: int, today: date) -> int:
    """The four-digit year nearest to today that ends in ``two_digits``.

    Nearest, not "20YY": it keeps working across a century boundary and turns a year
    far in the past into "expired" rather than into a date decades ahead.
    """
    base = today.year - today.year % 100 + two_digits
    return min((base - 100, base, base + 100), key=lambda year: abs(year - today.year))


def check_expiry(digits: bytes | bytearray, today: date, max_years: int) -> ExpiryCheck:
    """Check an MMYY expiry: exactly four digits, month 01-12, this month or later,
    and at most ``max_years`` years (counted in months) after the current month."""
    if len(digits) != 4 or not _all_digits(digits):
        return ExpiryCheck(ExpiryStatus.INVALID)
    month = _prefix_value(digits, 2)
    if not 1 <= month <= 12:
        return ExpiryCheck(ExpiryStatus.INVALID)
    year = _expiry_year((digits[2] - _ZERO) * 10 + digits[3] - _ZERO, today)
    months_ahead = (year - today.year) * 12 + month - today.month
    if months_ahead < 0:
        return ExpiryCheck(ExpiryStatus.EXPIRED)
    if months_ahead > max_years * 12:
        return ExpiryCheck(ExpiryStatus.INVALID)
    return ExpiryCheck(ExpiryStatus.OK, month, year)


def cvc_length(brand: str | None) -> int:
    """Amex prints a 4-digit code on the front; every other brand a 3-digit one on the back."""
    return 4 if brand == "amex" else 3


def check_cvc(digits: bytes | bytearray, brand: str | None) -> bool:
    """Whether ``digits`` is a security code of exactly the brand's length."""
    return len(digits) == cvc_length(brand) and _all_digits(digits)


def check_postal_code(digits: bytes | bytearray, min_length: int, max_length: int) -> bool:
    """Whether ``digits`` is a digits-only postal code within the configured lengths."""
    return min_length <= len(digits) <= max_length and _all_digits(digits)


def wipe_buffer(buffer: bytearray) -> None:
    """Overwrite every byte with zero in place, then empty the buffer."""
    buffer[:] = bytes(len(buffer))
    buffer.clear()


class CardDetails:
    """The card being collected, held in wipeable buffers (ASCII digits).

    ``exp_month`` holds two digits, ``exp_year`` four. ``repr``/``str`` show the brand and
    last four digits only, so an accidental log line leaks nothing that is not also read
    back to the caller. Equality is identity: two cards are never compared by content.
    """

    __slots__ = ("brand", "cvc", "exp_month", "exp_year", "pan", "postal_code")

    def __init__(self) -> None:
        self.pan = bytearray()
        self.exp_month = bytearray()
        self.exp_year = bytearray()
        self.cvc = bytearray()
        self.postal_code = bytearray()
        self.brand: str | None = None

    @property
    def last4(self) -> str:
        """The last four PAN digits, or "" while fewer than four are held."""
        if len(self.pan) < 4:
            return ""
        return self.pan[-4:].decode("ascii")

    def wipe(self) -> None:
        """Zero and empty every buffer; the brand, which is not secret, stays."""
        for buffer in (self.pan, self.exp_month, self.exp_year, self.cvc, self.postal_code):
            wipe_buffer(buffer)

    def __repr__(self) -> str:
        return f"CardDetails(brand={self.brand!r}, last4={self.last4!r})"
