"""What the web tests share: test tokens and settings that know them, the contract and the
event schema as validators, and a web rig (the real app with a stand-in payment service).

The stand-in lets the HTTP, event-stream and panel tests run in a second without
Asterisk; the end-to-end tests run the same app inside the real daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import securepay.events
from securepay import config
from securepay.calls.dialplan import DialplanCall
from securepay.calls.registry import Call, CallRegistry
from securepay.config import AgentConfig, Settings, WebConfig
from securepay.events.bus import EventBus, InProcessBus
from securepay.events.publisher import PaymentEvents
from securepay.flow import Outcome, Step, StepStatus
from securepay.payments.model import Payment, PaymentRequest, new_payment_id
from securepay.payments.service import PaymentError
from securepay.web.app import OPENAPI, build_app, start_site
from securepay.web.auth import token_hash

ALICE_TOKEN = "alice-token-4c1f0b9e8d7a6c5b4a3f2e1d0c9b8a7f"
BOB_TOKEN = "bob-token-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
SUPERVISOR_TOKEN = "supervisor-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
EVENTS_SCHEMA = Path(securepay.events.__file__).parent / "schema" / "events-v2.schema.json"
CONTRACT_URI = "urn:securepay:openapi"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_tokens(settings: Settings, **web: Any) -> Settings:
    """`settings` plus alice and bob with tokens, a supervisor token and any `[web]` keys."""
    alice = settings.agents.get("alice") or AgentConfig(name="Alice Smith", endpoint="PJSIP/alice")
    agents = {
        **settings.agents,
        "alice": alice.model_copy(update={"token_sha256": token_hash(ALICE_TOKEN)}),
        "bob": AgentConfig(name="Bob Jones", endpoint="PJSIP/bob", token_sha256=token_hash(BOB_TOKEN)),
    }
    web_config = WebConfig(supervisor_tokens_sha256=(token_hash(SUPERVISOR_TOKEN),), **web)
    return settings.model_copy(update={"agents": agents, "web": web_config})


# The contract and the event schema as validators.

CONTRACT: dict[str, Any] = yaml.safe_load(OPENAPI.read_text())
_REGISTRY = Registry().with_resource(
    CONTRACT_URI, Resource.from_contents(CONTRACT, default_specification=DRAFT202012)
)


def component(name: str) -> Draft202012Validator:
    schema = {"$ref": f"{CONTRACT_URI}#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=_REGISTRY, format_checker=FormatChecker())


def check_response(method: str, template: str, status: int, body: Any) -> None:
    """Fails unless the contract lists `status` for the operation and `body` fits its schema."""
    operation = CONTRACT["paths"][template][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {template} answered {status}, which the contract does not list"
    if "$ref" in response:
        response = CONTRACT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    component(ref.rsplit("/", 1)[1]).validate(body)


def event_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(EVENTS_SCHEMA.read_text()), format_checker=FormatChecker())


# A stand-in payment service: the web layer only requests, gets and aborts payments.


@dataclass
class FakePayments:
    """Refuses like PaymentService and publishes real events when a test moves a payment on."""

    calls: CallRegistry
    bus: EventBus
    payments: dict[str, Payment] = field(default_factory=dict)
    events: dict[str, PaymentEvents] = field(default_factory=dict)
    charging: set[str] = field(default_factory=set)
    controls: list[tuple[str, str]] = field(default_factory=list)
    """(payment id, "restart:<field>" or "submit") for every assisted control accepted."""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    dialplan: dict[str, DialplanCall] = field(default_factory=dict)
    """Queue/Dial calls by agent, as Asterisk would show them."""
    settled_calls: dict[str, str] = field(default_factory=dict)
    """Call id -> the payment a killed daemon left on it, settled at start."""

    async def request(self, call_id: str, request: PaymentRequest, agent_id: str | None = None) -> Payment:
        call = self.calls.get(call_id)
        if call is None:
            raise PaymentError("unknown-call", f"no live call {call_id}")
        if call.payment_id is not None:
            raise PaymentError("session-in-progress", f"call {call_id} already has payment {call.payment_id}")
        if not call.connected:
            raise PaymentError("call-not-connected", "the agent is not connected to this call yet")
        payment = Payment(new_payment_id(), call.id, call.agent_id, request)
        call.payment_id = payment.id
        self.payments[payment.id] = payment
        self.events[payment.id] = PaymentEvents(self.bus, payment)
        self._spawn(
            self.events[payment.id].publish(
                "payment.requested",
                item=request.item,
                amount=f"{request.amount:.2f}",
                currency=request.currency,
                mode=request.mode,
            )
        )
        return payment

    async def find_dialplan_call(self, agent_id: str) -> DialplanCall | None:
        return self.dialplan.get(agent_id)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _settle(self) -> None:
        """Events already due (payment.requested) go out before the one being published."""
        await asyncio.gather(*(t for t in self.tasks if t is not asyncio.current_task()))

    def get(self, payment_id: str) -> Payment | None:
        return self.payments.get(payment_id)

    def settled(self, payment: Payment) -> None:
        self.payments[payment.id] = payment
        self.settled_calls[payment.call_id] = payment.id

    def settled_on(self, call_id: str) -> str | None:
        return self.settled_calls.get(call_id)

    def abort(self, payment_id: str) -> Payment:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise PaymentError("unknown-payment", f"no payment {payment_id}")
        if payment.finished:
            raise PaymentError("payment-finished", f"payment {payment_id} has already finished")
        if payment_id in self.charging:
            raise PaymentError("charge-in-progress", "the card is being charged; the result is on its way")
        self._spawn(self.finish(payment, Outcome.AGENT_CANCELLED))
        return payment

    def restart(self, payment_id: str, step: Step) -> Payment:
        return self._control(payment_id, f"restart:{step.value}")

    def submit(self, payment_id: str) -> Payment:
        return self._control(payment_id, "submit")

    def _control(self, payment_id: str, what: str) -> Payment:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise PaymentError("unknown-payment", f"no payment {payment_id}")
        if payment.finished:
            raise PaymentError("payment-finished", f"payment {payment_id} has already finished")
        if payment.request.mode != "assisted":
            raise PaymentError("not-assisted", "only an assisted payment takes the agent's restart or submit")
        self.controls.append((payment_id, what))
        return payment

    async def step(
        self, payment: Payment, step: str, status: str, attempt: int = 1, error: str | None = None
    ) -> None:
        await self._settle()
        payment.steps[Step(step)] = StepStatus(status)
        await self.events[payment.id].publish(
            "payment.step", step=step, status=status, attempt=attempt, error=error
        )

    async def finish(
        self, payment: Payment, outcome: Outcome, transaction_id: str | None = None, last4: str | None = None
    ) -> None:
        await self._settle()
        if outcome is Outcome.AGENT_CANCELLED:
            self.events[payment.id].cancelled(by="agent")
        payment.outcome, payment.transaction_id, payment.state = outcome, transaction_id, "finished"
        payment.brand, payment.last4 = ("visa", last4) if last4 else (None, None)
        await self.events[payment.id].publish(
            "payment.result",
            outcome=outcome.value,
            reason=None if outcome is Outcome.SUCCESS else outcome.value,
            transaction_id=transaction_id,
            amount=f"{payment.request.amount:.2f}",
            currency=payment.request.currency,
            brand=payment.brand,
            last4=last4,
        )
        call = self.calls.get(payment.call_id)
        if call is not None and call.payment_id == payment.id:
            call.payment_id = None


@dataclass
class WebRig:
    """The real web app on a loopback port, over a call registry the test fills in."""

    settings: Settings
    calls: CallRegistry
    payments: FakePayments
    bus: EventBus
    runner: web.AppRunner
    port: int
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def restart(self) -> None:
        """Drop every connection, as a daemon restart would, and serve again on the same port."""
        await self.runner.cleanup()
        app = build_app(self.settings, self.payments, self.calls, self.bus)  # type: ignore[arg-type]
        self.runner, _ = await start_site(app, "127.0.0.1", self.port)

    def add_call(self, agent_id: str = "alice", connected: bool = True, call_id: str = "") -> Call:
        call = Call(
            id=call_id or f"c-{agent_id}-{len(self.calls.all()) + 1}",
            agent_id=agent_id,
            caller_channel=f"caller-{agent_id}",
            bridge_id=f"bridge-{agent_id}",
            language="en",
            agent_channel=f"agent-{agent_id}" if connected else None,
            crm_record_id="CRM-1001",
        )
        self.calls.add(call)
        return call

    async def start_payment(
        self, call: Call, item: str = "Blue widget", amount: str = "49.95", mode: str = "private"
    ) -> Payment:
        request = PaymentRequest(item, Decimal(amount), "USD", "en", mode=mode)  # type: ignore[arg-type]
        return await self.payments.request(call.id, request)

    def client(self, token: str | None = None, **headers: str) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(
            base_url=self.url, headers={**(bearer(token) if token else {}), **headers}
        )
        self.sessions.append(session)
        return session


@contextlib.asynccontextmanager
async def web_rig(bus: EventBus | None = None, **web: Any) -> AsyncIterator[WebRig]:
    """The app with the test tokens and any `[web]` keys; it closes `bus` at the end."""
    settings = with_tokens(config.load(None, {}), **web)
    bus = bus or InProcessBus()
    calls = CallRegistry()
    payments = FakePayments(calls, bus)
    app = build_app(settings, payments, calls, bus)  # type: ignore[arg-type]
    runner, port = await start_site(app, "127.0.0.1", 0)
    rig = WebRig(settings, calls, payments, bus, runner, port)
    try:
        yield rig
    finally:
        for session in rig.sessions:
            await session.close()
        await rig.runner.cleanup()
        await bus.close()
