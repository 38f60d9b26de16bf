"""The activity's text and the decision whether a finished payment is posted at all."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from securepay.config import AgentConfig
from securepay.crm.activity import CrmActivity, agent_display_name, build_activity, format_amount
from securepay.flow import Outcome
from tests.unit.ledger.factories import crm_config, make_activity, make_payment


def test_activity_text_is_exactly_the_seeds_fields() -> None:
    activity = make_activity(make_payment(item="Blue widget", amount="49.95", transaction_id="60123456789"))
    assert activity.text == (
        "Agent: Alice Smith\n"
        "Product Name: Blue widget\n"
        "Transaction ID: 60123456789\n"
        "Amount Charged: $49.95\n"
        "Payment Status: Success\n"
        "Timestamp: 2024-07-01 16:30:05"
    )


def test_declined_payment_reads_failed_with_its_transaction_id() -> None:
    activity = make_activity(make_payment(outcome=Outcome.DECLINED, transaction_id="60999"))
    assert "Payment Status: Failed" in activity.text.splitlines()
    assert "Transaction ID: 60999" in activity.text.splitlines()


def test_payment_without_a_transaction_id_reads_none() -> None:
    activity = make_activity(make_payment(outcome=Outcome.GATEWAY_ERROR, transaction_id=None))
    assert "Transaction ID: none" in activity.text.splitlines()


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("49.95", "USD", "$49.95"),
        ("49.95", "EUR", "€49.95"),
        ("49.95", "GBP", "49.95 GBP"),
        ("5", "USD", "$5.00"),
    ],
)
def test_amount_charged_is_formatted_for_its_currency(amount: str, currency: str, shown: str) -> None:
    assert format_amount(Decimal(amount), currency) == shown


def test_float_amount_is_refused() -> None:
    with pytest.raises(TypeError):
        format_amount(49.95, "USD")  # type: ignore[arg-type]


def test_timestamp_is_in_the_configured_timezone() -> None:
    payment = make_payment(finished_at=datetime(2024, 7, 1, 20, 0, 0, tzinfo=UTC))
    activity = make_activity(payment, timezone="Asia/Tokyo")
    assert activity.text.splitlines()[-1] == "Timestamp: 2024-07-02 05:00:00"
    assert activity.occurred_at.isoformat() == "2024-07-02T05:00:00+09:00"


def test_timestamp_follows_daylight_saving_time() -> None:
    winter = make_activity(
        make_payment(finished_at=datetime(2024, 1, 15, 17, 0, tzinfo=UTC)), timezone="America/New_York"
    )
    summer = make_activity(
        make_payment(finished_at=datetime(2024, 7, 15, 17, 0, tzinfo=UTC)), timezone="America/New_York"
    )
    assert (winter.timestamp, summer.timestamp) == ("2024-01-15 12:00:00", "2024-07-15 13:00:00")


def test_payment_without_a_crm_record_is_kept_in_the_ledger_only() -> None:
    assert build_activity(make_payment(record=None), "Alice Smith", crm_config()) is None
    assert build_activity(make_payment(record="  "), "Alice Smith", crm_config()) is None


def test_nothing_is_posted_when_no_crm_is_configured() -> None:
    assert build_activity(make_payment(), "Alice Smith", crm_config(kind="none")) is None


@pytest.mark.parametrize("outcome", [Outcome.SUCCESS, Outcome.DECLINED, Outcome.GATEWAY_ERROR])
def test_outcomes_from_the_gateway_are_always_posted(outcome: Outcome) -> None:
    payment = make_payment(outcome=outcome, invoice_number=None)
    assert build_activity(payment, "Alice Smith", crm_config(post_unsubmitted=False)) is not None


@pytest.mark.parametrize(
    "outcome",
    [Outcome.CALLER_CANCELLED, Outcome.INPUT_TIMEOUT, Outcome.AGENT_CANCELLED, Outcome.CALLER_HUNG_UP],
)
def test_outcomes_before_the_gateway_are_not_posted_by_default(outcome: Outcome) -> None:
    payment = make_payment(outcome=outcome, transaction_id=None, invoice_number=None, brand=None, last4=None)
    assert build_activity(payment, "Alice Smith", crm_config()) is None


def test_outcomes_before_the_gateway_are_posted_when_post_unsubmitted_is_on() -> None:
    payment = make_payment(outcome=Outcome.CALLER_CANCELLED, transaction_id=None, invoice_number=None)
    activity = build_activity(payment, "Alice Smith", crm_config(post_unsubmitted=True))
    assert activity is not None
    assert "Payment Status: Failed" in activity.text.splitlines()


def test_internal_error_after_the_charge_was_sent_is_posted() -> None:
    payment = make_payment(outcome=Outcome.INTERNAL_ERROR, transaction_id=None, invoice_number="INV-Z")
    assert build_activity(payment, "Alice Smith", crm_config()) is not None


def test_card_number_typed_into_the_product_name_is_removed() -> None:
    activity = make_activity(make_payment(item="Widget for 4111 1111 1111 1111"))
    assert activity.product_name == "Widget for [card number removed]"


def test_unfinished_payment_is_refused() -> None:
    with pytest.raises(ValueError, match="has not finished"):
        build_activity(make_payment(outcome=None), "Alice Smith", crm_config())


def test_activity_survives_the_outbox_json_round_trip() -> None:
    activity = make_activity(make_payment(item="Grüne Tasse"), timezone="Europe/Berlin")
    assert CrmActivity.from_json(activity.to_json()) == activity


def test_agent_name_comes_from_the_agents_config_else_the_id() -> None:
    agents = {"alice": AgentConfig(name="Alice Smith", endpoint="PJSIP/alice")}
    assert (agent_display_name(agents, "alice"), agent_display_name(agents, "bob")) == ("Alice Smith", "bob")
