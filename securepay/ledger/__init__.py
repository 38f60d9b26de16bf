"""The payment ledger (SQLite): every payment attempt and its CRM outbox, never card data."""

from securepay.ledger.records import CrmState, LedgerEntry, LedgerError, OutboxItem
from securepay.ledger.store import Ledger

__all__ = ["CrmState", "Ledger", "LedgerEntry", "LedgerError", "OutboxItem"]
