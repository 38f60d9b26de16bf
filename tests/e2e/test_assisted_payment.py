"""Assisted payments on a real Asterisk: the agent stays on the line while the caller keys
the card, hears the caller but no prompt (or, with `agent_hears_prompts`, the instructions
but no read-back), receives no digit, and submits the charge.

The agent's phone is recorded by Asterisk (what it received), and every DTMF event
reaching it is counted by the driver app: both are the agent's side of the call.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from securepay.ari.models import PlaybackFinished
from securepay.calls.recovery import PROMPT_VARIABLE
from securepay.flow import Play, State
from securepay.ivr.prompts import PromptPlayer
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.audio import seconds_of_sound, tone_amplitude, wav_samples
from tests.e2e.payment_rig import RECORDED_AGENT_ENDPOINT, PaymentRig, payment_rig
from tests.e2e.test_dialplan_mode import ami_overrides, dialplan_call_id
from tests.e2e.test_payment_flow import VISA, assert_back_with_agent, enter, key_card

CALLER_VOICE_HZ = 440.0
CALLER_KEYING_HZ = 1400.0
"""What the caller's phone sends while the caller keys a field: like an in-band key tone."""
CALLER_TALKS_S = 1.0


async def together(rig: PaymentRig, payment: Payment) -> bool:
    """Caller and agent share one bridge, and nobody else is in it."""
    call = rig.daemon.calls.get(payment.call_id)
    assert call is not None
    return await rig.bridge_of(call.caller_channel) == {call.caller_channel, call.agent_channel}


async def caller_says_something(rig: PaymentRig, hz: float = CALLER_VOICE_HZ) -> None:
    """The caller's phone sends a steady tone for a second: their voice, as the agent should hear it."""
    driver = rig.phones.driver.rest
    await driver.play(rig.phones.caller_phone, [f"tone:{hz:.0f}"], playback_id=f"caller-voice-{hz:.0f}")
    await asyncio.sleep(CALLER_TALKS_S)
    await driver.stop_playback(f"caller-voice-{hz:.0f}")


async def key_every_field(rig: PaymentRig, payment: Payment) -> None:
    await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
    assert await together(rig, payment)
    await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
    await rig.at(payment, State.EXPIRY_ENTRY)
    await rig.quiet()
    await caller_says_something(rig, CALLER_KEYING_HZ)
    await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
    await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
    assert await together(rig, payment)
    await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201")


async def submit(rig: PaymentRig, payment: Payment) -> int:
    async with rig.http.post(f"/api/v1/payments/{payment.id}/submit") as resp:
        return resp.status


async def test_the_agent_stays_on_the_line_hears_the_caller_and_receives_no_digit_and_no_prompt(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk, agent_endpoint=RECORDED_AGENT_ENDPOINT) as rig:
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id, mode="assisted")
        await key_every_field(rig, payment)
        await rig.at(payment, State.READY)
        assert rig.simulator.charges == [], "nothing is charged before the agent submits"
        # A prompt suspends the caller from the bridge while it plays (Asterisk's bridge
        # playfile), so the caller speaks once "your agent will now submit" is over.
        await rig.quiet()
        await caller_says_something(rig)
        assert await submit(rig, payment) == 202
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert payment.brand == "visa" and payment.last4 == "1111"
        assert rig.phones.agent_heard == []
        call = rig.daemon.calls.get(call_id)
        assert await rig.bridge_members(call_id) == {call.caller_channel, call.agent_channel}
        await rig.phones.key("9")
        await rig.until(lambda: rig.phones.agent_heard == ["9"])
        heard = await agent_recording(rig)
        assert tone_amplitude(heard, CALLER_VOICE_HZ) > 1000, "the agent heard the caller"
        assert tone_amplitude(heard, CALLER_KEYING_HZ) < 20, "but nothing while a field was keyed"
        # Asterisk writes the agent's leg only while audio reaches it. All of it is the
        # caller's voice: the prompts the caller heard meanwhile (speech) would add energy
        # at other frequencies.
        voice_power = tone_amplitude(heard, CALLER_VOICE_HZ) ** 2 / 2
        assert voice_power / (sum(s * s for s in heard) / len(heard)) > 0.9, "nothing but the caller"


async def agent_recording(rig: PaymentRig) -> list[int]:
    """The agent phone's recording, complete once the agent hangs up."""
    await rig.phones.hang_up_agent()
    await rig.until(lambda: rig.phones.agent_hung_up)
    path = rig.agent_heard_audio()
    await rig.until(lambda: path.exists() and path.stat().st_size > 44, timeout=5)
    return wav_samples(path)


async def test_the_agent_has_the_caller_key_the_expiry_again(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call(), mode="assisted")
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1131")
        await rig.at(payment, State.CVC_ENTRY)
        assert await submit(rig, payment) == 409
        async with rig.http.post(f"/api/v1/payments/{payment.id}/fields/expiry/restart") as resp:
            assert resp.status == 202
        await rig.until(lambda: payment.fields["expiry"]["digits_entered"] == 0)
        assert payment.fields["card_number"]["masked"].endswith("1111")
        await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
        await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
        await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201")
        await rig.at(payment, State.READY)
        assert await submit(rig, payment) == 202
        await rig.finished(payment)
        assert payment.outcome.value == "success"
        (charge,) = rig.simulator.charges
        assert charge.status == "approved"
        assert rig.phones.agent_heard == []


async def test_the_agent_cancels_and_both_are_back_in_their_own_bridge(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id, mode="assisted")
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
        await rig.key_at(payment, State.CARD_NUMBER_ENTRY, "4111")
        await rig.until(lambda: payment.fields.get("card_number", {}).get("brand") == "visa")
        async with rig.http.delete(f"/api/v1/payments/{payment.id}") as resp:
            assert resp.status == 202
        await rig.finished(payment)
        assert payment.outcome.value == "agent-cancelled"
        assert rig.simulator.charges == [] and rig.phones.agent_heard == []
        call = rig.daemon.calls.get(call_id)
        assert await rig.bridge_members(call_id) == {call.caller_channel, call.agent_channel}


async def test_a_call_bridged_by_dial_pays_assisted_through_ami(asterisk: AsteriskInstance) -> None:
    name = f"dial-assisted-{secrets.token_hex(4)}.wav"
    async with payment_rig(asterisk, ami_overrides(asterisk)) as rig:
        await rig.phones.call_in("alice", dial_with_recording=f"{asterisk.inner_dir}/spool/{name}")
        call_id = await dialplan_call_id(rig)
        await rig.until(lambda: rig.phones.agent_phone)
        payment = await rig.request_payment(call_id, mode="assisted")
        await key_card(rig, payment)
        await rig.at(payment, State.READY)
        assert await together(rig, payment)
        assert await submit(rig, payment) == 202
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert rig.phones.agent_heard == []
        await assert_back_with_agent(rig, payment)


async def test_with_agent_hears_prompts_the_agent_hears_the_instructions_but_no_readback_and_no_digit(
    asterisk: AsteriskInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    played: dict[str, Play] = {}
    play = PromptPlayer.play

    async def noting(self: PromptPlayer, playback: str, prompt: Play) -> None:
        played[playback] = prompt
        await play(self, playback, prompt)

    monkeypatch.setattr(PromptPlayer, "play", noting)
    overrides = {"SECUREPAY_PAYMENTS_AGENT_HEARS_PROMPTS": "true"}
    async with payment_rig(asterisk, overrides, agent_endpoint=RECORDED_AGENT_ENDPOINT) as rig:
        targets: dict[str, str] = {}  # where Asterisk played each playback: channel:<id> or bridge:<id>

        def finished(event: PlaybackFinished) -> None:
            targets[event.playback.id] = event.playback.target_uri

        rig.daemon.ari.on(PlaybackFinished, finished)
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id, mode="assisted")
        call = rig.daemon.calls.get(call_id)
        assert call is not None
        intro = f"{payment.id}-1"
        await rig.until(lambda: intro in rig.playing)
        (pay_bridge,) = [b["id"] for b in await rig.daemon.ari.rest.list_bridges() if payment.id in b["name"]]
        playback = await rig.daemon.ari.rest.request("GET", f"/playbacks/{intro}")
        assert playback["target_uri"] == f"bridge:{pay_bridge}", "the intro plays on the payment's bridge"
        assert await rig.daemon.ari.rest.get_variable(call.caller_channel, PROMPT_VARIABLE) == intro
        await key_card(rig, payment)
        await rig.at(payment, State.READY)
        assert await submit(rig, payment) == 202
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        (charge,) = rig.simulator.charges
        assert charge.status == "approved"
        assert rig.phones.agent_heard == [], "no digit reached the agent"
        heard = await agent_recording(rig)
    readbacks = [pb for pb, prompt in played.items() if prompt.private]
    instructions = [pb for pb, prompt in played.items() if not prompt.private]
    assert [played[pb].media[0] for pb in readbacks] == [
        "sound:securepay/card-ending-in",
        "sound:securepay/expiry-is",
        "sound:securepay/cvc-3-digits",
        "sound:securepay/postal-code-is",
    ]
    assert {targets[pb] for pb in readbacks} == {f"channel:{call.caller_channel}"}
    assert {targets[pb] for pb in instructions} == {f"bridge:{pay_bridge}"}
    sound_s = seconds_of_sound(heard)
    print(
        f"{len(instructions)} instructions on the bridge, {len(readbacks)} read-backs on the caller's "
        f"channel; the agent heard {sound_s:.1f} s of prompts"
    )
    assert sound_s > 5, "the agent heard the intro (7.2 s of speech) played on the bridge"
