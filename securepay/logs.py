"""JSON log lines with the payment and call in context.

A small formatter of our own rather than a library's: it writes a fixed set of
fields (of `extra`, only the call and payment ids) and never serialises other objects,
so nothing reaches a log line by accident (a card buffer passed as `extra` would be
dumped by generic formatters). The ids come from `extra=ids(...)` or, inside a
payment's task, from context variables.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

from aiohttp.http_exceptions import HttpProcessingError

payment_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("payment_id", default=None)
call_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("call_id", default=None)


def ids(call_id: str | None = None, payment_id: str | None = None) -> dict[str, str]:
    """`extra=` for a log line about a call or payment logged outside that payment's task."""
    return {k: v for k, v in (("call_id", call_id), ("payment_id", payment_id)) if v}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, var in (("payment_id", payment_id), ("call_id", call_id)):
            value = getattr(record, name, None) or var.get()
            if value:
                line[name] = str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class RawRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse with the raw line it choked on, and that line
    can hold an agent's bearer token or whatever else a client sent: keep that a request
    was refused and from where, drop the bytes (the client got its 400 already)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = f"{record.getMessage()}: malformed request refused with {error.code}"
            record.args = ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure(level: str = "info", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RawRequestFilter) for f in server.filters):
        server.addFilter(RawRequestFilter())
