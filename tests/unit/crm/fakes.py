"""Fake CRM servers on loopback HTTP that check requests the way the vendors document them.

Each fake answers a malformed request with 400 and records why in ``problems``, so a
test sees a shape mistake as a failed delivery and can assert ``problems == []``.
``fail_next`` queues answers (status, headers) returned before the real handling, to
play an outage; ``lose_next_answer`` performs a create and then answers 500, as when
the answer is lost on the way back.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SF_CLIENT_ID = "3MVG9-test-client"
SF_CLIENT_SECRET = "sf-secret-not-real"
SF_API = "/services/data/v60.0"
HUBSPOT_TOKEN = "pat-na1-not-real"
NOTE_ID_PROPERTY = "securepay_payment_id"


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@dataclass
class FakeCrm:
    problems: list[str] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lose_next_answer: bool = False
    requests: list[str] = field(default_factory=list)

    def fail(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self.fail_next += [(status, headers or {})] * times

    def _scripted(self) -> web.Response | None:
        if not self.fail_next:
            return None
        status, headers = self.fail_next.pop(0)
        return web.json_response({"message": "scripted failure"}, status=status, headers=headers)

    def _problem(self, text: str) -> web.Response:
        self.problems.append(text)
        return web.json_response({"message": text}, status=400)

    def _created(self, body: dict[str, Any]) -> web.Response:
        if self.lose_next_answer:
            self.lose_next_answer = False
            return web.json_response({"message": "answer lost"}, status=500)
        return web.json_response(body, status=201)


@dataclass
class FakeWebhook(FakeCrm):
    secret: bytes = b""
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        return app

    @property
    def keys(self) -> list[str]:
        return [headers.get("Idempotency-Key", "") for headers, _ in self.deliveries]

    async def _hook(self, request: web.Request) -> web.Response:
        self.requests.append("POST /hook")
        scripted = self._scripted()
        if scripted is not None:
            return scripted
        body = await request.read()
        if request.content_type != "application/json":
            return self._problem(f"content type {request.content_type}")
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Securepay-Signature", ""), expected):
            return self._problem("bad signature")
        if not request.headers.get("Idempotency-Key"):
            return self._problem("no Idempotency-Key")
        self.deliveries.append((dict(request.headers), body))
        return web.json_response(self.answer, status=200)


_SOQL = re.compile(
    r"^SELECT Id FROM Task WHERE (WhatId|WhoId) = '((?:[^'\\]|\\.)*)' "
    r"AND Subject = '((?:[^'\\]|\\.)*)' LIMIT 1$"
)


@dataclass
class FakeSalesforce(FakeCrm):
    base_url: str = ""
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens_issued: int = 0
    expire_token: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _valid_tokens: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/services/oauth2/token", self._token)
        app.router.add_get(f"{SF_API}/query", self._query)
        app.router.add_post(f"{SF_API}/sobjects/Task", self._create)
        return app

    async def _token(self, request: web.Request) -> web.Response:
        self.requests.append("POST token")
        scripted = self._scripted()
        if scripted is not None:
            return scripted
        if request.content_type != "application/x-www-form-urlencoded":
            return self._problem(f"token content type {request.content_type}")
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return self._problem("grant_type is not client_credentials")
        if (form.get("client_id"), form.get("client_secret")) != (SF_CLIENT_ID, SF_CLIENT_SECRET):
            return web.json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
            )
        self.tokens_issued += 1
        token = f"00D-token-{self.tokens_issued}"
        self._valid_tokens.add(token)
        return web.json_response(
            {
                "access_token": token,
                "instance_url": self.base_url,
                "id": f"{self.base_url}/id/00D/005",
                "token_type": "Bearer",
                "issued_at": "1719851405000",
                "signature": "sig",
            }
        )

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.expire_token:
            self.expire_token = False
            self._valid_tokens.clear()
        if token not in self._valid_tokens:
            return web.json_response(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
            )
        return None

    async def _query(self, request: web.Request) -> web.Response:
        self.requests.append("GET query")
        refused = self._unauthorized(request) or self._scripted()
        if refused is not None:
            return refused
        match = _SOQL.match(request.query.get("q", ""))
        if match is None:
            return self._problem(f"unexpected SOQL {request.query.get('q')!r}")
        field_name, record, subject = (match.group(1), *(_unquote(part) for part in match.group(2, 3)))
        records = [
            {"attributes": {"type": "Task", "url": f"{SF_API}/sobjects/Task/{task_id}"}, "Id": task_id}
            for task_id, task in self.tasks.items()
            if task.get(field_name) == record and task.get("Subject") == subject
        ]
        return web.json_response({"totalSize": len(records), "done": True, "records": records})

    async def _create(self, request: web.Request) -> web.Response:
        self.requests.append("POST Task")
        refused = self._unauthorized(request) or self._scripted()
        if refused is not None:
            return refused
        if request.content_type != "application/json":
            return self._problem(f"Task content type {request.content_type}")
        task = await request.json()
        allowed = {"WhatId", "WhoId", "Subject", "Description", "Status", "ActivityDate"}
        if set(task) - allowed or not {"Subject", "Description", "Status"} <= set(task):
            return self._problem(f"Task fields {sorted(task)}")
        if len(task["Subject"]) > 255:
            return self._problem("Subject longer than 255")
        task_id = f"00T{next(self._ids):015d}"
        self.tasks[task_id] = task
        return self._created({"id": task_id, "success": True, "errors": []})


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), literal)


@dataclass
class FakeHubSpot(FakeCrm):
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5001))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/crm/v3/objects/notes/search", self._search)
        app.router.add_post("/crm/v3/objects/notes", self._create)
        return app

    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {HUBSPOT_TOKEN}":
            return web.json_response({"status": "error", "category": "INVALID_AUTHENTICATION"}, status=401)
        if request.content_type != "application/json":
            return self._problem(f"content type {request.content_type}")
        return self._scripted()

    async def _search(self, request: web.Request) -> web.Response:
        self.requests.append("POST search")
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = await request.json()
        try:
            (group,) = body["filterGroups"]
            (condition,) = group["filters"]
            prop, operator, value = condition["propertyName"], condition["operator"], condition["value"]
        except (KeyError, ValueError, TypeError):
            return self._problem(f"search body {body!r}")
        if operator != "EQ":
            return self._problem(f"operator {operator}")
        results = [
            {"id": note_id, "properties": {prop: note["properties"].get(prop)}, "archived": False}
            for note_id, note in self.notes.items()
            if note["properties"].get(prop) == value
        ]
        return web.json_response({"total": len(results), "results": results[: body.get("limit", 10)]})

    async def _create(self, request: web.Request) -> web.Response:
        self.requests.append("POST note")
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = await request.json()
        properties = body.get("properties", {})
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", str(properties.get("hs_timestamp"))):
            return self._problem(f"hs_timestamp {properties.get('hs_timestamp')!r}")
        if not isinstance(properties.get("hs_note_body"), str):
            return self._problem("no hs_note_body")
        for association in body.get("associations", []):
            types = association.get("types", [])
            if not association.get("to", {}).get("id") or not all(
                kind.get("associationCategory") == "HUBSPOT_DEFINED"
                and isinstance(kind.get("associationTypeId"), int)
                for kind in types
            ):
                return self._problem(f"association {association!r}")
        note_id = str(next(self._ids))
        self.notes[note_id] = body
        return self._created({"id": note_id, "properties": properties, "archived": False})


def json_body(raw: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(raw)
    return loaded
