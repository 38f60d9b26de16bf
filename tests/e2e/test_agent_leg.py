"""The agent's leg as securepay dials it, on a real Asterisk: it speaks the caller's codec
(no transcoding between the two) and belongs to the caller's call in CDR and CEL."""

from __future__ import annotations

from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import payment_rig


async def test_the_agent_is_dialled_in_the_callers_codec_and_joins_the_callers_linkedid(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        await rig.phones.call_in("alice", codec="ulaw")
        call = rig.daemon.calls.get(await rig.connected_call())
        assert call is not None and call.agent_channel is not None
        rest = rig.daemon.ari.rest
        caller, agent = call.caller_channel, call.agent_channel
        assert await rest.get_variable(agent, "CHANNEL(audionativeformat)") == "(ulaw)"
        caller_linkedid = await rest.get_variable(caller, "CHANNEL(linkedid)")
        assert await rest.get_variable(agent, "CHANNEL(linkedid)") == caller_linkedid
