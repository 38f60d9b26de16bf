"""Opening the ledger: WAL mode, the schema migrated once, a newer schema refused."""

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from securepay.ledger import Ledger, LedgerError
from securepay.ledger.schema import VERSION
from tests.unit.ledger.factories import make_payment


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])


def test_an_empty_file_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.touch()
    Ledger.open(path).close()
    assert _version(path) == VERSION
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "payments", "crm_outbox"} <= tables


async def test_reopening_migrates_nothing_and_keeps_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = Ledger.open(path)
    await first.payment_finished(make_payment(record=None), None)
    first.close()
    second = Ledger.open(path)
    assert await second.get("p-00000000000000a1") is not None
    second.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    assert _version(path) == VERSION


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (VERSION + 1,))
    with pytest.raises(LedgerError, match="newer"):
        Ledger.open(path)


def test_the_ledger_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger.open(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_ledger_file_and_directory_are_not_world_readable(tmp_path: Path) -> None:
    path = tmp_path / "var" / "securepay" / "ledger.sqlite3"
    old_umask = os.umask(0o022)
    try:
        Ledger.open(path).close()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o007 == 0
