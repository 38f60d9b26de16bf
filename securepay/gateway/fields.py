"""Reading fields out of a gateway's JSON answer without trusting its shape."""

from typing import Any


def child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """The object under ``key``, or an empty one when it is missing, null or not an object."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def scalar(value: object) -> str | None:
    """A scalar as text; empty, null, booleans and containers are absent."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    return str(value) or None
