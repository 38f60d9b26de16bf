"""Runs one payment flow on a live call: performs its actions over ARI, feeds events back.

DTMF crosses a mixing bridge, and not one card digit may reach the agent's leg. In
private mode the caller leaves the agent's bridge for a private one before the first
prompt. In assisted mode caller and agent move together into the payment's bridge, the
caller added with `absorbDTMF`: Asterisk still raises the caller's ChannelDtmfReceived
to us but passes no digit into the bridge, and prompts played on the caller's channel
are heard by the caller only (both measured on the rig, see the README); with
`[payments] agent_hears_prompts` the instructions play on that bridge for both to hear,
the read-backs still on the caller's channel (`securepay.ivr.prompts`). That bridge
is `mixing,dtmf_events`, so it never goes native (RTP peer to peer, past Asterisk).
While the caller keys a card field the caller's audio is muted toward the bridge, so a
phone that sends DTMF as in-band tones gets no tone to the agent either (Asterisk's DSP
still detects the digits: muting drops voice frames after the channel driver).
Whatever happens (an ARI error, a bug, a lost gateway answer), the `finally` path puts
the caller back with the agent or on to the fallback context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from securepay import metrics
from securepay.ari import AriError, AriNotFound, AriRest
from securepay.calls.recording import RecordingMuter
from securepay.calls.registry import Call, playback_id
from securepay.events.publisher import PaymentEvents
from securepay.flow import (
    Action,
    AgentAbort,
    AgentHungUp,
    AgentRestart,
    AgentSubmit,
    CallerHungUp,
    CancelTimer,
    Charge,
    Digit,
    Event,
    Fallback,
    Finished,
    InternalFailure,
    Outcome,
    PaymentFlow,
    Play,
    PromptFinished,
    PublishEntry,
    PublishStep,
    ReturnCaller,
    Start,
    StartTimer,
    Step,
    StepStatus,
    StopPlayback,
    TimerFired,
)
from securepay.gateway.base import Gateway
from securepay.ivr.charging import charge_card
from securepay.ivr.prompts import PromptPlayer
from securepay.logs import call_id as call_id_var
from securepay.logs import payment_id as payment_id_var
from securepay.payments.model import Payment
from securepay.payments.recording import PaymentRecorder

log = logging.getLogger("securepay.ivr")

CANCELLED_BY = {Outcome.AGENT_CANCELLED: "agent", Outcome.CALLER_CANCELLED: "caller"}


class PaymentRunner:
    def __init__(
        self,
        payment: Payment,
        call: Call,
        flow: PaymentFlow,
        *,
        rest: AriRest,
        gateway: Gateway,
        events: PaymentEvents,
        recorder: PaymentRecorder,
        recordings: RecordingMuter,
        moh_class: str,
        agent_hears_prompts: bool,
        to_fallback: Callable[[Call], Awaitable[None]],
        end_call: Callable[[Call], Awaitable[None]],
    ) -> None:
        self.payment = payment
        self.call = call
        self.flow = flow
        self._rest = rest
        self._gateway = gateway
        self._events = events
        self._recorder = recorder
        self._recordings = recordings
        self._moh_class = moh_class
        self._agent_hears_prompts = agent_hears_prompts
        self._prompts = PromptPlayer(rest, call.caller_channel, payment.request.language)
        self._to_fallback = to_fallback
        self._end_call = end_call
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._playbacks: dict[str, int] = {}
        self._private_bridge: str | None = None
        self._caller_muted = False
        self._caller_placed = False
        self._caller_gone = False
        self._charge_task: asyncio.Task[None] | None = None
        self._cancel_announced = False
        self._step_started: dict[Step, float] = {}

    # Events from the call, routed here by the payment service.

    def digit(self, digit: str) -> None:
        self._queue.put_nowait(Digit(digit))

    def playback_finished(self, playback_id: str) -> None:
        prompt_id = self._playbacks.pop(playback_id, None)
        if prompt_id is not None:
            self._queue.put_nowait(PromptFinished(prompt_id))

    def owns_playback(self, playback_id: str) -> bool:
        return playback_id in self._playbacks

    def caller_hung_up(self) -> None:
        self._caller_gone = True
        self._queue.put_nowait(CallerHungUp())

    def agent_hung_up(self) -> None:
        self._queue.put_nowait(AgentHungUp())

    def abort(self) -> None:
        self._queue.put_nowait(AgentAbort())

    def restart(self, step: Step) -> None:
        self._queue.put_nowait(AgentRestart(step))

    def submit(self) -> None:
        self._queue.put_nowait(AgentSubmit())

    @property
    def assisted(self) -> bool:
        return self.payment.request.mode == "assisted"

    def stop_for_shutdown(self) -> None:
        """The daemon is stopping: end now and hand the caller back (not while charging)."""
        if self.flow.can_abort:
            self._queue.put_nowait(InternalFailure("daemon-stopping"))

    # The run.

    async def run(self) -> None:
        payment_id_var.set(self.payment.id)
        call_id_var.set(self.call.id)
        metrics.payment_started()
        try:
            await self._recorder.started(self.payment)
            self._events.publish_soon(
                "payment.requested",
                item=self.payment.request.item,
                amount=f"{self.payment.request.amount:.2f}",
                currency=self.payment.request.currency,
                mode=self.payment.request.mode,
            )
            await self._enter_ivr()
            await self._feed(Start())
            while not self.flow.finished:
                await self._feed(await self._queue.get())
        except Exception as exc:
            log.error("payment failed inside the shell (%s)", type(exc).__name__, exc_info=True)
            await self._feed_safely(InternalFailure(type(exc).__name__))
        finally:
            for handle in self._timers.values():
                handle.cancel()
            await self._make_sure_caller_is_placed()
            await self._events.flush()
            metrics.payment_finished(self.payment.outcome or Outcome.INTERNAL_ERROR)
            if self.payment.outcome is not None:
                await self._recorder.finished(self.payment)

    async def _feed(self, event: Event) -> None:
        actions = self.flow.handle(event)
        self.payment.steps.update(self.flow.steps)
        self._announce_cancellation()
        await self._mute_while_keying()
        for action in actions:
            await self._perform(action)

    async def _mute_while_keying(self) -> None:
        """Assisted mode: the agent hears nothing from the caller while a field is keyed."""
        keying = self.assisted and self.flow.keying and not self._caller_gone
        if keying != self._caller_muted:
            self._caller_muted = keying
            mute = self._rest.mute_from if keying else self._rest.unmute_from
            with contextlib.suppress(AriNotFound):  # the caller just hung up: CallerHungUp follows
                await mute(self.call.caller_channel)

    def _announce_cancellation(self) -> None:
        """Tell the panel at once when the caller or agent cancels, before the goodbye plays."""
        by = CANCELLED_BY.get(self.flow.outcome) if self.flow.outcome else None
        if by is not None and not self._cancel_announced:
            self._cancel_announced = True
            self._events.cancelled(by)

    async def _feed_safely(self, event: Event) -> None:
        """Last resort after a shell failure: let the flow close, never raise again."""
        try:
            await self._feed(event)
        except Exception:
            log.error("could not close the payment cleanly", exc_info=True)
        if self.payment.outcome is None:
            self._record(Outcome.INTERNAL_ERROR, "internal-error", None, None, None)

    async def _perform(self, action: Action) -> None:
        match action:
            case Play():
                await self._play(action)
            case StopPlayback(prompt_id=prompt_id):
                await self._stop_playback(prompt_id)
            case StartTimer(timer_id=timer_id, seconds=seconds):
                loop = asyncio.get_running_loop()
                self._timers[timer_id] = loop.call_later(seconds, self._fire, timer_id)
            case CancelTimer(timer_id=timer_id):
                handle = self._timers.pop(timer_id, None)
                if handle is not None:
                    handle.cancel()
            case PublishStep():
                self._publish_step(action)
            case PublishEntry():
                self._publish_entry(action)
            case Charge(card=card):
                self.payment.state = "processing"
                self._charge_task = asyncio.create_task(
                    charge_card(self._gateway, self.payment, card, self._recorder, self._queue.put_nowait)
                )
            case ReturnCaller():
                await self._return_caller()
            case Fallback():
                await self._fallback()
            case Finished():
                await self._finish(action)

    def _fire(self, timer_id: int) -> None:
        self._timers.pop(timer_id, None)
        self._queue.put_nowait(TimerFired(timer_id))

    async def _play(self, prompt: Play) -> None:
        if self._caller_gone:
            return
        playback = playback_id(self.payment.id, prompt.prompt_id)
        self._playbacks[playback] = prompt.prompt_id
        try:
            await self._prompts.play(playback, prompt)
        except AriNotFound:
            self._playbacks.pop(playback, None)

    async def _stop_playback(self, prompt_id: int) -> None:
        playback = playback_id(self.payment.id, prompt_id)
        if playback in self._playbacks:
            with contextlib.suppress(AriNotFound):
                await self._rest.stop_playback(playback)

    def _publish_step(self, action: PublishStep) -> None:
        if action.status is StepStatus.ENTERING:
            self._step_started.setdefault(action.step, time.monotonic())
        elif action.status is StepStatus.COMPLETED and action.step in self._step_started:
            metrics.step_completed(action.step, time.monotonic() - self._step_started[action.step])
        if action.error is not None:
            self.payment.last_error = action.error
            self.payment.error_count += 1
        self.payment.state = f"{action.step.value}:{action.status.value}"
        self._events.publish_soon(
            "payment.step",
            step=action.step.value,
            status=action.status.value,
            attempt=action.attempt,
            error=action.error,
        )

    def _publish_entry(self, action: PublishEntry) -> None:
        entry = {
            "step": action.step.value,
            "digits_entered": action.digits_entered,
            "masked": action.masked,
            "brand": action.brand,
            "complete": action.complete,
            "attempt": action.attempt,
            "error": action.error,
        }
        self.payment.fields[action.step.value] = entry
        self._events.publish_soon("payment.entry", **entry)

    async def _enter_ivr(self) -> None:
        """Private: the caller out of the agent's bridge into the payment's, hold music for
        the agent. Assisted: both into the payment's bridge, the caller's DTMF absorbed; the
        instructions play there too when the agent may hear them. Each leg is moved by one
        `addChannel` (Asterisk takes it out of the bridge it is in), so there is no moment
        where it is in no bridge: a daemon dying then would leave a leg recovery cannot see."""
        rest, call = self._rest, self.call
        self._private_bridge = await rest.create_bridge(
            "mixing,dtmf_events", name=f"securepay/pay/{self.payment.id}/{call.id}"
        )
        self._caller_placed = False
        await rest.add_to_bridge(self._private_bridge, call.caller_channel, absorb_dtmf=self.assisted)
        await self._recordings.mute(call)
        if self.assisted and call.agent_channel is not None:
            await rest.add_to_bridge(self._private_bridge, call.agent_channel)
        elif not self.assisted:
            with contextlib.suppress(AriError):
                await rest.start_bridge_moh(call.bridge_id, self._moh_class)
        if self.assisted and self._agent_hears_prompts:
            self._prompts.bridge = self._private_bridge
        self.payment.state = "in-ivr"

    async def _leave_private_bridge(self, caller_to: str | None) -> None:
        """Both legs out of the payment's bridge, which goes: the caller moved straight into
        `caller_to` (the agent's bridge), or left where it is (gone, or taken by the dialplan)."""
        rest, call = self._rest, self.call
        if not self.assisted:
            with contextlib.suppress(AriError):
                await rest.stop_bridge_moh(call.bridge_id)
        self._prompts.bridge = None
        if self._private_bridge is not None:
            if self.assisted and call.agent_channel is not None:
                with contextlib.suppress(AriError):
                    await rest.add_to_bridge(call.bridge_id, call.agent_channel)
            if caller_to is not None:
                await rest.add_to_bridge(caller_to, call.caller_channel)
            with contextlib.suppress(AriError):
                await rest.destroy_bridge(self._private_bridge)
            self._private_bridge = None
            await self._recordings.unmute(call)
        if self._caller_muted:
            self._caller_muted = False
            with contextlib.suppress(AriError):
                await rest.unmute_from(call.caller_channel)

    async def _return_caller(self) -> None:
        await self._leave_private_bridge(None if self._caller_gone else self.call.bridge_id)
        self._caller_placed = True

    async def _fallback(self) -> None:
        """The dialplan takes the caller straight from the payment's bridge, which then goes."""
        self._caller_placed = True
        if not self._caller_gone:
            await self._to_fallback(self.call)
        await self._leave_private_bridge(None)

    async def _finish(self, finished: Finished) -> None:
        self._record(
            finished.outcome, finished.reason, finished.transaction_id, finished.brand, finished.last4
        )
        await self._events.publish(
            "payment.result",
            outcome=finished.outcome.value,
            reason=finished.reason,
            transaction_id=finished.transaction_id,
            amount=f"{self.payment.request.amount:.2f}",
            currency=self.payment.request.currency,
            brand=finished.brand,
            last4=finished.last4,
        )
        log.info("payment finished: %s", finished.outcome.value)
        if self._caller_gone:
            self._caller_placed = True
            await self._leave_private_bridge(None)
            await self._end_call(self.call)

    def _record(
        self, outcome: Outcome, reason: str | None, txn: str | None, brand: str | None, last4: str | None
    ) -> None:
        payment = self.payment
        payment.outcome = outcome
        payment.reason = reason
        payment.transaction_id = txn or payment.transaction_id
        payment.brand = brand
        payment.last4 = last4
        payment.state = "finished"
        payment.finished_at = datetime.now(UTC)

    async def _make_sure_caller_is_placed(self) -> None:
        """The no-stranded-caller guarantee, for paths where the flow could not finish: back
        to the agent, or to the fallback when there is no agent or the agent's bridge is lost."""
        if self._caller_placed or self._caller_gone:
            return
        log.warning("returning the caller to the agent after an unfinished payment")
        if self.call.agent_channel is not None:
            try:
                await self._return_caller()
                return
            except AriError as exc:
                log.error("could not return the caller to the agent (%s): to the fallback", exc.message)
        try:
            await self._fallback()
        except AriError as exc:
            log.error("could not place the caller (%s)", exc.message)
