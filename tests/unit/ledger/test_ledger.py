"""One row per payment attempt: what is recorded, and that the result and its activity commit together."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from securepay.crm.activity import CrmActivity
from securepay.flow import Outcome
from securepay.ledger import CrmState, Ledger, LedgerError
from tests.unit.ledger.factories import FINISHED, STARTED, make_activity, make_payment


async def test_a_started_payment_is_recorded_as_running(ledger: Ledger) -> None:
    await ledger.payment_started(make_payment(outcome=None), "Alice Smith")
    entry = await ledger.get("p-00000000000000a1")
    assert entry is not None
    assert (entry.agent_name, entry.product_name, entry.outcome, entry.finished_at) == (
        "Alice Smith",
        "Blue widget",
        None,
        None,
    )


async def test_a_finished_payment_records_its_result(ledger: Ledger) -> None:
    payment = make_payment(outcome=None)
    await ledger.payment_started(payment, "Alice Smith")
    finished = make_payment(
        outcome=Outcome.DECLINED, reason="avs-mismatch", transaction_id="60999", last4="0015"
    )
    await ledger.payment_finished(finished, make_activity(finished))
    entry = await ledger.get(payment.id)
    assert entry is not None
    assert entry.to_dict() == {
        "id": "p-00000000000000a1",
        "call_id": "call-a",
        "agent_id": "alice",
        "agent_name": "Alice Smith",
        "product_name": "Blue widget",
        "amount": "49.95",
        "currency": "USD",
        "crm_record_id": "001Ax00000AbCdEfGH",
        "outcome": "declined",
        "reason": "avs-mismatch",
        "transaction_id": "60999",
        "invoice_number": "INV-A",
        "brand": "visa",
        "last4": "0015",
        "created_at": "2024-07-01T16:29:00+00:00",
        "finished_at": "2024-07-01T16:30:05+00:00",
        "crm_state": "pending",
        "crm_attempts": 0,
        "crm_last_error": None,
        "crm_remote_id": None,
    }


async def test_a_payment_without_an_activity_is_kept_in_the_ledger_only(ledger: Ledger) -> None:
    await ledger.payment_finished(make_payment(record=None), None)
    entry = await ledger.get("p-00000000000000a1")
    assert entry is not None and entry.crm_state is CrmState.NONE
    assert await ledger.outbox_item("p-00000000000000a1") is None


async def test_a_finish_without_a_start_still_records_the_payment(ledger: Ledger) -> None:
    payment = make_payment()
    await ledger.payment_finished(payment, make_activity(payment))
    entry = await ledger.get(payment.id)
    assert entry is not None and entry.outcome == "success" and entry.agent_name == "Alice Smith"


async def test_the_amount_is_kept_exactly(ledger: Ledger) -> None:
    await ledger.payment_finished(make_payment(amount="1234567.89", record=None), None)
    entry = await ledger.get("p-00000000000000a1")
    assert entry is not None and entry.amount == Decimal("1234567.89")


async def test_times_come_back_timezone_aware(ledger: Ledger) -> None:
    await ledger.payment_finished(make_payment(record=None), None)
    entry = await ledger.get("p-00000000000000a1")
    assert entry is not None
    assert (entry.created_at, entry.finished_at) == (STARTED, FINISHED)
    assert entry.created_at.utcoffset() == timedelta(0)


async def test_the_result_is_not_written_when_its_activity_cannot_be(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = make_payment()
    activity = make_activity(payment)
    await ledger.payment_started(make_payment(outcome=None), "Alice Smith")

    def broken(self: CrmActivity) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(CrmActivity, "to_json", broken)
    with pytest.raises(RuntimeError):
        await ledger.payment_finished(payment, activity)
    entry = await ledger.get(payment.id)
    assert entry is not None and entry.outcome is None and entry.crm_state is CrmState.NONE


async def test_finishing_twice_keeps_one_activity(ledger: Ledger) -> None:
    payment = make_payment()
    await ledger.payment_finished(payment, make_activity(payment))
    await ledger.crm_posted(payment.id, "00T1")
    await ledger.payment_finished(payment, make_activity(payment))
    item = await ledger.outbox_item(payment.id)
    assert item is not None and item.state is CrmState.POSTED
    assert await ledger.outbox_due(datetime.now(UTC) + timedelta(days=1)) == []


async def test_an_activity_for_another_payment_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="not p-00000000000000a1"):
        await ledger.payment_finished(make_payment(), make_activity(make_payment("p-00000000000000ff")))


async def test_an_unfinished_payment_cannot_be_recorded_as_finished(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="has not finished"):
        await ledger.payment_finished(make_payment(outcome=None), None)


async def test_a_last4_that_is_not_four_digits_is_not_stored(ledger: Ledger) -> None:
    await ledger.payment_finished(make_payment(last4="411111", record=None), None)
    entry = await ledger.get("p-00000000000000a1")
    assert entry is not None and entry.last4 is None


async def test_list_filters_by_agent_id_or_name(ledger: Ledger) -> None:
    await ledger.payment_finished(make_payment("p-1", agent_id="alice", record=None), None)
    await ledger.payment_started(make_payment("p-2", agent_id="bob", outcome=None), "Bob Jones")
    assert [entry.id for entry in await ledger.list_payments(agent="bob")] == ["p-2"]
    assert [entry.id for entry in await ledger.list_payments(agent="Bob Jones")] == ["p-2"]


async def test_list_filters_by_outcome(ledger: Ledger) -> None:
    await ledger.payment_finished(make_payment("p-1", record=None), None)
    await ledger.payment_finished(make_payment("p-2", outcome=Outcome.DECLINED, record=None), None)
    assert [entry.id for entry in await ledger.list_payments(outcome="declined")] == ["p-2"]


async def test_list_filters_by_time_range_newest_first(ledger: Ledger) -> None:
    for day in (1, 2, 3):
        created = datetime(2024, 7, day, 12, tzinfo=UTC)
        await ledger.payment_finished(make_payment(f"p-{day}", created_at=created, record=None), None)
    since, until = datetime(2024, 7, 2, tzinfo=UTC), datetime(2024, 7, 4, tzinfo=UTC)
    assert [entry.id for entry in await ledger.list_payments(since=since, until=until)] == ["p-3", "p-2"]
    assert [entry.id for entry in await ledger.list_payments(limit=1)] == ["p-3"]


async def test_naive_times_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await ledger.list_payments(since=datetime(2024, 7, 1))


async def test_an_invoice_for_a_payment_without_a_row_is_refused(ledger: Ledger) -> None:
    payment = make_payment(outcome=None)
    payment.invoice_number = "INV-NOROW"
    with pytest.raises(LedgerError, match="no payment"):
        await ledger.charge_submitted(payment)
