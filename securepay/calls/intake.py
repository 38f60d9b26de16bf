"""ARI-native call intake: `Stasis(securepay,inbound,<agent>)` -> caller and agent bridged.

The daemon answers the caller, rings them while it dials the agent's endpoint into
the app, and bridges both in a mixing bridge it owns. Hang-ups end the call like a
normal call, unless a payment is running: then the payment decides (the caller still
finishes when the agent leaves). Anything that goes wrong sends the caller to the
fallback context rather than leaving them in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from securepay.ari import AriClient, AriError, AriNotFound
from securepay.ari.models import (
    ChannelDestroyed,
    ChannelDtmfReceived,
    PlaybackFinished,
    StasisEnd,
    StasisStart,
)
from securepay.ari.rest import AppState
from securepay.calls.dialplan import DialplanCalls
from securepay.calls.recovery import recover
from securepay.calls.registry import Call, CallRegistry, Role, bridge_name, new_call_id
from securepay.calls.strays import release_strays
from securepay.config import Settings
from securepay.events.bus import EventBus
from securepay.events.publisher import share_agent_state
from securepay.logs import ids

log = logging.getLogger("securepay.calls")

CRM_RECORD_VARIABLE = "SECUREPAY_CRM_RECORD"
AGENT_RING_TIMEOUT_S = 30
DTMF_KEYS = frozenset("0123456789*#")


class PaymentHooks(Protocol):
    """What the intake tells the payment service about a call with a payment running."""

    def caller_hung_up(self, call: Call) -> None: ...

    def agent_hung_up(self, call: Call) -> None: ...

    def digit(self, call: Call, digit: str) -> None: ...

    def playback_finished(self, playback_id: str) -> None: ...

    async def charge_submitted(self, payment_id: str) -> bool:
        """Whether a previous run sent this payment's charge to the gateway (or cannot tell)."""
        ...


class CallIntake:
    def __init__(
        self,
        ari: AriClient,
        registry: CallRegistry,
        settings: Settings,
        payments: PaymentHooks,
        bus: EventBus,
        dialplan: DialplanCalls | None = None,
    ) -> None:
        self._ari = ari
        self._rest = ari.rest
        self._registry = registry
        self._settings = settings
        self._payments = payments
        self._dialplan = dialplan
        self._bus = bus
        self._tasks: set[asyncio.Task[None]] = set()
        self._stray_sweep: asyncio.Task[None] | None = None
        ari.on(StasisStart, self._stasis_start)
        ari.on(StasisEnd, self._stasis_end)
        ari.on(ChannelDestroyed, self._channel_destroyed)
        ari.on(ChannelDtmfReceived, self._dtmf)
        ari.on(PlaybackFinished, lambda event: payments.playback_finished(event.playback.id))
        ari.on_resync(self._resync)

    async def _stasis_start(self, event: StasisStart) -> None:
        kind = event.args[0] if event.args else ""
        if kind == "inbound":
            await self._inbound(event)
        elif kind == "agent":
            await self._agent_answered(event)
        elif kind == "redirected" and not (self._dialplan and self._dialplan.arrived(event)):
            log.warning("a channel was redirected into securepay unasked: sending it to the fallback")
            await self.send_to_fallback(event.channel.id)

    async def _inbound(self, event: StasisStart) -> None:
        caller = event.channel
        agent_id = event.args[1] if len(event.args) > 1 else ""
        agent = self._settings.agents.get(agent_id)
        if agent is None:
            log.warning("inbound call for unknown agent %r: sending it to the fallback context", agent_id)
            await self.send_to_fallback(caller.id)
            return
        call = Call(
            id=new_call_id(),
            agent_id=agent_id,
            caller_channel=caller.id,
            caller_name=caller.name,
            bridge_id="",
            language=caller.language or self._settings.payments.default_language,
        )
        try:
            await self._rest.answer(caller.id)
            call.bridge_id = await self._rest.create_bridge("mixing", name=bridge_name(call))
            await self._rest.add_to_bridge(call.bridge_id, caller.id)
            call.crm_record_id = await self._crm_record(caller.id)
            self._registry.add(call)
            await self._rest.ring(caller.id)
            call.agent_dialing = f"{call.id}-agent"
            self._registry.note(call)
            await self._rest.originate(
                agent.endpoint,
                app=self._settings.ari.app,
                app_args=f"agent,{call.id}",
                channel_id=call.agent_dialing,
                caller_id=caller.caller_number or None,
                timeout_s=AGENT_RING_TIMEOUT_S,
                originator=caller.id,  # the caller's codec, no transcoding; one linkedid in CDR/CEL
            )
            log.info("dialling agent %s", agent_id, extra=ids(call.id))
        except AriNotFound:
            await self.end_call(call)
        except AriError as exc:
            log.error("could not reach agent %s (%s)", agent_id, exc.message, extra=ids(call.id))
            await self.caller_to_fallback(call)

    async def _agent_answered(self, event: StasisStart) -> None:
        call = self._registry.get(event.args[1]) if len(event.args) > 1 else None
        if call is None or call.agent_dialing != event.channel.id:
            with contextlib.suppress(AriError):
                await self._rest.hangup(event.channel.id)
            return
        call.agent_dialing = None
        call.agent_channel = event.channel.id
        self._registry.note(call)
        call.agent_name = event.channel.name
        try:
            await self._rest.stop_ring(call.caller_channel)
            await self._rest.add_to_bridge(call.bridge_id, event.channel.id)
            log.info("caller and agent %s connected", call.agent_id, extra=ids(call.id))
            await share_agent_state(self._bus, call.agent_id, call, None)
        except AriError as exc:
            log.error("could not bridge the agent (%s)", exc.message, extra=ids(call.id))
            await self.end_call(call)

    async def _stasis_end(self, event: StasisEnd) -> None:
        found = self._registry.by_channel(event.channel.id)
        if found is None:
            return
        call, role = found
        if role is Role.CALLER:
            self._caller_gone(call)
        else:
            self._agent_gone(call)

    def _caller_gone(self, call: Call) -> None:
        if call.payment_id is not None:
            self._payments.caller_hung_up(call)
        else:
            self._spawn_end(call)

    def _agent_gone(self, call: Call) -> None:
        call.agent_channel = None
        if call.payment_id is not None:
            self._payments.agent_hung_up(call)
        else:
            self._spawn_end(call)

    def _spawn_end(self, call: Call) -> None:
        task = asyncio.get_running_loop().create_task(self.end_call(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Finish call clean-ups still in flight (shutdown)."""
        if self._stray_sweep is not None:
            self._stray_sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stray_sweep
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def _channel_destroyed(self, event: ChannelDestroyed) -> None:
        call = self._registry.dialing(event.channel.id)
        if call is not None:
            call.agent_dialing = None
            log.warning("agent %s did not answer (cause %s)", call.agent_id, event.cause, extra=ids(call.id))
            await self.caller_to_fallback(call)

    def _dtmf(self, event: ChannelDtmfReceived) -> None:
        found = self._registry.by_channel(event.channel.id)
        if found is None or event.digit not in DTMF_KEYS:
            return
        call, role = found
        if role is Role.CALLER and call.payment_id is not None:
            self._payments.digit(call, event.digit)

    async def _resync(self, state: AppState) -> None:
        """After a (re)connect: channels Asterisk no longer has are hung up; calls it still
        has that we do not know (a previous daemon's) are adopted; legs in no bridge that no
        call knows are released once what is in flight has settled."""
        for call in self._registry.all():
            if call.caller_channel not in state.channel_ids:
                self._caller_gone(call)
            elif call.agent_channel is not None and call.agent_channel not in state.channel_ids:
                self._agent_gone(call)
        await recover(
            self._rest,
            self._registry,
            self._settings.payments.default_language,
            self.caller_to_fallback,
            self._payments.charge_submitted,
        )
        if self._stray_sweep is not None:
            self._stray_sweep.cancel()
        self._stray_sweep = asyncio.create_task(self._release_strays())

    async def _release_strays(self) -> None:
        try:
            await release_strays(self._rest, self._settings.ari.app, self._registry, self.send_to_fallback)
        except AriError as exc:
            log.error("could not look for callers left outside a bridge (%s)", exc.message)

    async def end_call(self, call: Call, spare: str | None = None) -> None:
        """Hang up whatever is left of the call (but `spare`) and forget it."""
        if self._registry.remove(call.id) is None:
            return
        for channel in (call.caller_channel, call.agent_channel, call.agent_dialing):
            if channel and channel != spare:
                with contextlib.suppress(AriError):
                    await self._rest.hangup(channel)
        if call.bridge_id:
            with contextlib.suppress(AriError):
                await self._rest.destroy_bridge(call.bridge_id)
        log.info("call ended", extra=ids(call.id, call.payment_id))
        await share_agent_state(self._bus, call.agent_id, None, None)

    async def caller_to_fallback(self, call: Call) -> None:
        """Send the caller on to the fallback context and end the rest of the call."""
        await self.send_to_fallback(call.caller_channel)
        await self.end_call(call, spare=call.caller_channel)

    async def send_to_fallback(self, channel_id: str) -> None:
        ivr = self._settings.ivr
        try:
            await self._rest.continue_in_dialplan(channel_id, ivr.fallback_context, ivr.fallback_extension)
        except AriError as exc:
            log.error("could not send a caller to %s (%s); hanging up", ivr.fallback_context, exc.message)
            with contextlib.suppress(AriError):
                await self._rest.hangup(channel_id)

    async def _crm_record(self, channel_id: str) -> str | None:
        try:
            value = await self._rest.get_variable(channel_id, CRM_RECORD_VARIABLE)
        except AriNotFound:
            return None
        return value or None
