"""Braintree client: the GraphQL API over aiohttp, and never a double charge.

A charge is two calls: ``tokenizeCreditCard`` (charges nothing; if its answer is lost the
payment simply fails as unavailable) and ``chargeCreditCard`` of the resulting single-use
payment method with the invoice number as ``orderId``. When the charge's answer is lost
(timeout, reset, HTTP 5xx), the transaction is searched for by ``orderId``; only when
none is found is the very same charge sent again. That resend cannot charge twice: if the
first attempt did go through, the single-use payment method is consumed and Braintree
refuses it (``91564``), after which the search runs once more. Whatever is still unclear
is ``outcome_unknown``.

Card data exists here only inside the tokenize body buffer, wiped as soon as that call is
answered. Logs carry invoice numbers, outcomes, codes and timings; never a body, a card
field or a key.
"""

import base64
import json
import logging
import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

from securepay.gateway.braintree_config import API_VERSION, BraintreeConfig
from securepay.gateway.braintree_payloads import (
    charge_body,
    global_id_body,
    ping_body,
    reverse_body,
    search_body,
    status_body,
    tokenize_body,
)
from securepay.gateway.braintree_responses import (
    GATEWAY_NAME,
    PAYMENT_METHOD_CONSUMED,
    STATUSES,
    first_error,
    outcome_unknown,
    payload,
    refusal,
    refused,
    result_from_transaction,
    search_hits,
    void_result,
)
from securepay.gateway.card_body import wipe
from securepay.gateway.context import ChargeContext
from securepay.gateway.currency import format_major
from securepay.gateway.errors import GatewayAuthError, GatewayError, GatewayUnavailableError
from securepay.gateway.fields import child, scalar
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

log = logging.getLogger("securepay.gateway")

_AUTH_FAILED = (
    "Braintree rejected the API keys: check [gateway] braintree_public_key and braintree_private_key, "
    "and that sandbox keys are not used against production or the reverse"
)


class BraintreeGateway(HttpClient):
    """The ``Gateway`` for Braintree. One instance per process; close it on shutdown."""

    name = GATEWAY_NAME

    def __init__(self, config: BraintreeConfig) -> None:
        super().__init__(config.timeout_s, config.connect_timeout_s)
        self._config = config
        credentials = f"{config.public_key}:{config.private_key}".encode()
        self._headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "Braintree-Version": API_VERSION,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    async def check_credentials(self) -> None:
        await self._call("ping", ping_body())
        log.info("braintree credentials accepted")

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once. Do not cancel the awaiting task: its outcome must be recorded."""
        started = time.monotonic()
        context = ChargeContext.of(request)
        result = await self._tokenize_then_charge(request, context)
        log_charge(context.invoice_number, result, started)
        return result

    async def lookup(self, invoice_number: str) -> ChargeResult | None:
        """The newest transaction whose ``orderId`` is ``invoice_number``."""
        hits = search_hits(await self._call("search", search_body(invoice_number)))
        if not hits:
            return None
        newest = max(hits, key=lambda hit: scalar(hit.get("createdAt")) or "")
        return result_from_transaction(newest, _found(invoice_number), reconciled=True)

    async def void(self, transaction_id: str) -> ChargeResult:
        """Reverse a charge: Braintree voids it before settlement and refunds it after.

        When the reversal is refused or unanswered, the transaction's own status decides:
        one already voided counts as voided, so a repeated void is harmless.
        """
        started = time.monotonic()
        try:
            node_id = await self._global_id(transaction_id)
        except GatewayError as exc:
            result = void_result(transaction_id, ChargeStatus.ERROR, exc.code, str(exc))
        else:
            result = await self._reverse(transaction_id, node_id)
        log_void(transaction_id, result, started)
        return result

    async def _global_id(self, transaction_id: str) -> str:
        ids = (await self._call("idsFromLegacyIds", global_id_body(transaction_id))).get("data") or {}
        converted = ids.get("idsFromLegacyIds") if isinstance(ids, dict) else None
        node_id = scalar(converted[0]) if isinstance(converted, list) and converted else None
        if node_id is None:
            raise GatewayError(f"Braintree has no transaction {transaction_id}")
        return node_id

    async def _reverse(self, transaction_id: str, node_id: str) -> ChargeResult:
        try:
            document = await self._call("reverseTransaction", reverse_body(node_id), raise_errors=False)
        except GatewayUnavailableError:
            document = {}
        reversal = child(payload(document, "reverseTransaction"), "reversal")
        if reversal:
            return void_result(transaction_id, ChargeStatus.VOIDED, scalar(reversal.get("status")), None)
        code, _, text = first_error(document)
        try:
            node = payload(await self._call("node", status_body(node_id)), "node")
        except GatewayError:
            return void_result(transaction_id, ChargeStatus.OUTCOME_UNKNOWN, code, text)
        state = scalar(node.get("status"))
        if STATUSES.get(state or "") is ChargeStatus.VOIDED:
            return void_result(transaction_id, ChargeStatus.VOIDED, state, text)
        return void_result(transaction_id, ChargeStatus.ERROR, code or state, text)

    async def _tokenize_then_charge(self, request: ChargeRequest, context: ChargeContext) -> ChargeResult:
        try:
            format_major(request.amount, request.currency)
        except ValueError as exc:
            return refused(context, ChargeReason.INVALID_AMOUNT, str(exc))
        card_body = tokenize_body(request)
        try:
            tokenized = await self._submit(card_body, "tokenizeCreditCard")
        finally:
            wipe(card_body)
        if isinstance(tokenized, Exception):
            return refused(context, ChargeReason.GATEWAY_UNAVAILABLE, f"tokenize: {tokenized}")
        status, document = tokenized
        payment_method_id = scalar(child(payload(document, "tokenizeCreditCard"), "paymentMethod").get("id"))
        if payment_method_id is None:
            return self._refused_or_unknown(status, document, context)
        body = charge_body(request, payment_method_id, self._config.merchant_account_id)
        return await self._charge_safely(body, context)

    async def _charge_safely(self, body: bytes, context: ChargeContext) -> ChargeResult:
        first = await self._charge_once(body, context, attempt=1)
        if first.status is not ChargeStatus.OUTCOME_UNKNOWN:
            return first
        log.warning(
            "charge outcome unknown invoice=%s detail=%s; searching by order id before any resend",
            context.invoice_number,
            first.gateway_code or first.gateway_text,
        )
        found = await lookup_or_none(self.lookup, context.invoice_number)
        if found is not None:
            return found
        second = await self._charge_once(body, context, attempt=2)
        if (
            second.status is not ChargeStatus.OUTCOME_UNKNOWN
            and second.gateway_code != PAYMENT_METHOD_CONSUMED
        ):
            return replace(second, reconciled=True)
        found = await lookup_or_none(self.lookup, context.invoice_number)
        if found is not None:
            return found
        log.error("charge outcome unknown invoice=%s after search and one resend", context.invoice_number)
        return outcome_unknown(context, second.gateway_code, second.gateway_text)

    async def _charge_once(self, body: bytes, context: ChargeContext, attempt: int) -> ChargeResult:
        answer = await self._submit(body, f"chargeCreditCard#{attempt}")
        if isinstance(answer, NotSent) and attempt == 1:
            return refused(context, ChargeReason.GATEWAY_UNAVAILABLE, str(answer))
        if isinstance(answer, Exception):
            return outcome_unknown(context, None, str(answer))
        status, document = answer
        transaction = child(payload(document, "chargeCreditCard"), "transaction")
        if status == 200 and transaction:
            return result_from_transaction(transaction, context, reconciled=False)
        return self._refused_or_unknown(status, document, context)

    def _refused_or_unknown(
        self, status: int, document: dict[str, Any], context: ChargeContext
    ) -> ChargeResult:
        code, error_class, text = first_error(document)
        if status in (401, 403) or (status == 200 and error_class in ("VALIDATION", "NOT_FOUND")):
            return refusal(document, context)
        return outcome_unknown(context, code or error_class or f"HTTP {status}", text)

    async def _submit(
        self, body: bytes | bytearray, operation: str
    ) -> tuple[int, dict[str, Any]] | NotSent | NoAnswer:
        """One GraphQL request; the exception instead of raising, so callers decide per step."""
        try:
            status, raw = await exchange(
                self._session_in_loop(),
                "POST",
                self._config.url,
                f"braintree {operation}",
                data=body,
                headers=self._headers,
            )
        except (NotSent, NoAnswer) as exc:
            return exc
        try:
            document = json.loads(raw.decode("utf-8"))
        except ValueError:
            document = None
        if not isinstance(document, dict):
            return NoAnswer(f"unreadable answer (HTTP {status})")
        return status, document

    async def _call(self, operation: str, body: bytes, *, raise_errors: bool = True) -> dict[str, Any]:
        """A request whose only purpose is its answer: failures raise."""
        answer = await self._submit(body, operation)
        if isinstance(answer, Exception):
            raise GatewayUnavailableError(f"Braintree {operation}: {answer}") from None
        status, document = answer
        code, error_class, text = first_error(document)
        if status in (401, 403) or error_class in ("AUTHENTICATION", "AUTHORIZATION"):
            raise GatewayAuthError(_AUTH_FAILED, code=error_class)
        if status >= 500 or error_class in ("INTERNAL", "SERVICE_AVAILABILITY"):
            raise GatewayUnavailableError(f"Braintree {operation}: HTTP {status} {text}", code=code)
        if raise_errors and (status != 200 or error_class is not None):
            raise GatewayError(f"Braintree {operation} failed: {code or error_class} {text}", code=code)
        return document


def _found(invoice_number: str) -> ChargeContext:
    """What a search hit is read against: only the invoice number is known beforehand."""
    return ChargeContext(invoice_number, Decimal(0), None, "0000")
