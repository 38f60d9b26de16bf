"""What every CRM connector offers the outbox, and how a failed delivery is classified.

The outbox only needs to know one thing about a failure: try again later, or stop and
ask a person. A connector raises ``DeliveryError`` with ``permanent`` set accordingly;
the outbox never looks at HTTP statuses itself.
"""

from __future__ import annotations

from typing import Protocol

from securepay.crm.activity import CrmActivity

RETRYABLE_STATUSES = frozenset({408, 429})
"""4xx answers that mean "not now" rather than "never": request timeout, rate limited."""


class DeliveryError(Exception):
    """A delivery that did not happen; ``permanent`` ones are not retried automatically.

    The message names the CRM's answer (status, error code) and never a credential.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


class Unanswered(DeliveryError):
    """The CRM could not be reached or did not answer in time."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


class Unauthorized(DeliveryError):
    """HTTP 401: a connector holding a short-lived token refreshes it once and tries again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Connector(Protocol):
    """Posts one activity to its CRM record, exactly once however often it is called."""

    kind: str

    async def deliver(self, activity: CrmActivity) -> str:
        """Post (or find the earlier post of) ``activity``; returns the CRM's id for it, or ""."""
        ...

    async def verify(self) -> str:
        """Prove the CRM accepts our credentials (for `securepay check`); returns what was proven.

        Raises ``DeliveryError`` (``Unauthorized`` for rejected credentials) otherwise.
        """
        ...

    async def close(self) -> None: ...


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds; the HTTP-date form is ignored (backoff applies)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
