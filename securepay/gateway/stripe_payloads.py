"""Stripe request bodies (form-encoded, as the API takes them).

One ``POST /v1/payment_intents`` creates and confirms the charge: the card goes in
``payment_method_data``, ``payment_method_options[card][moto]`` marks it a phone order
(out of scope for SCA, so no 3-D Secure challenge the caller could not answer), and
``metadata`` carries the invoice number the charge is searched by after a lost answer.
Card fields are spliced in as bytes, never held in a ``str`` (see ``card_body``).
"""

from urllib.parse import urlencode

from securepay.gateway.card_body import splice
from securepay.gateway.currency import to_minor_units
from securepay.gateway.request import ChargeRequest

INVOICE_METADATA_KEY = "securepay_invoice"
PAYMENT_METADATA_KEY = "securepay_payment_id"

_PAN_SLOT = "\x00number"
_EXP_MONTH_SLOT = "\x00exp_month"
_EXP_YEAR_SLOT = "\x00exp_year"
_CVC_SLOT = "\x00cvc"


def idempotency_key(invoice_number: str) -> str:
    """One key per payment attempt: a resend with it can never create a second charge."""
    return f"securepay-{invoice_number}"


def payment_intent_body(request: ChargeRequest) -> bytearray:
    """The create-and-confirm body, card data included. Wipe it after use.

    Raises ``ValueError`` when the amount has more decimals than its currency.
    """
    fields = [
        ("amount", str(to_minor_units(request.amount, request.currency))),
        ("currency", request.currency.lower()),
        ("confirm", "true"),
        ("payment_method_types[0]", "card"),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", _PAN_SLOT),
        ("payment_method_data[card][exp_month]", _EXP_MONTH_SLOT),
        ("payment_method_data[card][exp_year]", _EXP_YEAR_SLOT),
        ("payment_method_data[card][cvc]", _CVC_SLOT),
        ("payment_method_data[billing_details][address][postal_code]", request.billing_postal_code),
        ("payment_method_options[card][moto]", "true"),
        *([("description", request.description)] if request.description else []),
        (f"metadata[{INVOICE_METADATA_KEY}]", request.invoice_number),
        *([(f"metadata[{PAYMENT_METADATA_KEY}]", request.reference)] if request.reference else []),
        ("expand[0]", "latest_charge"),
    ]
    card = request.card
    return splice(
        _encode(fields),
        [
            (_slot(_PAN_SLOT), (card.pan,)),
            (_slot(_EXP_MONTH_SLOT), (card.exp_month,)),
            (_slot(_EXP_YEAR_SLOT), (card.exp_year,)),
            (_slot(_CVC_SLOT), (card.cvc,)),
        ],
    )


def search_query(invoice_number: str) -> dict[str, str]:
    """Query parameters of ``GET /v1/payment_intents/search`` for one invoice, charge expanded."""
    return {
        "query": f"metadata['{INVOICE_METADATA_KEY}']:'{invoice_number}'",
        "expand[]": "data.latest_charge",
    }


def recent_query(since: int, starting_after: str | None) -> dict[str, str]:
    """One page of ``GET /v1/payment_intents`` created since ``since`` (epoch seconds), newest first."""
    query = {"limit": "100", "created[gte]": str(since), "expand[]": "data.latest_charge"}
    if starting_after is not None:
        query["starting_after"] = starting_after
    return query


def refund_body(payment_intent_id: str) -> bytes:
    return _encode([("payment_intent", payment_intent_id)])


def _slot(placeholder: str) -> bytes:
    return urlencode({"": placeholder})[1:].encode("ascii")


def _encode(fields: list[tuple[str, str]]) -> bytes:
    return urlencode(fields).encode("ascii")
