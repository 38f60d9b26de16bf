"""Amounts as each gateway spells them: minor units (Stripe) or a decimal string (Braintree).

Currencies differ in how many decimals their minor unit has (ISO 4217: JPY 0, USD 2,
KWD 3). An amount finer than its currency allows is refused, never rounded: a caller
agreed to exactly that amount.
"""

from decimal import Decimal

ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def exponent(currency: str) -> int:
    """Decimals of ``currency``'s minor unit; 2 unless the currency is known to differ."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal('49.95')`` USD -> 4995; JPY 4995 -> 4995; KWD 49.95 -> 49950.

    Raises ``ValueError`` when ``amount`` has more decimals than ``currency`` has.
    """
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {exponent(currency)} decimal places")
    return int(scaled)


def format_major(amount: Decimal, currency: str) -> str:
    """The amount with exactly its currency's decimals and no exponent: ``'49.95'``, ``'4995'``."""
    places = exponent(currency)
    to_minor_units(amount, currency)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"
