"""Assisted payments with real SIP phones: a caller whose phone sends DTMF as in-band tones
keys the card with the agent on the line; the agent's phone gets no digit and no tone.

The agent's phone is ours over RTP: each frame it receives is run through Goertzel
filters (the caller's 1 kHz voice, the DTMF row and column frequencies), so "no tone"
is measured on the audio that reached the agent's leg.
"""

from __future__ import annotations

import asyncio

from securepay.flow import State
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import SIP_INBAND_CALLER_IP, AsteriskInstance
from tests.e2e.sip_rig import SipCall, sip_call
from tests.e2e.test_payment_flow import VISA

FIELDS = (
    (State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#"),
    (State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230"),
    (State.CVC_ENTRY, State.CVC_CONFIRM, "900"),
    (State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201"),
)


async def key_fields_counting_what_the_agent_gets(
    call: SipCall, payment: Payment
) -> list[tuple[int, int, int]]:
    """Key every field; per field, what the agent's phone got while it was keyed:
    (telephone-event packets, frames of DTMF tone, frames of the caller's voice)."""
    rig, agent = call.rig, call.agent.rtp
    counts = []
    for entry, confirm, digits in FIELDS:
        await rig.at(payment, entry)
        agent.reset_counts()
        await call.caller.key(digits)
        await rig.at(payment, confirm)
        counts.append((agent.event_packets, agent.tone_frames, agent.voice_frames))
        await call.caller.key("1")
    return counts


async def test_an_inband_caller_keys_an_assisted_payment_and_the_agent_gets_no_tone(
    asterisk: AsteriskInstance, sipp: str
) -> None:
    async with sip_call(asterisk, caller_ip=SIP_INBAND_CALLER_IP) as call:
        rig, agent = call.rig, call.agent.rtp
        call.caller.inband = True
        payment = await rig.request_payment(await rig.connected_call(), mode="assisted")
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
        during = await key_fields_counting_what_the_agent_gets(call, payment)
        await rig.at(payment, State.READY)
        await rig.quiet()
        agent.reset_counts()
        await asyncio.sleep(1.0)
        voice_in_ready = agent.voice_frames
        async with rig.http.post(f"/api/v1/payments/{payment.id}/submit") as resp:
            assert resp.status == 202
        await rig.finished(payment)
        call.report("inband, assisted", agent.digits_heard)
        print(f"agent phone per field (events, tone frames, voice frames): {during}")
        print(f"agent phone in READY: {voice_in_ready} frames of the caller's voice in 1 s")
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert "".join(call.asterisk_heard) == call.caller.rtp.digits_sent
        assert during == [(0, 0, 0)] * len(FIELDS), "no digit, no tone, nothing of the caller while keying"
        assert voice_in_ready > 1.0 / 0.02 / 4, "the agent hears the caller between entries"
