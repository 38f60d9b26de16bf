"""Reading fields out of a gateway's JSON answer without trusting its shape."""

import re
from typing import Any

_LONG_DIGITS = re.compile(r"\d{3,}")


def child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """The object under ``key``, or an empty one when it is missing, null or not an object."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def scalar(value: object) -> str | None:
    """A scalar as text; empty, null, booleans and containers are absent."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    return str(value) or None


def gateway_text(value: object) -> str | None:
    """Gateway prose with digit runs masked.

    Error texts can quote the offending value (Authorize.Net's E00003 names it, Stripe's
    invalid-key message shows part of the key), which may be a card field or a secret;
    the text is kept for support, so any run of 3+ digits is masked before it is stored.
    """
    text = scalar(value)
    return None if text is None else _LONG_DIGITS.sub("***", text)
