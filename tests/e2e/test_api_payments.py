"""The payments API on the real daemon and Asterisk, signed in, each answer checked against the contract."""

from __future__ import annotations

import aiohttp

from securepay.flow import State
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.unit.web.live import api, api_url, live_rig, request_payment
from tests.unit.web.support import ALICE_TOKEN, BOB_TOKEN, SUPERVISOR_TOKEN, check_response

CREATE = "/api/v1/calls/{call_id}/payments"
PAYMENT = "/api/v1/payments/{payment_id}"
AGENT_CALL = "/api/v1/agents/{agent_id}/call"


async def test_an_agent_requests_follows_and_cancels_a_payment_on_their_call(
    asterisk: AsteriskInstance,
) -> None:
    async with live_rig(asterisk) as rig, api(rig, ALICE_TOKEN) as alice:
        call_id = await rig.place_call()
        async with alice.get("/api/v1/agents/alice/call") as resp:
            call = await resp.json()
            check_response("GET", AGENT_CALL, 200, call)
        assert call["id"] == call_id and call["connected"] is True
        async with alice.post(
            f"/api/v1/calls/{call_id}/payments", json={"item": "Widget", "amount": "20.00"}
        ) as resp:
            created = await resp.json()
            check_response("POST", CREATE, 201, created)
        payment = rig.daemon.payments.get(created["id"])
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
        await rig.at(payment, State.CARD_NUMBER_ENTRY)
        async with alice.get(f"/api/v1/payments/{payment.id}") as resp:
            seen = await resp.json()
            check_response("GET", PAYMENT, 200, seen)
        assert seen["steps"]["amount"] == "completed" and seen["steps"]["card_number"] == "entering"
        async with alice.delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 202
            check_response("DELETE", PAYMENT, 202, await resp.json())
        await rig.finished(payment)
        async with alice.get(f"/api/v1/payments/{payment.id}") as resp:
            assert (await resp.json())["outcome"] == "agent-cancelled"
        async with alice.delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 409
            check_response("DELETE", PAYMENT, 409, await resp.json())


async def test_a_second_request_while_one_runs_is_409_session_in_progress(asterisk: AsteriskInstance) -> None:
    async with live_rig(asterisk) as rig, api(rig, ALICE_TOKEN) as alice:
        call_id = await rig.place_call()
        payment = await request_payment(alice, rig, call_id)
        async with alice.post(
            f"/api/v1/calls/{call_id}/payments", json={"item": "Again", "amount": "1.00"}
        ) as resp:
            assert resp.status == 409
            answer = await resp.json()
            check_response("POST", CREATE, 409, answer)
        assert answer["error"] == "session-in-progress"
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "*")
        await rig.finished(payment)


async def test_another_agent_can_neither_see_nor_touch_a_live_payment(asterisk: AsteriskInstance) -> None:
    async with live_rig(asterisk) as rig, api(rig, ALICE_TOKEN) as alice, api(rig, BOB_TOKEN) as bob:
        call_id = await rig.place_call()
        payment = await request_payment(alice, rig, call_id)
        for method, path, template in (
            ("GET", "/api/v1/agents/alice/call", AGENT_CALL),
            ("POST", f"/api/v1/calls/{call_id}/payments", CREATE),
            ("GET", f"/api/v1/payments/{payment.id}", PAYMENT),
            ("DELETE", f"/api/v1/payments/{payment.id}", PAYMENT),
        ):
            async with bob.request(method, path, json={"item": "Mine", "amount": "1.00"}) as resp:
                assert resp.status == 403, (method, path)
                check_response(method, template, 403, await resp.json())
        assert rig.daemon.payments.is_running(payment.id)
        async with (
            api(rig, SUPERVISOR_TOKEN) as supervisor,
            supervisor.get(f"/api/v1/payments/{payment.id}") as resp,
        ):
            assert resp.status == 200
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "*")
        await rig.finished(payment)


async def test_a_refused_request_leaves_the_caller_talking_to_the_agent(asterisk: AsteriskInstance) -> None:
    async with live_rig(asterisk) as rig, api(rig, ALICE_TOKEN) as alice:
        call_id = await rig.place_call()
        for body in ({"item": "Widget", "amount": "10000.01"}, {"item": "", "amount": "1.00"}):
            async with alice.post(f"/api/v1/calls/{call_id}/payments", json=body) as resp:
                assert resp.status == 422
                check_response("POST", CREATE, 422, await resp.json())
        async with alice.post(f"/api/v1/calls/{call_id}/payments", data=b"{oops") as resp:
            assert resp.status == 422
        call = rig.daemon.calls.get(call_id)
        assert call.payment_id is None
        assert await rig.bridge_members(call_id) == {call.caller_channel, call.agent_channel}


async def test_without_a_token_the_daemon_answers_401(asterisk: AsteriskInstance) -> None:
    async with live_rig(asterisk) as rig, aiohttp.ClientSession(base_url=api_url(rig)) as anonymous:
        call_id = await rig.place_call()
        body = {"item": "Widget", "amount": "1.00"}
        async with anonymous.post(f"/api/v1/calls/{call_id}/payments", json=body) as resp:
            assert resp.status == 401
            check_response("POST", CREATE, 401, await resp.json())
        assert rig.daemon.calls.get(call_id).payment_id is None
