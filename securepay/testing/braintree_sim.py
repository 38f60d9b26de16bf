"""A local Braintree sandbox speaking the GraphQL API, for tests and demos.

It knows the operations the client sends (recognised by their root field and declared
input type) and checks their variables against the input types of Braintree's schema:
unknown fields, missing required ones and ill-typed values are GraphQL ``VALIDATION``
errors, as are the sandbox's own rules (``legacyCode`` 81715 bad card number, 81717 not
a test card, 81707 CVV length, 81712/81713 expiry, 81503/81531 amount, 91564 a
single-use payment method used twice, 91565 unknown payment method). It applies the
sandbox triggers: amounts 2000.00-2999.99 are processor-declined with that code, 3000.00
fails, CVV 200 and postal code 20000 do not match (gateway-rejected by default), an
expired card is declined with 2004. Basic-auth key pairs and ``Braintree-Version`` are
required. The fault switches are those of the Authorize.Net simulator. Of each card it
keeps only brand, last four digits and the verification outcomes.

Run it alone with ``python -m securepay.testing.braintree_sim --port 8091``.
"""

import argparse
import asyncio
import base64
import contextlib
import hmac
import json
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from securepay.testing.sim_faults import FaultSwitches, luhn_valid, serve_app

API_PATH = "/graphql"
SIM_PUBLIC_KEY = "securepay_sim_public"
SIM_PRIVATE_KEY = "securepay_sim_private_key_0000"
SIM_MERCHANT_ACCOUNT_ID = "securepay_sim_usd"
TOKENIZE = "tokenizeCreditCard"
CHARGE = "chargeCreditCard"
SEARCH = "search"
REVERSE = "reverseTransaction"
NODE = "node"
IDS = "idsFromLegacyIds"
PING = "ping"

TEST_CARDS = {
    "4111111111111111": "VISA",
    "4005519200000004": "VISA",
    "4009348888881881": "VISA",
    "4012000033330026": "VISA",
    "4012000077777777": "VISA",
    "4012888888881881": "VISA",
    "4217651111111119": "VISA",
    "4500600000000061": "VISA",
    "4000111111111115": "VISA",
    "5555555555554444": "MASTERCARD",
    "2223000048400011": "MASTERCARD",
    "5105105105105100": "MASTERCARD",
    "378282246310005": "AMERICAN_EXPRESS",
    "371449635398431": "AMERICAN_EXPRESS",
    "378734493671000": "AMERICAN_EXPRESS",
    "6011111111111117": "DISCOVER",
    "6011000990139424": "DISCOVER",
    "3530111333300000": "JCB",
    "3566002020360505": "JCB",
}
"""The sandbox's card numbers; any other number is refused with 81717."""

CVV_RESPONSES = {"200": "DOES_NOT_MATCH", "201": "NOT_VERIFIED", "301": "ISSUER_DOES_NOT_PARTICIPATE"}
POSTAL_CODE_RESPONSES = {"20000": "DOES_NOT_MATCH", "20001": "NOT_VERIFIED", "20002": "NOT_APPLICABLE"}
PROCESSOR_MESSAGES = {
    "2000": "Do Not Honor",
    "2001": "Insufficient Funds",
    "2004": "Expired Card",
    "2005": "Invalid Credit Card Number",
    "2010": "Card Issuer Declined CVV",
    "2046": "Declined",
    "2060": "Address Verification and Card Security Code Failed",
}

_OPERATIONS = {
    TOKENIZE: "TokenizeCreditCardInput",
    CHARGE: "ChargeCreditCardInput",
    SEARCH: "TransactionSearchInput",
    REVERSE: "ReverseTransactionInput",
    IDS: "IdsFromLegacyIdsInput",
}


def _mutation(field: str, input_type: str) -> re.Pattern[str]:
    return re.compile(rf"mutation \w* ?\(\$input: {input_type}!\) \{{ {field}\(input: \$input\) \{{.*\}}")


_OPERATION_PATTERNS = {
    PING: re.compile(r"query \w* ?\{ ping \}"),
    NODE: re.compile(r"query \w* ?\(\$id: ID!\) \{ node\(id: \$id\) \{.*\}"),
    TOKENIZE: _mutation(TOKENIZE, "TokenizeCreditCardInput"),
    CHARGE: _mutation(CHARGE, "ChargeCreditCardInput"),
    SEARCH: re.compile(
        r"query \w* ?\(\$input: TransactionSearchInput!\) \{ "
        r"search \{ transactions\(input: \$input(, first: \d+)?\) \{.*\}"
    ),
    REVERSE: _mutation(REVERSE, "ReverseTransactionInput"),
    IDS: re.compile(
        r"query \w* ?\(\$input: IdsFromLegacyIdsInput!\) \{ idsFromLegacyIds\(input: \$input\) \}"
    ),
}
_STRING = "String"
_ADDRESS = dict.fromkeys(
    (
        "firstName",
        "lastName",
        "company",
        "streetAddress",
        "extendedAddress",
        "locality",
        "region",
        "postalCode",
        "countryCode",
    ),
    _STRING,
)
_INPUT_TYPES: dict[str, dict[str, str]] = {
    "TokenizeCreditCardInput": {
        "clientMutationId": _STRING,
        "creditCard": "CreditCardInput!",
        "options": "TokenizeCreditCardOptionsInput",
    },
    "TokenizeCreditCardOptionsInput": {"validate": "Boolean"},
    "CreditCardInput": {
        "number": "String!",
        "expirationMonth": _STRING,
        "expirationYear": _STRING,
        "cvv": _STRING,
        "cardholderName": _STRING,
        "billingAddress": "AddressInput",
    },
    "AddressInput": _ADDRESS,
    "ChargeCreditCardInput": {
        "clientMutationId": _STRING,
        "paymentMethodId": "ID!",
        "transaction": "TransactionInput!",
        "options": "CreditCardTransactionOptionsInput",
    },
    "TransactionInput": {
        "amount": "Amount!",
        "merchantAccountId": "ID",
        "orderId": _STRING,
        "purchaseOrderNumber": _STRING,
        "lineItems": "[TransactionLineItemInput!]",
        "paymentInitiator": "PaymentInitiator",
        "customerDetails": "Object",
        "riskData": "Object",
        "descriptor": "Object",
        "customFields": "Object",
        "shipping": "Object",
        "tax": "Object",
        "discountAmount": "Amount",
    },
    "TransactionLineItemInput": {
        "name": "String!",
        "kind": "TransactionLineItemType!",
        "quantity": "Quantity!",
        "unitAmount": "Amount!",
        "totalAmount": "Amount!",
        "description": _STRING,
        "productCode": _STRING,
        "unitOfMeasure": _STRING,
        "taxAmount": "Amount",
        "discountAmount": "Amount",
    },
    "CreditCardTransactionOptionsInput": {"billingAddress": "AddressInput", "fraudTools": "Object"},
    "TransactionSearchInput": {
        "id": "SearchValueInput",
        "orderId": "SearchTextInput",
        "status": "Object",
        "createdAt": "Object",
        "amount": "Object",
    },
    "SearchValueInput": {"is": "ID", "in": "[ID!]"},
    "SearchTextInput": dict.fromkeys(("is", "isNot", "startsWith", "endsWith", "contains"), _STRING),
    "ReverseTransactionInput": {"clientMutationId": _STRING, "transactionId": "ID!", "refund": "Object"},
    "IdsFromLegacyIdsInput": {"ids": "[LegacyIdElementsInput!]!"},
    "LegacyIdElementsInput": {"legacyId": "ID!", "type": "LegacyIdType!"},
}
_ENUMS = {
    "PaymentInitiator": {
        "MOTO",
        "RECURRING",
        "RECURRING_FIRST",
        "UNSCHEDULED",
        "INSTALLMENT",
        "INSTALLMENT_FIRST",
        "ESTIMATED",
        "ESTIMATED_MOTO",
    },
    "TransactionLineItemType": {"DEBIT", "CREDIT"},
    "LegacyIdType": {"TRANSACTION", "REFUND", "CUSTOMER", "PAYMENT_METHOD", "DISPUTE", "MERCHANT_ACCOUNT"},
}
_AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")
_QUANTITY = re.compile(r"\d{1,10}(\.\d{1,4})?")
_APPROVED_STATES = ("SUBMITTED_FOR_SETTLEMENT", "AUTHORIZED")


class GraphQLError(Exception):
    def __init__(self, message: str, error_class: str = "VALIDATION", legacy_code: str | None = None) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.legacy_code = legacy_code


@dataclass
class _Card:
    """What the sandbox keeps of a tokenized card: no number, no CVV."""

    brand: str
    last4: str
    expiry: tuple[int, int]
    cvv_response: str
    postal_code_response: str
    used: bool = False


@dataclass
class SimBraintreeTransaction:
    """One transaction. ``status`` is ``approved``, ``declined``, ``failed`` or ``voided``;
    ``state`` is Braintree's own (``SUBMITTED_FOR_SETTLEMENT``, ``PROCESSOR_DECLINED`` ...)."""

    id: str
    """The legacy id, as the Control Panel shows it."""
    global_id: str
    invoice_number: str
    state: str
    amount: str
    brand: str
    last4: str
    payment_initiator: str | None
    line_item_name: str | None
    processor_code: str
    processor_message: str
    authorization_id: str | None
    cvv_response: str
    postal_code_response: str
    rejection_reason: str | None
    created_at: str

    @property
    def status(self) -> str:
        if self.state in _APPROVED_STATES:
            return "approved"
        return {"VOIDED": "voided", "FAILED": "failed"}.get(self.state, "declined")


class BraintreeSimulator(FaultSwitches):
    """State and behaviour of one simulated Braintree sandbox merchant.

    ``charges`` lists every transaction created (approved, declined, failed, voided),
    never the requests refused before one was created.
    """

    def __init__(
        self,
        public_key: str = SIM_PUBLIC_KEY,
        private_key: str = SIM_PRIVATE_KEY,
        *,
        slow_response_s: float = 2.0,
    ) -> None:
        super().__init__(CHARGE, slow_response_s)
        self.public_key = public_key
        self.private_key = private_key
        self.merchant_account_id = SIM_MERCHANT_ACCOUNT_ID
        self.charges: list[SimBraintreeTransaction] = []
        self.reject_cvv_mismatch = True
        self.reject_postal_code_mismatch = True
        self._cards: dict[str, _Card] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(API_PATH, self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._authenticated(request.headers.get("Authorization", "")):
            return _errors(401, GraphQLError("Authentication credentials are invalid.", "AUTHENTICATION"))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", request.headers.get("Braintree-Version", "")):
            return _errors(400, GraphQLError("Braintree-Version header is required (YYYY-MM-DD)."))
        try:
            document = json.loads(await request.read())
            query, variables = document["query"], document.get("variables") or {}
            operation = _operation(query)
        except (ValueError, KeyError, TypeError, GraphQLError) as exc:
            message = str(exc) if isinstance(exc, GraphQLError) else "Invalid JSON or GraphQL request."
            return _errors(200, GraphQLError(message))
        self.requests.append(operation)

        def run() -> web.StreamResponse:
            try:
                return _json(200, {"data": self._dispatch(operation, query, variables)})
            except GraphQLError as exc:
                return _errors(200, exc, {operation: None})

        return await self.answer(operation, request, run)

    def _authenticated(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.public_key}:{self.private_key}".encode()).decode()
        return hmac.compare_digest(header, f"Basic {expected}")

    def _dispatch(self, operation: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if operation == PING:
            return {"ping": "pong"}
        if operation == NODE:
            transaction = self._find(str(variables.get("id", "")))
            return {
                "node": transaction
                and {"__typename": "Transaction", "id": transaction.global_id, "status": transaction.state}
            }
        _check_input(_OPERATIONS[operation], variables.get("input"), "input")
        payload = variables["input"]
        if operation == TOKENIZE:
            return {TOKENIZE: {"paymentMethod": self._tokenize(payload["creditCard"])}}
        if operation == CHARGE:
            return {CHARGE: {"transaction": _transaction(self._charge(payload))}}
        if operation == SEARCH:
            return {SEARCH: {"transactions": self._search(payload)}}
        if operation == IDS:
            return {IDS: [_converted(element) for element in payload["ids"]]}
        return {REVERSE: {"reversal": self._reverse(str(payload["transactionId"]))}}

    def _tokenize(self, card: dict[str, Any]) -> dict[str, Any]:
        number = card["number"]
        if not number.isdigit() or not luhn_valid(number):
            raise GraphQLError("Credit card number is invalid.", legacy_code="81715")
        if not 12 <= len(number) <= 19:
            raise GraphQLError("Credit card number must be 12-19 digits.", legacy_code="81716")
        if number not in TEST_CARDS:
            raise GraphQLError("Credit card number is not an accepted test number.", legacy_code="81717")
        month, year = card.get("expirationMonth", ""), card.get("expirationYear", "")
        if not (month.isdigit() and 1 <= int(month) <= 12):
            raise GraphQLError("Expiration month is invalid.", legacy_code="81712")
        if not (year.isdigit() and len(year) in (2, 4)):
            raise GraphQLError("Expiration year is invalid.", legacy_code="81713")
        brand = TEST_CARDS[number]
        cvv = card.get("cvv")
        if cvv is not None and not (cvv.isdigit() and len(cvv) == (4 if brand == "AMERICAN_EXPRESS" else 3)):
            raise GraphQLError(
                "CVV must be 4 digits for American Express and 3 digits for other card types.",
                legacy_code="81707",
            )
        postal_code = (card.get("billingAddress") or {}).get("postalCode")
        token = f"tokencc_sim_{secrets.token_hex(8)}"
        self._cards[token] = _Card(
            brand=brand,
            last4=number[-4:],
            expiry=(int(year) if len(year) == 4 else 2000 + int(year), int(month)),
            cvv_response=CVV_RESPONSES.get(cvv or "", "MATCHES" if cvv else "NOT_PROVIDED"),
            postal_code_response=POSTAL_CODE_RESPONSES.get(
                postal_code or "", "MATCHES" if postal_code else "NOT_PROVIDED"
            ),
        )
        return {
            "id": token,
            "details": {"__typename": "CreditCardDetails", "brandCode": brand, "last4": number[-4:]},
        }

    def _charge(self, payload: dict[str, Any]) -> SimBraintreeTransaction:
        card = self._cards.get(str(payload["paymentMethodId"]))
        if card is None:
            raise GraphQLError("Unknown or expired payment_method_nonce.", legacy_code="91565")
        if card.used:
            raise GraphQLError("Cannot use a payment_method_nonce more than once.", legacy_code="91564")
        transaction = payload["transaction"]
        amount = _amount(transaction["amount"])
        merchant_account = transaction.get("merchantAccountId")
        if merchant_account is not None and merchant_account != self.merchant_account_id:
            raise GraphQLError("Merchant account ID is invalid.", legacy_code="91513")
        order_id = transaction.get("orderId") or ""
        if len(order_id) > 255:
            raise GraphQLError("Order ID is too long.", legacy_code="91501")
        items = transaction.get("lineItems") or []
        if any(len(item["name"]) > 35 for item in items):
            raise GraphQLError("Line item name is too long.", legacy_code="95803")
        card.used = True
        state, code, rejection = self._decide(card, amount)
        legacy_id = "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))
        record = SimBraintreeTransaction(
            id=legacy_id,
            global_id=_global_id(legacy_id),
            invoice_number=order_id,
            state=state,
            amount=f"{amount:.2f}",
            brand=card.brand,
            last4=card.last4,
            payment_initiator=transaction.get("paymentInitiator"),
            line_item_name=items[0]["name"] if items else None,
            processor_code=code,
            processor_message=PROCESSOR_MESSAGES.get(
                code, "Approved" if code == "1000" else "Processor Declined"
            ),
            authorization_id=secrets.token_hex(3).upper() if state in _APPROVED_STATES else None,
            cvv_response=card.cvv_response,
            postal_code_response=card.postal_code_response,
            rejection_reason=rejection,
            created_at=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        )
        if code == "3000":
            record.processor_message = "Processor Network Unavailable - Try Again"
        self.charges.append(record)
        return record

    def _decide(self, card: _Card, amount: Decimal) -> tuple[str, str, str | None]:
        now = datetime.now(UTC)
        if card.expiry < (now.year, now.month):
            return "PROCESSOR_DECLINED", "2004", None
        if Decimal(2000) <= amount < Decimal(3000):
            return "PROCESSOR_DECLINED", str(int(amount)), None
        if Decimal(3000) <= amount < Decimal(3001):
            return "FAILED", "3000", None
        cvv_refused = self.reject_cvv_mismatch and card.cvv_response == "DOES_NOT_MATCH"
        avs_refused = self.reject_postal_code_mismatch and card.postal_code_response == "DOES_NOT_MATCH"
        if cvv_refused or avs_refused:
            reason = "AVS_AND_CVV" if cvv_refused and avs_refused else ("CVV" if cvv_refused else "AVS")
            return "GATEWAY_REJECTED", "1000", reason
        return "SUBMITTED_FOR_SETTLEMENT", "1000", None

    def _search(self, criteria: dict[str, Any]) -> dict[str, Any]:
        order_id = (criteria.get("orderId") or {}).get("is")
        hits = [t for t in self.charges if order_id is None or t.invoice_number == order_id]
        return {
            "pageInfo": {"hasNextPage": False},
            "edges": [{"node": _transaction(t)} for t in reversed(hits)],
        }

    def _reverse(self, transaction_id: str) -> dict[str, Any]:
        transaction = self._find(transaction_id)
        if transaction is None:
            raise GraphQLError("An object with this ID was not found.", "NOT_FOUND")
        if transaction.state not in _APPROVED_STATES:
            raise GraphQLError(
                "Transaction can only be voided if status is authorized, submitted_for_settlement, or "
                "- for PayPal - settlement_pending.",
                legacy_code="91504",
            )
        transaction.state = "VOIDED"
        return {"__typename": "Transaction", "id": transaction.global_id, "status": "VOIDED"}

    def _find(self, transaction_id: str) -> SimBraintreeTransaction | None:
        """By GraphQL id only, as the API finds nodes: a legacy id must be converted first."""
        return next((t for t in self.charges if t.global_id == transaction_id), None)


def _operation(query: str) -> str:
    """The one operation in ``query``, known by its root field and declared variable types."""
    text = " ".join(query.split())
    for operation, pattern in _OPERATION_PATTERNS.items():
        if pattern.fullmatch(text):
            return operation
    raise GraphQLError("The simulator does not know this operation.")


def _check_input(type_name: str, value: object, path: str) -> None:
    """GraphQL input coercion: known fields only, required ones present, scalars well-typed."""
    required = type_name.endswith("!")
    name = type_name.rstrip("!")
    if value is None:
        if required:
            raise GraphQLError(f"Variable 'input' has an invalid value: {path} is required ({name}!).")
        return
    if name.startswith("["):
        if not isinstance(value, list):
            raise GraphQLError(f"Variable 'input' has an invalid value: {path} must be a list.")
        for index, item in enumerate(value):
            _check_input(name[1:-1], item, f"{path}[{index}]")
        return
    if name in _INPUT_TYPES:
        if not isinstance(value, dict):
            raise GraphQLError(f"Variable 'input' has an invalid value: {path} must be an object.")
        fields = _INPUT_TYPES[name]
        for key in value:
            if key not in fields:
                raise GraphQLError(f"Variable 'input' has an invalid value: unknown field '{key}' in {path}.")
        for key, field_type in fields.items():
            _check_input(field_type, value.get(key), f"{path}.{key}")
        return
    _check_scalar(name, value, path)


def _check_scalar(name: str, value: object, path: str) -> None:
    problem = None
    if name in _ENUMS and value not in _ENUMS[name]:
        problem = f"{path} must be one of {sorted(_ENUMS[name])}"
    elif name in ("String", "ID") and not isinstance(value, str):
        problem = f"{path} must be a string"
    elif name == "Amount" and not (isinstance(value, str) and _AMOUNT.fullmatch(value)):
        raise GraphQLError("Amount is an invalid format.", legacy_code="81503")
    elif name == "Quantity" and not (isinstance(value, str) and _QUANTITY.fullmatch(value)):
        problem = f"{path} must be a quantity"
    elif name == "Boolean" and not isinstance(value, bool):
        problem = f"{path} must be a boolean"
    if problem is not None:
        raise GraphQLError(f"Variable 'input' has an invalid value: {problem}.")


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise GraphQLError("Amount is an invalid format.", legacy_code="81503") from None
    if amount <= 0:
        raise GraphQLError("Amount must be greater than zero.", legacy_code="81531")
    if amount > Decimal("99999999.99"):
        raise GraphQLError("Amount is too large.", legacy_code="81528")
    return amount


def _transaction(record: SimBraintreeTransaction) -> dict[str, Any]:
    return {
        "id": record.global_id,
        "legacyId": record.id,
        "status": record.state,
        "orderId": record.invoice_number or None,
        "createdAt": record.created_at,
        "amount": {"value": record.amount, "currencyCode": "USD"},
        "gatewayRejectionReason": record.rejection_reason,
        "processorResponse": {
            "legacyCode": record.processor_code,
            "message": record.processor_message,
            "authorizationId": record.authorization_id,
            "cvvResponse": record.cvv_response,
            "avsPostalCodeResponse": record.postal_code_response,
        },
        "paymentMethodSnapshot": {
            "__typename": "CreditCardDetails",
            "brandCode": record.brand,
            "last4": record.last4,
        },
    }


def _converted(element: dict[str, str]) -> str:
    """Already-global ids come back as they are; existence is not checked (as Braintree does)."""
    legacy_id = element["legacyId"]
    if element["type"] != "TRANSACTION" or legacy_id.startswith("dHJhbnNhY3Rpb25f"):
        return legacy_id
    return _global_id(legacy_id)


def _global_id(legacy_id: str) -> str:
    return base64.b64encode(f"transaction_{legacy_id}".encode()).decode().rstrip("=")


def _json(status: int, document: dict[str, Any]) -> web.Response:
    document = {**document, "extensions": {"requestId": secrets.token_hex(8)}}
    return web.Response(status=status, body=json.dumps(document).encode(), content_type="application/json")


def _errors(status: int, error: GraphQLError, data: dict[str, Any] | None = None) -> web.Response:
    extensions: dict[str, Any] = {"errorClass": error.error_class}
    if error.legacy_code is not None:
        extensions["legacyCode"] = error.legacy_code
    document: dict[str, Any] = {"errors": [{"message": str(error), "extensions": extensions}]}
    if data is not None:
        document["data"] = data
    return _json(status, document)


@contextlib.asynccontextmanager
async def serve_braintree_simulator(
    simulator: BraintreeSimulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Run ``simulator`` over real HTTP; yields its GraphQL URL (a free port by default)."""
    async with serve_app(simulator.app(), simulator, API_PATH, host, port) as url:
        yield url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Braintree simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(arguments.host, arguments.port))


async def _serve_forever(host: str, port: int) -> None:
    async with serve_braintree_simulator(BraintreeSimulator(), host, port) as url:
        print(
            f"Braintree simulator at {url} (public key {SIM_PUBLIC_KEY}, private key {SIM_PRIVATE_KEY})",
            flush=True,
        )
        await asyncio.Event().wait()


if __name__ == "__main__":
    main()
