"""One HTTP exchange with a gateway, classified the way a charge needs it.

What matters after a failure is whether the gateway could have acted on the request:
``NotSent`` means it provably did not (no connection), ``NoAnswer`` means it may have
(timeout, reset, unreadable answer), so the caller must reconcile before anything else.
Only exception class names are logged, never a body or a header.
"""

import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Self

import aiohttp

from securepay.gateway.errors import GatewayError
from securepay.gateway.result import ChargeResult

log = logging.getLogger("securepay.gateway")


class NotSent(Exception):
    """The request provably was not processed (no connection could be made)."""


class NoAnswer(Exception):
    """The request may have been processed, but no answer came back."""


def new_session(timeout_s: float, connect_timeout_s: float) -> aiohttp.ClientSession:
    """A session whose TLS is always verified; create it inside the running loop."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=ssl.create_default_context()),
        timeout=aiohttp.ClientTimeout(total=timeout_s, connect=connect_timeout_s),
    )


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    operation: str,
    *,
    data: bytes | bytearray | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str],
) -> tuple[int, bytes]:
    """Send one request; the HTTP status and raw body, or ``NotSent``/``NoAnswer``."""
    started = time.monotonic()
    try:
        async with session.request(method, url, data=data, params=params, headers=headers) as response:
            status = response.status
            raw = await response.read()
    except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
        log.debug("%s not sent error=%s", operation, type(exc).__name__)
        raise NotSent(f"could not connect ({type(exc).__name__})") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.debug("%s no answer error=%s elapsed_ms=%d", operation, type(exc).__name__, elapsed_ms(started))
        raise NoAnswer(f"no answer ({type(exc).__name__})") from None
    log.debug("%s http_status=%d elapsed_ms=%d", operation, status, elapsed_ms(started))
    return status, raw


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class HttpClient:
    """The session a gateway client owns: made on first use inside the running loop, closed once."""

    def __init__(self, timeout_s: float, connect_timeout_s: float) -> None:
        self._timeouts = (timeout_s, connect_timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _session_in_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = new_session(*self._timeouts)
        return self._session


def log_charge(invoice_number: str, result: ChargeResult, started: float) -> None:
    """The one line every charge leaves: what happened, never with what card."""
    log.info(
        "charge invoice=%s status=%s reason=%s code=%s transaction_id=%s reconciled=%s elapsed_ms=%d",
        invoice_number,
        result.status,
        result.reason,
        result.gateway_code,
        result.transaction_id,
        result.reconciled,
        elapsed_ms(started),
    )


def log_void(transaction_id: str, result: ChargeResult, started: float) -> None:
    log.info(
        "void transaction_id=%s status=%s code=%s elapsed_ms=%d",
        transaction_id,
        result.status,
        result.gateway_code,
        elapsed_ms(started),
    )


async def lookup_or_none(
    lookup: Callable[[str], Awaitable[ChargeResult | None]], invoice_number: str
) -> ChargeResult | None:
    """A lookup made while reconciling: when the gateway cannot be asked, nothing was found."""
    try:
        return await lookup(invoice_number)
    except GatewayError as exc:
        log.warning("lookup failed invoice=%s error=%s code=%s", invoice_number, type(exc).__name__, exc.code)
        return None
