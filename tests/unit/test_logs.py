"""The JSON log line: fixed fields, the call and payment ids, nothing else from `extra`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web

from securepay import logs


def format_line(**extra: object) -> dict[str, str]:
    record = logging.LogRecord("securepay.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(logs.JsonFormatter().format(record))


def test_a_line_names_the_call_and_payment_given_as_extra() -> None:
    line = format_line(**logs.ids("c-1", "p-2"))
    assert line["msg"] == "hello world"
    assert (line["call_id"], line["payment_id"]) == ("c-1", "p-2")
    assert line["ts"].endswith("+00:00")


def test_inside_a_payment_the_ids_come_from_the_context() -> None:
    token = logs.payment_id.set("p-9")
    try:
        assert format_line()["payment_id"] == "p-9"
    finally:
        logs.payment_id.reset(token)


def test_other_extra_fields_never_reach_the_line() -> None:
    line = format_line(card=bytearray(b"4111111111111111"))
    assert set(line) == {"ts", "level", "logger", "msg"}


async def test_a_malformed_request_is_logged_without_the_bytes_it_carried(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its raw header can be an agent's bearer token: the log keeps the 400 and the peer."""
    with daemon_logging():
        await send_malformed_request()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    server = [line for line in lines if line["logger"] == "aiohttp.server"]
    assert [(line["level"], line["msg"]) for line in server] == [
        ("warning", "Error handling request from 127.0.0.1: malformed request refused with 400")
    ]
    assert not any("SECRET" in json.dumps(line) for line in lines)


@contextlib.contextmanager
def daemon_logging() -> Iterator[None]:
    """Logging as `securepay run` sets it up, undone after (it replaces the root's handlers)."""
    root, server = logging.getLogger(), logging.getLogger("aiohttp.server")
    handlers, level, filters = list(root.handlers), root.level, list(server.filters)
    logs.configure()
    try:
        yield
    finally:
        root.handlers[:], server.filters[:] = handlers, filters
        root.setLevel(level)


async def send_malformed_request() -> None:
    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer SECRET-TOKEN\x01\r\n\r\n")
        assert (await reader.read(100)).startswith(b"HTTP/1.0 400")
        writer.close()
    finally:
        await runner.cleanup()
