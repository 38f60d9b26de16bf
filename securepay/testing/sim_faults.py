"""What every local gateway simulator shares: armed faults, request counts and serving.

A lost answer is the case that decides whether a client can double-charge, so each
simulator offers the same switches: commit then answer late, commit then drop the
connection, and HTTP 500 (before or after committing). Each simulator names its own
operations (``createTransactionRequest``, ``create_payment_intent``, ``chargeCreditCard``)
and arms faults per operation.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web


class Fault(StrEnum):
    """Ways an answer gets lost. SLOW_RESPONSE and DROP_CONNECTION always commit first."""

    SLOW_RESPONSE = "slow-response"
    """Process the request, then answer only after ``slow_response_s``."""
    DROP_CONNECTION = "drop-connection"
    """Process the request, then close the connection without answering."""
    HTTP_500 = "http-500"
    """Answer HTTP 500 (processing first only when armed with ``commit=True``)."""
    E00001 = "e00001"
    """Authorize.Net only: answer ``E00001`` (processing first only with ``commit=True``)."""


@dataclass
class ArmedFault:
    fault: Fault
    operation: str
    commit: bool
    remaining: int | None


class FaultSwitches:
    """Faults armed per operation, and the log of operations received."""

    def __init__(self, default_operation: str, slow_response_s: float) -> None:
        self.slow_response_s = slow_response_s
        self.requests: list[str] = []
        self._default_operation = default_operation
        self._faults: list[ArmedFault] = []
        self._closing = asyncio.Event()

    def inject(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        commit: bool = False,
        request: str | None = None,
    ) -> None:
        """Arm ``fault`` for the next ``times`` requests of ``request`` (None: always)."""
        operation = request or self._default_operation
        self._faults.append(ArmedFault(fault, operation, commit, times))

    def request_count(self, name: str) -> int:
        return self.requests.count(name)

    def close(self) -> None:
        """Release answers held back by SLOW_RESPONSE so the server can stop at once."""
        self._closing.set()

    def take_fault(self, operation: str) -> ArmedFault | None:
        for armed in self._faults:
            if armed.operation == operation:
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._faults.remove(armed)
                return armed
        return None

    async def answer(
        self,
        operation: str,
        http_request: web.Request,
        execute: Callable[[], web.StreamResponse],
    ) -> web.StreamResponse:
        """Run ``execute`` (which commits and builds the answer) under any armed fault.

        E00001 is left to the caller: ``answer_with`` returns None for it after committing
        when asked to.
        """
        armed = self.take_fault(operation)
        if armed is None:
            return execute()
        response = await self.answer_with(armed, http_request, execute)
        return response if response is not None else web.Response(status=500, text="Internal Server Error")

    async def answer_with(
        self,
        armed: ArmedFault,
        http_request: web.Request,
        execute: Callable[[], web.StreamResponse],
    ) -> web.StreamResponse | None:
        if armed.fault is Fault.SLOW_RESPONSE:
            response = execute()
            await self._hold_back(self.slow_response_s)
            return response
        if armed.fault is Fault.DROP_CONNECTION:
            execute()
            if http_request.transport is not None:
                http_request.transport.close()
            return web.Response()
        if armed.commit:
            execute()
        if armed.fault is Fault.HTTP_500:
            return web.Response(status=500, text="Internal Server Error")
        return None

    async def _hold_back(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return


@contextlib.asynccontextmanager
async def serve_app(
    app: web.Application, faults: FaultSwitches, path: str, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``app`` over real HTTP; yields ``http://host:port`` + ``path`` (a free port by default)."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield f"http://{host}:{bound_port}{path}"
    finally:
        faults.close()
        await runner.cleanup()


def luhn_valid(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
