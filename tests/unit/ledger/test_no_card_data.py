"""The ledger file never holds a card number, and the last 4 only where it belongs."""

import sqlite3
from pathlib import Path

import pytest

from securepay.flow import Outcome
from securepay.ledger import Ledger
from tests.unit.ledger.factories import ledger_files, make_activity, make_payment

TEST_CARDS = {
    "visa": "4111111111111111",
    "mastercard": "5424000000000015",
    "amex": "370000000000002",
    "discover": "6011000000000012",
}


async def _write_payments_for_the_test_cards(ledger: Ledger) -> None:
    for index, (brand, pan) in enumerate(TEST_CARDS.items()):
        outcome = Outcome.SUCCESS if index % 2 == 0 else Outcome.DECLINED
        payment = make_payment(
            f"p-card-{brand}",
            outcome=outcome,
            brand=brand,
            last4=pan[-4:],
            item=f"Order (card {pan} pasted by mistake)",
            reason=f"declined for {' '.join(pan[i : i + 4] for i in range(0, len(pan), 4))}",
            transaction_id=f"txn-{brand}",
            invoice_number=f"INV-{brand}",
            record="001Ax00000AbCdEfGH",
        )
        await ledger.payment_started(payment, "Alice Smith")
        await ledger.payment_finished(payment, make_activity(payment))


async def test_ledger_files_hold_no_digits_of_the_test_cards(ledger: Ledger, ledger_path: Path) -> None:
    await _write_payments_for_the_test_cards(ledger)
    raw = ledger_files(ledger_path)
    assert raw, "the ledger files are empty"
    for pan in TEST_CARDS.values():
        assert pan.encode() not in raw
        assert " ".join(pan[i : i + 4] for i in range(0, len(pan), 4)).encode() not in raw
        assert pan[:6].encode() not in raw, "the BIN is card data too"


@pytest.mark.parametrize("table", ["payments", "crm_outbox"])
async def test_last4_appears_only_in_the_last4_column(ledger: Ledger, ledger_path: Path, table: str) -> None:
    await _write_payments_for_the_test_cards(ledger)
    last4s = {pan[-4:] for pan in TEST_CARDS.values()}
    with sqlite3.connect(ledger_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
    assert rows
    for row in rows:
        for column in row.keys():  # noqa: SIM118 (sqlite3.Row is not a mapping)
            if column == "last4":
                continue
            found = {digits for digits in last4s if digits in str(row[column])}
            assert not found, f"{table}.{column} holds {found}"
