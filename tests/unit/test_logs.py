"""The JSON log line: fixed fields, the call and payment ids, nothing else from `extra`."""

from __future__ import annotations

import json
import logging

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
