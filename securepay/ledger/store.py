"""The payment ledger: one SQLite row per payment attempt, with the CRM outbox beside it.

SQLite because the ledger must outlive the daemon and need nothing else running: WAL
mode lets the CLI read while the daemon writes, ``synchronous = FULL`` makes a commit
survive a power cut, and the schema is migrated on open. A payment's result and its
CRM activity are committed in one transaction, so an activity can be neither lost nor
posted for a payment the ledger does not know.

All SQLite work of one ``Ledger`` runs on one dedicated thread: the event loop never
waits on the disk, and statements are serialized without a lock.

Never any card data: the payment record holds at most brand and last 4, the last 4 is
written only if it is exactly four digits, and free text (product name, reason) is
scrubbed of anything that looks like a card number before it is stored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from securepay.crm.activity import CrmActivity
from securepay.crm.scrub import scrub_card_numbers
from securepay.ledger.records import CrmState, LedgerEntry, LedgerError, OutboxItem
from securepay.ledger.schema import migrate
from securepay.payments.model import Payment

log = logging.getLogger("securepay.ledger")

BUSY_TIMEOUT_S = 5.0
_LAST4 = re.compile(r"^[0-9]{4}$")
_BRAND = re.compile(r"^[a-z][a-z0-9 _-]{0,19}$")
_T = TypeVar("_T")

_ENTRY_QUERY = """
    SELECT p.*, o.attempts AS crm_attempts, o.last_error AS crm_last_error, o.remote_id AS crm_remote_id
    FROM payments p LEFT JOIN crm_outbox o ON o.payment_id = p.id
"""


def timestamp(moment: datetime) -> str:
    """The stored form of a time: UTC, ISO 8601, fixed width (text order is time order)."""
    if moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Ledger:
    """Open with ``Ledger.open(path)``; ``close()`` when done. Methods are safe to await from the loop."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.path = path
        self._conn = conn
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def open(cls, path: Path | str) -> Ledger:
        """Create (mode 0640, directory 0750) or open the file, switch to WAL, migrate the schema."""
        path = Path(path)
        if not path.exists():
            path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o640))
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise LedgerError(f"{path}: SQLite refused WAL mode (journal mode is {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        """Wait for statements in flight, then close the file."""
        self._executor.submit(self._conn.close).result()
        self._executor.shutdown()

    def add_outbox_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` is called (on the loop) after an activity is queued or re-queued."""
        self._listeners.append(listener)

    def remove_outbox_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # Payments.

    async def payment_started(self, payment: Payment, agent_name: str) -> None:
        """Record the attempt as it begins, so a crash mid-payment still leaves its row."""
        await self._call(self._insert_started, payment, agent_name)

    async def payment_finished(self, payment: Payment, activity: CrmActivity | None) -> None:
        """Record the result and queue ``activity`` (if any) for the CRM, in one transaction."""
        if payment.outcome is None or payment.finished_at is None:
            raise ValueError(f"payment {payment.id} has not finished")
        if activity is not None and activity.payment_id != payment.id:
            raise ValueError(f"the activity is for payment {activity.payment_id}, not {payment.id}")
        await self._call(self._write_finished, payment, activity)
        if activity is not None:
            self._notify()

    async def charge_submitted(self, payment: Payment) -> None:
        """Record the invoice number before the gateway is asked, so a crash during the
        charge leaves what is needed to find out whether the card was charged.

        Raises (LedgerError, sqlite3.Error) when the payment has no row or the write fails:
        the card must then not be charged."""
        await self._call(self._set_invoice, payment.id, payment.invoice_number)

    async def unfinished(self) -> list[LedgerEntry]:
        """Attempts a previous run started and never finished (it crashed or was killed)."""
        rows = await self._call(self._query, f"{_ENTRY_QUERY} WHERE p.finished_at IS NULL", ())
        return [_entry(row) for row in rows]

    async def writable(self) -> bool:
        """Whether a write transaction can start now (for /healthz): disk full, locked, read-only."""
        await self._call(self._try_write)
        return True

    async def get(self, payment_id: str) -> LedgerEntry | None:
        rows = await self._call(self._query, f"{_ENTRY_QUERY} WHERE p.id = ?", (payment_id,))
        return _entry(rows[0]) if rows else None

    async def list_payments(
        self,
        *,
        agent: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        """Newest first. ``agent`` matches the agent id or name; ``since`` <= created_at < ``until``."""
        where: list[str] = []
        params: list[Any] = []
        if agent is not None:
            where.append("(p.agent_id = ? OR p.agent_name = ?)")
            params += [agent, agent]
        if outcome is not None:
            where.append("p.outcome = ?")
            params.append(outcome)
        if since is not None:
            where.append("p.created_at >= ?")
            params.append(timestamp(since))
        if until is not None:
            where.append("p.created_at < ?")
            params.append(timestamp(until))
        sql = (
            _ENTRY_QUERY + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.created_at DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = await self._call(self._query, sql, tuple(params))
        return [_entry(row) for row in rows]

    # The CRM outbox.

    async def outbox_due(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        """Pending activities whose next attempt is due, the longest-waiting first."""
        rows = await self._call(
            self._query,
            "SELECT * FROM crm_outbox WHERE state = ? AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at LIMIT ?",
            (CrmState.PENDING.value, timestamp(now), limit),
        )
        return [_outbox_item(row) for row in rows]

    async def outbox_next_due(self) -> datetime | None:
        rows = await self._call(
            self._query,
            "SELECT MIN(next_attempt_at) AS due FROM crm_outbox WHERE state = ?",
            (CrmState.PENDING.value,),
        )
        due = rows[0]["due"]
        return datetime.fromisoformat(due) if due else None

    async def outbox_item(self, payment_id: str) -> OutboxItem | None:
        rows = await self._call(self._query, "SELECT * FROM crm_outbox WHERE payment_id = ?", (payment_id,))
        return _outbox_item(rows[0]) if rows else None

    async def crm_unposted(self) -> list[OutboxItem]:
        """Activities not posted yet: pending (being retried) and failed (needing a person)."""
        rows = await self._call(
            self._query,
            "SELECT * FROM crm_outbox WHERE state IN (?, ?) ORDER BY created_at",
            (CrmState.PENDING.value, CrmState.FAILED.value),
        )
        return [_outbox_item(row) for row in rows]

    async def crm_posted(self, payment_id: str, remote_id: str) -> None:
        await self._call(
            self._set_outbox_state,
            payment_id,
            CrmState.POSTED,
            "remote_id = ?, last_error = NULL",
            (remote_id,),
        )

    async def crm_retry_later(self, payment_id: str, error: str, next_attempt_at: datetime) -> None:
        await self._call(
            self._set_outbox_state,
            payment_id,
            CrmState.PENDING,
            "last_error = ?, next_attempt_at = ?",
            (error, timestamp(next_attempt_at)),
        )

    async def crm_failed(self, payment_id: str, error: str) -> None:
        """Stop retrying: the activity waits for ``securepay crm retry``."""
        await self._call(self._set_outbox_state, payment_id, CrmState.FAILED, "last_error = ?", (error,))

    async def crm_retry(self, payment_id: str, now: datetime | None = None) -> OutboxItem:
        """Queue an unposted activity for delivery now, with a fresh retry window."""
        moment = timestamp(now or datetime.now(UTC))
        item = await self._call(self._requeue, payment_id, moment)
        self._notify()
        return item

    # On the ledger thread.

    async def _call(self, func: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, partial(func, *args))

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    def _insert_started(self, payment: Payment, agent_name: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                """
                INSERT INTO payments (id, call_id, agent_id, agent_name, product_name, amount, currency,
                                      crm_record_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """,
                (
                    payment.id,
                    payment.call_id,
                    payment.agent_id,
                    agent_name,
                    scrub_card_numbers(payment.request.item),
                    _amount(payment.request.amount),
                    payment.request.currency,
                    payment.request.crm_record_id,
                    timestamp(payment.created_at),
                ),
            )

    def _try_write(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute("ROLLBACK")

    def _set_invoice(self, payment_id: str, invoice_number: str | None) -> None:
        with self._transaction() as conn:
            updated = conn.execute(
                "UPDATE payments SET invoice_number = ? WHERE id = ?", (invoice_number, payment_id)
            ).rowcount
            if not updated:
                raise LedgerError(f"no payment {payment_id} in the ledger")

    def _write_finished(self, payment: Payment, activity: CrmActivity | None) -> None:
        assert payment.outcome is not None and payment.finished_at is not None
        state = CrmState.PENDING if activity is not None else CrmState.NONE
        now = timestamp(datetime.now(UTC))
        with self._transaction() as conn:
            conn.execute(
                """
                INSERT INTO payments (id, call_id, agent_id, agent_name, product_name, amount, currency,
                                      crm_record_id, created_at, outcome, reason, transaction_id,
                                      invoice_number, brand, last4, finished_at, crm_state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    outcome = excluded.outcome, reason = excluded.reason,
                    transaction_id = excluded.transaction_id, invoice_number = excluded.invoice_number,
                    brand = excluded.brand, last4 = excluded.last4, finished_at = excluded.finished_at,
                    crm_state = CASE WHEN payments.crm_state = 'none' THEN excluded.crm_state
                                     ELSE payments.crm_state END
                """,
                (
                    payment.id,
                    payment.call_id,
                    payment.agent_id,
                    activity.agent_name if activity is not None else payment.agent_id,
                    scrub_card_numbers(payment.request.item),
                    _amount(payment.request.amount),
                    payment.request.currency,
                    payment.request.crm_record_id,
                    timestamp(payment.created_at),
                    payment.outcome.value,
                    scrub_card_numbers(payment.reason) if payment.reason else None,
                    payment.transaction_id,
                    payment.invoice_number,
                    _brand(payment),
                    _last4(payment),
                    timestamp(payment.finished_at),
                    state.value,
                ),
            )
            if activity is not None:
                conn.execute(
                    """
                    INSERT INTO crm_outbox (payment_id, activity, state, next_attempt_at, retrying_since,
                                            created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (payment_id) DO NOTHING
                    """,
                    (payment.id, activity.to_json(), CrmState.PENDING.value, now, now, now, now),
                )

    def _set_outbox_state(
        self, payment_id: str, state: CrmState, assignments: str, params: tuple[Any, ...]
    ) -> None:
        now = timestamp(datetime.now(UTC))
        with self._transaction() as conn:
            updated = conn.execute(
                f"UPDATE crm_outbox SET state = ?, attempts = attempts + 1, updated_at = ?, {assignments} "
                "WHERE payment_id = ?",
                (state.value, now, *params, payment_id),
            ).rowcount
            if not updated:
                raise LedgerError(f"no CRM activity for payment {payment_id}")
            conn.execute("UPDATE payments SET crm_state = ? WHERE id = ?", (state.value, payment_id))

    def _requeue(self, payment_id: str, now: str) -> OutboxItem:
        with self._transaction() as conn:
            row = conn.execute("SELECT state FROM crm_outbox WHERE payment_id = ?", (payment_id,)).fetchone()
            if row is None:
                known = conn.execute("SELECT 1 FROM payments WHERE id = ?", (payment_id,)).fetchone()
                raise LedgerError(
                    f"payment {payment_id} has no CRM activity (no CRM record, or not posted by policy)"
                    if known
                    else f"no payment {payment_id} in the ledger"
                )
            if row["state"] == CrmState.POSTED.value:
                raise LedgerError(f"the CRM activity of payment {payment_id} is already posted")
            conn.execute(
                "UPDATE crm_outbox SET state = ?, next_attempt_at = ?, retrying_since = ?, updated_at = ? "
                "WHERE payment_id = ?",
                (CrmState.PENDING.value, now, now, now, payment_id),
            )
            conn.execute(
                "UPDATE payments SET crm_state = ? WHERE id = ?", (CrmState.PENDING.value, payment_id)
            )
            updated = conn.execute("SELECT * FROM crm_outbox WHERE payment_id = ?", (payment_id,)).fetchone()
        return _outbox_item(updated)


def _amount(amount: Decimal) -> str:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError("amount must be a finite Decimal")
    return str(amount)


def _last4(payment: Payment) -> str | None:
    if payment.last4 is None or _LAST4.match(payment.last4):
        return payment.last4
    log.warning("payment %s: last4 is not four digits; not stored", payment.id)
    return None


def _brand(payment: Payment) -> str | None:
    if payment.brand is None or _BRAND.match(payment.brand):
        return payment.brand
    log.warning("payment %s: brand is not a brand name; not stored", payment.id)
    return None


def _optional_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _entry(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        id=row["id"],
        call_id=row["call_id"],
        agent_id=row["agent_id"],
        agent_name=row["agent_name"],
        product_name=row["product_name"],
        amount=Decimal(row["amount"]),
        currency=row["currency"],
        crm_record_id=row["crm_record_id"],
        outcome=row["outcome"],
        reason=row["reason"],
        transaction_id=row["transaction_id"],
        invoice_number=row["invoice_number"],
        brand=row["brand"],
        last4=row["last4"],
        created_at=datetime.fromisoformat(row["created_at"]),
        finished_at=_optional_time(row["finished_at"]),
        crm_state=CrmState(row["crm_state"]),
        crm_attempts=row["crm_attempts"] or 0,
        crm_last_error=row["crm_last_error"],
        crm_remote_id=row["crm_remote_id"],
    )


def _outbox_item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        activity=CrmActivity.from_json(row["activity"]),
        state=CrmState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=datetime.fromisoformat(row["next_attempt_at"]),
        retrying_since=datetime.fromisoformat(row["retrying_since"]),
        last_error=row["last_error"],
        remote_id=row["remote_id"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )
