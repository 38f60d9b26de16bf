"""``securepay crm pending | retry``: the CRM activities not posted yet, and a way to resend one.

``retry`` only queues the activity in the ledger; the running daemon's outbox picks it
up within its poll interval (a few seconds) and delivers it exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from zoneinfo import ZoneInfo

from securepay.config import Settings
from securepay.ledger.commands import EXIT_NOT_FOUND, AddConfig, open_ledger, render_table
from securepay.ledger.records import CrmState, LedgerError

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], add_config: AddConfig) -> None:
    crm = sub.add_parser("crm", help="CRM activity delivery", description="CRM activity delivery")
    actions = crm.add_subparsers(required=True, metavar="ACTION")

    pending = actions.add_parser(
        "pending",
        help="activities not posted yet (retrying, or failed and waiting for you)",
        description="activities not posted yet (retrying, or failed and waiting for you)",
    )
    pending.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_config(pending)
    pending.set_defaults(handler=list_pending, pass_args=True)

    retry = actions.add_parser(
        "retry",
        help="deliver a payment's activity again now",
        description="deliver a payment's activity again now",
    )
    retry.add_argument("payment_id")
    add_config(retry)
    retry.set_defaults(handler=retry_delivery, pass_args=True)


def list_pending(settings: Settings, args: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    if ledger is None:
        return EXIT_NOT_FOUND
    try:
        items = asyncio.run(ledger.crm_unposted())
    finally:
        ledger.close()
    if args.json:
        for item in items:
            print(json.dumps(item.to_dict(), ensure_ascii=False))
        return 0
    zone = ZoneInfo(settings.crm.timezone)
    rows = [
        (
            item.payment_id,
            item.activity.record_id,
            item.state.value,
            str(item.attempts),
            item.next_attempt_at.astimezone(zone).strftime(TIME_FORMAT)
            if item.state is CrmState.PENDING
            else "",
            item.last_error or "",
        )
        for item in items
    ]
    print(render_table(("PAYMENT", "RECORD", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"), rows))
    return 0


def retry_delivery(settings: Settings, args: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    if ledger is None:
        return EXIT_NOT_FOUND
    try:
        item = asyncio.run(ledger.crm_retry(args.payment_id))
    except LedgerError as exc:
        print(f"securepay: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        ledger.close()
    print(f"queued: the CRM activity of payment {item.payment_id} for record {item.activity.record_id}")
    return 0
