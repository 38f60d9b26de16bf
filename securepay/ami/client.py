"""One AMI connection, opened on first use and reopened after any failure.

Login asks for no events (`Events: off`), so the connection never carries DTMF events
even if the manager user were allowed to read them. Field values (the secret above
all) are never logged or put in an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

log = logging.getLogger("securepay.ami")

BANNER_PREFIX = "Asterisk Call Manager"
Message = dict[str, str]


class AmiError(Exception):
    """An AMI action failed or the manager could not be reached."""


class AmiAuthError(AmiError):
    """The manager rejected the username or secret."""


def succeeded(response: Message) -> bool:
    return response.get("Response", "").lower() == "success"


class AmiClient:
    """Usable as `async with AmiClient(...) as ami:` (logs in on enter) or long-lived."""

    def __init__(self, host: str, port: int, username: str, password: str, timeout_s: float = 5.0) -> None:
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._timeout = timeout_s
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.banner = ""

    async def __aenter__(self) -> AmiClient:
        await self._ensure_connected()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def action(self, name: str, **fields: str) -> Message:
        """Send one action and return its response; raises AmiError unless it succeeded."""
        response = await self.send(name, **fields)
        if not succeeded(response):
            raise AmiError(f"{name} failed: {response.get('Message', 'no reason given')}")
        return response

    async def send(self, name: str, **fields: str) -> Message:
        """Send one action and return its response, successful or not."""
        await self._ensure_connected()
        return await self._send(name, fields)

    async def close(self) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader_task
            self._reader_task = None
        if self._writer is not None:
            self._writer.close()
        self._writer = None

    async def _ensure_connected(self) -> None:
        async with self._lock:
            if self._writer is None:
                await self._connect()

    async def _connect(self) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port), self._timeout
            )
            banner = await asyncio.wait_for(reader.readline(), self._timeout)
        except (OSError, TimeoutError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise AmiError(f"cannot connect to {self._host}:{self._port} ({reason})") from None
        self.banner = banner.decode(errors="replace").strip()
        if not self.banner.startswith(BANNER_PREFIX):
            writer.close()
            raise AmiError(
                f"{self._host}:{self._port} is not Asterisk's manager (it said {self.banner[:60]!r})"
            )
        self._writer = writer
        self._reader_task = asyncio.create_task(self._read(reader))
        response = await self._send(
            "Login", {"Username": self._username, "Secret": self._password, "Events": "off"}
        )
        if not succeeded(response):
            await self.close()
            raise AmiAuthError(
                f"user {self._username!r} rejected: {response.get('Message', 'no reason given')}"
            )
        log.info("AMI connected to %s:%d", self._host, self._port)

    async def _send(self, name: str, fields: dict[str, str]) -> Message:
        writer = self._writer
        if writer is None:
            raise AmiError("AMI connection lost")
        action_id = f"sp-{next(self._ids)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        lines = [f"Action: {name}", f"ActionID: {action_id}", *(f"{k}: {v}" for k, v in fields.items())]
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
            return await asyncio.wait_for(future, self._timeout)
        except (OSError, TimeoutError) as exc:
            await self.close()
            raise AmiError(f"{name}: no answer from the manager ({type(exc).__name__})") from None
        finally:
            self._pending.pop(action_id, None)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Hand each response to the action waiting for it; events are skipped."""
        message: Message = {}
        try:
            while line := await reader.readline():
                text = line.decode(errors="replace").rstrip("\r\n")
                if text:
                    key, _, value = text.partition(":")
                    message[key.strip()] = value.strip()
                    continue
                future = self._pending.get(message.get("ActionID", ""))
                if future is not None and not future.done() and "Response" in message:
                    future.set_result(message)
                message = {}
            log.warning(
                "AMI connection to %s:%d closed; it reopens on the next action", self._host, self._port
            )
        finally:
            self._writer = None
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(AmiError("AMI connection closed"))
