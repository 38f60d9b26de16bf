"""Stripe client: PaymentIntents over aiohttp, and never a double charge.

Each payment attempt has one ``Idempotency-Key`` derived from its invoice number. When
an answer is lost (timeout, reset connection, HTTP 5xx, 409 key-in-use, 429), the very
same bytes are sent again with the same key: Stripe either replays the first answer or
runs the request for the first time, and can never create a second charge. If that does
not settle it, the intent is searched for by the invoice number in its metadata. What is
still unclear after that is ``outcome_unknown``; a new key is never used for a payment.

Card data exists here only inside the request body buffer, wiped once the charge is
settled. Logs carry invoice numbers, outcomes, codes and timings; never a body, a card
field or the key.
"""

import json
import logging
import time
from dataclasses import replace
from typing import Any

from securepay.gateway.card_body import wipe
from securepay.gateway.context import ChargeContext
from securepay.gateway.errors import GatewayAuthError, GatewayError, GatewayUnavailableError
from securepay.gateway.http import (
    HttpClient,
    NoAnswer,
    NotSent,
    exchange,
    log_charge,
    log_void,
    lookup_or_none,
)
from securepay.gateway.request import ChargeRequest
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus
from securepay.gateway.stripe_config import API_VERSION, StripeConfig
from securepay.gateway.stripe_payloads import (
    idempotency_key,
    payment_intent_body,
    recent_query,
    refund_body,
    search_query,
)
from securepay.gateway.stripe_responses import (
    GATEWAY_NAME,
    error_message,
    invoice_of,
    outcome_unknown,
    read_charge_answer,
    read_refund_answer,
    refund_result,
    refused,
    result_from_search,
)

log = logging.getLogger("securepay.gateway")

_AUTH_FAILED = (
    "Stripe rejected the secret key: check [gateway] stripe_secret_key, that it is not revoked, "
    "and that a restricted key may write PaymentIntents and Refunds and read PaymentIntents"
)

_NOT_ABOUT_THE_CHARGE = frozenset({ChargeReason.AUTHENTICATION_FAILED, ChargeReason.GATEWAY_UNAVAILABLE})
"""Answers to a resend that say nothing about whether the first attempt charged."""


class StripeGateway(HttpClient):
    """The ``Gateway`` for Stripe. One instance per process; close it on shutdown."""

    name = GATEWAY_NAME

    def __init__(self, config: StripeConfig) -> None:
        super().__init__(config.timeout_s, config.connect_timeout_s)
        self._config = config
        self._base = config.endpoint.rstrip("/")

    async def check_credentials(self) -> None:
        await self._call("GET", "/v1/payment_intents", "list_payment_intents", params={"limit": "1"})
        log.info("stripe credentials accepted")

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once. Do not cancel the awaiting task: its outcome must be recorded."""
        started = time.monotonic()
        context = ChargeContext.of(request)
        try:
            body = payment_intent_body(request)
        except ValueError as exc:
            result = refused(context, ChargeReason.INVALID_AMOUNT, str(exc))
        else:
            try:
                result = await self._charge_safely(body, context)
            finally:
                wipe(body)
        log_charge(context.invoice_number, result, started)
        return result

    async def lookup(self, invoice_number: str) -> ChargeResult | None:
        """The newest intent whose metadata names ``invoice_number``.

        Stripe's search index trails writes (up to a minute), so when search finds nothing
        the intents created in the last ``recent_window_s`` are listed too: the list is
        read from the source, so a charge made just before a lost answer or a crash is
        never reported as absent.
        """
        document = await self._call(
            "GET", "/v1/payment_intents/search", "search_payment_intents", params=search_query(invoice_number)
        )
        hits = [hit for hit in document.get("data") or [] if isinstance(hit, dict)]
        if not hits:
            hits = await self._recent_intents(invoice_number)
        if not hits:
            return None
        newest = max(hits, key=lambda hit: hit.get("created") if isinstance(hit.get("created"), int) else 0)
        return result_from_search(newest)

    async def _recent_intents(self, invoice_number: str) -> list[dict[str, Any]]:
        since = int(time.time() - self._config.recent_window_s)
        starting_after: str | None = None
        for _ in range(self._config.recent_max_pages):
            page = await self._call(
                "GET",
                "/v1/payment_intents",
                "list_payment_intents",
                params=recent_query(since, starting_after),
            )
            intents = [intent for intent in page.get("data") or [] if isinstance(intent, dict)]
            hits = [intent for intent in intents if invoice_of(intent) == invoice_number]
            if hits or not intents or page.get("has_more") is not True:
                return hits
            starting_after = str(intents[-1].get("id"))
        log.warning(
            "recent list gave up invoice=%s after %d pages", invoice_number, self._config.recent_max_pages
        )
        return []

    async def void(self, transaction_id: str) -> ChargeResult:
        """Refund a charged intent in full (Stripe captures at once, so a void is a refund).

        The refund carries its own idempotency key, so sending it twice refunds once.
        """
        if not transaction_id.startswith("pi_"):
            raise ValueError("transaction_id must be a PaymentIntent id (pi_...)")
        started = time.monotonic()
        headers = self._headers(f"securepay-refund-{transaction_id}")
        result = await self._refund(refund_body(transaction_id), headers, transaction_id)
        if result.status is ChargeStatus.OUTCOME_UNKNOWN:
            log.warning("refund outcome unknown transaction_id=%s; sending it again", transaction_id)
            result = await self._refund(refund_body(transaction_id), headers, transaction_id)
        log_void(transaction_id, result, started)
        return result

    async def _charge_safely(self, body: bytearray, context: ChargeContext) -> ChargeResult:
        headers = self._headers(idempotency_key(context.invoice_number))
        result = await self._submit(body, headers, context, attempt=1)
        attempt = 1
        while result.status is ChargeStatus.OUTCOME_UNKNOWN and attempt <= self._config.retries:
            attempt += 1
            log.warning(
                "charge outcome unknown invoice=%s detail=%s; resending with the same idempotency key",
                context.invoice_number,
                result.gateway_code or result.gateway_text,
            )
            result = await self._submit(body, headers, context, attempt=attempt)
        if result.status is not ChargeStatus.OUTCOME_UNKNOWN:
            return result if attempt == 1 else replace(result, reconciled=True)
        found = await lookup_or_none(self.lookup, context.invoice_number)
        if found is not None:
            return found
        log.error("charge outcome unknown invoice=%s after resends and a search", context.invoice_number)
        return result

    async def _submit(
        self, body: bytearray, headers: dict[str, str], context: ChargeContext, attempt: int
    ) -> ChargeResult:
        operation = f"stripe create_payment_intent#{attempt}"
        try:
            status, raw = await exchange(
                self._session_in_loop(),
                "POST",
                self._base + "/v1/payment_intents",
                operation,
                data=body,
                headers=headers,
            )
        except NotSent as exc:
            if attempt == 1:
                return refused(context, ChargeReason.GATEWAY_UNAVAILABLE, str(exc))
            return outcome_unknown(context, None, str(exc))
        except NoAnswer as exc:
            return outcome_unknown(context, None, str(exc))
        try:
            document = _decode(raw)
        except ValueError:
            return outcome_unknown(context, f"HTTP {status}", "unreadable answer")
        result = read_charge_answer(status, document, context)
        if attempt > 1 and result.reason in _NOT_ABOUT_THE_CHARGE:
            return outcome_unknown(context, result.gateway_code, result.gateway_text)
        return result

    async def _refund(self, body: bytes, headers: dict[str, str], transaction_id: str) -> ChargeResult:
        try:
            status, raw = await exchange(
                self._session_in_loop(),
                "POST",
                self._base + "/v1/refunds",
                "stripe refund",
                data=body,
                headers=headers,
            )
            document = _decode(raw)
        except NotSent as exc:
            return refund_result(
                transaction_id, ChargeStatus.ERROR, ChargeReason.GATEWAY_UNAVAILABLE, None, str(exc)
            )
        except (NoAnswer, ValueError) as exc:
            return refund_result(
                transaction_id, ChargeStatus.OUTCOME_UNKNOWN, ChargeReason.GATEWAY_ERROR, None, str(exc)
            )
        return read_refund_answer(status, document, transaction_id)

    async def _call(
        self, method: str, path: str, operation: str, *, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A request whose only purpose is its answer: failures raise."""
        try:
            status, raw = await exchange(
                self._session_in_loop(),
                method,
                self._base + path,
                f"stripe {operation}",
                params=params,
                headers=self._headers(None),
            )
            document = _decode(raw)
        except (NotSent, NoAnswer) as exc:
            raise GatewayUnavailableError(f"Stripe {operation}: {exc}") from None
        except ValueError:
            raise GatewayUnavailableError(f"Stripe {operation}: unreadable answer") from None
        if status == 200:
            return document
        if status in (401, 403):
            raise GatewayAuthError(_AUTH_FAILED, code=str(status))
        detail = f"Stripe {operation} failed: HTTP {status} {error_message(document)}"
        if status == 429 or status >= 500:
            raise GatewayUnavailableError(detail, code=str(status))
        raise GatewayError(detail, code=str(status))

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._config.secret_key}",
            "Stripe-Version": API_VERSION,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers


def _decode(raw: bytes) -> dict[str, Any]:
    document = json.loads(raw.decode("utf-8"))
    if not isinstance(document, dict):
        raise ValueError("Stripe answer is not a JSON object")
    return document
