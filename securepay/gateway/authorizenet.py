"""Authorize.Net client: JSON over aiohttp, and never a double charge.

A charge whose answer is lost (timeout, reset connection, HTTP 5xx, ``E00001``) may or may
not exist at Authorize.Net, so it is never simply retried. The client looks the invoice up
first; only when nothing is found does it resend the very same bytes, once, inside the
duplicate window, where Authorize.Net would refuse a second copy as a duplicate naming the
original. Whatever is still unclear after that is reported as ``outcome_unknown``.

Card data exists here only inside the request body buffer, which is wiped when the charge
is settled. Logs carry invoice numbers, outcomes, codes and timings; never a body, a card
field or a credential.
"""

import logging
import time
from dataclasses import replace
from typing import Any

from securepay.gateway.authorizenet_config import AuthorizeNetConfig
from securepay.gateway.authorizenet_payloads import (
    authenticate_test_body,
    charge_body,
    new_ref_id,
    transaction_details_body,
    unsettled_list_body,
    void_body,
)
from securepay.gateway.authorizenet_responses import (
    GATEWAY_NAME,
    OUTCOME_UNKNOWN_CODES,
    REQUEST_REASONS,
    ChargeAnswer,
    ChargeContext,
    api_message,
    decode,
    find_invoice,
    outcome_unknown,
    read_charge_answer,
    read_void_answer,
    refused,
    result_from_details,
    result_from_summary,
    transactions_of,
    void_failure,
)
from securepay.gateway.card_body import wipe
from securepay.gateway.endpoint import checked_endpoint
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

log = logging.getLogger("securepay.gateway")

PAN_MAX_DIGITS = 16
"""Authorize.Net's schema caps ``cardNumber`` at 16 digits."""

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

_AUTH_FAILED = (
    "Authorize.Net rejected the API login ID or transaction key (E00007): check both, and "
    "that sandbox credentials are not used against production or the reverse"
)


class AuthorizeNetGateway(HttpClient):
    """The ``Gateway`` for Authorize.Net. One instance per process; close it on shutdown."""

    name = GATEWAY_NAME

    def __init__(self, config: AuthorizeNetConfig) -> None:
        super().__init__(config.timeout_s, config.connect_timeout_s)
        self._config = config
        self._url = checked_endpoint(config.url)

    async def check_credentials(self) -> None:
        await self._call("authenticateTest", authenticate_test_body(self._config))
        log.info("authorizenet credentials accepted")

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once. Do not cancel the awaiting task: its outcome must be recorded."""
        started = time.monotonic()
        context = ChargeContext(
            request.invoice_number, request.amount, request.card.brand, request.card.last4
        )
        if len(request.card.pan) > PAN_MAX_DIGITS:
            result = refused(
                context,
                ChargeReason.CARD_TYPE_NOT_ACCEPTED,
                f"Authorize.Net accepts card numbers of at most {PAN_MAX_DIGITS} digits",
            )
        else:
            body = charge_body(self._config, request, new_ref_id())
            try:
                result = await self._charge_safely(body, context, started)
            finally:
                wipe(body)
        log_charge(context.invoice_number, result, started)
        return result

    async def lookup(self, invoice_number: str) -> ChargeResult | None:
        summary = await self._find_summary(invoice_number)
        if summary is None:
            return None
        from_list = result_from_summary(summary)
        if from_list.transaction_id is None:
            return from_list
        try:
            return await self._details(from_list.transaction_id)
        except GatewayError as exc:
            log.warning(
                "transaction details unavailable invoice=%s error=%s code=%s; using the list entry",
                invoice_number,
                type(exc).__name__,
                exc.code,
            )
            return from_list

    async def void(self, transaction_id: str) -> ChargeResult:
        """Void an unsettled charge; an unclear answer is retried once, as voiding twice is
        harmless (the second is answered "already voided")."""
        if not transaction_id.isdigit():
            raise ValueError("transaction_id must be digits")
        started = time.monotonic()
        body = void_body(self._config, transaction_id, new_ref_id())
        answer = await self._submit_void(body, transaction_id)
        if answer.result.status is ChargeStatus.OUTCOME_UNKNOWN:
            log.warning("void outcome unknown transaction_id=%s; sending it again", transaction_id)
            retry = await self._submit_void(body, transaction_id)
            answer = retry if retry.processed else answer
        log_void(transaction_id, answer.result, started)
        return answer.result

    async def _charge_safely(self, body: bytearray, context: ChargeContext, started: float) -> ChargeResult:
        first = await self._submit_charge(body, context, attempt=1)
        if first.result.status is not ChargeStatus.OUTCOME_UNKNOWN:
            return first.result
        log.warning(
            "charge outcome unknown invoice=%s detail=%s; looking it up before any resend",
            context.invoice_number,
            first.result.gateway_code or first.result.gateway_text,
        )
        found = await lookup_or_none(self.lookup, context.invoice_number)
        if found is not None:
            return found
        if not self._resend_is_safe(started):
            log.error(
                "charge not resent invoice=%s: the duplicate window would not cover it",
                context.invoice_number,
            )
            return first.result
        second = await self._submit_charge(body, context, attempt=2)
        if second.duplicate_of is not None:
            return await self._resolve_duplicate(second.result, second.duplicate_of)
        if second.processed and second.result.reason is not ChargeReason.DUPLICATE:
            return second.result
        found = await lookup_or_none(self.lookup, context.invoice_number)
        if found is not None:
            return found
        log.error("charge outcome unknown invoice=%s after lookup and one resend", context.invoice_number)
        return outcome_unknown(context, second.result.gateway_code, second.result.gateway_text)

    async def _submit_charge(self, body: bytearray, context: ChargeContext, attempt: int) -> ChargeAnswer:
        try:
            document = await self._post(body, f"createTransaction#{attempt}")
        except NotSent as exc:
            result = refused(context, ChargeReason.GATEWAY_UNAVAILABLE, str(exc))
            return ChargeAnswer(result, processed=False, duplicate_of=None)
        except NoAnswer as exc:
            return ChargeAnswer(outcome_unknown(context, None, str(exc)), processed=False, duplicate_of=None)
        return read_charge_answer(document, context)

    async def _submit_void(self, body: bytes, transaction_id: str) -> ChargeAnswer:
        try:
            document = await self._post(body, "void")
        except NotSent as exc:
            result = void_failure(
                transaction_id,
                ChargeStatus.ERROR,
                ChargeReason.GATEWAY_UNAVAILABLE,
                None,
                str(exc),
            )
            return ChargeAnswer(result, processed=False, duplicate_of=None)
        except NoAnswer as exc:
            result = void_failure(
                transaction_id,
                ChargeStatus.OUTCOME_UNKNOWN,
                ChargeReason.GATEWAY_ERROR,
                None,
                str(exc),
            )
            return ChargeAnswer(result, processed=False, duplicate_of=None)
        return read_void_answer(document, transaction_id)

    def _resend_is_safe(self, started: float) -> bool:
        """The resend must reach Authorize.Net while the original is still in the window."""
        latest_arrival = time.monotonic() - started + self._config.timeout_s
        return latest_arrival < self._config.duplicate_window_s

    async def _resolve_duplicate(self, duplicate: ChargeResult, original_id: str) -> ChargeResult:
        """The resend was refused as a duplicate of ``original_id``: the first attempt went
        through. Its details give its real outcome; without them it counts as approved."""
        try:
            return await self._details(original_id)
        except GatewayError as exc:
            log.warning(
                "details of duplicate original unavailable transaction_id=%s error=%s",
                original_id,
                type(exc).__name__,
            )
            return replace(
                duplicate,
                status=ChargeStatus.APPROVED,
                reason=None,
                transaction_id=original_id,
                reconciled=True,
            )

    async def _find_summary(self, invoice_number: str) -> dict[str, Any] | None:
        page_size = self._config.lookup_page_size
        for page in range(1, self._config.lookup_max_pages + 1):
            document = await self._call(
                "getUnsettledTransactionList", unsettled_list_body(self._config, page)
            )
            entries = transactions_of(document)
            match = find_invoice(entries, invoice_number)
            if match is not None:
                return match
            if len(entries) < page_size:
                return None
        log.warning("lookup gave up invoice=%s after %d pages", invoice_number, self._config.lookup_max_pages)
        return None

    async def _details(self, transaction_id: str) -> ChargeResult:
        document = await self._call(
            "getTransactionDetails", transaction_details_body(self._config, transaction_id)
        )
        transaction = document.get("transaction")
        if not isinstance(transaction, dict):
            raise GatewayError("Authorize.Net sent transaction details without a transaction")
        return result_from_details(transaction)

    async def _call(self, operation: str, body: bytes) -> dict[str, Any]:
        """A request whose only purpose is its answer: failures raise."""
        try:
            document = await self._post(body, operation)
        except (NotSent, NoAnswer) as exc:
            raise GatewayUnavailableError(f"Authorize.Net {operation}: {exc}") from None
        message = api_message(document)
        if message.result_code == "Ok":
            return document
        if message.code == "E00007":
            raise GatewayAuthError(_AUTH_FAILED, code=message.code)
        detail = f"Authorize.Net {operation} failed: {message.code} {message.text}"
        unavailable = REQUEST_REASONS.get(message.code or "") is ChargeReason.GATEWAY_UNAVAILABLE
        if unavailable or message.code in OUTCOME_UNKNOWN_CODES:
            raise GatewayUnavailableError(detail, code=message.code)
        raise GatewayError(detail, code=message.code)

    async def _post(self, body: bytes | bytearray, operation: str) -> dict[str, Any]:
        status, raw = await exchange(
            self._session_in_loop(),
            "POST",
            self._url,
            f"authorizenet {operation}",
            data=body,
            headers=_HEADERS,
        )
        if status >= 500:
            raise NoAnswer(f"HTTP {status}")
        if status != 200:
            raise NotSent(f"HTTP {status}")
        try:
            return decode(raw)
        except ValueError:
            raise NoAnswer("unreadable answer") from None
