"""Real phones: payments over SIP and RTP with RFC 4733 telephone-events.

The caller is a trunk's caller and the agent a registered phone, both sipp (a real SIP
user agent); their RTP is ours, so each test counts the digits the caller sent, the
digits Asterisk received, and the telephone-events that reached the agent's phone.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets

import pytest

from securepay.events.publisher import agent_channel
from securepay.flow import State
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import SIP_INBAND_CALLER_IP, AsteriskInstance
from tests.e2e.sip_rig import SipCall, sip_call
from tests.e2e.test_dialplan_mode import WINDOW_S, ami_overrides, dialplan_call_id, window_levels
from tests.e2e.test_payment_flow import VISA, assert_back_with_agent, confirm_amount, enter, key_card

CARD_DIGITS = "1" + VISA + "#1" + "12301" + "9001" + "462011"
"""What key_card keys: amount confirm, then each entry followed by 1 to confirm."""
LISTEN_S = 1.0


async def agent_hears_the_caller(call: SipCall) -> None:
    """The caller's voice (its 1 kHz tone) reaches the agent's phone."""
    call.agent.rtp.reset_counts()
    await asyncio.sleep(LISTEN_S)
    assert call.agent.rtp.voice_frames > LISTEN_S / 0.02 / 4, call.agent.rtp.voice_frames


Heard = tuple[list[str], int, int, int]
"""What the agent's phone got: digits, telephone-event packets, frames of the caller's
voice, frames of DTMF tones."""


async def pay_while_the_agent_listens(call: SipCall, call_id: str = "") -> tuple[Payment, Heard]:
    """The caller pays by Visa: charged once, back with the agent; and what the agent's
    phone got while the caller keyed."""
    rig, agent = call.rig, call.agent.rtp
    payment = await rig.request_payment(call_id or await rig.connected_call())
    await rig.at(payment, State.AMOUNT_CONFIRM)
    await asyncio.sleep(0.2)
    agent.reset_counts()
    await key_card(rig, payment)
    during = (list(agent.digits_heard), agent.event_packets, agent.voice_frames, agent.tone_frames)
    await rig.finished(payment)
    assert payment.outcome is not None and payment.outcome.value == "success"
    assert [c.invoice_number for c in rig.simulator.charges] == [payment.invoice_number]
    await assert_back_with_agent(rig, payment)
    return payment, during


async def test_a_sip_caller_pays_by_visa_and_is_bridged_back_to_the_agents_phone(
    asterisk: AsteriskInstance, sipp: str
) -> None:
    log_before = asterisk.log_path.read_text()
    async with sip_call(asterisk) as call:
        payment, during = await pay_while_the_agent_listens(call)
        call.report("visa payment", during[0])
        assert payment.brand == "visa" and payment.last4 == "1111"
        assert "".join(call.asterisk_heard) == call.caller.rtp.digits_sent == CARD_DIGITS
        await agent_hears_the_caller(call)
    log = asterisk.log_path.read_text()[len(log_before) :]
    assert VISA not in log and "DTMF" not in log, "PJSIP and RTP log no keyed digit"


async def test_the_agents_phone_receives_no_digit_during_a_payment_but_does_before_and_after(
    asterisk: AsteriskInstance, sipp: str
) -> None:
    async with sip_call(asterisk) as call:
        rig, agent = call.rig, call.agent.rtp
        await call.caller.key("123")
        await rig.until(lambda: len(agent.digits_heard) >= 3, 5)
        before = list(agent.digits_heard)
        _, during = await pay_while_the_agent_listens(call)
        await call.caller.key("9")
        await rig.until(lambda: agent.digits_heard, 5)
        after = list(agent.digits_heard)
        call.report("before, during and after a payment", before + after)
        print(f"agent phone: before {before}, during (digits, packets, voice, tones) {during}, after {after}")
        assert before == ["1", "2", "3"]
        assert during == ([], 0, 0, 0), "no digit and none of the caller's audio reached the agent"
        assert after == ["9"]


async def test_star_cancels_and_two_reenters_over_sip(asterisk: AsteriskInstance, sipp: str) -> None:
    async with sip_call(asterisk) as call:
        rig = call.rig
        payment = await rig.request_payment(await rig.connected_call())
        await confirm_amount(rig, payment)
        await rig.key_at(payment, State.CARD_NUMBER_ENTRY, "5424000000000015#")
        await rig.key_at(payment, State.CARD_NUMBER_CONFIRM, "2")
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await rig.key_at(payment, State.EXPIRY_ENTRY, "12*")
        await rig.finished(payment)
        call.report("re-entry then cancel", call.agent.rtp.digits_heard)
        assert payment.outcome is not None and payment.outcome.value == "caller-cancelled"
        assert payment.last4 == "1111", "the re-entered card replaced the first"
        assert rig.simulator.charges == []
        assert "".join(call.asterisk_heard) == call.caller.rtp.digits_sent
        assert call.agent.rtp.digits_heard == []
        await assert_back_with_agent(rig, payment)
        await agent_hears_the_caller(call)


@pytest.mark.parametrize("application", ["dial", "queue"])
async def test_a_sip_call_bridged_by_dial_or_queue_pays_through_ami_with_its_recording_muted(
    asterisk: AsteriskInstance, sipp: str, application: str
) -> None:
    name = f"sip-{secrets.token_hex(4)}"
    async with sip_call(asterisk, f"{application}-{name}", ami_overrides(asterisk)) as call:
        rig = call.rig
        call_id = await dialplan_call_id(rig)
        assert call_id.startswith("d-")
        await agent_hears_the_caller(call)
        _, during = await pay_while_the_agent_listens(call, call_id)
        call.report(f"{application} mode payment", during[0])
        assert during == ([], 0, 0, 0)
        await agent_hears_the_caller(call)
        await call.caller.hang_up()
        await rig.until(lambda: not rig.daemon.calls.all())
    await asyncio.sleep(0.5)

    levels = window_levels(asterisk.dir / "spool" / "monitor" / f"{name}.wav")
    loud = [i for i, level in enumerate(levels) if level > 300]
    gap, start, end = max((b - a, a, b) for a, b in itertools.pairwise(loud))
    assert gap * WINDOW_S >= 3, "the caller's voice is recorded before and after, not during the payment"
    assert max(levels[start + 1 : end]) < 30


async def test_a_sip_caller_hanging_up_mid_entry_charges_nothing_and_the_agent_is_told(
    asterisk: AsteriskInstance, sipp: str
) -> None:
    async with sip_call(asterisk) as call:
        rig = call.rig
        call_id = await rig.connected_call()
        async with rig.daemon.bus.subscribe([agent_channel("alice")]) as stream:
            payment = await rig.request_payment(call_id)
            await confirm_amount(rig, payment)
            await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
            await rig.key_at(payment, State.EXPIRY_ENTRY, "12")
            assert await call.caller.hang_up() == 0, "Asterisk answered the BYE"
            await rig.finished(payment)
            result = None
            while result is None:
                event = await asyncio.wait_for(anext(stream), 5)
                result = event if event["type"] == "payment.result" else None
        call.report("caller BYE mid-entry", call.agent.rtp.digits_heard)
        assert payment.outcome is not None and payment.outcome.value == "caller-hung-up"
        assert result["outcome"] == "caller-hung-up"
        assert rig.simulator.charges == []
        assert await call.agent.ended() == 0, "the agent's phone got its BYE"
        await rig.until(lambda: rig.daemon.calls.get(call_id) is None)


async def test_a_60_ms_digit_burst_over_rtp_loses_no_digit(asterisk: AsteriskInstance, sipp: str) -> None:
    async with sip_call(asterisk) as call:
        call.caller.duration_ms = call.caller.gap_ms = 60
        _, during = await pay_while_the_agent_listens(call)
        call.report("60 ms / 60 ms burst", during[0])
        assert "".join(call.asterisk_heard) == call.caller.rtp.digits_sent == CARD_DIGITS
        assert set(call.durations_ms) == {60}, "Asterisk saw 60 ms digits"


async def test_an_inband_dtmf_caller_pays_and_the_agent_hears_none_of_it(
    asterisk: AsteriskInstance, sipp: str
) -> None:
    async with sip_call(asterisk, caller_ip=SIP_INBAND_CALLER_IP) as call:
        rig, agent = call.rig, call.agent.rtp
        call.caller.inband = True
        await call.caller.key("56")
        await rig.until(lambda: len(agent.digits_heard) >= 2, 5)
        before = (list(agent.digits_heard), agent.tone_frames)
        _, during = await pay_while_the_agent_listens(call)
        call.report("inband: before and during a payment", before[0] + during[0])
        print(f"agent phone: before {before[0]} (+{before[1]} frames of tone), during {during}")
        assert "".join(call.asterisk_heard) == call.caller.rtp.digits_sent == "56" + CARD_DIGITS
        assert before[0] == ["5", "6"], "talking, Asterisk passes detected tones on as RFC 4733 events"
        assert before[1] < 2 * 80 // 20, "and its detector mutes most of the tones"
        assert during == ([], 0, 0, 0), "no digit, no tone, none of the caller's audio reached the agent"
