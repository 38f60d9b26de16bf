"""Assisted mode over the API: the agent restarts a field or submits, for their own
assisted payment only; each answer checked against the contract (a stand-in payment service)."""

from __future__ import annotations

import pytest

from tests.unit.web.support import ALICE_TOKEN, BOB_TOKEN, check_response, web_rig

RESTART = "/api/v1/payments/{payment_id}/fields/{field}/restart"
SUBMIT = "/api/v1/payments/{payment_id}/submit"


async def test_an_agent_restarts_the_expiry_of_their_assisted_payment() -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call(), mode="assisted")
        async with rig.client(ALICE_TOKEN).post(
            f"/api/v1/payments/{payment.id}/fields/expiry/restart"
        ) as resp:
            assert resp.status == 202
            answer = await resp.json()
            check_response("POST", RESTART, 202, answer)
        assert answer["mode"] == "assisted"
        assert rig.payments.controls == [(payment.id, "restart:expiry")]


async def test_an_agent_submits_their_assisted_payment() -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call(), mode="assisted")
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/payments/{payment.id}/submit") as resp:
            assert resp.status == 202
            check_response("POST", SUBMIT, 202, await resp.json())
        assert rig.payments.controls == [(payment.id, "submit")]


@pytest.mark.parametrize("field", ["amount", "pin", "processing"])
async def test_a_field_that_cannot_be_restarted_is_422_naming_it(field: str) -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call(), mode="assisted")
        url = f"/api/v1/payments/{payment.id}/fields/{field}/restart"
        async with rig.client(ALICE_TOKEN).post(url) as resp:
            assert resp.status == 422
            answer = await resp.json()
            check_response("POST", RESTART, 422, answer)
        assert answer["field"] == "field" and rig.payments.controls == []


@pytest.mark.parametrize("path", ["fields/cvc/restart", "submit"])
async def test_a_private_payment_takes_no_restart_or_submit(path: str) -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call())
        async with rig.client(ALICE_TOKEN).post(f"/api/v1/payments/{payment.id}/{path}") as resp:
            assert resp.status == 409
            answer = await resp.json()
        check_response("POST", RESTART if "restart" in path else SUBMIT, 409, answer)
        assert answer["error"] == "not-assisted"


async def test_another_agent_cannot_submit_or_restart() -> None:
    async with web_rig() as rig:
        payment = await rig.start_payment(rig.add_call(), mode="assisted")
        for path, template in (("submit", SUBMIT), ("fields/card_number/restart", RESTART)):
            async with rig.client(BOB_TOKEN).post(f"/api/v1/payments/{payment.id}/{path}") as resp:
                assert resp.status == 403
                check_response("POST", template, 403, await resp.json())
        assert rig.payments.controls == []


async def test_a_request_names_its_mode_or_gets_the_configured_default() -> None:
    async with web_rig() as rig:
        client = rig.client(ALICE_TOKEN)
        for body, mode in (({"mode": "assisted"}, "assisted"), ({}, "private")):
            call = rig.add_call()
            payload = {"item": "Blue widget", "amount": "49.95", **body}
            async with client.post(f"/api/v1/calls/{call.id}/payments", json=payload) as resp:
                assert resp.status == 201
                assert (await resp.json())["mode"] == mode
        async with client.post(
            f"/api/v1/calls/{rig.add_call().id}/payments", json={"item": "x", "amount": "1", "mode": "loud"}
        ) as resp:
            assert resp.status == 422 and (await resp.json())["field"] == "mode"
