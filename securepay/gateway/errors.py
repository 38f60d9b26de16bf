"""Exceptions of the gateway layer.

A charge never raises for what the gateway answered: declines, errors and unknown outcomes
are results, so a caller cannot lose one in an exception handler. These are for
misconfiguration and for calls whose only purpose is the answer, such as
``check_credentials`` and ``lookup``. Messages never carry card data or credentials.
"""


class GatewayError(Exception):
    """The gateway could not do what was asked; ``code`` is its own code when it gave one."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class GatewayAuthError(GatewayError):
    """The gateway rejected the merchant credentials."""


class GatewayUnavailableError(GatewayError):
    """The gateway could not be reached or did not give a usable answer."""


class GatewayConfigError(GatewayError, ValueError):
    """The gateway configuration is unusable; raised at construction, before any traffic."""
