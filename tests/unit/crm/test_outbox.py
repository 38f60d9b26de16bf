"""The outbox worker: retries, restarts, permanent failures and exactly one activity per payment."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from securepay.crm.outbox import CrmOutbox, retry_delay
from securepay.crm.salesforce import SalesforceConnector
from securepay.crm.webhook import WebhookConnector
from securepay.ledger import CrmState, Ledger
from tests.unit.crm.fakes import SF_CLIENT_ID, SF_CLIENT_SECRET, FakeSalesforce, FakeWebhook, serve
from tests.unit.ledger.factories import WEBHOOK_SECRET, make_activity, make_payment

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05, "poll_s": 0.05}
PAYMENT = "p-00000000000000a1"


@dataclass
class Webhook:
    fake: FakeWebhook
    url: str

    def connector(self) -> WebhookConnector:
        return WebhookConnector(f"{self.url}/hook", SecretStr(WEBHOOK_SECRET), timeout_s=2)


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    fake = FakeWebhook(secret=WEBHOOK_SECRET.encode())
    async with serve(fake.app()) as url:
        yield Webhook(fake, url)


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = Ledger.open(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


async def _finish(ledger: Ledger, payment_id: str = PAYMENT) -> None:
    payment = make_payment(payment_id)
    await ledger.payment_finished(payment, make_activity(payment))


@asynccontextmanager
async def _running(outbox: CrmOutbox) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(outbox.run())
    try:
        yield task
    finally:
        await outbox.stop(grace_s=1)


async def _until(condition: Callable[[], Awaitable[bool]], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def _state_is(ledger: Ledger, state: CrmState, payment_id: str = PAYMENT) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        item = await ledger.outbox_item(payment_id)
        return item is not None and item.state is state

    return check


async def test_crm_down_for_several_attempts_then_up_posts_exactly_one_activity(
    ledger: Ledger, webhook: Webhook
) -> None:
    webhook.fake.fail(503, times=4)
    connector = webhook.connector()
    async with _running(CrmOutbox(ledger, connector, **FAST)):
        await _finish(ledger)
        await _until(_state_is(ledger, CrmState.POSTED))
    await connector.close()
    assert len(webhook.fake.deliveries) == 1
    assert webhook.fake.requests.count("POST /hook") == 5
    entry = await ledger.get(PAYMENT)
    assert entry is not None and (entry.crm_state, entry.crm_attempts) == (CrmState.POSTED, 5)


async def test_a_restarted_worker_delivers_the_pending_outbox(tmp_path: Path, webhook: Webhook) -> None:
    path = tmp_path / "ledger.sqlite3"
    webhook.fake.fail(503, times=1000)  # the CRM is down for the whole first run
    before = Ledger.open(path)
    connector = webhook.connector()
    async with _running(CrmOutbox(before, connector, **FAST)):
        await _finish(before, "p-00000000000000c1")
        await _finish(before, "p-00000000000000c2")

        async def both_tried() -> bool:
            items = await before.crm_unposted()
            return len(items) == 2 and all(item.attempts >= 2 for item in items)

        await _until(both_tried)
    await connector.close()
    before.close()  # the daemon stops with both activities pending

    webhook.fake.fail_next.clear()  # the CRM is back
    after = Ledger.open(path)
    connector = webhook.connector()
    async with _running(CrmOutbox(after, connector, **FAST)):
        await _until(_state_is(after, CrmState.POSTED, "p-00000000000000c1"))
        await _until(_state_is(after, CrmState.POSTED, "p-00000000000000c2"))
    await connector.close()
    after.close()
    assert sorted(webhook.fake.keys) == ["p-00000000000000c1", "p-00000000000000c2"]


async def test_a_4xx_is_marked_failed_and_not_retried(ledger: Ledger, webhook: Webhook) -> None:
    webhook.fake.fail(422)
    connector = webhook.connector()
    async with _running(CrmOutbox(ledger, connector, **FAST)):
        await _finish(ledger)
        await _until(_state_is(ledger, CrmState.FAILED))
        await asyncio.sleep(0.3)  # many backoff periods: nothing more may be sent
    await connector.close()
    assert webhook.fake.requests == ["POST /hook"]
    item = await ledger.outbox_item(PAYMENT)
    assert item is not None and item.last_error is not None and "HTTP 422" in item.last_error
    assert [unposted.payment_id for unposted in await ledger.crm_unposted()] == [PAYMENT]


async def test_rate_limited_delivery_is_retried(ledger: Ledger, webhook: Webhook) -> None:
    webhook.fake.fail(429, times=2, headers={"Retry-After": "0"})
    connector = webhook.connector()
    async with _running(CrmOutbox(ledger, connector, **FAST)):
        await _finish(ledger)
        await _until(_state_is(ledger, CrmState.POSTED))
    await connector.close()
    assert len(webhook.fake.deliveries) == 1


async def test_retry_after_is_honoured_up_to_the_cap(ledger: Ledger, webhook: Webhook) -> None:
    webhook.fake.fail(429, headers={"Retry-After": "3600"})
    connector = webhook.connector()
    now = datetime.now(UTC) + timedelta(seconds=1)
    outbox = CrmOutbox(ledger, connector, retry_base_s=1, retry_max_s=60, clock=lambda: now)
    await _finish(ledger)
    await outbox.deliver_due()
    await connector.close()
    item = await ledger.outbox_item(PAYMENT)
    assert item is not None and item.next_attempt_at == now + timedelta(seconds=60)


async def test_an_answer_lost_after_the_create_does_not_post_twice(ledger: Ledger) -> None:
    fake = FakeSalesforce(lose_next_answer=True)
    async with serve(fake.app()) as url:
        fake.base_url = url
        connector = SalesforceConnector(url, SF_CLIENT_ID, SecretStr(SF_CLIENT_SECRET), "60.0", timeout_s=2)
        async with _running(CrmOutbox(ledger, connector, **FAST)):
            await _finish(ledger)
            await _until(_state_is(ledger, CrmState.POSTED))
        await connector.close()
    (task_id,) = fake.tasks
    entry = await ledger.get(PAYMENT)
    assert entry is not None and entry.crm_remote_id == task_id


async def test_retrying_stops_when_the_window_runs_out(ledger: Ledger, webhook: Webhook) -> None:
    webhook.fake.fail(503, times=10)
    connector = webhook.connector()
    clock = [datetime.now(UTC) + timedelta(seconds=1)]
    outbox = CrmOutbox(
        ledger, connector, retry_base_s=1, retry_max_s=1, give_up_after_s=3600, clock=lambda: clock[0]
    )
    await _finish(ledger)
    await outbox.deliver_due()
    clock[0] += timedelta(hours=2)
    await outbox.deliver_due()
    await connector.close()
    item = await ledger.outbox_item(PAYMENT)
    assert item is not None and item.state is CrmState.FAILED
    assert item.last_error is not None and item.last_error.startswith(
        "gave up after 2 attempts: webhook: HTTP 503"
    )


async def test_a_manual_retry_delivers_a_failed_activity(ledger: Ledger, webhook: Webhook) -> None:
    webhook.fake.fail(400)
    connector = webhook.connector()
    async with _running(CrmOutbox(ledger, connector, **FAST)):
        await _finish(ledger)
        await _until(_state_is(ledger, CrmState.FAILED))
        await ledger.crm_retry(PAYMENT)
        await _until(_state_is(ledger, CrmState.POSTED))
    await connector.close()
    assert webhook.fake.keys == [PAYMENT]


async def test_the_delivery_hook_hears_posted_and_failed(ledger: Ledger, webhook: Webhook) -> None:
    heard: list[tuple[str, str, str]] = []

    async def on_delivery(payment_id: str, status: str, detail: str) -> None:
        heard.append((payment_id, status, detail))

    webhook.fake.answer = {"id": "evt_1"}
    connector = webhook.connector()
    async with _running(CrmOutbox(ledger, connector, on_delivery=on_delivery, **FAST)):
        await _finish(ledger, "p-00000000000000d1")
        await _until(_state_is(ledger, CrmState.POSTED, "p-00000000000000d1"))
        webhook.fake.fail(404)
        await _finish(ledger, "p-00000000000000d2")
        await _until(_state_is(ledger, CrmState.FAILED, "p-00000000000000d2"))
    await connector.close()
    assert heard[0] == ("p-00000000000000d1", "posted", "evt_1")
    assert heard[1][:2] == ("p-00000000000000d2", "failed")
    assert "HTTP 404" in heard[1][2]


async def test_a_failing_delivery_hook_does_not_repeat_the_delivery(ledger: Ledger, webhook: Webhook) -> None:
    async def broken_hook(payment_id: str, status: str, detail: str) -> None:
        raise RuntimeError("panel down")

    connector = webhook.connector()
    async with _running(CrmOutbox(ledger, connector, on_delivery=broken_hook, **FAST)):
        await _finish(ledger)
        await _until(_state_is(ledger, CrmState.POSTED))
        await asyncio.sleep(0.1)
    await connector.close()
    assert len(webhook.fake.deliveries) == 1


async def test_stop_ends_an_idle_worker_at_once(ledger: Ledger, webhook: Webhook) -> None:
    connector = webhook.connector()
    outbox = CrmOutbox(ledger, connector, poll_s=60)
    task = asyncio.create_task(outbox.run())
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    await outbox.stop()
    await connector.close()
    assert task.done()
    assert asyncio.get_running_loop().time() - started < 1


def test_retry_delay_doubles_up_to_the_cap_with_jitter() -> None:
    rng = random.Random(7)
    delays = [retry_delay(attempt, 2.0, 60.0, rng) for attempt in range(1, 9)]
    ceilings = [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)
    assert retry_delay(10_000, 2.0, 60.0, rng) <= 60
