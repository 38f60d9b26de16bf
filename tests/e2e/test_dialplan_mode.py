"""Queue/Dial mode: a call the dialplan bridged is taken over through AMI for a payment,
and the operator's MixMonitor recording holds silence while the caller is in it."""

from __future__ import annotations

import array
import asyncio
import itertools
import secrets
import wave
from pathlib import Path

from securepay.ari import AriNotFound
from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.audio import frame_levels
from tests.e2e.payment_rig import PaymentRig, payment_rig
from tests.e2e.test_payment_flow import assert_back_with_agent, key_card

WINDOW_S = 0.1


def ami_overrides(asterisk: AsteriskInstance) -> dict[str, str]:
    return {
        "SECUREPAY_AMI_ENABLED": "true",
        "SECUREPAY_AMI_PORT": str(asterisk.ami_port),
        "SECUREPAY_AMI_PASSWORD": asterisk.ami_password,
    }


async def play_to_agent(rig: PaymentRig, media: str) -> None:
    """The agent speaks: a sound on the agent's phone, which the caller (and any recording) hears."""
    driver = rig.phones.driver.rest
    playback = await driver.play(rig.phones.agent_phone, [media])
    while True:
        try:
            await driver.request("GET", f"/playbacks/{playback.id}")
        except AriNotFound:
            return
        await asyncio.sleep(0.05)


async def dialplan_call_id(rig: PaymentRig) -> str:
    async def found() -> str:
        while True:
            async with rig.http.get("/api/v1/agents/alice/call") as resp:
                if resp.status == 200:
                    return str((await resp.json())["id"])
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(found(), 20)


def window_levels(path: Path) -> list[float]:
    """RMS of each 100 ms of a 16-bit mono WAV."""
    with wave.open(str(path)) as recording:
        rate = recording.getframerate()
        samples = array.array("h", recording.readframes(recording.getnframes()))
    return frame_levels(samples, int(rate * WINDOW_S))


async def test_a_dial_bridged_call_pays_through_ami_and_its_recording_is_silent_meanwhile(
    asterisk: AsteriskInstance,
) -> None:
    name = f"dial-{secrets.token_hex(4)}.wav"
    recording = asterisk.dir / "spool" / name
    async with payment_rig(asterisk, ami_overrides(asterisk)) as rig:
        await rig.phones.call_in("alice", dial_with_recording=f"{asterisk.inner_dir}/spool/{name}")
        call_id = await dialplan_call_id(rig)
        assert call_id.startswith("d-")
        await rig.until(lambda: rig.phones.agent_phone)
        await play_to_agent(rig, "sound:securepay/card-ending-in")

        payment = await rig.request_payment(call_id)
        await key_card(rig, payment)
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        await assert_back_with_agent(rig, payment)
        assert rig.phones.agent_heard == []

        await play_to_agent(rig, "sound:securepay/card-ending-in")
        await rig.phones.hang_up_caller()
        await rig.until(lambda: not rig.daemon.calls.all())
    await asyncio.sleep(0.5)

    levels = window_levels(recording)
    loud = [i for i, level in enumerate(levels) if level > 300]
    assert loud, "the agent's words before and after the payment are recorded"
    gaps = [(b - a, a, b) for a, b in itertools.pairwise(loud)]
    gap, start, end = max(gaps)
    assert gap * WINDOW_S >= 5, "the payment (prompts and read-backs) left a long silent stretch"
    assert max(levels[start + 1 : end]) < 30
    assert loud[0] < start + 1 and loud[-1] > end - 1
