"""A local Authorize.Net sandbox, for tests and ``make demo``.

It speaks the JSON API at ``/xml/v1/request.api`` the way the real sandbox does wherever
the client depends on it: schema order enforced (``E00003`` naming the element), a UTF-8
BOM before every answer, credentials checked (``E00007``), the sandbox test cards and
triggers, the duplicate window, the two lookup requests, void and authenticateTest.
Faults are armed per test to reproduce lost answers. Of each card it keeps only the last
four digits and a keyed fingerprint (for duplicate detection), and it logs nothing.

Run it alone with ``python -m securepay.testing.gateway_sim --port 8089``.
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
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from securepay.testing.sim_faults import Fault, FaultSwitches, luhn_valid, serve_app

__all__ = ["Fault", "GatewaySimulator", "SimTransaction", "schema_problem", "serve_simulator"]

API_PATH = "/xml/v1/request.api"
SIM_API_LOGIN_ID = "securepay-sim"
SIM_TRANSACTION_KEY = "SimTransKey12345"
BOM = b"\xef\xbb\xbf"

NAMESPACE = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
DEFAULT_DUPLICATE_WINDOW_S = 120
"""What Authorize.Net applies when a request sends no ``duplicateWindow``."""

SANDBOX_AVS_BY_ZIP = {
    "46201": "A",
    "46203": "E",
    "46204": "G",
    "46205": "N",
    "46206": "P",
    "46207": "R",
    "46208": "S",
    "46209": "U",
    "46211": "W",
    "46214": "X",
    "46217": "Z",
}
SANDBOX_CVV_BY_CODE = {"900": "M", "901": "N", "902": "S", "903": "U", "904": "P"}
SANDBOX_DECLINE_ZIP = "46282"

_Schema = Mapping[str, "_Schema | None"]
"""Child element name -> its own schema (None: not checked further), in schema order."""


def _leaves(*names: str) -> dict[str, None]:
    return dict.fromkeys(names)


_ADDRESS = ("firstName", "lastName", "company", "address", "city", "state", "zip", "country")
_API_REQUEST: dict[str, _Schema | None] = {
    "merchantAuthentication": _leaves(
        "name",
        "transactionKey",
        "sessionToken",
        "password",
        "impersonationAuthentication",
        "fingerPrint",
        "clientKey",
        "accessToken",
        "mobileDeviceId",
    ),
    "clientId": None,
    "refId": None,
}
_TRANSACTION_REQUEST: dict[str, _Schema | None] = {
    "transactionType": None,
    "amount": None,
    "currencyCode": None,
    "payment": {
        "creditCard": _leaves(
            "cardNumber",
            "expirationDate",
            "cardCode",
            "isPaymentToken",
            "cryptogram",
            "tokenRequestorName",
            "tokenRequestorId",
            "tokenRequestorEci",
        ),
        "bankAccount": None,
        "trackData": None,
        "encryptedTrackData": None,
        "payPal": None,
        "opaqueData": None,
        "emv": None,
        "dataSource": None,
    },
    "profile": None,
    "solution": None,
    "callId": None,
    "terminalNumber": None,
    "authCode": None,
    "refTransId": None,
    "splitTenderId": None,
    "order": _leaves(
        "invoiceNumber",
        "description",
        "discountAmount",
        "taxIsAfterDiscount",
        "totalTaxTypeCode",
        "purchaserVATRegistrationNumber",
        "merchantVATRegistrationNumber",
        "vatInvoiceReferenceNumber",
        "purchaserCode",
        "summaryCommodityCode",
        "purchaseOrderDateUTC",
        "supplierOrderReference",
        "authorizedContactName",
        "cardAcceptorRefNumber",
        "amexDataTAA1",
        "amexDataTAA2",
        "amexDataTAA3",
        "amexDataTAA4",
    ),
    "lineItems": None,
    "tax": None,
    "duty": None,
    "shipping": None,
    "taxExempt": None,
    "poNumber": None,
    "customer": None,
    "billTo": _leaves(*_ADDRESS, "phoneNumber", "faxNumber", "email"),
    "shipTo": None,
    "customerIP": None,
    "cardholderAuthentication": None,
    "retail": _leaves("marketType", "deviceType", "customerSignature", "terminalNumber"),
    "employeeId": None,
    "transactionSettings": {"setting": _leaves("settingName", "settingValue")},
    "userFields": None,
    "surcharge": None,
    "merchantDescriptor": None,
    "subMerchant": None,
    "tip": None,
    "processingOptions": None,
    "subsequentAuthInformation": None,
    "otherTax": None,
    "shipFrom": None,
}
_REQUEST_SCHEMAS: dict[str, _Schema] = {
    "createTransactionRequest": {**_API_REQUEST, "transactionRequest": _TRANSACTION_REQUEST},
    "getUnsettledTransactionListRequest": {
        **_API_REQUEST,
        "status": None,
        "sorting": _leaves("orderBy", "orderDescending"),
        "paging": _leaves("limit", "offset"),
    },
    "getTransactionDetailsRequest": {**_API_REQUEST, "transId": None},
    "authenticateTestRequest": _API_REQUEST,
}
_REQUIRED_CHILDREN = {
    "createTransactionRequest": ("merchantAuthentication", "transactionRequest"),
    "getUnsettledTransactionListRequest": ("merchantAuthentication",),
    "getTransactionDetailsRequest": ("merchantAuthentication", "transId"),
    "authenticateTestRequest": ("merchantAuthentication",),
    "transactionRequest": ("transactionType",),
    "creditCard": ("cardNumber", "expirationDate"),
    "sorting": ("orderBy", "orderDescending"),
    "paging": ("limit", "offset"),
}

_TRANSACTION_STATUS = {
    "approved": "capturedPendingSettlement",
    "declined": "declined",
    "held_for_review": "FDSPendingReview",
    "voided": "voided",
}
_RESPONSE_CODE = {"approved": "1", "declined": "2", "held_for_review": "4"}

_APPROVED = ("1", "This transaction has been approved.")
_DECLINED = ("2", "This transaction has been declined.")
_INVALID_AMOUNT = ("5", "A valid amount is required.")
_INVALID_CARD = ("6", "The credit card number is invalid.")
_INVALID_EXPIRY = ("7", "Credit card expiration date is invalid.")
_EXPIRED = ("8", "The credit card has expired.")
_DUPLICATE = ("11", "A duplicate transaction has been submitted.")
_NOT_FOUND = ("16", "The transaction cannot be found.")
_UNKNOWN_CARD_TYPE = ("17", "The merchant does not accept this type of credit card.")
_CARD_TYPE_REFUSED = ("28", "The merchant does not accept this type of credit card.")
_AVS_DECLINE = (
    "27",
    "The transaction has been declined because of an AVS mismatch. The address provided "
    "does not match billing address of cardholder.",
)
_CURRENCY = (
    "39",
    "The supplied currency code is either invalid, not supported, not allowed "
    "for this merchant or doesn't have an exchange rate.",
)
_CVV_DECLINE = ("44", "This transaction has been declined.")
_AVS_CVV_DECLINE = ("45", "This transaction has been declined.")
_INVALID_CVV = ("78", "The Card Code is invalid.")
_HELD = ("252", "Your order has been received. Thank you for your business!")
_ALREADY_VOIDED = ("310", "This transaction has already been voided.")

_EXPIRY_FORMATS = (
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})"),
    re.compile(r"(?P<month>\d{2})(?P<year>\d{2})"),
    re.compile(r"(?P<month>\d{2})/(?P<year>\d{2})"),
)


@dataclass
class SimTransaction:
    """One transaction the simulator created. Holds no card data beyond the last four.

    ``status`` is ``approved``, ``declined``, ``held_for_review`` or ``voided``;
    ``amount_text`` is the amount exactly as the request spelled it.
    """

    trans_id: str
    invoice_number: str
    amount: Decimal
    amount_text: str
    last4: str
    account_type: str
    status: str
    reason_code: str
    reason_text: str
    auth_code: str
    avs_result: str
    cvv_result: str
    description: str | None
    market_type: str | None
    submitted_at: datetime
    fingerprint: bytes = field(repr=False)
    submitted_monotonic: float = field(repr=False)


class GatewaySimulator(FaultSwitches):
    """State and behaviour of one simulated merchant account.

    ``charges`` lists every transaction created (approved, declined, held, voided), never
    the requests refused before one was created. ``requests`` lists the name of every
    request received, in order, so tests can count attempts and lookups.
    """

    def __init__(
        self,
        api_login_id: str = SIM_API_LOGIN_ID,
        transaction_key: str = SIM_TRANSACTION_KEY,
        *,
        slow_response_s: float = 2.0,
    ) -> None:
        super().__init__("createTransactionRequest", slow_response_s)
        self.api_login_id = api_login_id
        self.transaction_key = transaction_key
        self.charges: list[SimTransaction] = []
        self._latest: dict[bytes, SimTransaction] = {}
        """The newest charge per duplicate fingerprint: a lookup, not a scan of every charge."""
        self.reject_avs_codes: set[str] = {"N"}
        self.reject_cvv_codes: set[str] = {"N"}
        self.held_for_review_zip_codes: set[str] = set()
        self.accepted_account_types: set[str] = {
            "Visa",
            "MasterCard",
            "AmericanExpress",
            "Discover",
            "JCB",
            "DinersClub",
        }
        self._fingerprint_key = secrets.token_bytes(32)
        self._trans_ids = itertools.count(40_000_000_001)

    async def handle(self, http_request: web.Request) -> web.StreamResponse:
        raw = await http_request.read()
        try:
            document = json.loads(raw.decode("utf-8-sig"))
        except ValueError:
            return _reply(_api_error("E00003", "An error occurred while parsing the data."))
        if not (isinstance(document, dict) and len(document) == 1):
            return _reply(_api_error("E00003", "Root element is missing."))
        name, body = next(iter(document.items()))
        self.requests.append(name)
        problem = schema_problem(name, body)
        if problem is not None:
            return _reply(_api_error("E00003", problem))
        ref_id = body.get("refId")
        if not self._authenticated(body["merchantAuthentication"]):
            return _reply(
                _api_error("E00007", "User authentication failed due to invalid authentication values."),
                ref_id,
            )
        armed = self.take_fault(name)
        if armed is None:
            return _reply(self._dispatch(name, body), ref_id)
        response = await self.answer_with(
            armed, http_request, lambda: _reply(self._dispatch(name, body), ref_id)
        )
        if response is not None:
            return response
        return _reply(_api_error("E00001", "An error occurred during processing. Please try again."), ref_id)

    def _authenticated(self, credentials: dict[str, Any]) -> bool:
        name_ok = hmac.compare_digest(str(credentials.get("name", "")), self.api_login_id)
        key_ok = hmac.compare_digest(str(credentials.get("transactionKey", "")), self.transaction_key)
        return name_ok and key_ok

    def _dispatch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name == "createTransactionRequest":
            return self._transaction(body["transactionRequest"])
        if name == "getUnsettledTransactionListRequest":
            return self._unsettled_list(body)
        if name == "getTransactionDetailsRequest":
            return self._details(str(body["transId"]))
        return _ok({})

    def _transaction(self, request: dict[str, Any]) -> dict[str, Any]:
        kind = request["transactionType"]
        if kind == "authCaptureTransaction":
            return self._auth_capture(request)
        if kind == "voidTransaction":
            return self._void(str(request.get("refTransId", "")))
        return _api_error("E00003", f"The simulator does not support transactionType '{kind}'.")

    def _auth_capture(self, request: dict[str, Any]) -> dict[str, Any]:
        card = _child(_child(request, "payment"), "creditCard")
        number = str(card.get("cardNumber", ""))
        last4 = number[-4:] if number.isdigit() else ""
        amount_text = str(request.get("amount", ""))
        amount = _decimal(amount_text)
        if amount is None or amount <= 0:
            return _failed(_INVALID_AMOUNT, last4)
        if request.get("currencyCode", "USD") != "USD":
            return _failed(_CURRENCY, last4)
        if not (number.isdigit() and 13 <= len(number) <= 16 and luhn_valid(number)):
            return _failed(_INVALID_CARD, last4)
        account_type = _account_type(number)
        if account_type is None:
            return _failed(_UNKNOWN_CARD_TYPE, last4)
        if account_type not in self.accepted_account_types:
            return _failed(_CARD_TYPE_REFUSED, last4, account_type)
        expiry = _expiry(str(card.get("expirationDate", "")))
        if expiry is None:
            return _failed(_INVALID_EXPIRY, last4, account_type)
        now = datetime.now(UTC)
        if expiry < (now.year, now.month):
            return _failed(_EXPIRED, last4, account_type)
        card_code = card.get("cardCode")
        if card_code is not None and not re.fullmatch(r"\d{3,4}", str(card_code)):
            return _failed(_INVALID_CVV, last4, account_type)

        order = _child(request, "order")
        zip_code = str(_child(request, "billTo").get("zip", ""))
        window, window_sent = _duplicate_window(request)
        fingerprint = self._fingerprint(number, expiry, amount, str(order.get("invoiceNumber", "")), zip_code)
        original = self._recent_duplicate(fingerprint, window)
        if original is not None:
            return _duplicate(original if window_sent else None, last4, account_type)

        avs = SANDBOX_AVS_BY_ZIP.get(zip_code, "Y" if zip_code else "P")
        cvv = SANDBOX_CVV_BY_CODE.get(str(card_code), "M") if card_code is not None else ""
        status, reason = self._decide(zip_code, avs, cvv)
        transaction = SimTransaction(
            trans_id=str(next(self._trans_ids)),
            invoice_number=str(order.get("invoiceNumber", "")),
            amount=amount,
            amount_text=amount_text,
            last4=last4,
            account_type=account_type,
            status=status,
            reason_code=reason[0],
            reason_text=reason[1],
            auth_code="000000" if status == "declined" else _auth_code(),
            avs_result=avs,
            cvv_result=cvv,
            description=order.get("description"),
            market_type=str(_child(request, "retail").get("marketType", "")) or None,
            submitted_at=now,
            fingerprint=fingerprint,
            submitted_monotonic=time.monotonic(),
        )
        self.charges.append(transaction)
        self._latest[transaction.fingerprint] = transaction
        return _transaction_answer(_RESPONSE_CODE[status], reason, transaction, last4, account_type)

    def _decide(self, zip_code: str, avs: str, cvv: str) -> tuple[str, tuple[str, str]]:
        avs_refused = avs in self.reject_avs_codes
        cvv_refused = cvv in self.reject_cvv_codes
        if zip_code == SANDBOX_DECLINE_ZIP:
            return "declined", _DECLINED
        if avs_refused and cvv_refused:
            return "declined", _AVS_CVV_DECLINE
        if avs_refused:
            return "declined", _AVS_DECLINE
        if cvv_refused:
            return "declined", _CVV_DECLINE
        if zip_code in self.held_for_review_zip_codes:
            return "held_for_review", _HELD
        return "approved", _APPROVED

    def _fingerprint(
        self, number: str, expiry: tuple[int, int], amount: Decimal, invoice: str, zip_code: str
    ) -> bytes:
        """The fields Authorize.Net compares for duplicates, keyed so no PAN is derivable."""
        material = f"{number}|{expiry}|{amount:.2f}|{invoice}|{zip_code}".encode()
        return hmac.new(self._fingerprint_key, material, hashlib.sha256).digest()

    def _recent_duplicate(self, fingerprint: bytes, window_s: int) -> SimTransaction | None:
        transaction = self._latest.get(fingerprint)
        if transaction is None or time.monotonic() - transaction.submitted_monotonic >= window_s:
            return None
        return transaction

    def _void(self, trans_id: str) -> dict[str, Any]:
        transaction = self._find(trans_id)
        if transaction is None or transaction.status == "declined":
            return _failed(_NOT_FOUND, "")
        if transaction.status == "voided":
            return _failed(_ALREADY_VOIDED, transaction.last4, transaction.account_type)
        transaction.status = "voided"
        answer = _transaction_answer("1", _APPROVED, transaction, transaction.last4, transaction.account_type)
        answer["transactionResponse"]["refTransID"] = trans_id
        return answer

    def _unsettled_list(self, body: dict[str, Any]) -> dict[str, Any]:
        sorting = _child(body, "sorting")
        paging = _child(body, "paging")
        limit = _int(paging.get("limit", 1000))
        offset = _int(paging.get("offset", 1))
        if limit is None or not 1 <= limit <= 1000 or offset is None or not 1 <= offset <= 100000:
            return _api_error("E00003", "Paging limit must be 1-1000 and offset 1-100000.")
        entries = [
            t
            for t in self.charges
            if body.get("status") != "pendingApproval" or t.status == "held_for_review"
        ]
        by_id = sorting.get("orderBy") == "id"
        entries.sort(
            key=lambda t: (int(t.trans_id),) if by_id else (t.submitted_at, int(t.trans_id)),
            reverse=str(sorting.get("orderDescending", "false")).lower() in ("true", "1"),
        )
        page = entries[(offset - 1) * limit : offset * limit]
        answer: dict[str, Any] = {}
        if page:
            answer["transactions"] = [_summary(t) for t in page]
        answer["totalNumInResultSet"] = len(entries)
        return _ok(answer)

    def _details(self, trans_id: str) -> dict[str, Any]:
        transaction = self._find(trans_id)
        if transaction is None:
            return _api_error("E00040", "The record cannot be found.")
        return _ok({"transaction": _details(transaction)})

    def _find(self, trans_id: str) -> SimTransaction | None:
        return next((t for t in self.charges if t.trans_id == trans_id), None)


def schema_problem(request_name: str, body: object) -> str | None:
    """The ``E00003`` text for the first schema violation in a request, or None.

    Texts name elements, never values, so a rejected request cannot echo card data.
    """
    schema = _REQUEST_SCHEMAS.get(request_name)
    if schema is None:
        return f"The element '{request_name}' in namespace '{NAMESPACE}' is not supported."
    return _element_problem(request_name, body, schema)


def create_app(simulator: GatewaySimulator) -> web.Application:
    app = web.Application()
    app.router.add_post(API_PATH, simulator.handle)
    return app


@contextlib.asynccontextmanager
async def serve_simulator(
    simulator: GatewaySimulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Run ``simulator`` over real HTTP; yields the endpoint URL (a free port by default)."""
    async with serve_app(create_app(simulator), simulator, API_PATH, host, port) as url:
        yield url


def _element_problem(name: str, value: object, schema: _Schema) -> str | None:
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            return f"The element '{name}' in namespace '{NAMESPACE}' has invalid content."
        allowed = list(schema)
        position = 0
        for key, child in item.items():
            if key not in allowed[position:]:
                return _invalid_child(name, key, allowed[position:])
            position = allowed.index(key, position) + 1
            child_schema = schema[key]
            if child_schema is not None:
                problem = _element_problem(key, child, child_schema)
                if problem is not None:
                    return problem
        missing = [child for child in _REQUIRED_CHILDREN.get(name, ()) if child not in item]
        if missing:
            return (
                f"The element '{name}' in namespace '{NAMESPACE}' has incomplete content. "
                f"List of possible elements expected: '{missing[0]}' in namespace '{NAMESPACE}'."
            )
    return None


def _invalid_child(parent: str, child: str, expected: list[str]) -> str:
    text = (
        f"The element '{parent}' in namespace '{NAMESPACE}' has invalid child element "
        f"'{child}' in namespace '{NAMESPACE}'."
    )
    if expected:
        text += f" List of possible elements expected: '{', '.join(expected[:5])}'."
    return text


def _reply(document: dict[str, Any], ref_id: object = None) -> web.Response:
    """Every real answer starts with a UTF-8 BOM; so does every simulated one."""
    if ref_id is not None:
        document = {"refId": ref_id, **document}
    return web.Response(
        body=BOM + json.dumps(document).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def _ok(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        **fields,
        "messages": {"resultCode": "Ok", "message": [{"code": "I00001", "text": "Successful."}]},
    }


def _api_error(code: str, text: str) -> dict[str, Any]:
    return {"messages": {"resultCode": "Error", "message": [{"code": code, "text": text}]}}


def _failed(reason: tuple[str, str], last4: str, account_type: str = "") -> dict[str, Any]:
    """A responseCode 3 answer: the request was refused, no transaction was created."""
    return _transaction_answer("3", reason, None, last4, account_type)


def _duplicate(original: SimTransaction | None, last4: str, account_type: str) -> dict[str, Any]:
    """Error 11; names the original only when the request sent a duplicateWindow."""
    return _transaction_answer("3", _DUPLICATE, original, last4, account_type)


def _transaction_answer(
    response_code: str,
    reason: tuple[str, str],
    transaction: SimTransaction | None,
    last4: str,
    account_type: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "responseCode": response_code,
        "authCode": transaction.auth_code if transaction else "",
        "avsResultCode": transaction.avs_result if transaction else "P",
        "cvvResultCode": transaction.cvv_result if transaction else "",
        "cavvResultCode": "",
        "transId": transaction.trans_id if transaction else "0",
        "refTransID": "",
        "transHash": "",
        "testRequest": "0",
        "accountNumber": f"XXXX{last4}" if last4 else "",
        "accountType": account_type,
    }
    code, text = reason
    if response_code in ("1", "4"):
        body["messages"] = [{"code": code, "description": text}]
    else:
        body["errors"] = [{"errorCode": code, "errorText": text}]
    body["transHashSha2"] = ""
    body["SupplementalDataQualificationIndicator"] = 0
    if response_code == "3":
        messages = {
            "resultCode": "Error",
            "message": [{"code": "E00027", "text": "The transaction was unsuccessful."}],
        }
    else:
        messages = {"resultCode": "Ok", "message": [{"code": "I00001", "text": "Successful."}]}
    return {"transactionResponse": body, "messages": messages}


def _summary(transaction: SimTransaction) -> dict[str, Any]:
    return {
        "transId": transaction.trans_id,
        "submitTimeUTC": _utc(transaction.submitted_at),
        "submitTimeLocal": _utc(transaction.submitted_at).removesuffix("Z"),
        "transactionStatus": _TRANSACTION_STATUS[transaction.status],
        "invoiceNumber": transaction.invoice_number,
        "accountType": transaction.account_type,
        "accountNumber": f"XXXX{transaction.last4}",
        "settleAmount": float(transaction.amount),
        "marketType": "MOTO" if transaction.market_type == "1" else "eCommerce",
        "product": "Card Not Present",
        "hasReturnedItems": False,
    }


def _details(transaction: SimTransaction) -> dict[str, Any]:
    response_code = "1" if transaction.status == "voided" else _RESPONSE_CODE[transaction.status]
    return {
        "transId": transaction.trans_id,
        "submitTimeUTC": _utc(transaction.submitted_at),
        "submitTimeLocal": _utc(transaction.submitted_at).removesuffix("Z"),
        "transactionType": "authCaptureTransaction",
        "transactionStatus": _TRANSACTION_STATUS[transaction.status],
        "responseCode": int(response_code),
        "responseReasonCode": int(transaction.reason_code),
        "responseReasonDescription": transaction.reason_text,
        "authCode": transaction.auth_code,
        "AVSResponse": transaction.avs_result,
        "cardCodeResponse": transaction.cvv_result,
        "order": {
            "invoiceNumber": transaction.invoice_number,
            "description": transaction.description or "",
        },
        "authAmount": float(transaction.amount),
        "settleAmount": float(transaction.amount),
        "taxExempt": False,
        "payment": {
            "creditCard": {
                "cardNumber": f"XXXX{transaction.last4}",
                "expirationDate": "XXXX",
                "cardType": transaction.account_type,
            }
        },
        "recurringBilling": False,
        "product": "Card Not Present",
        "marketType": "MOTO" if transaction.market_type == "1" else "eCommerce",
    }


def _duplicate_window(request: dict[str, Any]) -> tuple[int, bool]:
    settings = _child(request, "transactionSettings").get("setting", [])
    for setting in settings if isinstance(settings, list) else [settings]:
        if isinstance(setting, dict) and setting.get("settingName") == "duplicateWindow":
            value = _int(setting.get("settingValue"))
            if value is not None:
                return value, True
    return DEFAULT_DUPLICATE_WINDOW_S, False


def _account_type(number: str) -> str | None:
    """Brand by IIN, as the sandbox test cards need it."""
    prefix2, prefix4, prefix6 = int(number[:2]), int(number[:4]), int(number[:6])
    if number.startswith("4"):
        return "Visa"
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return "MasterCard"
    if prefix2 in (34, 37):
        return "AmericanExpress"
    if number.startswith(("6011", "65")) or 644 <= prefix4 // 10 <= 649 or (622126 <= prefix6 <= 622925):
        return "Discover"
    if 3528 <= prefix4 <= 3589 or 3088 <= prefix4 <= 3094:
        return "JCB"
    if 300 <= prefix4 // 10 <= 305 or prefix2 in (36, 38, 39):
        return "DinersClub"
    return None


def _expiry(text: str) -> tuple[int, int] | None:
    for pattern in _EXPIRY_FORMATS:
        match = pattern.fullmatch(text)
        if match:
            year = int(match["year"])
            month = int(match["month"])
            if not 1 <= month <= 12:
                return None
            return (year if year >= 100 else 2000 + year), month
    return None


def _auth_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6))


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Authorize.Net simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(arguments.host, arguments.port))


async def _serve_forever(host: str, port: int) -> None:
    async with serve_simulator(GatewaySimulator(), host, port) as url:
        print(
            f"Authorize.Net simulator at {url} "
            f"(api_login_id={SIM_API_LOGIN_ID} transaction_key={SIM_TRANSACTION_KEY})",
            flush=True,
        )
        await asyncio.Event().wait()


if __name__ == "__main__":
    main()
