"""`securepay payments list|show` and `securepay crm pending|retry`, as an operator runs them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from securepay.cli import main
from securepay.flow import Outcome
from securepay.ledger import CrmState, Ledger
from tests.unit.ledger.factories import make_activity, make_payment


@dataclass
class Cli:
    config: Path
    ledger: Ledger
    capsys: pytest.CaptureFixture[str]

    async def run(self, *argv: str) -> tuple[int, str, str]:
        """``securepay <argv> --config <file>`` in a thread (it runs its own event loop)."""
        code = await asyncio.to_thread(main, [*argv, "--config", str(self.config)])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
async def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> AsyncIterator[Cli]:
    path = tmp_path / "ledger.sqlite3"
    config = tmp_path / "securepay.toml"
    config.write_text(f'[ledger]\npath = "{path}"\n\n[crm]\ntimezone = "America/New_York"\n')
    ledger = Ledger.open(path)
    yield Cli(config, ledger, capsys)
    ledger.close()


async def _seed(ledger: Ledger) -> None:
    """Alice: a success posted, a decline failed in the CRM; Bob: a cancelled payment (no activity)."""
    success = make_payment("p-alice-ok", created_at=datetime(2024, 7, 1, 16, 0, tzinfo=UTC))
    declined = make_payment(
        "p-alice-no",
        outcome=Outcome.DECLINED,
        last4="0015",
        created_at=datetime(2024, 7, 2, 16, 0, tzinfo=UTC),
    )
    cancelled = make_payment(
        "p-bob-cancel",
        agent_id="bob",
        outcome=Outcome.CALLER_CANCELLED,
        transaction_id=None,
        invoice_number=None,
        brand=None,
        last4=None,
        created_at=datetime(2024, 7, 3, 3, 0, tzinfo=UTC),
    )
    await ledger.payment_started(success, "Alice Smith")
    await ledger.payment_finished(success, make_activity(success))
    await ledger.crm_posted(success.id, "00T000000000000001")
    await ledger.payment_started(declined, "Alice Smith")
    await ledger.payment_finished(declined, make_activity(declined))
    await ledger.crm_failed(declined.id, "salesforce create Task: HTTP 400 INVALID_CROSS_REFERENCE_KEY")
    await ledger.payment_started(cancelled, "Bob Jones")
    await ledger.payment_finished(cancelled, None)


async def test_payments_list_prints_a_table_newest_first(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, out, _ = await cli.run("payments", "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == [
        "CREATED",
        "PAYMENT",
        "AGENT",
        "PRODUCT",
        "AMOUNT",
        "OUTCOME",
        "TRANSACTION",
        "CARD",
        "CRM",
    ]
    assert [row.split()[2] for row in rows] == ["p-bob-cancel", "p-alice-no", "p-alice-ok"]
    assert rows[1].split() == [
        *("2024-07-02", "12:00:00", "p-alice-no", "Alice", "Smith", "Blue", "widget", "49.95", "USD"),
        *("declined", "60123456789", "visa", "0015", "failed"),
    ]


async def test_payments_list_json_filters_by_agent_and_outcome(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, out, _ = await cli.run("payments", "list", "--agent", "alice", "--outcome", "success", "--json")
    assert code == 0
    (line,) = out.splitlines()
    payment = json.loads(line)
    assert (payment["id"], payment["amount"], payment["crm_state"]) == ("p-alice-ok", "49.95", "posted")


async def test_payments_list_dates_are_days_in_the_configured_timezone(cli: Cli) -> None:
    await _seed(cli.ledger)
    # p-bob-cancel was created 2024-07-03 03:00 UTC, which is still 2 July in New York.
    code, out, _ = await cli.run(
        "payments", "list", "--since", "2024-07-02", "--until", "2024-07-02", "--json"
    )
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["p-bob-cancel", "p-alice-no"]


async def test_payments_show_prints_one_payment(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, out, _ = await cli.run("payments", "show", "p-alice-no")
    assert code == 0
    lines = dict(line.split(None, 1) for line in out.splitlines() if len(line.split(None, 1)) == 2)
    assert lines["outcome"] == "declined"
    assert lines["last4"] == "0015"
    assert lines["created_at"] == "2024-07-02 12:00:00"
    assert lines["crm_last_error"].startswith("salesforce create Task: HTTP 400")


async def test_payments_show_json_has_exact_amount_and_aware_times(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, out, _ = await cli.run("payments", "show", "p-alice-ok", "--json")
    payment = json.loads(out)
    assert code == 0
    assert (payment["amount"], payment["finished_at"]) == ("49.95", "2024-07-01T16:30:05+00:00")


async def test_payments_show_of_an_unknown_payment_exits_1(cli: Cli) -> None:
    code, out, err = await cli.run("payments", "show", "p-nope")
    assert (code, out) == (1, "")
    assert "no payment p-nope" in err


async def test_crm_pending_lists_activities_not_posted(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, out, _ = await cli.run("crm", "pending")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["PAYMENT", "RECORD", "STATE", "ATTEMPTS"]
    (row,) = rows
    assert row.split()[:4] == ["p-alice-no", "001Ax00000AbCdEfGH", "failed", "1"]
    assert "INVALID_CROSS_REFERENCE_KEY" in row


async def test_crm_retry_queues_a_failed_activity_again(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, out, _ = await cli.run("crm", "retry", "p-alice-no")
    assert code == 0
    assert "p-alice-no" in out
    item = await cli.ledger.outbox_item("p-alice-no")
    assert item is not None and item.state is CrmState.PENDING
    assert await cli.ledger.outbox_due(datetime.now(UTC)) == [item]


async def test_crm_retry_of_a_posted_activity_is_refused(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, _, err = await cli.run("crm", "retry", "p-alice-ok")
    assert code == 1
    assert "already posted" in err


async def test_crm_retry_of_a_payment_without_activity_says_why(cli: Cli) -> None:
    await _seed(cli.ledger)
    code, _, err = await cli.run("crm", "retry", "p-bob-cancel")
    assert code == 1
    assert "has no CRM activity" in err


async def test_commands_without_a_ledger_file_say_where_they_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "securepay.toml"
    config.write_text(f'[ledger]\npath = "{tmp_path / "missing.sqlite3"}"\n')
    assert main(["payments", "list", "--config", str(config)]) == 1
    assert "no ledger at" in capsys.readouterr().err
    assert not (tmp_path / "missing.sqlite3").exists()


def test_existing_commands_still_parse(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "check"):
        with pytest.raises(SystemExit) as leaving:
            main([command, "--help"])
        assert leaving.value.code == 0
    assert "--config" in capsys.readouterr().out


async def test_a_ledger_from_a_newer_securepay_is_reported_not_crashed_on(cli: Cli) -> None:
    with sqlite3.connect(cli.ledger.path) as conn:
        conn.execute("UPDATE schema_version SET version = version + 1")
    code, _, err = await cli.run("payments", "list")
    assert code == 1
    assert "cannot open the ledger" in err and "newer" in err
