"""A fresh ledger file per test."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from securepay.ledger import Ledger


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger" / "ledger.sqlite3"


@pytest.fixture
async def ledger(ledger_path: Path) -> AsyncIterator[Ledger]:
    opened = Ledger.open(ledger_path)
    yield opened
    opened.close()
