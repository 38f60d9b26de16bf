"""The phones at both ends of a test or demo call, played by a driver ARI app.

The caller's phone is the `;1` half of a Local channel whose `;2` dials into securepay
like a real inbound call; the agent's phone is what securepay dials. The driver answers
the agent's phone, keys DTMF as the caller, and notes every digit the agent's phone
hears, which is how the tests prove card digits never reach the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from securepay.ari import AriClient, AriSettings
from securepay.ari.models import ChannelDtmfReceived, StasisEnd, StasisStart
from securepay.testing.asterisk_rig import AriEndpoint

DRIVER_APP = "securepay-driver"
AGENT_ENDPOINT = "Local/agentphone@securepay-test/n"


@dataclass
class Phones:
    """The driver's side of one call: the caller's phone and the agent's phone."""

    driver: AriClient
    caller_phone: str = ""
    agent_phone: str = ""
    agent_heard: list[str] = field(default_factory=list)
    agent_hung_up: bool = False
    caller_reached_fallback: bool = False

    async def key(self, digits: str) -> None:
        await self.driver.rest.send_dtmf(self.caller_phone, digits, between_ms=40, duration_ms=70)

    async def hang_up_caller(self) -> None:
        await self.driver.rest.hangup(self.caller_phone)

    async def hang_up_agent(self) -> None:
        await self.driver.rest.hangup(self.agent_phone)

    async def call_in(
        self,
        agent_id: str,
        language: str = "",
        crm_record: str = "",
        *,
        dial_with_recording: str = "",
        codec: str = "",
    ) -> None:
        """Dial in as a caller for `agent_id`: routed to securepay like `securepay-inbound`, or,
        with `dial_with_recording` (a path as Asterisk sees it), bridged by Dial() and recorded.
        `codec` (e.g. "ulaw", as a G.711 trunk): otherwise Local channels take signed linear
        at up to 192 kHz, which no phone sends."""
        variables = {
            "_CALLER_LANGUAGE": language,
            "_CRM_RECORD": crm_record,
            "RECORDING": dial_with_recording,
        }
        route = "dial" if dial_with_recording else "call"
        phone = await self.driver.rest.originate(
            f"Local/{route}-{agent_id}@securepay-test/n",
            app=DRIVER_APP,
            app_args="callerphone",
            variables=variables,
            formats=codec or None,
        )
        self.caller_phone = phone.id


@contextlib.asynccontextmanager
async def driven_phones(ari: AriEndpoint) -> AsyncIterator[Phones]:
    """The driver app: answers the agent's phone, notes who heard what and who went where."""
    driver = AriClient(AriSettings(ari.url, ari.username, ari.password, DRIVER_APP, reconnect_max_s=1))
    phones = Phones(driver)

    async def stasis_start(event: StasisStart) -> None:
        if event.args == ("agentphone",):
            phones.agent_phone = event.channel.id
            await driver.rest.answer(event.channel.id)
        elif event.args == ("fallback",):
            phones.caller_reached_fallback = True
            await driver.rest.hangup(event.channel.id)

    def agent_heard(event: ChannelDtmfReceived) -> None:
        if event.channel.id == phones.agent_phone:
            phones.agent_heard.append(event.digit)

    def channel_ended(event: StasisEnd) -> None:
        if event.channel.id == phones.agent_phone:
            phones.agent_hung_up = True

    driver.on(StasisStart, stasis_start)
    driver.on(ChannelDtmfReceived, agent_heard)
    driver.on(StasisEnd, channel_ended)
    driver_task = asyncio.create_task(driver.run())
    try:
        await asyncio.wait_for(driver.connected.wait(), 10)
        yield phones
    finally:
        for channel in (phones.caller_phone, phones.agent_phone):
            if channel:
                with contextlib.suppress(Exception):
                    await driver.rest.hangup(channel)
        await driver.close()
        driver_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await driver_task
