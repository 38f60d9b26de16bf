"""A local Stripe test-mode account, for tests and demos.

It speaks the parts of the REST API the client uses, the way Stripe does: form-encoded
requests with unknown parameters refused (``parameter_unknown``), Bearer secret keys
(401), PaymentIntents created and confirmed in one call with raw card data and the
MOTO flag (refused unless the account has MOTO enabled), idempotency keys that replay
the first answer and refuse other parameters (``idempotency_error``), Stripe's test
cards and their declines (402 ``card_error`` with ``decline_code``), live cards refused in
test mode, metadata search (its index trailing writes by ``search_lag_s``), the intent list (never
trailing), and refunds. The same fault switches as the Authorize.Net
simulator reproduce lost answers. Of each card it keeps only brand and last four digits.

Run it alone with ``python -m securepay.testing.stripe_sim --port 8090``.
"""

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from securepay.gateway.currency import THREE_DECIMAL
from securepay.testing.sim_faults import FaultSwitches, luhn_valid, serve_app

SIM_SECRET_KEY = "sk_test_securepaySimulator0000"
CREATE = "create_payment_intent"
SEARCH = "search_payment_intents"
LIST = "list_payment_intents"
REFUND = "create_refund"

SUCCESS_CARDS = {
    "4242424242424242": "visa",
    "4000056655665556": "visa",
    "5555555555554444": "mastercard",
    "2223003122003222": "mastercard",
    "5200828282828210": "mastercard",
    "378282246310005": "amex",
    "371449635398431": "amex",
    "6011111111111117": "discover",
    "6011000990139424": "discover",
    "3056930009020004": "diners",
    "36227206271667": "diners",
    "3566002020360505": "jcb",
    "6200000000000005": "unionpay",
}
"""Stripe's test cards that are charged successfully, with their brand."""

DECLINE_CARDS = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("card_declined", "lost_card", "Your card was declined."),
    "4000000000009979": ("card_declined", "stolen_card", "Your card was declined."),
    "4100000000000019": ("card_declined", "fraudulent", "Your card was declined."),
    "4000000000006975": ("card_declined", "card_velocity_exceeded", "Your card was declined."),
    "4000000000000069": ("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("processing_error", None, "An error occurred while processing your card."),
}
"""Stripe's test cards that are declined: (code, decline_code, message)."""

CVC_CHECK_FAILS = "4000000000000101"
POSTAL_CODE_CHECK_FAILS = "4000000000000036"
CURRENCIES = frozenset({"usd", "eur", "gbp", "cad", "aud", "jpy", "kwd", "bhd", "jod", "omr", "chf"})
MAX_AMOUNT = 99_999_999

_CREATE_PARAMS = re.compile(
    r"amount|currency|confirm|description|capture_method|receipt_email|statement_descriptor_suffix"
    r"|payment_method_types\[\d+\]|expand\[\d*\]|metadata\[[^\]]+\]"
    r"|payment_method_data\[(type|card\]\[(number|exp_month|exp_year|cvc)"
    r"|billing_details\]\[address\]\[(postal_code|country|line1))\]"
    r"|payment_method_options\[card\]\[moto\]"
)
_SEARCH_QUERY = re.compile(r"metadata\['(?P<key>[^']+)'\]:'(?P<value>[^']*)'")


class StripeError(Exception):
    """An error answer: HTTP status and Stripe's ``error`` object."""

    def __init__(self, status: int, **error: Any) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = {key: value for key, value in error.items() if value is not None}


@dataclass
class SimPaymentIntent:
    """One confirmed PaymentIntent. ``status``: ``approved``, ``declined`` or ``voided``."""

    id: str
    invoice_number: str
    status: str
    amount: int
    currency: str
    brand: str
    last4: str
    moto: bool
    description: str | None
    metadata: dict[str, str]
    created: int
    charge_id: str
    cvc_check: str
    postal_code_check: str
    error: dict[str, Any] | None = None
    created_monotonic: float = field(default_factory=time.monotonic, repr=False)


@dataclass
class _Replay:
    fingerprint: bytes
    status: int
    document: dict[str, Any]


class StripeSimulator(FaultSwitches):
    """State and behaviour of one simulated Stripe account in test mode.

    ``charges`` lists every intent that was confirmed (charged or declined), never the
    requests refused before one was created. ``search_lag_s`` delays search visibility,
    as Stripe's search index trails writes.
    """

    def __init__(self, secret_key: str = SIM_SECRET_KEY, *, slow_response_s: float = 2.0) -> None:
        super().__init__(CREATE, slow_response_s)
        self.secret_key = secret_key
        self.charges: list[SimPaymentIntent] = []
        self.moto_enabled = True
        self.decline_on_cvc_failure = True
        self.decline_on_postal_code_failure = False
        self.search_lag_s = 0.0
        self._replays: dict[str, _Replay] = {}
        self._fingerprint_key = secrets.token_bytes(32)
        self._ids = itertools.count(1)

    @property
    def approved(self) -> list[SimPaymentIntent]:
        return [intent for intent in self.charges if intent.status == "approved"]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/payment_intents", self._create)
        app.router.add_get("/v1/payment_intents", self._list)
        app.router.add_get("/v1/payment_intents/search", self._search)
        app.router.add_post("/v1/refunds", self._refund)
        return app

    async def _create(self, request: web.Request) -> web.StreamResponse:
        return await self._idempotent(request, CREATE, self._create_intent)

    async def _refund(self, request: web.Request) -> web.StreamResponse:
        return await self._idempotent(request, REFUND, self._create_refund)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        """Newest first, ``created[gte]`` and ``starting_after`` honoured; never lags."""
        self.requests.append(LIST)
        problem = self._auth_problem(request)
        if problem is not None:
            return problem
        query = request.query
        unknown = sorted(set(query) - {"limit", "created[gte]", "starting_after", "expand[]"})
        if unknown:
            return _error(_unknown_parameter(unknown[0]))
        limit = int(query.get("limit", "10"))
        since = int(query.get("created[gte]", "0"))
        intents = [intent for intent in reversed(self.charges) if intent.created >= since]
        if "starting_after" in query:
            ids = [intent.id for intent in intents]
            start = ids.index(query["starting_after"]) + 1 if query["starting_after"] in ids else len(ids)
            intents = intents[start:]
        expand = "data.latest_charge" in query.getall("expand[]", [])
        page = {
            "object": "list",
            "data": [self._intent(intent, expand=expand) for intent in intents[:limit]],
            "has_more": len(intents) > limit,
            "url": "/v1/payment_intents",
        }
        return await self.answer(LIST, request, lambda: _json(200, page))

    async def _search(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(SEARCH)
        problem = self._auth_problem(request)
        if problem is not None:
            return problem
        match = _SEARCH_QUERY.fullmatch(request.query.get("query", ""))
        if match is None:
            error = StripeError(
                400, type="invalid_request_error", message="Invalid search query.", param="query"
            )
            return _error(error)
        expand = "data.latest_charge" in request.query.getall("expand[]", [])
        now = time.monotonic()
        hits = [
            self._intent(intent, expand=expand)
            for intent in reversed(self.charges)
            if intent.metadata.get(match["key"]) == match["value"]
            and now - intent.created_monotonic >= self.search_lag_s
        ]
        page = {"object": "search_result", "data": hits, "has_more": False, "next_page": None}
        return await self.answer(SEARCH, request, lambda: _json(200, page))

    async def _idempotent(
        self, request: web.Request, operation: str, execute: Callable[[dict[str, str]], dict[str, Any]]
    ) -> web.StreamResponse:
        """Stripe saves the answer of every request that began executing, per key."""
        self.requests.append(operation)
        problem = self._auth_problem(request)
        if problem is not None:
            return problem
        raw = await request.read()
        if request.content_type != "application/x-www-form-urlencoded":
            return _error(StripeError(400, type="invalid_request_error", message="Invalid request body."))
        key = request.headers.get("Idempotency-Key")
        fingerprint = hmac.new(self._fingerprint_key, raw, hashlib.sha256).digest()
        if key is not None and key in self._replays:
            replay = self._replays[key]
            if not hmac.compare_digest(replay.fingerprint, fingerprint):
                return _error(
                    StripeError(
                        400,
                        type="idempotency_error",
                        message="Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with.",
                    )
                )
            response = _json(replay.status, replay.document)
            response.headers["Idempotent-Replayed"] = "true"
            return response
        params = dict(parse_qsl(raw.decode("ascii", "replace"), keep_blank_values=True))

        def run() -> web.StreamResponse:
            try:
                status, document = 200, execute(params)
            except StripeError as exc:
                if exc.status == 400:
                    return _error(exc)
                status, document = exc.status, {"error": exc.error}
            if key is not None:
                self._replays[key] = _Replay(fingerprint, status, document)
            return _json(status, document)

        response = await self.answer(operation, request, run)
        if response.status == 500 and key in self._replays:
            error = {"type": "api_error", "message": "Something went wrong on Stripe's end."}
            self._replays[key] = _Replay(fingerprint, 500, {"error": error})
        return response

    def _auth_problem(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            message = "You did not provide an API key."
            return _error(StripeError(401, type="invalid_request_error", message=message))
        if not hmac.compare_digest(header.removeprefix("Bearer "), self.secret_key):
            shown = header.removeprefix("Bearer ")[:8] + "*" * 8
            message = f"Invalid API Key provided: {shown}"
            return _error(StripeError(401, type="invalid_request_error", message=message))
        return None

    def _create_intent(self, params: dict[str, str]) -> dict[str, Any]:
        _check_known_params(params)
        amount, currency = _amount_and_currency(params)
        if params.get("confirm") != "true":
            raise StripeError(
                400, type="invalid_request_error", message="The simulator confirms on create only."
            )
        if "card" not in [v for k, v in params.items() if k.startswith("payment_method_types[")]:
            raise StripeError(
                400,
                type="invalid_request_error",
                message="A return_url must be specified when confirming with automatic payment methods.",
            )
        moto = params.get("payment_method_options[card][moto]") == "true"
        if moto and not self.moto_enabled:
            raise StripeError(
                400,
                type="invalid_request_error",
                message="This account does not have MOTO enabled.",
                param="payment_method_options[card][moto]",
            )
        metadata = _metadata(params)
        number = _required(params, "payment_method_data[card][number]")
        exp_month = _required(params, "payment_method_data[card][exp_month]")
        exp_year = _required(params, "payment_method_data[card][exp_year]")
        cvc = params.get("payment_method_data[card][cvc]", "")
        if params.get("payment_method_data[type]") != "card":
            raise StripeError(
                400, type="invalid_request_error", code="parameter_missing", param="payment_method_data[type]"
            )
        brand = _card_problem_or_brand(number, exp_month, exp_year, cvc)
        intent = SimPaymentIntent(
            id=f"pi_sim{next(self._ids):08d}{secrets.token_hex(4)}",
            invoice_number=metadata.get("securepay_invoice", ""),
            status="approved",
            amount=amount,
            currency=currency,
            brand=brand,
            last4=number[-4:],
            moto=moto,
            description=params.get("description"),
            metadata=metadata,
            created=int(time.time()),
            charge_id=f"ch_sim{secrets.token_hex(8)}",
            cvc_check="fail" if number == CVC_CHECK_FAILS else ("pass" if cvc else "unchecked"),
            postal_code_check="fail" if number == POSTAL_CODE_CHECK_FAILS else "pass",
        )
        intent.error = self._decline(number, intent)
        if intent.error is not None:
            intent.status = "declined"
        self.charges.append(intent)
        expand = "latest_charge" in [v for k, v in params.items() if k.startswith("expand[")]
        document = self._intent(intent, expand=expand)
        if intent.error is not None:
            raise StripeError(402, **intent.error, payment_intent=document, charge=intent.charge_id)
        return document

    def _decline(self, number: str, intent: SimPaymentIntent) -> dict[str, Any] | None:
        if number in DECLINE_CARDS:
            code, decline_code, message = DECLINE_CARDS[number]
        elif intent.cvc_check == "fail" and self.decline_on_cvc_failure:
            code, decline_code, message = (
                "incorrect_cvc",
                "incorrect_cvc",
                "Your card's security code is incorrect.",
            )
        elif intent.postal_code_check == "fail" and self.decline_on_postal_code_failure:
            code, decline_code, message = (
                "incorrect_zip",
                "incorrect_zip",
                "Your card's zip code failed validation.",
            )
        elif number in SUCCESS_CARDS or number in (CVC_CHECK_FAILS, POSTAL_CODE_CHECK_FAILS):
            return None
        else:
            code, decline_code = "card_declined", "test_mode_live_card"
            message = "Your card was declined. Your request was in test mode, but used a non test card."
        return {"type": "card_error", "code": code, "decline_code": decline_code, "message": message}

    def _create_refund(self, params: dict[str, str]) -> dict[str, Any]:
        unknown = sorted(set(params) - {"payment_intent", "amount", "reason"})
        if unknown:
            raise _unknown_parameter(unknown[0])
        intent_id = _required(params, "payment_intent")
        intent = next((i for i in self.charges if i.id == intent_id), None)
        if intent is None:
            raise StripeError(
                400,
                type="invalid_request_error",
                code="resource_missing",
                message=f"No such payment_intent: '{intent_id}'",
            )
        if intent.status == "voided":
            raise StripeError(
                400,
                type="invalid_request_error",
                code="charge_already_refunded",
                message=f"Charge {intent.charge_id} has already been refunded.",
            )
        if intent.status != "approved":
            raise StripeError(
                400,
                type="invalid_request_error",
                code="charge_not_refundable",
                message="This charge cannot be refunded.",
            )
        intent.status = "voided"
        return {
            "id": f"re_sim{secrets.token_hex(8)}",
            "object": "refund",
            "amount": intent.amount,
            "currency": intent.currency,
            "payment_intent": intent.id,
            "charge": intent.charge_id,
            "status": "succeeded",
        }

    def _intent(self, intent: SimPaymentIntent, *, expand: bool) -> dict[str, Any]:
        charged = intent.status in ("approved", "voided")
        charge = {
            "id": intent.charge_id,
            "object": "charge",
            "amount": intent.amount,
            "amount_refunded": intent.amount if intent.status == "voided" else 0,
            "currency": intent.currency,
            "paid": charged,
            "captured": charged,
            "refunded": intent.status == "voided",
            "status": "succeeded" if charged else "failed",
            "failure_code": intent.error.get("code") if intent.error else None,
            "outcome": {"network_status": "approved_by_network" if charged else "declined_by_network"},
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": intent.brand,
                    "last4": intent.last4,
                    "funding": "credit",
                    "checks": {
                        "cvc_check": intent.cvc_check,
                        "address_postal_code_check": intent.postal_code_check,
                        "address_line1_check": None,
                    },
                    "moto": intent.moto,
                },
            },
        }
        return {
            "id": intent.id,
            "object": "payment_intent",
            "amount": intent.amount,
            "amount_received": intent.amount if charged else 0,
            "currency": intent.currency,
            "status": "succeeded" if charged else "requires_payment_method",
            "capture_method": "automatic",
            "confirmation_method": "automatic",
            "created": intent.created,
            "description": intent.description,
            "metadata": intent.metadata,
            "livemode": False,
            "payment_method_types": ["card"],
            "payment_method_options": {"card": {"moto": intent.moto} if intent.moto else {}},
            "last_payment_error": intent.error,
            "latest_charge": charge if expand else intent.charge_id,
        }


def _check_known_params(params: dict[str, str]) -> None:
    for name in params:
        if not _CREATE_PARAMS.fullmatch(name):
            raise _unknown_parameter(name)


def _unknown_parameter(name: str) -> StripeError:
    return StripeError(
        400,
        type="invalid_request_error",
        code="parameter_unknown",
        param=name,
        message=f"Received unknown parameter: {name}",
    )


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise StripeError(
            400,
            type="invalid_request_error",
            code="parameter_missing",
            param=name,
            message=f"Missing required param: {name}.",
        )
    if value == "":
        raise StripeError(
            400,
            type="invalid_request_error",
            code="parameter_invalid_empty",
            param=name,
            message=f"You passed an empty string for '{name}'.",
        )
    return value


def _amount_and_currency(params: dict[str, str]) -> tuple[int, str]:
    text = _required(params, "amount")
    if not text.isdigit():
        raise StripeError(
            400,
            type="invalid_request_error",
            code="parameter_invalid_integer",
            param="amount",
            message="Invalid integer: " + text,
        )
    amount = int(text)
    currency = _required(params, "currency")
    if currency not in CURRENCIES:
        raise StripeError(
            400, type="invalid_request_error", param="currency", message=f"Invalid currency: {currency}."
        )
    if amount < 50:
        raise StripeError(
            400,
            type="invalid_request_error",
            code="amount_too_small",
            param="amount",
            message="Amount must be at least 50 minor units.",
        )
    if amount > MAX_AMOUNT:
        raise StripeError(
            400,
            type="invalid_request_error",
            code="amount_too_large",
            param="amount",
            message="Amount must be no more than 99999999.",
        )
    if currency.upper() in THREE_DECIMAL and amount % 10:
        raise StripeError(
            400,
            type="invalid_request_error",
            code="parameter_invalid_integer",
            param="amount",
            message=f"Amounts in {currency} must be divisible by 10.",
        )
    return amount, currency


def _metadata(params: dict[str, str]) -> dict[str, str]:
    metadata = {
        name[len("metadata[") : -1]: value for name, value in params.items() if name.startswith("metadata[")
    }
    if len(metadata) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in metadata.items()):
        raise StripeError(
            400,
            type="invalid_request_error",
            param="metadata",
            message="Metadata: at most 50 keys of 40 characters, values of 500.",
        )
    return metadata


def _card_problem_or_brand(number: str, exp_month: str, exp_year: str, cvc: str) -> str:
    """Raise the card_error Stripe gives for a malformed card; else its brand."""
    if not (number.isdigit() and 12 <= len(number) <= 19):
        raise StripeError(
            402,
            type="card_error",
            code="invalid_number",
            param="number",
            message="Your card number is invalid.",
        )
    if not luhn_valid(number):
        raise StripeError(
            402,
            type="card_error",
            code="incorrect_number",
            param="number",
            message="Your card number is incorrect.",
        )
    if not (exp_month.isdigit() and 1 <= int(exp_month) <= 12):
        raise StripeError(
            402,
            type="card_error",
            code="invalid_expiry_month",
            param="exp_month",
            message="Your card's expiration month is invalid.",
        )
    now = datetime.now(UTC)
    if not exp_year.isdigit() or (int(exp_year), int(exp_month)) < (now.year, now.month):
        raise StripeError(
            402,
            type="card_error",
            code="invalid_expiry_year",
            param="exp_year",
            message="Your card's expiration year is invalid.",
        )
    brand = SUCCESS_CARDS.get(number) or _brand(number)
    if not (cvc.isdigit() and len(cvc) == (4 if brand == "amex" else 3)):
        raise StripeError(
            402,
            type="card_error",
            code="invalid_cvc",
            param="cvc",
            message="Your card's security code is invalid.",
        )
    return brand


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith(("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27")):
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def _json(status: int, document: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(document).encode(),
        headers={"Content-Type": "application/json", "Request-Id": f"req_sim{secrets.token_hex(6)}"},
    )


def _error(error: StripeError) -> web.Response:
    return _json(error.status, {"error": error.error})


@contextlib.asynccontextmanager
async def serve_stripe_simulator(
    simulator: StripeSimulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Run ``simulator`` over real HTTP; yields its API base URL (a free port by default)."""
    async with serve_app(simulator.app(), simulator, "", host, port) as url:
        yield url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Stripe simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(arguments.host, arguments.port))


async def _serve_forever(host: str, port: int) -> None:
    async with serve_stripe_simulator(StripeSimulator(), host, port) as url:
        print(f"Stripe simulator at {url} (secret key {SIM_SECRET_KEY})", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    main()
