"""The payment rig with real SIP phones: a trunk caller and alice's registered phone, both
sipp over SIP, with RTP (PCMU and RFC 4733 events) sent and counted by our own sockets.

Each test prints the digits its caller sent and what Asterisk and the agent's phone
received (`pytest -m sip -s` shows them).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from securepay.ari.models import ChannelDtmfReceived
from securepay.testing.asterisk_rig import SIP_CALLER_IP, AsteriskInstance
from securepay.testing.sip.sipp import SipAgent, SipCaller
from tests.e2e.payment_rig import PaymentRig, payment_rig

AGENT_ENDPOINT = "PJSIP/alice"
CALLER_CHANNEL_PREFIX = "PJSIP/trunk"


@dataclass
class SipCall:
    """One SIP call through securepay: the rig, both phones, and every digit Asterisk got."""

    rig: PaymentRig
    caller: SipCaller
    agent: SipAgent
    asterisk_heard: list[str] = field(default_factory=list)
    durations_ms: list[int] = field(default_factory=list)

    def report(self, label: str, agent_heard: list[str]) -> None:
        """Print the digits the caller sent, Asterisk received and the agent's phone received."""
        sent, heard = self.caller.rtp.digits_sent, "".join(self.asterisk_heard)
        print(
            f"\nSIP digits [{label}]: caller sent {len(sent)}, Asterisk received {len(heard)} "
            f"(identical: {heard == sent}), agent phone received {len(agent_heard)} "
            f"({''.join(agent_heard) or 'none'}); durations Asterisk measured "
            f"{min(self.durations_ms, default=0)}-{max(self.durations_ms, default=0)} ms"
        )


@contextlib.asynccontextmanager
async def sip_call(
    asterisk: AsteriskInstance,
    number: str = "7000",
    overrides: Mapping[str, str] = (),
    caller_ip: str = SIP_CALLER_IP,
) -> AsyncIterator[SipCall]:
    """alice's phone registers, the caller dials `number` on the trunk; yields once answered."""
    async with payment_rig(asterisk, overrides, agent_endpoint=AGENT_ENDPOINT) as rig:
        caller = SipCaller(asterisk, caller_ip)
        agent = SipAgent(asterisk)
        call = SipCall(rig, caller, agent)

        def caller_keyed(event: ChannelDtmfReceived) -> None:
            if event.channel.name.startswith(CALLER_CHANNEL_PREFIX):
                call.asterisk_heard.append(event.digit)
                call.durations_ms.append(event.duration_ms)

        rig.daemon.ari.on(ChannelDtmfReceived, caller_keyed)
        rig.keypad = caller
        try:
            await agent.register_and_wait()
            await caller.dial(number)
            await rig.until(lambda: agent.rtp.audio_frames, 20)
            yield call
        except BaseException:
            for sipp in (caller.sipp, agent.sipp):
                print(f"--- sipp {sipp.name} (SIP messages, errors)\n{sipp.messages()}")
            raise
        finally:
            if caller.sipp.process is not None and caller.sipp.process.returncode is None:
                with contextlib.suppress(Exception):
                    await caller.hang_up()
            if agent.sipp.process is not None:
                with contextlib.suppress(Exception):
                    await agent.ended(5)
            await caller.close()
            await agent.close()
