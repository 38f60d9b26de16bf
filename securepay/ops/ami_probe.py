"""Just enough of Asterisk's manager protocol for `securepay check`: log in, ask, log off.

AMI is CRLF-separated `Key: Value` lines, one blank line ending each message. Answers
to an action carry its `ActionID`; events (anything with `Event:`) are skipped. The
secret is sent once, in the Login action, and never appears in an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

BANNER_PREFIX = "Asterisk Call Manager"


class AmiError(Exception):
    """The manager could not be reached or did not speak AMI."""


class AmiAuthError(AmiError):
    """The manager rejected the username or secret."""


@dataclass(frozen=True)
class AmiResponse:
    """One answer: `Response` (Success, Error, Goodbye, ...) and every header, in order."""

    headers: tuple[tuple[str, str], ...]

    @property
    def ok(self) -> bool:
        return self.get("Response").lower() == "success"

    @property
    def message(self) -> str:
        return self.get("Message")

    def get(self, key: str, default: str = "") -> str:
        for name, value in self.headers:
            if name.lower() == key.lower():
                return value
        return default


class AmiProbe:
    """One manager session; use as `async with AmiProbe(...) as ami:` (logs in on enter)."""

    def __init__(self, host: str, port: int, username: str, secret: str, timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self._timeout = timeout_s
        self._ids = itertools.count(1)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.banner = ""

    async def __aenter__(self) -> AmiProbe:
        await self.login()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def login(self) -> None:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self._timeout
            )
            banner = await asyncio.wait_for(self._reader.readline(), self._timeout)
        except (OSError, TimeoutError) as exc:
            await self.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise AmiError(f"cannot connect to {self.host}:{self.port} ({reason})") from None
        self.banner = banner.decode(errors="replace").strip()
        if not self.banner.startswith(BANNER_PREFIX):
            await self.close()
            raise AmiError(
                f"{self.host}:{self.port} is not Asterisk's manager (it said {self.banner[:60]!r})"
            )
        answer = await self.action("Login", {"Username": self.username, "Secret": self._secret})
        if not answer.ok:
            await self.close()
            raise AmiAuthError(f"user {self.username!r} rejected: {answer.message or 'no reason given'}")

    async def action(self, name: str, fields: Mapping[str, str] | None = None) -> AmiResponse:
        """Send one action and return its answer (for list actions: the first message only)."""
        if self._reader is None or self._writer is None:
            raise AmiError("not connected")
        action_id = f"securepay-check-{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        lines += [f"{key}: {value}" for key, value in (fields or {}).items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            await asyncio.wait_for(self._writer.drain(), self._timeout)
            while True:
                message = await asyncio.wait_for(self._read_message(), self._timeout)
                if message.get("ActionID") == action_id and message.get("Response"):
                    return message
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            raise AmiError(f"{name}: no answer from the manager ({type(exc).__name__})") from None

    async def _read_message(self) -> AmiResponse:
        assert self._reader is not None
        headers: list[tuple[str, str]] = []
        while True:
            raw = await self._reader.readline()
            if not raw:
                raise asyncio.IncompleteReadError(b"", None)
            line = raw.decode(errors="replace").rstrip("\r\n")
            if not line:
                if headers:
                    return AmiResponse(tuple(headers))
                continue
            key, _, value = line.partition(":")
            headers.append((key.strip(), value.strip()))

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is None:
            return
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            writer.write(b"Action: Logoff\r\n\r\n")
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), 1.0)


def config_from_getconfig(answer: AmiResponse) -> list[tuple[str, list[tuple[str, str]]]]:
    """The categories of a `GetConfig` answer: [(name, [(key, value), ...]), ...] in order.

    Asterisk numbers them `Category-000000: general`, `Line-000000-000001: key=value`.
    """
    categories: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for key, value in answer.headers:
        kind, _, number = key.partition("-")
        if kind == "Category":
            categories[number] = (value, [])
        elif kind == "Line":
            category = number.split("-", 1)[0]
            if category in categories:
                name, _, setting = value.partition("=")
                categories[category][1].append((name.strip(), setting.strip()))
    return list(categories.values())
