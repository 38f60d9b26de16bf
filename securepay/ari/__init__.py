"""A thin asyncio ARI client: REST calls, one events WebSocket, reconnect and resync.

No published ARI library reconnects, and one logs DTMF digits (see the reference
notes), so securepay carries its own on aiohttp.
"""

from securepay.ari.client import AriClient, AriSettings
from securepay.ari.errors import (
    AriAuthError,
    AriConflict,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnavailable,
    AriUnprocessable,
)
from securepay.ari.rest import AppState, AriRest

__all__ = [
    "AppState",
    "AriAuthError",
    "AriClient",
    "AriConflict",
    "AriError",
    "AriNotFound",
    "AriRest",
    "AriServerError",
    "AriSettings",
    "AriUnavailable",
    "AriUnprocessable",
]
