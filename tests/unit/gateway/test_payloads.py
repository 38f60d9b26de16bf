"""Request bodies follow the schema order and hold card data only where it belongs."""

import json

from securepay.gateway.authorizenet_payloads import (
    authenticate_test_body,
    charge_body,
    transaction_details_body,
    unsettled_list_body,
    void_body,
)
from securepay.gateway.card_body import wipe
from securepay.testing.gateway_sim import schema_problem

from .conftest import FUTURE_YEAR, VISA, make_card, make_request, sim_config

CONFIG = sim_config("http://127.0.0.1:1/xml/v1/request.api", duplicate_window_s=900)


def decoded(body: bytes | bytearray) -> dict:
    return json.loads(bytes(body))


def test_charge_body_is_in_schema_order() -> None:
    document = decoded(charge_body(CONFIG, make_request(), "ref"))
    envelope = document["createTransactionRequest"]
    assert list(envelope) == ["merchantAuthentication", "refId", "transactionRequest"]
    assert list(envelope["transactionRequest"]) == [
        "transactionType",
        "amount",
        "currencyCode",
        "payment",
        "order",
        "billTo",
        "retail",
        "transactionSettings",
    ]
    assert list(envelope["transactionRequest"]["payment"]["creditCard"]) == [
        "cardNumber",
        "expirationDate",
        "cardCode",
    ]


def test_every_body_passes_the_simulators_schema_check() -> None:
    bodies = [
        charge_body(CONFIG, make_request(), "ref"),
        void_body(CONFIG, "60001", "ref"),
        unsettled_list_body(CONFIG, 2),
        transaction_details_body(CONFIG, "60001"),
        authenticate_test_body(CONFIG),
    ]
    for body in bodies:
        ((name, content),) = decoded(body).items()
        assert schema_problem(name, content) is None, name


def test_charge_body_carries_the_card_in_credit_card_only() -> None:
    request = make_request(make_card(VISA, exp_month="07", cvc="123"))
    transaction = decoded(charge_body(CONFIG, request, "ref"))["createTransactionRequest"][
        "transactionRequest"
    ]
    assert transaction["payment"]["creditCard"] == {
        "cardNumber": VISA,
        "expirationDate": f"{FUTURE_YEAR}-07",
        "cardCode": "123",
    }
    del transaction["payment"]
    assert VISA not in json.dumps(transaction)


def test_charge_body_has_the_moto_and_duplicate_window_settings() -> None:
    request = make_request(amount="5", description="Blue widget")
    transaction = decoded(charge_body(CONFIG, request, "ref"))["createTransactionRequest"][
        "transactionRequest"
    ]
    assert transaction["transactionType"] == "authCaptureTransaction"
    assert transaction["amount"] == "5.00"
    assert transaction["order"] == {
        "invoiceNumber": request.invoice_number,
        "description": "Blue widget",
    }
    assert transaction["billTo"] == {"zip": "46201"}
    assert transaction["retail"] == {"marketType": "1"}
    assert transaction["transactionSettings"] == {
        "setting": [{"settingName": "duplicateWindow", "settingValue": "900"}]
    }


def test_description_that_looks_like_a_slot_stays_text() -> None:
    request = make_request(description='"\\u0000cardNumber"')
    document = decoded(charge_body(CONFIG, request, "ref"))
    order = document["createTransactionRequest"]["transactionRequest"]["order"]
    assert order["description"] == '"\\u0000cardNumber"'


def test_wiped_body_holds_only_zero_bytes() -> None:
    body = charge_body(CONFIG, make_request(), "ref")
    size = len(body)
    wipe(body)
    assert body == bytearray(size)
