"""HTTP resources for payments and agents' calls (contract: securepay/web/openapi.yaml).

Every handler runs behind `auth.require_token`: an agent reaches their own calls and
payments only (403 otherwise), a supervisor reaches all.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from pydantic import ValidationError

from securepay.calls.dialplan import DialplanCall
from securepay.calls.registry import Call, CallRegistry
from securepay.config import Settings
from securepay.flow import Step
from securepay.payments.model import Payment, PaymentRequest
from securepay.payments.service import PaymentError, PaymentService
from securepay.web.auth import PRINCIPAL
from securepay.web.errors import error
from securepay.web.schemas import PaymentCreate

STATUS_FOR = {
    "unknown-call": 404,
    "unknown-payment": 404,
    "session-in-progress": 409,
    "call-not-connected": 409,
    "charge-in-progress": 409,
    "payment-finished": 409,
    "not-assisted": 409,
    "field-not-reached": 409,
    "not-ready": 409,
}
FIELDS = {step.value: step for step in (Step.CARD_NUMBER, Step.EXPIRY, Step.CVC, Step.POSTAL_CODE)}

SETTINGS = web.AppKey("settings", Settings)
PAYMENTS = web.AppKey("payments", PaymentService)
CALLS = web.AppKey("calls", CallRegistry)
LATEST = web.AppKey("latest_payments", dict[str, str])
"""Call id -> the last payment requested on it, so a reloaded panel still shows a finished one."""


def forbidden() -> web.Response:
    return error(403, "forbidden", "this belongs to another agent")


def current_payment(app: web.Application, call: Call) -> Payment | None:
    """The call's running payment, else the last one it had (one a killed daemon left, once settled)."""
    payment_id = call.payment_id or app[LATEST].get(call.id) or app[PAYMENTS].settled_on(call.id)
    return app[PAYMENTS].get(payment_id) if payment_id else None


def remember(app: web.Application, payment: Payment) -> None:
    """Ended calls are forgotten in one sweep whenever they could outnumber the live ones:
    a sweep per request would cost O(calls) each, quadratic at thousands of calls."""
    latest, calls = app[LATEST], app[CALLS]
    if len(latest) >= 2 * len(calls) + 64:
        for call_id in [c for c in latest if calls.get(c) is None]:
            del latest[call_id]
    latest[payment.call_id] = payment.id


def refused(exc: PaymentError) -> web.Response:
    return error(STATUS_FOR.get(exc.code, 400), exc.code, str(exc))


async def create_payment(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    call_id = request.match_info["call_id"]
    call = request.app[CALLS].get(call_id)
    if call is not None and not request[PRINCIPAL].may_see(call.agent_id):
        return forbidden()
    try:
        body = await request.json()
    except ValueError:  # not JSON, or not UTF-8
        return error(422, "invalid-json", "the body must be a JSON object")
    if not isinstance(body, dict):
        return error(422, "invalid-json", "the body must be a JSON object")
    try:
        data = PaymentCreate.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        return error(422, "invalid-field", message.removeprefix("Value error, "), field)
    if data.amount > settings.payments.max_amount:
        return error(422, "invalid-field", f"must be at most {settings.payments.max_amount}", "amount")
    language = data.language or (call.language if call else None) or settings.payments.default_language
    if language not in settings.payments.languages:
        return error(422, "invalid-field", f"must be one of {list(settings.payments.languages)}", "language")
    payment_request = PaymentRequest(
        item=data.item,
        amount=data.amount,
        currency=data.currency or settings.payments.default_currency,
        language=language,
        crm_record_id=data.crm_record_id or (call.crm_record_id if call else None),
        mode=data.mode or settings.payments.default_mode,
    )
    try:
        payment = await request.app[PAYMENTS].request(call_id, payment_request, request[PRINCIPAL].agent_id)
    except PaymentError as exc:
        return refused(exc)
    remember(request.app, payment)
    return web.json_response(
        payment.snapshot(), status=201, headers={"Location": f"/api/v1/payments/{payment.id}"}
    )


async def get_payment(request: web.Request) -> web.Response:
    payment = request.app[PAYMENTS].get(request.match_info["payment_id"])
    if payment is None:
        return error(404, "unknown-payment", "no such payment")
    if not request[PRINCIPAL].may_see(payment.agent_id):
        return forbidden()
    return web.json_response(payment.snapshot())


async def abort_payment(request: web.Request) -> web.Response:
    return await _agent_control(request, lambda payments, payment_id: payments.abort(payment_id))


async def restart_field(request: web.Request) -> web.Response:
    step = FIELDS.get(request.match_info["field"])
    if step is None:
        return error(422, "invalid-field", f"must be one of {list(FIELDS)}", "field")
    return await _agent_control(request, lambda payments, payment_id: payments.restart(payment_id, step))


async def submit_payment(request: web.Request) -> web.Response:
    return await _agent_control(request, lambda payments, payment_id: payments.submit(payment_id))


async def _agent_control(request: web.Request, act: Callable[[PaymentService, str], Payment]) -> web.Response:
    """The agent's cancel, restart or submit, for the agent who owns the payment: 202 and the payment."""
    payment_id = request.match_info["payment_id"]
    payment = request.app[PAYMENTS].get(payment_id)
    if payment is not None and not request[PRINCIPAL].may_see(payment.agent_id):
        return forbidden()
    try:
        payment = act(request.app[PAYMENTS], payment_id)
    except PaymentError as exc:
        return refused(exc)
    return web.json_response(payment.snapshot(), status=202)


async def agent_call(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    if not request[PRINCIPAL].may_see(agent_id):
        return forbidden()
    if agent_id not in request.app[SETTINGS].agents:
        return error(404, "unknown-agent", "no such agent")
    view = await agent_call_view(request.app, agent_id)
    if view is None:
        return error(404, "no-call", "the agent has no live call")
    return web.json_response(view)


async def agent_call_view(app: web.Application, agent_id: str) -> dict[str, object] | None:
    """The agent's call: securepay's own, else a Queue/Dial call found live (the API and the stream)."""
    call = app[CALLS].for_agent(agent_id)
    if call is not None:
        return call.view()
    found = await app[PAYMENTS].find_dialplan_call(agent_id)
    return dialplan_call_view(found) if found is not None else None


def dialplan_call_view(call: DialplanCall) -> dict[str, object]:
    """A Queue/Dial call not yet in securepay's bridge: a payment request moves it in."""
    return {
        "id": call.id,
        "agent_id": call.agent_id,
        "connected": True,
        "language": call.caller.language,
        "crm_record_id": None,
        "payment_id": None,
        "started_at": None,
    }


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/calls/{call_id}/payments", create_payment)
    app.router.add_get("/api/v1/payments/{payment_id}", get_payment)
    app.router.add_delete("/api/v1/payments/{payment_id}", abort_payment)
    app.router.add_post("/api/v1/payments/{payment_id}/fields/{field}/restart", restart_field)
    app.router.add_post("/api/v1/payments/{payment_id}/submit", submit_payment)
    app.router.add_get("/api/v1/agents/{agent_id}/call", agent_call)
