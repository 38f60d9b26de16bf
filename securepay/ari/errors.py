"""Typed ARI failures, so callers branch on meaning rather than on status codes.

Messages carry the method, the path without its query string, and Asterisk's own
message: never a query value (variable values, DTMF) or a credential.
"""

from __future__ import annotations


class AriError(Exception):
    """Any failed ARI call."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"ARI {method} {path} -> {status}: {message}")
        self.method = method
        self.path = path
        self.status = status
        self.message = message


class AriAuthError(AriError):
    """401/403: the ARI user or password is wrong."""


class AriNotFound(AriError):
    """404: the channel, bridge or playback is gone (often a hang-up race)."""


class AriConflict(AriError):
    """409: the object is in the wrong state, e.g. the channel is not in Stasis."""


class AriUnprocessable(AriError):
    """422: a referenced object (e.g. a channel to add) does not exist."""


class AriServerError(AriError):
    """5xx: Asterisk failed to carry the request out."""


class AriUnavailable(AriError):
    """Asterisk could not be reached at all."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        super().__init__(method, path, 0, reason)


def error_for_status(method: str, path: str, status: int, message: str) -> AriError:
    kind: type[AriError]
    if status in (401, 403):
        kind = AriAuthError
    elif status == 404:
        kind = AriNotFound
    elif status == 409:
        kind = AriConflict
    elif status == 422:
        kind = AriUnprocessable
    elif status >= 500:
        kind = AriServerError
    else:
        kind = AriError
    return kind(method, path, status, message)
