"""Order descriptions fit for a gateway field.

The item name comes from an agent's form, so it may hold control characters, newlines or
any script. Gateways cap the description (Authorize.Net: 255) and some count bytes while
others count characters; bounding the UTF-8 length satisfies both readings. The cut never
splits a character and never separates a base character from the marks that follow it.
"""

import unicodedata

DESCRIPTION_MAX_BYTES = 255

_ZERO_WIDTH_JOINER = "\u200d"
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REGIONAL_INDICATORS = ("\U0001f1e6", "\U0001f1ff")


def clean_description(text: str, max_bytes: int = DESCRIPTION_MAX_BYTES) -> str:
    """Return ``text`` without control characters, whitespace collapsed, within ``max_bytes``."""
    visible = "".join(char for char in text if not _is_control(char))
    collapsed = " ".join(unicodedata.normalize("NFC", visible).split())
    return _trim_utf8(collapsed, max_bytes)


def _is_control(char: str) -> bool:
    """C0/C1 controls, and bidi overrides that would make the text display as something else."""
    if char in _BIDI_CONTROLS:
        return True
    return unicodedata.category(char) == "Cc" and not char.isspace()


def _trim_utf8(text: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    end = 0
    used = 0
    for char in text:
        size = len(char.encode("utf-8"))
        if used + size > max_bytes:
            break
        used += size
        end += 1
    while end > 0 and (_continues_cluster(text[end]) or text[end - 1] == _ZERO_WIDTH_JOINER):
        end -= 1
    if _splits_flag(text, end):
        end -= 1
    return text[:end].rstrip()


def _splits_flag(text: str, end: int) -> bool:
    """A flag is a pair of regional indicators; an odd run before the cut ends mid-flag."""
    run = 0
    while end - run > 0 and _is_regional_indicator(text[end - run - 1]):
        run += 1
    return run % 2 == 1 and _is_regional_indicator(text[end])


def _is_regional_indicator(char: str) -> bool:
    return _REGIONAL_INDICATORS[0] <= char <= _REGIONAL_INDICATORS[1]


def _continues_cluster(char: str) -> bool:
    """True for characters that only make sense attached to the one before them."""
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == _ZERO_WIDTH_JOINER
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )
