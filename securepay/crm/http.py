"""The HTTP client the connectors share: one session, one timeout, one way to read answers.

Every failure becomes a ``DeliveryError``: no connection, a timeout, 408, 429 and 5xx
are retryable; 401 is ``Unauthorized``; any other 4xx is permanent, since sending the
same request again cannot fix it. An error message quotes at most the start of the
CRM's answer (its error code and text), never a request header or body; should an
answer echo a credential back (a misbehaving proxy), it is masked before it is quoted.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from pydantic import SecretStr

from securepay.crm.connector import (
    DeliveryError,
    Unanswered,
    Unauthorized,
    is_retryable_status,
    retry_after_seconds,
)

_EXCERPT_CHARS = 300
_MASK = "[redacted]"


class CrmHttp:
    def __init__(self, timeout_s: float, secrets: tuple[SecretStr, ...] = ()) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._secrets = secrets
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: dict[str, str],
        data: bytes | dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Send; return the decoded JSON answer of a 2xx (None if it has none), else raise."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(
                method, url, headers=headers, data=data, params=params, allow_redirects=False
            ) as response:
                text = await response.text()
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unanswered(f"{what}: no answer ({type(exc).__name__})") from None
        if 200 <= status < 300:
            return _decode(text)
        masked = self._masked(text, headers.get("Authorization", "").removeprefix("Bearer "))
        message = f"{what}: HTTP {status} {_excerpt(masked)}".rstrip()
        if status == 401:
            raise Unauthorized(message)
        raise DeliveryError(message, permanent=not is_retryable_status(status), retry_after_s=retry_after)

    def _masked(self, text: str, bearer: str) -> str:
        for secret in (bearer, *(secret.get_secret_value() for secret in self._secrets)):
            if secret:
                text = text.replace(secret, _MASK)
        return text


def _decode(text: str) -> Any:
    """JSON, or None for an empty or non-JSON body (a webhook receiver may answer "OK")."""
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_CHARS else flat[:_EXCERPT_CHARS] + "..."
