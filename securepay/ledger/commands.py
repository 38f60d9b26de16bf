"""``securepay payments list | show``: the ledger, read by an operator.

Times are shown in ``crm.timezone`` (the zone the CRM activity uses), and bare dates
given to ``--since``/``--until`` are days in that zone; ``--until`` includes its day.
``--json`` prints exact amounts as text and times in ISO 8601 with their offset.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from securepay.config import Settings
from securepay.flow import Outcome
from securepay.ledger.records import LedgerEntry, LedgerError
from securepay.ledger.store import Ledger

EXIT_NOT_FOUND = 1
DEFAULT_LIMIT = 100
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

AddConfig = Callable[[argparse.ArgumentParser], None]


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], add_config: AddConfig) -> None:
    payments = sub.add_parser("payments", help="the payment ledger", description="the payment ledger")
    actions = payments.add_subparsers(required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="payments, newest first", description="payments, newest first")
    listing.add_argument("--agent", help="agent id or name")
    listing.add_argument("--outcome", choices=[outcome.value for outcome in Outcome], metavar="OUTCOME")
    listing.add_argument("--since", type=_moment, help="from this date or time (YYYY-MM-DD[THH:MM])")
    listing.add_argument("--until", type=_moment, help="up to and including this date, or before this time")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"at most N rows ({DEFAULT_LIMIT})")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_config(listing)
    listing.set_defaults(handler=list_payments, pass_args=True)

    show = actions.add_parser("show", help="one payment in full", description="one payment in full")
    show.add_argument("payment_id")
    show.add_argument("--json", action="store_true", help="a JSON object instead of lines")
    add_config(show)
    show.set_defaults(handler=show_payment, pass_args=True)


def open_ledger(settings: Settings) -> Ledger | None:
    """The daemon's ledger, or None (with a message) when there is none yet: the CLI never creates it."""
    path = settings.ledger.path
    if not path.exists():
        print(f"securepay: no ledger at {path} (the daemon creates it; see [ledger] path)", file=sys.stderr)
        return None
    try:
        return Ledger.open(path)
    except (OSError, sqlite3.Error, LedgerError) as exc:
        print(f"securepay: cannot open the ledger at {path}: {exc}", file=sys.stderr)
        return None


def list_payments(settings: Settings, args: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    if ledger is None:
        return EXIT_NOT_FOUND
    zone = ZoneInfo(settings.crm.timezone)
    try:
        entries = asyncio.run(
            ledger.list_payments(
                agent=args.agent,
                outcome=args.outcome,
                since=_start(args.since, zone),
                until=_end(args.until, zone),
                limit=args.limit,
            )
        )
    finally:
        ledger.close()
    if args.json:
        for entry in entries:
            print(json.dumps(entry.to_dict(), ensure_ascii=False))
        return 0
    print(
        render_table(
            ("CREATED", "PAYMENT", "AGENT", "PRODUCT", "AMOUNT", "OUTCOME", "TRANSACTION", "CARD", "CRM"),
            [_row(entry, zone) for entry in entries],
        )
    )
    return 0


def show_payment(settings: Settings, args: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    if ledger is None:
        return EXIT_NOT_FOUND
    try:
        entry = asyncio.run(ledger.get(args.payment_id))
    finally:
        ledger.close()
    if entry is None:
        print(f"securepay: no payment {args.payment_id} in the ledger", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.json:
        print(json.dumps(entry.to_dict(), ensure_ascii=False, indent=2))
        return 0
    zone = ZoneInfo(settings.crm.timezone)
    fields = entry.to_dict()
    fields["created_at"] = _local(entry.created_at, zone)
    fields["finished_at"] = _local(entry.finished_at, zone) if entry.finished_at else None
    width = max(len(key) for key in fields)
    for key, value in fields.items():
        print(f"{key:<{width}}  {'' if value is None else value}")
    return 0


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(header), *(len(row[index]) for row in rows)]) for index, header in enumerate(headers)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *rows)
    ]
    return "\n".join(lines)


def _row(entry: LedgerEntry, zone: ZoneInfo) -> tuple[str, ...]:
    card = f"{entry.brand or ''} {entry.last4 or ''}".strip()
    return (
        _local(entry.created_at, zone),
        entry.id,
        entry.agent_name,
        entry.product_name,
        f"{entry.amount:.2f} {entry.currency}",
        entry.outcome or "running",
        entry.transaction_id or "",
        card,
        entry.crm_state.value,
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(TIME_FORMAT)


def _moment(text: str) -> date | datetime:
    """A date (a whole day) or a date and time, as typed on the command line."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]") from None


def _start(moment: date | datetime | None, zone: ZoneInfo) -> datetime | None:
    """The first instant included: midnight of a bare date, else the time (in ``zone`` if naive)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), zone)
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=zone)


def _end(moment: date | datetime | None, zone: ZoneInfo) -> datetime | None:
    """The first instant excluded: the midnight after a bare date, else the time itself."""
    if moment is not None and not isinstance(moment, datetime):
        return datetime.combine(moment + timedelta(days=1), time(), zone)
    return _start(moment, zone)
