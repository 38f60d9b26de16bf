"""Braintree GraphQL request bodies.

A card typed on a phone is first tokenized (``tokenizeCreditCard``, which charges
nothing) into a single-use payment method, then charged once (``chargeCreditCard``) with
``paymentInitiator: MOTO`` (the GraphQL name of ``transaction_source = "moto"``) and the
invoice number as ``orderId``, the handle a lost charge is searched by. A single-use
payment method can be consumed only once, which is what makes resending the very same
charge safe. Card fields are spliced in as bytes, never held in a ``str``.
"""

import json
from typing import Any

from securepay.gateway.card_body import splice
from securepay.gateway.currency import format_major
from securepay.gateway.description import clean_description
from securepay.gateway.request import ChargeRequest

LINE_ITEM_NAME_MAX = 35
"""Braintree's limit on a card transaction's line item name."""

TRANSACTION_FIELDS = """
      id legacyId status orderId createdAt
      amount { value currencyCode }
      gatewayRejectionReason
      processorResponse { legacyCode message authorizationId cvvResponse avsPostalCodeResponse }
      paymentMethodSnapshot { __typename ... on CreditCardDetails { brandCode last4 } }
"""

TOKENIZE = """mutation Tokenize($input: TokenizeCreditCardInput!) {
  tokenizeCreditCard(input: $input) {
    paymentMethod { id details { __typename ... on CreditCardDetails { brandCode last4 } } }
  }
}"""

CHARGE = (
    "mutation Charge($input: ChargeCreditCardInput!) {\n"
    "  chargeCreditCard(input: $input) {\n    transaction {" + TRANSACTION_FIELDS + "    }\n  }\n}"
)

SEARCH = (
    "query Search($input: TransactionSearchInput!) {\n"
    "  search { transactions(input: $input, first: 10) { edges { node {" + TRANSACTION_FIELDS + "  } } } }\n}"
)

REVERSE = """mutation Reverse($input: ReverseTransactionInput!) {
  reverseTransaction(input: $input) {
    reversal { __typename ... on Transaction { id status } ... on Refund { id status } }
  }
}"""

STATUS = """query Status($id: ID!) {
  node(id: $id) { __typename ... on Transaction { id status } }
}"""

PING = "query Ping { ping }"

GLOBAL_IDS = """query GlobalIds($input: IdsFromLegacyIdsInput!) {
  idsFromLegacyIds(input: $input)
}"""

_PAN_SLOT = "\x00number"
_EXP_MONTH_SLOT = "\x00expirationMonth"
_EXP_YEAR_SLOT = "\x00expirationYear"
_CVV_SLOT = "\x00cvv"


def tokenize_body(request: ChargeRequest) -> bytearray:
    """The tokenize body, card data included. Wipe it after use."""
    credit_card = {
        "number": _PAN_SLOT,
        "expirationMonth": _EXP_MONTH_SLOT,
        "expirationYear": _EXP_YEAR_SLOT,
        "cvv": _CVV_SLOT,
        "billingAddress": {"postalCode": request.billing_postal_code},
    }
    template = encode(TOKENIZE, {"input": {"creditCard": credit_card}})
    card = request.card
    return splice(
        template,
        [
            (_slot(_PAN_SLOT), (b'"', card.pan, b'"')),
            (_slot(_EXP_MONTH_SLOT), (b'"', card.exp_month, b'"')),
            (_slot(_EXP_YEAR_SLOT), (b'"', card.exp_year, b'"')),
            (_slot(_CVV_SLOT), (b'"', card.cvc, b'"')),
        ],
    )


def charge_body(request: ChargeRequest, payment_method_id: str, merchant_account_id: str) -> bytes:
    """Charge the single-use payment method once, as a phone order, under the invoice number.

    Raises ``ValueError`` when the amount has more decimals than its currency.
    """
    amount = format_major(request.amount, request.currency)
    transaction: dict[str, Any] = {
        "amount": amount,
        "orderId": request.invoice_number,
        "paymentInitiator": "MOTO",
    }
    if merchant_account_id:
        transaction["merchantAccountId"] = merchant_account_id
    name = clean_description(request.description, LINE_ITEM_NAME_MAX)
    if name:
        transaction["lineItems"] = [
            {"name": name, "kind": "DEBIT", "quantity": "1", "unitAmount": amount, "totalAmount": amount}
        ]
    return encode(CHARGE, {"input": {"paymentMethodId": payment_method_id, "transaction": transaction}})


def search_body(invoice_number: str) -> bytes:
    return encode(SEARCH, {"input": {"orderId": {"is": invoice_number}}})


def reverse_body(transaction_id: str) -> bytes:
    return encode(REVERSE, {"input": {"transactionId": transaction_id}})


def status_body(transaction_id: str) -> bytes:
    return encode(STATUS, {"id": transaction_id})


def global_id_body(transaction_id: str) -> bytes:
    """The GraphQL id of a transaction known by its legacy id (one already global comes back as is)."""
    return encode(GLOBAL_IDS, {"input": {"ids": [{"legacyId": transaction_id, "type": "TRANSACTION"}]}})


def ping_body() -> bytes:
    return encode(PING, {})


def encode(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode("ascii")


def _slot(placeholder: str) -> bytes:
    return json.dumps(placeholder).encode("ascii")
