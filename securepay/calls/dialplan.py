"""Queue/Dial mode: take a payment on a call the dialplan bridged, not securepay.

A call bridged by `Queue()` or `Dial()` cannot be touched over ARI. The agent's
channel is found from the agent's endpoint (`PJSIP/alice` -> `PJSIP/alice-0000002a`),
the caller's through its `BRIDGEPEER`; one AMI `Redirect` with `ExtraChannel` then
moves both legs into `securepay-enter`, which hands them to Stasis without hanging
either up, and the daemon bridges them in a bridge it owns, like an ARI-native call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from securepay.ami import AmiClient, AmiError
from securepay.ari import AriError, AriNotFound, AriRest
from securepay.ari.models import Channel, StasisStart
from securepay.calls.registry import Call, CallRegistry, bridge_name
from securepay.config import Settings
from securepay.logs import ids

log = logging.getLogger("securepay.calls")

ENTER_CONTEXT = "securepay-enter"
ENTER_EXTENSION = "pay"
ID_PREFIX = "d-"
ARRIVAL_TIMEOUT_S = 5.0


class AdoptionError(Exception):
    """The dialplan call could not be moved into securepay; it is left as it was."""


@dataclass(frozen=True)
class DialplanCall:
    """An agent's call as the dialplan bridged it: what the panel sees before a payment."""

    id: str
    agent_id: str
    agent: Channel
    caller: Channel


def name_prefix(endpoint: str) -> str:
    """`PJSIP/alice` -> `PJSIP/alice-`; `Local/x@ctx/n` -> `Local/x@ctx-` (options dropped)."""
    tech, _, resource = endpoint.partition("/")
    return f"{tech}/{resource.split('/')[0]}-"


class DialplanCalls:
    def __init__(self, rest: AriRest, ami: AmiClient, registry: CallRegistry, settings: Settings) -> None:
        self._rest = rest
        self._ami = ami
        self._registry = registry
        self._settings = settings
        self._arrivals: dict[str, asyncio.Future[Channel]] = {}

    async def find(self, agent_id: str) -> DialplanCall | None:
        """The agent's live dialplan-bridged call, if any."""
        agent = self._settings.agents.get(agent_id)
        if agent is None:
            return None
        prefix = name_prefix(agent.endpoint)
        channels = await self._rest.list_channels()
        for channel in channels:
            if not channel.name.startswith(prefix) or self._registry.by_channel(channel.id):
                continue
            peer_name = await self._peer(channel.id)
            caller = next((c for c in channels if peer_name and c.name == peer_name), None)
            if caller is not None:
                return DialplanCall(f"{ID_PREFIX}{channel.id}", agent_id, channel, caller)
        return None

    async def adopt(self, call_id: str, agent_id: str) -> Call:
        """Move the call into securepay's own bridge; returns the registered call."""
        found = await self.find(agent_id)
        if found is None or found.id != call_id:
            raise AdoptionError(f"agent {agent_id} has no dialplan call {call_id}")
        loop = asyncio.get_running_loop()
        waits = {leg.id: loop.create_future() for leg in (found.caller, found.agent)}
        self._arrivals.update(waits)
        try:
            await self._ami.action(
                "Redirect",
                Channel=found.caller.name,
                ExtraChannel=found.agent.name,
                Context=ENTER_CONTEXT,
                Exten=ENTER_EXTENSION,
                Priority="1",
                ExtraContext=ENTER_CONTEXT,
                ExtraExten=ENTER_EXTENSION,
                ExtraPriority="1",
            )
            await asyncio.wait_for(asyncio.gather(*waits.values()), ARRIVAL_TIMEOUT_S)
        except (AmiError, TimeoutError) as exc:
            raise AdoptionError(f"could not move call {call_id} into securepay ({exc})") from None
        finally:
            for channel_id in waits:
                self._arrivals.pop(channel_id, None)
        return await self._bridge(found)

    def arrived(self, event: StasisStart) -> bool:
        """A redirected leg entered Stasis; False when nobody was waiting for it."""
        future = self._arrivals.get(event.channel.id)
        if future is None or future.done():
            return False
        future.set_result(event.channel)
        return True

    async def _bridge(self, found: DialplanCall) -> Call:
        call = Call(
            id=found.id,
            agent_id=found.agent_id,
            caller_channel=found.caller.id,
            bridge_id="",
            language=found.caller.language or self._settings.payments.default_language,
            agent_channel=found.agent.id,
            caller_name=found.caller.name,
            agent_name=found.agent.name,
        )
        call.bridge_id = await self._rest.create_bridge("mixing", name=bridge_name(call))
        for channel_id in (call.caller_channel, call.agent_channel):
            await self._rest.add_to_bridge(call.bridge_id, channel_id)
        with contextlib.suppress(AriNotFound):
            call.crm_record_id = (
                await self._rest.get_variable(call.caller_channel, "SECUREPAY_CRM_RECORD") or None
            )
        self._registry.add(call)
        log.info("dialplan call of agent %s is now in securepay's bridge", call.agent_id, extra=ids(call.id))
        return call

    async def _peer(self, channel_id: str) -> str:
        try:
            return await self._rest.get_variable(channel_id, "BRIDGEPEER")
        except AriError:
            return ""
