"""One JSON error shape for every refusal: `{"error": code, "message": ..., "field": ...}`."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web


def error(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    body: dict[str, str] = {"error": code, "message": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status, headers=headers)
