"""Asterisk media URIs for the prompts the flow plays.

One place builds the ``sound:``/``number:``/``digits:``/``characters:`` strings so the
prompt names in ``docs/prompts.md`` and the ARI media schemes are spelled the same way
everywhere, and the shell can hand a ``Play`` media list to ARI unchanged.
"""


def sound(name: str) -> str:
    """A prompt from our own catalogue (``sounds/<lang>/securepay/<name>``)."""
    return f"sound:securepay/{name}"


def number(value: int) -> str:
    """A number read as a quantity ("forty-nine") by Asterisk's core sounds."""
    return f"number:{value}"


def digits(value: str) -> str:
    """A string read digit by digit ("four, one, one, one")."""
    return f"digits:{value}"


def characters(value: str) -> str:
    """A string spelled letter by letter ("E, U, R")."""
    return f"characters:{value}"
