"""Removes card numbers from free text before it is stored or posted anywhere.

The caller's card never reaches the ledger or the CRM by design; the agent's typed
product name and the flow's reason strings are free text, though, and an agent may
paste a card number into one. Any 13 to 19 digit run (spaces or dashes allowed between
digits) that passes the Luhn check is replaced, so no PAN is ever written by us.
"""

from __future__ import annotations

import re

from securepay.flow import luhn_valid

REPLACEMENT = "[card number removed]"

_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def scrub_card_numbers(text: str) -> str:
    """``text`` with every Luhn-valid 13-19 digit run replaced by ``REPLACEMENT``."""
    return _DIGIT_RUN.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    digits = bytearray(char for char in match.group().encode() if char not in b" -")
    return REPLACEMENT if luhn_valid(digits) else match.group()
