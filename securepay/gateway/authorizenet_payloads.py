"""Authorize.Net request bodies.

The API validates JSON against its XML schema, so element order matters: every dict here
is written in schema order and relies on insertion order. Card fields are never put in a
Python ``str``: the body is serialized with placeholders and the card's own byte buffers
are copied into one preallocated ``bytearray`` that the client wipes once the charge is
settled. The placeholders begin with NUL, which no other field can contain once JSON
escaping is applied, so a placeholder can only ever match its own slot.
"""

import json
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from securepay.gateway.authorizenet_config import AuthorizeNetConfig
from securepay.gateway.card_body import CardPiece, splice
from securepay.gateway.request import ChargeRequest

_CENT = Decimal("0.01")
_PAN_SLOT = "\x00cardNumber"
_EXPIRY_SLOT = "\x00expirationDate"
_CVC_SLOT = "\x00cardCode"


def new_ref_id() -> str:
    """A 20-character reference echoed back by the API, to tie an answer to its request."""
    return "sp" + secrets.token_hex(9)


def format_amount(amount: Decimal) -> str:
    """Exactly two decimals, never an exponent (``Decimal('1E+2')`` -> ``'100.00'``)."""
    return f"{amount.quantize(_CENT):f}"


def charge_body(config: AuthorizeNetConfig, request: ChargeRequest, ref_id: str) -> bytearray:
    """The ``authCaptureTransaction`` body, card data included. Wipe it after use."""
    envelope = {
        "createTransactionRequest": {
            "merchantAuthentication": _merchant_authentication(config),
            "refId": ref_id,
            "transactionRequest": _auth_capture(config, request),
        }
    }
    card = request.card
    return _splice(
        _encode(envelope),
        (
            (_PAN_SLOT, (card.pan,)),
            (_EXPIRY_SLOT, (card.exp_year, b"-", card.exp_month)),
            (_CVC_SLOT, (card.cvc,)),
        ),
    )


def void_body(config: AuthorizeNetConfig, transaction_id: str, ref_id: str) -> bytes:
    return _encode(
        {
            "createTransactionRequest": {
                "merchantAuthentication": _merchant_authentication(config),
                "refId": ref_id,
                "transactionRequest": {
                    "transactionType": "voidTransaction",
                    "refTransId": transaction_id,
                },
            }
        }
    )


def unsettled_list_body(config: AuthorizeNetConfig, page: int) -> bytes:
    """One page of unsettled transactions, newest first (``offset`` is a 1-based page)."""
    return _encode(
        {
            "getUnsettledTransactionListRequest": {
                "merchantAuthentication": _merchant_authentication(config),
                "sorting": {"orderBy": "submitTimeUTC", "orderDescending": "true"},
                "paging": {"limit": str(config.lookup_page_size), "offset": str(page)},
            }
        }
    )


def transaction_details_body(config: AuthorizeNetConfig, transaction_id: str) -> bytes:
    return _encode(
        {
            "getTransactionDetailsRequest": {
                "merchantAuthentication": _merchant_authentication(config),
                "transId": transaction_id,
            }
        }
    )


def authenticate_test_body(config: AuthorizeNetConfig) -> bytes:
    return _encode({"authenticateTestRequest": {"merchantAuthentication": _merchant_authentication(config)}})


def _merchant_authentication(config: AuthorizeNetConfig) -> dict[str, str]:
    return {"name": config.api_login_id, "transactionKey": config.transaction_key}


def _auth_capture(config: AuthorizeNetConfig, request: ChargeRequest) -> dict[str, Any]:
    order = {"invoiceNumber": request.invoice_number}
    if request.description:
        order["description"] = request.description
    return {
        "transactionType": "authCaptureTransaction",
        "amount": format_amount(request.amount),
        "currencyCode": request.currency,
        "payment": {
            "creditCard": {
                "cardNumber": _PAN_SLOT,
                "expirationDate": _EXPIRY_SLOT,
                "cardCode": _CVC_SLOT,
            }
        },
        "order": order,
        "billTo": {"zip": request.billing_postal_code},
        "retail": {"marketType": "1"},
        "transactionSettings": {
            "setting": [{"settingName": "duplicateWindow", "settingValue": str(config.duplicate_window_s)}]
        },
    }


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def _splice(template: bytes, slots: Sequence[tuple[str, Sequence[CardPiece]]]) -> bytearray:
    """Each JSON-quoted placeholder becomes the quoted concatenation of its pieces."""
    return splice(
        template, [(json.dumps(slot).encode("ascii"), (b'"', *values, b'"')) for slot, values in slots]
    )
