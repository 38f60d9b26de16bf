"""The ledger's schema and its migrations, applied in order inside one transaction.

``schema_version`` holds one row: the number of migrations applied. A daemon that
finds a newer version than it knows refuses to start rather than write rows an older
schema cannot describe. There are no card columns, by construction: ``last4`` is
checked to be four digits and is the only card-derived value besides the brand.
Amounts are TEXT (exact decimal); times are UTC ISO 8601 text of fixed width, so
text order is time order.
"""

from __future__ import annotations

import sqlite3

from securepay.ledger.records import LedgerError

_V1 = (
    """
    CREATE TABLE payments (
        id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        agent_name TEXT NOT NULL,
        product_name TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        crm_record_id TEXT,
        outcome TEXT,
        reason TEXT,
        transaction_id TEXT,
        invoice_number TEXT,
        brand TEXT,
        last4 TEXT CHECK (last4 IS NULL OR (length(last4) = 4 AND last4 NOT GLOB '*[^0-9]*')),
        created_at TEXT NOT NULL,
        finished_at TEXT,
        crm_state TEXT NOT NULL DEFAULT 'none'
    )
    """,
    "CREATE INDEX payments_by_created ON payments (created_at)",
    "CREATE INDEX payments_by_agent ON payments (agent_id, created_at)",
    """
    CREATE TABLE crm_outbox (
        payment_id TEXT PRIMARY KEY REFERENCES payments (id),
        activity TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        retrying_since TEXT NOT NULL,
        last_error TEXT,
        remote_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX crm_outbox_due ON crm_outbox (state, next_attempt_at)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to ``VERSION``; returns it. ``conn`` must be in autocommit mode."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        current = int(row[0]) if row else 0
        if current > VERSION:
            raise LedgerError(
                f"the ledger's schema version {current} is newer than this securepay knows ({VERSION})"
            )
        for statements in MIGRATIONS[current:]:
            for statement in statements:
                conn.execute(statement)
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (VERSION,))
        else:
            conn.execute("UPDATE schema_version SET version = ?", (VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return VERSION
