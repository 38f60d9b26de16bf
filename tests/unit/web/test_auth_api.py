"""Who gets in: tokens, own calls only, the supervisor, the brake on guessing, CORS."""

from __future__ import annotations

import aiohttp

from tests.unit.web.support import (
    ALICE_TOKEN,
    BOB_TOKEN,
    SUPERVISOR_TOKEN,
    bearer,
    check_response,
    web_rig,
)


async def test_a_request_without_a_token_is_401_with_a_bearer_challenge() -> None:
    async with web_rig() as rig, rig.client().get("/api/v1/agents/alice/call") as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        check_response("GET", "/api/v1/agents/{agent_id}/call", 401, await resp.json())


async def test_a_wrong_token_is_401() -> None:
    async with web_rig() as rig, rig.client("not-a-real-token").get("/api/v1/me") as resp:
        assert resp.status == 401
        body = await resp.json()
        assert body["error"] == "unauthorized"
        check_response("GET", "/api/v1/me", 401, body)


async def test_a_token_in_another_scheme_than_bearer_is_401() -> None:
    async with web_rig() as rig:
        client = rig.client(Authorization=f"Basic {ALICE_TOKEN}")
        async with client.get("/api/v1/me") as resp:
            assert resp.status == 401


async def test_an_agent_learns_who_they_are_and_the_request_limits() -> None:
    async with web_rig() as rig, rig.client(ALICE_TOKEN).get("/api/v1/me") as resp:
        body = await resp.json()
        check_response("GET", "/api/v1/me", 200, body)
        assert body == {
            "role": "agent",
            "agent_id": "alice",
            "name": "Alice Smith",
            "currency": "USD",
            "max_amount": "10000.00",
            "default_mode": "private",
        }


async def test_a_supervisor_token_is_a_supervisor() -> None:
    async with web_rig() as rig, rig.client(SUPERVISOR_TOKEN).get("/api/v1/me") as resp:
        assert (await resp.json())["role"] == "supervisor"


async def test_an_agent_cannot_see_another_agents_call() -> None:
    async with web_rig() as rig:
        rig.add_call("bob")
        async with rig.client(ALICE_TOKEN).get("/api/v1/agents/bob/call") as resp:
            assert resp.status == 403
            check_response("GET", "/api/v1/agents/{agent_id}/call", 403, await resp.json())


async def test_an_agent_cannot_request_a_payment_on_another_agents_call() -> None:
    async with web_rig() as rig:
        call = rig.add_call("bob")
        body = {"item": "Widget", "amount": "5.00"}
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/calls/{call.id}/payments", json=body) as resp:
            assert resp.status == 403
            check_response("POST", "/api/v1/calls/{call_id}/payments", 403, await resp.json())
        assert call.payment_id is None


async def test_a_supervisor_sees_every_agents_call() -> None:
    async with web_rig() as rig:
        call = rig.add_call("bob")
        async with rig.client(SUPERVISOR_TOKEN).get("/api/v1/agents/bob/call") as resp:
            assert resp.status == 200
            assert (await resp.json())["id"] == call.id


async def test_repeated_wrong_tokens_get_429_with_retry_after_even_for_a_right_token_then() -> None:
    async with web_rig(auth_failures_max=3, auth_failures_window_s=30) as rig:
        for _ in range(3):
            async with rig.client("guess").get("/api/v1/me") as resp:
                assert resp.status == 401
        async with rig.client(ALICE_TOKEN).get("/api/v1/me") as resp:
            assert resp.status == 429
            assert 1 <= int(resp.headers["Retry-After"]) <= 30
            check_response("GET", "/api/v1/me", 429, await resp.json())


async def test_failures_from_one_address_do_not_lock_out_another() -> None:
    async with web_rig(auth_failures_max=1) as rig:
        async with rig.client("guess").get("/api/v1/me") as resp:
            assert resp.status == 401
        other = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
        async with (
            aiohttp.ClientSession(base_url=rig.url, connector=other, headers=bearer(BOB_TOKEN)) as client,
            client.get("/api/v1/me") as resp,
        ):
            assert resp.status == 200


async def test_no_cookie_is_ever_set() -> None:
    async with web_rig() as rig:
        for path in ("/", "/api/v1/me"):
            async with rig.client(ALICE_TOKEN).get(path) as resp:
                assert resp.status == 200 and "Set-Cookie" not in resp.headers


async def test_cors_is_closed_by_default() -> None:
    async with web_rig() as rig:
        client = rig.client(ALICE_TOKEN, Origin="https://evil.example")
        async with client.get("/api/v1/me") as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        async with client.options("/api/v1/calls/c-1/payments", headers=preflight) as resp:
            assert resp.status == 403
            assert "Access-Control-Allow-Origin" not in resp.headers


async def test_an_allow_listed_origin_may_call_the_api_with_the_authorization_header() -> None:
    async with web_rig(cors_origins=("https://crm.example.com",)) as rig:
        client = rig.client(ALICE_TOKEN, Origin="https://crm.example.com")
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        async with client.options("/api/v1/calls/c-1/payments", headers=preflight) as resp:
            assert resp.status == 204
            assert resp.headers["Access-Control-Allow-Origin"] == "https://crm.example.com"
            assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
            assert "Access-Control-Allow-Credentials" not in resp.headers
        async with client.get("/api/v1/me") as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == "https://crm.example.com"


async def test_the_panel_runs_only_its_own_scripts_and_cannot_be_framed() -> None:
    async with web_rig() as rig:
        for path in ("/", "/panel/panel.js", "/panel/panel.css"):
            async with rig.client().get(path) as resp:
                assert resp.status == 200, path
                policy = resp.headers["Content-Security-Policy"]
                assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
                assert resp.headers["X-Content-Type-Options"] == "nosniff"
