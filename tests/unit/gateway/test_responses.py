"""Every class of Authorize.Net answer, and every listed code, maps to the right result."""

from decimal import Decimal
from typing import Any

import pytest

from securepay.gateway import ChargeReason, ChargeStatus
from securepay.gateway.authorizenet_responses import (
    ChargeContext,
    decode,
    read_charge_answer,
    read_void_answer,
    result_from_details,
    result_from_summary,
)

CONTEXT = ChargeContext("INV-1", Decimal("49.95"), "visa", "1111")
OK = {"resultCode": "Ok", "message": [{"code": "I00001", "text": "Successful."}]}
UNSUCCESSFUL = {
    "resultCode": "Error",
    "message": [{"code": "E00027", "text": "The transaction was unsuccessful."}],
}


def transaction(response_code: str, code: str, text: str = "text", **extra: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "responseCode": response_code,
        "authCode": "ABC123",
        "avsResultCode": "Y",
        "cvvResultCode": "M",
        "transId": "60001",
        "accountNumber": "XXXX1111",
        "accountType": "Visa",
        "unknownKey": {"ignored": True},
        **extra,
    }
    if response_code in ("1", "4"):
        body["messages"] = [{"code": code, "description": text}]
    else:
        body["errors"] = [{"errorCode": code, "errorText": text}]
    return {"transactionResponse": body, "messages": UNSUCCESSFUL if response_code == "3" else OK}


def api_error(code: str, text: str = "text") -> dict[str, Any]:
    return {"messages": {"resultCode": "Error", "message": [{"code": code, "text": text}]}}


def test_response_starting_with_a_bom_decodes() -> None:
    assert decode(b'\xef\xbb\xbf{"messages": {}}') == {"messages": {}}


def test_response_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        decode(b"\xef\xbb\xbf[]")


def test_approved_answer() -> None:
    answer = read_charge_answer(transaction("1", "1", "This transaction has been approved."), CONTEXT)
    result = answer.result
    assert answer.processed
    assert result.status is ChargeStatus.APPROVED
    assert result.reason is None
    assert (result.transaction_id, result.auth_code) == ("60001", "ABC123")
    assert (result.brand, result.masked_account) == ("visa", "XXXX1111")
    assert (result.avs_result, result.cvv_result) == ("Y", "M")
    assert (result.invoice_number, result.amount) == ("INV-1", Decimal("49.95"))
    assert (result.gateway_code, result.gateway) == ("1", "authorizenet")


def test_declined_answer_arrives_with_result_code_ok() -> None:
    result = read_charge_answer(transaction("2", "2"), CONTEXT).result
    assert (result.status, result.reason) == (ChargeStatus.DECLINED, ChargeReason.DECLINED)


def test_error_answer() -> None:
    result = read_charge_answer(transaction("3", "6"), CONTEXT).result
    assert (result.status, result.reason) == (
        ChargeStatus.ERROR,
        ChargeReason.INVALID_CARD_NUMBER,
    )


def test_held_for_review_answer() -> None:
    result = read_charge_answer(transaction("4", "252"), CONTEXT).result
    assert (result.status, result.reason) == (
        ChargeStatus.HELD_FOR_REVIEW,
        ChargeReason.HELD_FOR_REVIEW,
    )
    assert result.transaction_id == "60001"


@pytest.mark.parametrize(
    ("response_code", "code", "reason"),
    [
        ("2", "2", ChargeReason.DECLINED),
        ("2", "3", ChargeReason.DECLINED),
        ("2", "4", ChargeReason.DECLINED),
        ("3", "5", ChargeReason.INVALID_AMOUNT),
        ("3", "6", ChargeReason.INVALID_CARD_NUMBER),
        ("3", "37", ChargeReason.INVALID_CARD_NUMBER),
        ("3", "7", ChargeReason.INVALID_EXPIRY),
        ("3", "8", ChargeReason.CARD_EXPIRED),
        ("3", "11", ChargeReason.DUPLICATE),
        ("3", "13", ChargeReason.AUTHENTICATION_FAILED),
        ("3", "17", ChargeReason.CARD_TYPE_NOT_ACCEPTED),
        ("3", "28", ChargeReason.CARD_TYPE_NOT_ACCEPTED),
        ("2", "27", ChargeReason.AVS_MISMATCH),
        ("3", "39", ChargeReason.CURRENCY_NOT_ACCEPTED),
        ("2", "44", ChargeReason.CVC_MISMATCH),
        ("2", "65", ChargeReason.CVC_MISMATCH),
        ("2", "45", ChargeReason.AVS_AND_CVC_MISMATCH),
        ("3", "78", ChargeReason.CVC_MISMATCH),
        ("4", "252", ChargeReason.HELD_FOR_REVIEW),
        ("4", "253", ChargeReason.HELD_FOR_REVIEW),
    ],
)
def test_listed_transaction_code_maps_to_its_reason(
    response_code: str, code: str, reason: ChargeReason
) -> None:
    assert read_charge_answer(transaction(response_code, code), CONTEXT).result.reason is reason


def test_unlisted_decline_code_is_a_plain_decline() -> None:
    assert read_charge_answer(transaction("2", "250"), CONTEXT).result.reason is (ChargeReason.DECLINED)


def test_unlisted_error_code_is_a_gateway_error() -> None:
    assert read_charge_answer(transaction("3", "57"), CONTEXT).result.reason is (ChargeReason.GATEWAY_ERROR)


def test_failed_request_has_no_transaction_id() -> None:
    result = read_charge_answer(transaction("3", "6", transId="0"), CONTEXT).result
    assert result.transaction_id is None


def test_duplicate_naming_its_original_is_flagged() -> None:
    answer = read_charge_answer(transaction("3", "11", transId="59999"), CONTEXT)
    assert answer.duplicate_of == "59999"


def test_duplicate_without_original_names_nothing() -> None:
    answer = read_charge_answer(transaction("3", "11", transId="0"), CONTEXT)
    assert answer.duplicate_of is None
    assert answer.result.reason is ChargeReason.DUPLICATE


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("E00003", ChargeReason.INVALID_REQUEST),
        ("E00007", ChargeReason.AUTHENTICATION_FAILED),
        ("E00053", ChargeReason.GATEWAY_UNAVAILABLE),
        ("E00104", ChargeReason.GATEWAY_UNAVAILABLE),
        ("E00011", ChargeReason.GATEWAY_ERROR),
        ("E00027", ChargeReason.GATEWAY_ERROR),
    ],
)
def test_request_level_error_is_an_error_that_created_nothing(code: str, reason: ChargeReason) -> None:
    answer = read_charge_answer(api_error(code), CONTEXT)
    assert not answer.processed
    assert (answer.result.status, answer.result.reason) == (ChargeStatus.ERROR, reason)
    assert answer.result.gateway_code == code


def test_e00001_means_the_outcome_is_unknown() -> None:
    result = read_charge_answer(api_error("E00001"), CONTEXT).result
    assert (result.status, result.reason) == (
        ChargeStatus.OUTCOME_UNKNOWN,
        ChargeReason.GATEWAY_ERROR,
    )


def test_ok_without_a_transaction_means_the_outcome_is_unknown() -> None:
    result = read_charge_answer({"messages": OK}, CONTEXT).result
    assert result.status is ChargeStatus.OUTCOME_UNKNOWN


def test_unrecognised_response_code_means_the_outcome_is_unknown() -> None:
    result = read_charge_answer(transaction("9", "1"), CONTEXT).result
    assert result.status is ChargeStatus.OUTCOME_UNKNOWN


def test_missing_account_details_fall_back_to_the_request() -> None:
    document = transaction("1", "1")
    del document["transactionResponse"]["accountNumber"]
    del document["transactionResponse"]["accountType"]
    result = read_charge_answer(document, CONTEXT).result
    assert (result.brand, result.masked_account) == ("visa", "XXXX1111")


def test_digits_quoted_in_gateway_text_are_masked() -> None:
    text = "The value '4111111111111111' is invalid according to its datatype."
    result = read_charge_answer(api_error("E00003", text), CONTEXT).result
    assert result.gateway_text is not None
    assert "4111" not in result.gateway_text


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("capturedPendingSettlement", ChargeStatus.APPROVED),
        ("authorizedPendingCapture", ChargeStatus.APPROVED),
        ("settledSuccessfully", ChargeStatus.APPROVED),
        ("declined", ChargeStatus.DECLINED),
        ("voided", ChargeStatus.VOIDED),
        ("FDSPendingReview", ChargeStatus.HELD_FOR_REVIEW),
        ("FDSAuthorizedPendingReview", ChargeStatus.HELD_FOR_REVIEW),
        ("generalError", ChargeStatus.ERROR),
        ("somethingNew", ChargeStatus.OUTCOME_UNKNOWN),
    ],
)
def test_transaction_status_of_a_looked_up_charge(status: str, expected: ChargeStatus) -> None:
    assert result_from_summary({"transId": "1", "transactionStatus": status}).status is expected


def test_details_of_a_charge_become_a_reconciled_result() -> None:
    details = {
        "transId": "60001",
        "transactionStatus": "declined",
        "responseCode": 2,
        "responseReasonCode": 27,
        "responseReasonDescription": "AVS mismatch",
        "authCode": "000000",
        "AVSResponse": "N",
        "cardCodeResponse": "M",
        "order": {"invoiceNumber": "INV-1"},
        "authAmount": Decimal("49.95"),
        "payment": {"creditCard": {"cardNumber": "XXXX1111", "cardType": "MasterCard"}},
    }
    result = result_from_details(details)
    assert result.reconciled
    assert (result.status, result.reason) == (ChargeStatus.DECLINED, ChargeReason.AVS_MISMATCH)
    assert (result.transaction_id, result.invoice_number) == ("60001", "INV-1")
    assert (result.brand, result.masked_account) == ("mastercard", "XXXX1111")
    assert result.amount == Decimal("49.95")


def test_void_accepted() -> None:
    assert read_void_answer(transaction("1", "1"), "60001").result.status is ChargeStatus.VOIDED


def test_void_of_an_already_voided_charge_counts_as_voided() -> None:
    answer = read_void_answer(transaction("3", "310"), "60001")
    assert answer.result.status is ChargeStatus.VOIDED


def test_void_refused() -> None:
    result = read_void_answer(transaction("3", "16"), "60001").result
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.GATEWAY_ERROR)


def test_void_with_e00001_is_unknown() -> None:
    result = read_void_answer(api_error("E00001"), "60001").result
    assert result.status is ChargeStatus.OUTCOME_UNKNOWN
