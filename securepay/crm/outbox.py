"""Delivers the ledger's CRM outbox: retries with backoff, survives restarts, posts each activity once.

The outbox lives in the ledger, so a pending activity is simply picked up again when the
daemon starts. Activities go out one at a time; a failure is either retried after a
capped exponential backoff with jitter (no answer, 408, 429, 5xx; a ``Retry-After`` is
honoured up to the cap) or, when the CRM says the request itself is wrong (any other
4xx) or the retry window has run out, marked ``failed`` for a person: ``securepay crm
pending`` lists those and ``securepay crm retry <payment id>`` queues one again.

Exactly once rests on the connectors: a redelivery after a lost answer (or a crash
between posting and recording it) carries the webhook's idempotency key, or finds the
Salesforce Task or HubSpot Note it created before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from securepay.config import CrmConfig
from securepay.crm.connector import Connector, DeliveryError
from securepay.ledger import Ledger, OutboxItem

log = logging.getLogger("securepay.crm")

POSTED = "posted"
FAILED = "failed"

DeliveryCallback = Callable[[str, str, str], Awaitable[None]]
"""``on_delivery(payment_id, status, detail)``: status is "posted" (detail: the CRM's id for
the activity, or "") or "failed" (detail: why; the activity now waits for a person)."""

_MAX_EXPONENT = 30


def retry_delay(attempts: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds before the next try after ``attempts`` failed ones: doubling, capped, upper-half jitter."""
    ceiling = min(cap_s, base_s * 2.0 ** min(max(attempts - 1, 0), _MAX_EXPONENT))
    return rng.uniform(ceiling / 2, ceiling)


class CrmOutbox:
    """Run ``run()`` as a task for the daemon's lifetime; ``await stop()`` ends it."""

    def __init__(
        self,
        ledger: Ledger,
        connector: Connector,
        *,
        retry_base_s: float = 2.0,
        retry_max_s: float = 300.0,
        give_up_after_s: float = 24 * 3600.0,
        poll_s: float = 5.0,
        batch: int = 20,
        on_delivery: DeliveryCallback | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._ledger = ledger
        self._connector = connector
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        self._give_up_after = timedelta(seconds=give_up_after_s)
        self._poll_s = poll_s
        self._batch = batch
        self._on_delivery = on_delivery
        self._rng = rng or random.Random()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_config(
        cls,
        ledger: Ledger,
        connector: Connector,
        config: CrmConfig,
        *,
        on_delivery: DeliveryCallback | None = None,
    ) -> CrmOutbox:
        return cls(
            ledger,
            connector,
            retry_base_s=config.retry_base_s,
            retry_max_s=config.retry_max_s,
            give_up_after_s=config.give_up_after_h * 3600.0,
            on_delivery=on_delivery,
        )

    def wake(self) -> None:
        """Look at the outbox now (the ledger calls this when an activity is queued)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver due activities until ``stop()``; pending ones from before a restart come first."""
        self._task = asyncio.current_task()
        self._ledger.add_outbox_listener(self.wake)
        log.info("CRM outbox started (%s)", self._connector.kind)
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    await self.deliver_due()
                except Exception:  # the ledger failing must not end deliveries for good
                    log.error("CRM outbox pass failed; trying again", exc_info=True)
                await self._sleep()
        finally:
            self._ledger.remove_outbox_listener(self.wake)
            log.info("CRM outbox stopped")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let a delivery in flight finish (up to ``grace_s``), then end ``run()``.

        An interrupted delivery stays pending and is retried, once, on the next start.
        """
        self._stopping = True
        self._wake.set()
        task = self._task
        if task is None or task.done():
            return
        done, _ = await asyncio.wait({task}, timeout=grace_s)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def deliver_due(self) -> int:
        """Deliver every activity due now; returns how many were tried."""
        tried = 0
        while not self._stopping:
            items = await self._ledger.outbox_due(self._clock(), self._batch)
            for item in items:
                if self._stopping:
                    break
                await self._deliver(item)
                tried += 1
            if len(items) < self._batch:
                break
        return tried

    async def _sleep(self) -> None:
        timeout = self._poll_s
        due = await self._ledger.outbox_next_due()
        if due is not None:
            timeout = min(timeout, max((due - self._clock()).total_seconds(), 0.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, item: OutboxItem) -> None:
        payment_id = item.payment_id
        try:
            remote_id = await self._connector.deliver(item.activity)
        except DeliveryError as exc:
            await self._failed_attempt(item, str(exc), exc.permanent, exc.retry_after_s)
        except Exception as exc:  # a connector bug: keep the activity, try again later
            log.error("CRM delivery of payment %s raised %s", payment_id, type(exc).__name__, exc_info=True)
            await self._failed_attempt(item, f"internal error ({type(exc).__name__})", False, None)
        else:
            await self._ledger.crm_posted(payment_id, remote_id)
            log.info("CRM activity of payment %s posted (attempt %d)", payment_id, item.attempts + 1)
            await self._notify(payment_id, POSTED, remote_id)

    async def _failed_attempt(
        self, item: OutboxItem, error: str, permanent: bool, retry_after_s: float | None
    ) -> None:
        payment_id, attempts = item.payment_id, item.attempts + 1
        now = self._clock()
        if not permanent and now - item.retrying_since >= self._give_up_after:
            error = f"gave up after {attempts} attempts: {error}"
            permanent = True
        if permanent:
            await self._ledger.crm_failed(payment_id, error)
            log.error("CRM activity of payment %s failed, needs attention: %s", payment_id, error)
            await self._notify(payment_id, FAILED, error)
            return
        delay = retry_delay(attempts, self._retry_base_s, self._retry_max_s, self._rng)
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self._retry_max_s))
        await self._ledger.crm_retry_later(payment_id, error, now + timedelta(seconds=delay))
        log.warning(
            "CRM activity of payment %s not delivered (attempt %d): %s; retrying in %.1fs",
            payment_id,
            attempts,
            error,
            delay,
        )

    async def _notify(self, payment_id: str, status: str, detail: str) -> None:
        if self._on_delivery is None:
            return
        try:
            await self._on_delivery(payment_id, status, detail)
        except Exception:  # the panel's event must not undo or repeat a delivery
            log.warning("payment.crm hook failed for payment %s", payment_id, exc_info=True)
