"""Payment events, built in one place so every event carries the same envelope.

Each event has the schema version, the payment, call and agent it belongs to, a
per-payment sequence number (so a panel can order and de-duplicate) and a
timezone-aware timestamp. It goes out on the agent's channel and the payment's.
Card data never reaches here: at most brand and last 4.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from datetime import UTC, datetime
from typing import Any

from securepay.calls.registry import Call
from securepay.events.bus import EventBus, SharedState
from securepay.payments.model import Payment

log = logging.getLogger("securepay.events")

SCHEMA = "securepay.event/2"
"""Version 2 (events-v2.schema.json) adds payment.entry and mode; see the README's Events."""
STATE_TTL_S = 12 * 3600
STATELESS_KINDS = frozenset({"payment.entry"})
"""Events sent without the agent's shared state: a keystroke's event carries its field
whole, so a panel that started from an older state is right again at the next key, and
the step event that ends the field shares the state with it (bench/NOTES.md row 16)."""
SETTLED_SEQ = 1_000_000
"""The seq of a result published after a restart: the run that published the payment's
earlier events is gone with its counter, and no flow publishes this many events."""


def agent_channel(agent_id: str) -> str:
    return f"securepay:agent:{agent_id}"


def payment_channel(payment_id: str) -> str:
    return f"securepay:payment:{payment_id}"


def agent_state_key(agent_id: str) -> str:
    return f"securepay:state:agent:{agent_id}"


def agent_state(call: Call | None, payment: Payment | None) -> dict[str, Any]:
    return {"call": call.view() if call else None, "payment": payment.snapshot() if payment else None}


async def share_agent_state(bus: EventBus, agent_id: str, call: Call | None, payment: Payment | None) -> None:
    """Keep the agent's current call and payment where every daemon can read them.

    The daemon holding a call is the only one that knows it; a panel connected to another
    daemon (several behind one address, sharing Redis) starts from this instead.
    """
    try:
        await bus.remember(agent_state_key(agent_id), agent_state(call, payment), STATE_TTL_S)
    except Exception as exc:  # a panel elsewhere starts emptier; the payment goes on
        log.warning("could not share agent %s's state (%s)", agent_id, type(exc).__name__)


class PaymentEvents:
    """Publishes one payment's events in order, sharing the payment's state with each."""

    def __init__(self, bus: EventBus, payment: Payment, call: Call | None = None) -> None:
        self._bus = bus
        self._payment = payment
        self._call = call
        self._seq = itertools.count(1)
        self._sent: asyncio.Future[None] | None = None
        self._shared = SharedState(agent_state_key(payment.agent_id), self._state, STATE_TTL_S)

    async def publish(self, kind: str, **fields: Any) -> None:
        """Send the event once every event before it has gone out."""
        self.publish_soon(kind, **fields)
        await self.flush()

    def publish_soon(self, kind: str, **fields: Any) -> None:
        """Queue the event behind those still going out, and return at once.

        A step event must not hold up the caller's next prompt by its Redis round trip:
        the runner plays first, the panel follows. The event keeps its place in the order
        and its timestamp. It goes out with the agent's shared state, built when sent
        (but for STATELESS_KINDS).
        """
        payment = self._payment
        event = _event(payment, kind, next(self._seq), fields)
        channels = (agent_channel(payment.agent_id), payment_channel(payment.id))
        shared = None if kind in STATELESS_KINDS else self._shared
        self._sent = self._bus.publish_soon(channels, event, shared)
        self._sent.add_done_callback(functools.partial(_report_failure, kind))

    async def flush(self) -> None:
        """Wait until every queued event has gone out (or failed: that is logged)."""
        if self._sent is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._sent)

    def _state(self) -> dict[str, Any]:
        return agent_state(self._call, self._payment)

    def cancelled(self, by: str) -> None:
        """The payment was cancelled ("agent" from the panel, "caller" with *); its result follows.

        A panel can stop showing the steps at once, before the caller has been returned
        (queued like a step event: the caller's goodbye never waits for Redis).
        """
        self.publish_soon("payment.cancelled", by=by)


async def publish_settled_result(bus: EventBus, payment: Payment) -> None:
    """The result of a payment a previous run left unfinished, once settled from the ledger,
    so the agent's panel ends with the outcome instead of a step that never completes.

    The agent's shared state is left alone: it belongs to the call, which the new run adopts.
    """
    assert payment.outcome is not None
    fields = {
        "outcome": payment.outcome.value,
        "reason": payment.reason,
        "transaction_id": payment.transaction_id,
        "amount": f"{payment.request.amount:.2f}",
        "currency": payment.request.currency,
        "brand": payment.brand,
        "last4": payment.last4,
    }
    await _send(bus, _event(payment, "payment.result", SETTLED_SEQ, fields))


def _report_failure(kind: str, sent: asyncio.Future[None]) -> None:
    """The caller's payment must not fail because a panel is unreachable: a warning only
    (the bus sends it again once Redis answers)."""
    if not sent.cancelled() and (exc := sent.exception()) is not None:
        log.warning("could not publish %s yet (%s)", kind, type(exc).__name__)


def _event(payment: Payment, kind: str, seq: int, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "type": kind,
        "payment_id": payment.id,
        "call_id": payment.call_id,
        "agent_id": payment.agent_id,
        "seq": seq,
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        **fields,
    }


async def _send(bus: EventBus, event: dict[str, Any]) -> None:
    try:
        for channel in (agent_channel(event["agent_id"]), payment_channel(event["payment_id"])):
            await bus.publish(channel, event)
    except Exception as exc:  # the caller's payment must not fail because a panel is unreachable
        log.warning("could not publish %s (%s)", event["type"], type(exc).__name__)
