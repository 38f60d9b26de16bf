"""The caller's payment, end to end on a real Asterisk: from the agent's bridge and back.

A driver app plays the caller's phone (keying DTMF as soon as the flow asks, barging in
on prompts) and the agent's phone (recording every digit the agent could hear).
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from securepay.events.publisher import agent_channel
from securepay.flow import State
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig, payment_rig

VISA = "4111111111111111"
AMEX = "370000000000002"
JCB = "3088000000000017"


async def confirm_amount(rig: PaymentRig, payment: Payment) -> None:
    await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")


async def enter(rig: PaymentRig, payment: Payment, entry: State, confirm: State, digits: str) -> None:
    await rig.key_at(payment, entry, digits)
    await rig.key_at(payment, confirm, "1")


async def key_card(
    rig: PaymentRig,
    payment: Payment,
    card: str = VISA,
    expiry: str = "1230",
    cvc: str = "900",
    zip_code: str = "46201",
) -> None:
    await confirm_amount(rig, payment)
    await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, card + "#")
    await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, expiry)
    await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, cvc)
    await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, zip_code)


async def assert_back_with_agent(rig: PaymentRig, payment: Payment) -> None:
    call = rig.daemon.calls.get(payment.call_id)
    assert call is not None and call.payment_id is None
    assert await rig.bridge_members(call.id) == {call.caller_channel, call.agent_channel}


async def test_visa_payment_succeeds_and_the_caller_is_back_with_the_agent(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id)
        await key_card(rig, payment)
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert payment.transaction_id and payment.brand == "visa" and payment.last4 == "1111"
        assert [c.invoice_number for c in rig.simulator.charges] == [payment.invoice_number]
        await assert_back_with_agent(rig, payment)
        assert rig.phones.agent_heard == []


async def test_amex_payment_takes_a_four_digit_cvc(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await key_card(rig, payment, card=AMEX, cvc="9000")
        await rig.finished(payment)
        assert payment.outcome.value == "success" and payment.brand == "amex"
        assert rig.simulator.charges[0].account_type == "AmericanExpress"


async def test_pressing_two_reenters_every_step(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        for entry, confirm, wrong, right in (
            (State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, "5424000000000015#", VISA + "#"),
            (State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1131", "1230"),
            (State.CVC_ENTRY, State.CVC_CONFIRM, "123", "900"),
            (State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "90210", "46201"),
        ):
            await enter_then_redo(rig, payment, entry, confirm, wrong, right)
        await rig.finished(payment)
        assert payment.outcome.value == "success" and payment.brand == "visa"
        assert rig.simulator.charges[0].amount_text == "49.95"


async def enter_then_redo(
    rig: PaymentRig, payment: Payment, entry: State, confirm: State, wrong: str, right: str
) -> None:
    await rig.key_at(payment, entry, wrong)
    await rig.key_at(payment, confirm, "2")
    await rig.key_at(payment, entry, right)
    await rig.key_at(payment, confirm, "1")


async def test_an_invalid_card_number_is_refused_then_a_valid_one_is_charged(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await rig.key_at(payment, State.CARD_NUMBER_ENTRY, "4111111111111112#")
        await rig.until(lambda: rig.step_error(payment) == "card-invalid")
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
        await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
        await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201")
        await rig.finished(payment)
        assert payment.outcome.value == "success"
        assert len(rig.simulator.charges) == 1


async def test_a_brand_not_accepted_gets_its_own_message(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await rig.key_at(payment, State.CARD_NUMBER_ENTRY, JCB + "#")
        await rig.until(lambda: rig.step_error(payment) == "card-not-accepted")
        await rig.key_at(payment, State.CARD_NUMBER_ENTRY, "*")
        await rig.finished(payment)
        assert payment.outcome.value == "caller-cancelled"
        assert rig.simulator.charges == []


async def test_an_expired_date_is_refused(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await rig.key_at(payment, State.EXPIRY_ENTRY, "0120")
        await rig.until(lambda: rig.step_error(payment) == "card-expired")
        assert rig.state(payment) == State.EXPIRY_ENTRY


async def test_too_many_invalid_entries_fail_the_payment_and_return_the_caller(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        for attempt in range(1, 4):
            await rig.key_at(payment, State.CARD_NUMBER_ENTRY, "1234567890123#")
            await rig.until(
                lambda n=attempt: rig.failures(payment) >= n or rig.state(payment) != State.CARD_NUMBER_ENTRY
            )
        await rig.finished(payment)
        assert payment.outcome.value == "too-many-failed-attempts"
        assert rig.simulator.charges == []
        await assert_back_with_agent(rig, payment)


async def test_silence_after_a_prompt_times_the_payment_out(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk, {"SECUREPAY_IVR_INPUT_TIMEOUT_S": "1.5"}) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await rig.finished(payment, timeout=60)
        assert payment.outcome.value == "input-timeout"
        await assert_back_with_agent(rig, payment)


async def test_star_at_the_card_step_cancels_and_returns_the_caller(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        async with rig.daemon.bus.subscribe([agent_channel("alice")]) as stream:
            payment = await rig.request_payment(call_id)
            await confirm_amount(rig, payment)
            await rig.key_at(payment, State.CARD_NUMBER_ENTRY, "4111*")
            await rig.finished(payment)
            kinds = []
            while "payment.result" not in kinds:
                event = await asyncio.wait_for(anext(stream), 5)
                kinds.append(
                    event["type"] if event["type"] != "payment.cancelled" else f"cancelled:{event['by']}"
                )
        assert payment.outcome.value == "caller-cancelled"
        assert kinds.index("cancelled:caller") < kinds.index("payment.result")
        assert rig.simulator.charges == []
        await assert_back_with_agent(rig, payment)


async def test_caller_hanging_up_during_cvc_charges_nothing_and_ends_the_agent_leg(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id)
        await confirm_amount(rig, payment)
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
        await rig.key_at(payment, State.CVC_ENTRY, "90")
        await rig.phones.hang_up_caller()
        await rig.finished(payment)
        assert payment.outcome.value == "caller-hung-up"
        assert rig.simulator.charges == []
        await rig.until(lambda: rig.daemon.calls.get(call_id) is None)
        await rig.until(lambda: rig.phones.agent_hung_up)


async def test_agent_hanging_up_mid_flow_lets_the_caller_finish_then_falls_back(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await rig.phones.hang_up_agent()
        await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
        await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
        await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201")
        await rig.finished(payment, timeout=60)
        assert payment.outcome.value == "success"
        assert len(rig.simulator.charges) == 1
        await rig.until(lambda: rig.phones.caller_reached_fallback)


async def test_declining_the_amount_returns_the_caller(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "2")
        await rig.finished(payment)
        assert payment.outcome.value == "amount-declined"
        await assert_back_with_agent(rig, payment)


async def test_a_gateway_decline_is_told_to_the_caller_and_recorded(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await key_card(rig, payment, zip_code="46282")
        await rig.finished(payment)
        assert payment.outcome.value == "declined"
        assert payment.reason == "declined"
        await assert_back_with_agent(rig, payment)


async def test_a_key_during_a_prompt_stops_the_prompt(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        stopped: list[str] = []
        stop_playback = rig.daemon.ari.rest.stop_playback

        async def spy(playback_id: str) -> None:
            stopped.append(playback_id)
            await stop_playback(playback_id)

        rig.daemon.ari.rest.stop_playback = spy  # type: ignore[method-assign]
        payment = await rig.request_payment(await rig.place_call())
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
        await rig.at(payment, State.CARD_NUMBER_ENTRY)
        assert stopped and stopped[0].startswith(payment.id)


async def test_a_second_request_on_the_same_call_is_refused(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id)
        async with rig.http.post(
            f"/api/v1/calls/{call_id}/payments", json={"item": "Again", "amount": "1.00"}
        ) as resp:
            assert resp.status == 409
            assert (await resp.json())["error"] == "session-in-progress"
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "*")
        await rig.finished(payment)


async def test_digits_reach_the_agent_while_talking_but_none_during_a_payment(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        await rig.phones.key("123")
        await rig.until(lambda: len(rig.phones.agent_heard) == 3)
        rig.phones.agent_heard.clear()
        payment = await rig.request_payment(call_id)
        await key_card(rig, payment)
        await rig.finished(payment)
        assert payment.outcome.value == "success"
        await asyncio.sleep(0.5)
        assert rig.phones.agent_heard == []
        await rig.phones.key("9")
        await rig.until(lambda: rig.phones.agent_heard == ["9"])


async def test_the_agent_can_abort_and_the_caller_returns(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await rig.at(payment, State.CARD_NUMBER_ENTRY)
        async with rig.http.delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 202
        await rig.finished(payment)
        assert payment.outcome.value == "agent-cancelled"
        await assert_back_with_agent(rig, payment)


async def test_a_spanish_caller_hears_the_spanish_prompts(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call(language="es"))
        assert payment.request.language == "es"
        await key_card(rig, payment)
        await rig.finished(payment)
        assert payment.outcome.value == "success"
        assert rig.playback_states and "failed" not in rig.playback_states
        sound = await rig.daemon.ari.rest.request("GET", "/sounds/securepay%2Fintro")
        assert {"language": "es", "format": "ulaw"} in sound["formats"]


async def test_no_log_line_carries_card_digits_or_the_ari_password(
    asterisk: AsteriskInstance, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log_before = asterisk.log_path.read_text()
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call(), item="Gift card 4111 for Bob")
        await key_card(rig, payment, card="5424000000000015", expiry="0731", cvc="473")
        await rig.finished(payment)
        assert payment.outcome.value == "success"
    ours = caplog.text
    theirs = asterisk.log_path.read_text()[len(log_before) :]
    for text in (ours, theirs):
        assert "5424000000000015" not in text and "542400000000" not in text
        assert asterisk.password not in text
        assert "DTMF" not in text
    assert "securepay.ivr" in ours, "the payment did log, just nothing secret"
