"""Starts payments on calls, routes call events to them, and answers for their state.

One payment per call at a time; the payment's runner owns the caller until it
hands them back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from securepay.ari import AriError, AriRest
from securepay.calls.dialplan import ID_PREFIX, AdoptionError, DialplanCall, DialplanCalls
from securepay.calls.recording import RecordingMuter
from securepay.calls.registry import Call, CallRegistry, payment_of_playback
from securepay.config import Settings
from securepay.events.bus import EventBus
from securepay.events.publisher import PaymentEvents
from securepay.flow import FlowSettings, PaymentFlow, State, Step
from securepay.gateway.base import Gateway
from securepay.ivr.runner import PaymentRunner
from securepay.logs import ids
from securepay.payments.model import Payment, PaymentRequest, new_payment_id
from securepay.payments.recording import PaymentRecorder

log = logging.getLogger("securepay.payments")

# How long a finished payment stays readable over the API and the panel (the CRM outbox
# reports delivery within it); `securepay payments show` reads the ledger after that.
FINISHED_KEPT_S = 24 * 3600.0


class PaymentError(Exception):
    """A request the service refuses; `code` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def flow_settings(settings: Settings) -> FlowSettings:
    ivr = settings.ivr
    return FlowSettings(
        max_attempts=ivr.max_attempts,
        input_timeout_s=ivr.input_timeout_s,
        interdigit_timeout_s=ivr.interdigit_timeout_s,
        accepted_brands=tuple(ivr.accepted_brands),
        postal_code_min=ivr.postal_code_min,
        postal_code_max=ivr.postal_code_max,
    )


class PaymentService:
    def __init__(
        self,
        settings: Settings,
        registry: CallRegistry,
        rest: AriRest,
        gateway: Gateway,
        bus: EventBus,
        recorder: PaymentRecorder,
        recordings: RecordingMuter,
        dialplan: DialplanCalls | None = None,
    ) -> None:
        self._settings = settings
        self._flow_settings = flow_settings(settings)
        self._registry = registry
        self._rest = rest
        self._gateway = gateway
        self._bus = bus
        self._recorder = recorder
        self._recordings = recordings
        self._dialplan = dialplan
        self._payments: dict[str, Payment] = {}
        self._settled: dict[str, str] = {}
        self._runners: dict[str, PaymentRunner] = {}
        self._events: dict[str, PaymentEvents] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.to_fallback: Callable[[Call], Awaitable[None]] | None = None
        self.end_call: Callable[[Call], Awaitable[None]] | None = None

    async def request(self, call_id: str, request: PaymentRequest, agent_id: str | None = None) -> Payment:
        """Start a payment; a Queue/Dial call (id `d-...`) is first moved into securepay's bridge."""
        call = self._registry.get(call_id)
        if call is None and self._dialplan is not None and call_id.startswith(ID_PREFIX) and agent_id:
            try:
                call = await self._dialplan.adopt(call_id, agent_id)
            except AdoptionError as exc:
                raise PaymentError("unknown-call", str(exc)) from None
        if call is None:
            raise PaymentError("unknown-call", f"no live call {call_id}")
        if request.crm_record_id is None and call.crm_record_id:
            request = replace(request, crm_record_id=call.crm_record_id)
        if call.payment_id is not None:
            raise PaymentError("session-in-progress", f"call {call_id} already has payment {call.payment_id}")
        if not call.connected:
            raise PaymentError("call-not-connected", "the agent is not connected to this call yet")
        assert self.to_fallback is not None and self.end_call is not None
        payment = Payment(new_payment_id(), call.id, call.agent_id, request)
        events = self._events[payment.id] = PaymentEvents(self._bus, payment, call)
        flow_settings = replace(self._flow_settings, assisted=request.mode == "assisted")
        flow = PaymentFlow(request.amount, request.currency, flow_settings, datetime.now(UTC).date())
        runner = PaymentRunner(
            payment,
            call,
            flow,
            rest=self._rest,
            gateway=self._gateway,
            events=events,
            recorder=self._recorder,
            recordings=self._recordings,
            moh_class=self._settings.ivr.moh_class,
            agent_hears_prompts=self._settings.payments.agent_hears_prompts,
            to_fallback=self.to_fallback,
            end_call=self.end_call,
        )
        call.payment_id = payment.id
        self._payments[payment.id] = payment
        self._runners[payment.id] = runner
        task = asyncio.get_running_loop().create_task(self._run(runner))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("payment requested", extra=ids(call.id, payment.id))
        return payment

    async def _run(self, runner: PaymentRunner) -> None:
        try:
            await runner.run()
        finally:
            self._runners.pop(runner.payment.id, None)
            if runner.call.payment_id == runner.payment.id:
                runner.call.payment_id = None
            asyncio.get_running_loop().call_later(FINISHED_KEPT_S, self._forget, runner.payment.id)

    def _forget(self, payment_id: str) -> None:
        """A finished payment leaves memory after `FINISHED_KEPT_S`, so a daemon that runs for
        months holds only recent payments; the ledger keeps every one."""
        payment = self._payments.pop(payment_id, None)
        self._events.pop(payment_id, None)
        if payment is not None and self._settled.get(payment.call_id) == payment_id:
            del self._settled[payment.call_id]

    async def find_dialplan_call(self, agent_id: str) -> DialplanCall | None:
        """The agent's Queue/Dial call, when AMI is configured and there is one."""
        if self._dialplan is None:
            return None
        try:
            return await self._dialplan.find(agent_id)
        except AriError as exc:
            log.warning("could not look for agent %s's dialplan call (%s)", agent_id, exc.message)
            return None

    def get(self, payment_id: str) -> Payment | None:
        return self._payments.get(payment_id)

    def settled(self, payment: Payment) -> None:
        """A payment a previous run left unfinished, settled at start: kept so the API and
        the panel of the call this run adopts show how it ended."""
        self._payments[payment.id] = payment
        self._settled[payment.call_id] = payment.id
        asyncio.get_running_loop().call_later(FINISHED_KEPT_S, self._forget, payment.id)

    def settled_on(self, call_id: str) -> str | None:
        return self._settled.get(call_id)

    def is_running(self, payment_id: str) -> bool:
        return payment_id in self._runners

    def flow_state(self, payment_id: str) -> State | None:
        runner = self._runners.get(payment_id)
        return runner.flow.state if runner else None

    def _running(self, payment_id: str) -> tuple[Payment, PaymentRunner]:
        payment = self._payments.get(payment_id)
        if payment is None:
            raise PaymentError("unknown-payment", f"no payment {payment_id}")
        runner = self._runners.get(payment_id)
        if runner is None or payment.finished:
            raise PaymentError("payment-finished", f"payment {payment_id} has already finished")
        return payment, runner

    def _assisted(self, payment_id: str) -> tuple[Payment, PaymentRunner]:
        payment, runner = self._running(payment_id)
        if not runner.assisted:
            raise PaymentError("not-assisted", "only an assisted payment takes the agent's restart or submit")
        return payment, runner

    def restart(self, payment_id: str, step: Step) -> Payment:
        """The agent asks the caller to key one field again (assisted mode)."""
        payment, runner = self._assisted(payment_id)
        if not runner.flow.can_restart(step):
            raise PaymentError(
                "field-not-reached", f"the caller has not reached {step.value}, or the charge is submitted"
            )
        runner.restart(step)
        return payment

    def submit(self, payment_id: str) -> Payment:
        """The agent submits the charge once the caller confirmed every field (assisted mode)."""
        payment, runner = self._assisted(payment_id)
        if not runner.flow.can_submit:
            raise PaymentError("not-ready", "the caller has not confirmed every field yet")
        runner.submit()
        return payment

    def abort(self, payment_id: str) -> Payment:
        payment, runner = self._running(payment_id)
        if not runner.flow.can_abort:
            raise PaymentError("charge-in-progress", "the card is being charged; the result is on its way")
        runner.abort()
        return payment

    async def shutdown(self, grace_s: float = 5.0) -> None:
        """Let running payments finish; after `grace_s`, end the rest and return their callers.

        A charge in flight is always waited for: its result must be recorded.
        """
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace_s)
        for runner in list(self._runners.values()):
            runner.stop_for_shutdown()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=3 * grace_s)

    async def crm_delivered(self, payment_id: str, status: str, detail: str) -> None:
        """The outbox's report on a payment's CRM activity, for the agent's panel."""
        events = self._events.get(payment_id)
        payment = self._payments.get(payment_id)
        if events is not None and payment is not None:
            await events.publish(
                "payment.crm",
                status=status,
                crm_record_id=payment.request.crm_record_id,
                error=detail if status == "failed" else None,
            )

    # PaymentHooks: events from the call intake.

    def _runner_for(self, call: Call) -> PaymentRunner | None:
        return self._runners.get(call.payment_id) if call.payment_id else None

    async def charge_submitted(self, payment_id: str) -> bool:
        return await self._recorder.charge_was_submitted(payment_id)

    def caller_hung_up(self, call: Call) -> None:
        runner = self._runner_for(call)
        if runner is not None:
            runner.caller_hung_up()

    def agent_hung_up(self, call: Call) -> None:
        runner = self._runner_for(call)
        if runner is not None:
            runner.agent_hung_up()

    def digit(self, call: Call, digit: str) -> None:
        runner = self._runner_for(call)
        if runner is not None:
            runner.digit(digit)

    def playback_finished(self, playback_id: str) -> None:
        runner = self._runners.get(payment_of_playback(playback_id))
        if runner is not None and runner.owns_playback(playback_id):
            runner.playback_finished(playback_id)
