"""The daemon's HTTP access log: one line per request, never a query string or a header."""

from __future__ import annotations

import logging

import pytest

from tests.unit.web.support import ALICE_TOKEN, web_rig


async def test_each_request_is_logged_with_its_path_and_status_but_not_its_query_or_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="securepay.http.access")
    async with web_rig() as rig, rig.client(ALICE_TOKEN).get("/api/v1/me?note=4111111111111111") as resp:
        assert resp.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "securepay.http.access"]
    assert len(lines) == 1 and " GET /api/v1/me 200 " in lines[0]
    assert "4111" not in caplog.text and ALICE_TOKEN not in caplog.text
