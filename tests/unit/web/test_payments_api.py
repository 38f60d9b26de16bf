"""The payments API's answers, each checked against the contract (a stand-in payment service)."""

from __future__ import annotations

import pytest

from securepay.flow import Outcome
from tests.unit.web.support import ALICE_TOKEN, BOB_TOKEN, SUPERVISOR_TOKEN, check_response, web_rig

CREATE = "/api/v1/calls/{call_id}/payments"
PAYMENT = "/api/v1/payments/{payment_id}"
AGENT_CALL = "/api/v1/agents/{agent_id}/call"


async def test_a_valid_request_starts_a_payment_and_says_where_to_follow_it() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        body = {"item": "Blue widget", "amount": "49.95"}
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/calls/{call.id}/payments", json=body) as resp:
            assert resp.status == 201
            payment = await resp.json()
            check_response("POST", CREATE, 201, payment)
        assert resp.headers["Location"] == f"/api/v1/payments/{payment['id']}"
        assert payment["amount"] == "49.95" and payment["currency"] == "USD"
        assert payment["crm_record_id"] == "CRM-1001"


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        (b"{not json", "invalid-json", None),
        (b"[1, 2]", "invalid-json", None),
        (b"\xff\xfe", "invalid-json", None),
        (b'{"amount": "5.00"}', "invalid-field", "item"),
        (b'{"item": "  ", "amount": "5.00"}', "invalid-field", "item"),
        (b'{"item": "Widget", "amount": 5}', "invalid-field", "amount"),
        (b'{"item": "Widget", "amount": "5.001"}', "invalid-field", "amount"),
        (b'{"item": "Widget", "amount": "-1"}', "invalid-field", "amount"),
        (b'{"item": "Widget", "amount": "10000.01"}', "invalid-field", "amount"),
        (b'{"item": "Widget", "amount": "5.00", "card": "4111"}', "invalid-field", "card"),
        (b'{"item": "Widget", "amount": "5.00", "language": "fr"}', "invalid-field", "language"),
    ],
)
async def test_a_malformed_request_is_422_naming_the_field(
    body: bytes, error: str, field: str | None
) -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        client = rig.client(ALICE_TOKEN, **{"Content-Type": "application/json"})
        async with client.post(f"/api/v1/calls/{call.id}/payments", data=body) as resp:
            assert resp.status == 422
            answer = await resp.json()
            check_response("POST", CREATE, 422, answer)
        assert answer["error"] == error and answer.get("field") == field
        assert call.payment_id is None


async def test_an_amount_over_max_amount_says_the_limit() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        body = {"item": "Widget", "amount": "20000.00"}
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/calls/{call.id}/payments", json=body) as resp:
            answer = await resp.json()
        assert (resp.status, answer["field"], answer["message"]) == (
            422,
            "amount",
            "must be at most 10000.00",
        )


async def test_a_body_over_64_kib_is_413() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        body = {"item": "x" * 70_000, "amount": "1.00"}
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/calls/{call.id}/payments", json=body) as resp:
            assert resp.status == 413
            check_response("POST", CREATE, 413, await resp.json())


async def test_a_request_on_an_unknown_call_is_404() -> None:
    async with web_rig() as rig:
        body = {"item": "Widget", "amount": "1.00"}
        async with rig.client(ALICE_TOKEN).post("/api/v1/calls/c-gone/payments", json=body) as resp:
            assert resp.status == 404
            check_response("POST", CREATE, 404, await resp.json())


@pytest.mark.parametrize("busy", ["session-in-progress", "call-not-connected"])
async def test_a_call_that_cannot_take_a_payment_now_is_409(busy: str) -> None:
    async with web_rig() as rig:
        call = rig.add_call(connected=busy != "call-not-connected")
        if busy == "session-in-progress":
            await rig.start_payment(call)
        body = {"item": "Widget", "amount": "1.00"}
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/calls/{call.id}/payments", json=body) as resp:
            assert resp.status == 409
            answer = await resp.json()
            check_response("POST", CREATE, 409, answer)
        assert answer["error"] == busy


async def test_an_agent_reads_their_payment_and_not_another_agents() -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call())
        async with rig.client(ALICE_TOKEN).get(f"/api/v1/payments/{payment.id}") as resp:
            check_response("GET", PAYMENT, 200, await resp.json())
        async with rig.client(BOB_TOKEN).get(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 403
            check_response("GET", PAYMENT, 403, await resp.json())
        async with rig.client(SUPERVISOR_TOKEN).get(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 200


async def test_an_unknown_payment_is_404() -> None:
    async with web_rig() as rig:
        for method in ("GET", "DELETE"):
            async with rig.client(ALICE_TOKEN).request(method, "/api/v1/payments/p-00") as resp:
                assert resp.status == 404
                check_response(method, PAYMENT, 404, await resp.json())


async def test_an_agent_cancels_their_running_payment() -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call())
        async with rig.client(ALICE_TOKEN).delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 202
            check_response("DELETE", PAYMENT, 202, await resp.json())


async def test_another_agent_cannot_cancel_a_payment() -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call())
        async with rig.client(BOB_TOKEN).delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 403
            check_response("DELETE", PAYMENT, 403, await resp.json())
        assert not payment.finished


@pytest.mark.parametrize("when", ["payment-finished", "charge-in-progress"])
async def test_a_payment_that_cannot_be_cancelled_now_is_409(when: str) -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call())
        if when == "payment-finished":
            await rig.payments.finish(payment, Outcome.DECLINED)
        else:
            rig.payments.charging.add(payment.id)
        async with rig.client(ALICE_TOKEN).delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 409
            answer = await resp.json()
            check_response("DELETE", PAYMENT, 409, answer)
        assert answer["error"] == when


async def test_an_agents_call_shows_its_running_payment() -> None:
    async with web_rig() as rig:
        call = rig.add_call()
        payment = await rig.start_payment(call)
        async with rig.client(ALICE_TOKEN).get("/api/v1/agents/alice/call") as resp:
            answer = await resp.json()
            check_response("GET", AGENT_CALL, 200, answer)
        assert answer["id"] == call.id and answer["payment_id"] == payment.id


@pytest.mark.parametrize(("agent", "error"), [("alice", "no-call"), ("carol", "unknown-agent")])
async def test_no_call_or_no_such_agent_is_404(agent: str, error: str) -> None:
    async with web_rig() as rig, rig.client(SUPERVISOR_TOKEN).get(f"/api/v1/agents/{agent}/call") as resp:
        assert resp.status == 404
        answer = await resp.json()
        check_response("GET", AGENT_CALL, 404, answer)
        assert answer["error"] == error


async def test_unknown_routes_and_methods_answer_in_the_error_shape() -> None:
    async with web_rig() as rig:
        client = rig.client(ALICE_TOKEN)
        async with client.get("/api/v1/nothing-here") as resp:
            assert (resp.status, (await resp.json())["error"]) == (404, "not-found")
        async with client.put("/api/v1/payments/p-1") as resp:
            assert (resp.status, (await resp.json())["error"]) == (405, "method-not-allowed")
            assert resp.headers["Allow"] == "DELETE, GET, HEAD"
