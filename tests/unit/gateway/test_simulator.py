"""The simulator holds the client to the real API's rules, over real loopback HTTP."""

import json
from typing import Any

import aiohttp

from securepay.gateway import AuthorizeNetGateway
from securepay.testing.gateway_sim import (
    BOM,
    SIM_API_LOGIN_ID,
    SIM_TRANSACTION_KEY,
    GatewaySimulator,
)

from .conftest import VISA, make_request

AUTH = {"name": SIM_API_LOGIN_ID, "transactionKey": SIM_TRANSACTION_KEY}


async def post(url: str, document: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=document) as response:
        raw = await response.read()
    return raw, json.loads(raw.decode("utf-8-sig"))


def charge(transaction_request: dict[str, Any]) -> dict[str, Any]:
    return {
        "createTransactionRequest": {
            "merchantAuthentication": AUTH,
            "transactionRequest": transaction_request,
        }
    }


def first_message(document: dict[str, Any]) -> dict[str, str]:
    return document["messages"]["message"][0]


async def test_every_answer_starts_with_a_bom(sim_url: str) -> None:
    raw, _ = await post(sim_url, {"authenticateTestRequest": {"merchantAuthentication": AUTH}})
    assert raw.startswith(BOM)


async def test_plain_json_parsing_fails_on_the_bom(sim_url: str) -> None:
    raw, _ = await post(sim_url, {"authenticateTestRequest": {"merchantAuthentication": AUTH}})
    try:
        json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError:
        return
    raise AssertionError("a BOM-prefixed answer parsed as plain JSON")


async def test_misordered_request_is_rejected_naming_the_element(sim_url: str) -> None:
    _, answer = await post(sim_url, charge({"amount": "5.00", "transactionType": "authCaptureTransaction"}))
    message = first_message(answer)
    assert answer["messages"]["resultCode"] == "Error"
    assert message["code"] == "E00003"
    assert "'transactionRequest'" in message["text"]
    assert "invalid child element 'transactionType'" in message["text"]
    assert "transactionResponse" not in answer


async def test_misordered_envelope_is_rejected(sim_url: str) -> None:
    document = {
        "createTransactionRequest": {
            "refId": "r1",
            "merchantAuthentication": AUTH,
            "transactionRequest": {"transactionType": "authCaptureTransaction"},
        }
    }
    _, answer = await post(sim_url, document)
    assert first_message(answer)["code"] == "E00003"
    assert "invalid child element 'merchantAuthentication'" in first_message(answer)["text"]


async def test_misordered_card_fields_are_rejected_without_echoing_them(sim_url: str) -> None:
    card = {"expirationDate": "2031-12", "cardNumber": VISA}
    _, answer = await post(
        sim_url,
        charge(
            {
                "transactionType": "authCaptureTransaction",
                "amount": "5.00",
                "payment": {"creditCard": card},
            }
        ),
    )
    text = first_message(answer)["text"]
    assert "invalid child element 'cardNumber'" in text
    assert VISA not in text


async def test_unknown_element_is_rejected(sim_url: str) -> None:
    _, answer = await post(sim_url, charge({"transactionType": "authCaptureTransaction", "deviceType": "1"}))
    assert "invalid child element 'deviceType'" in first_message(answer)["text"]


async def test_missing_required_element_is_rejected(sim_url: str) -> None:
    _, answer = await post(sim_url, charge({"amount": "5.00"}))
    assert first_message(answer)["code"] == "E00003"
    assert "incomplete content" in first_message(answer)["text"]


async def test_wrong_credentials_are_rejected_with_e00007(sim_url: str) -> None:
    bad = {"name": SIM_API_LOGIN_ID, "transactionKey": "wrong"}
    _, answer = await post(sim_url, {"authenticateTestRequest": {"merchantAuthentication": bad}})
    assert first_message(answer)["code"] == "E00007"


async def test_ref_id_is_echoed(sim_url: str) -> None:
    document = {"authenticateTestRequest": {"merchantAuthentication": AUTH, "refId": "abc"}}
    _, answer = await post(sim_url, document)
    assert answer["refId"] == "abc"


async def test_recorded_charge_holds_no_card_data(
    sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    await gateway.charge(make_request())
    (recorded,) = sim.charges
    assert recorded.last4 == "1111"
    assert VISA not in repr(recorded)
    assert VISA.encode() not in recorded.fingerprint
