"""Faults in what the daemon depends on, in the middle of a payment on a real Asterisk.

A lost gateway answer, a CRM that is down, Redis killed, the ARI connection cut, a full
disk: each ends with the card charged at most once, the caller back with the agent, and
the agent told; the figure behind each is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from securepay.events.bus import RedisBus
from securepay.flow import State
from securepay.ledger.records import CrmState
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance, free_port
from securepay.testing.gateway_sim import Fault
from securepay.testing.redis_rig import RedisInstance
from tests.conftest import unavailable
from tests.e2e.payment_rig import PaymentRig, payment_rig
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.test_crm_activity import SECRET, webhook_receiver
from tests.e2e.test_fault_kill import agent_events, caller_leg, until
from tests.e2e.test_payment_flow import VISA, assert_back_with_agent, confirm_amount, enter, key_card

pytestmark = pytest.mark.fault


async def told(events: list[dict[str, Any]], payment: Payment) -> dict[str, Any]:
    """The payment.result the agent was sent."""
    return await until(
        lambda: next(
            (e for e in events if e["type"] == "payment.result" and e["payment_id"] == payment.id), None
        )
    )


@pytest.mark.parametrize(
    "fault",
    [Fault.SLOW_RESPONSE, Fault.DROP_CONNECTION],
    ids=["answer-after-timeout", "dropped-after-commit"],
)
async def test_a_charge_whose_answer_is_lost_after_commit_is_made_once_and_told_as_success(
    asterisk: AsteriskInstance, fault: Fault
) -> None:
    async with payment_rig(asterisk, {"SECUREPAY_GATEWAY_TIMEOUT_S": "1"}) as rig:
        rig.simulator.slow_response_s = 3
        rig.simulator.inject(fault)
        call_id = await rig.place_call()
        async with agent_events(rig.daemon.bus) as events:
            payment = await rig.request_payment(call_id)
            await key_card(rig, payment)
            await rig.finished(payment)
            result = await told(events, payment)
        charges = rig.simulator.charges
        print(f"\ngateway {fault.value}: {len(charges)} charge, outcome {payment.outcome}")
        assert len(charges) == 1 and rig.simulator.request_count("createTransactionRequest") == 1
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert (result["outcome"], result["transaction_id"]) == ("success", charges[0].trans_id)
        entry = await rig.ledger.get(payment.id)
        assert entry is not None and (entry.outcome, entry.transaction_id) == ("success", charges[0].trans_id)
        await assert_back_with_agent(rig, payment)


async def test_a_crm_down_then_up_gets_the_activity_once_under_one_idempotency_key(
    asterisk: AsteriskInstance,
) -> None:
    port = free_port()
    crm = {
        "SECUREPAY_CRM_KIND": "webhook",
        "SECUREPAY_CRM_WEBHOOK_URL": f"http://127.0.0.1:{port}/activity",
        "SECUREPAY_CRM_WEBHOOK_SECRET": SECRET,
        "SECUREPAY_CRM_RETRY_BASE_S": "0.2",
        "SECUREPAY_CRM_RETRY_MAX_S": "0.5",
    }
    received: list[tuple[dict[str, str], bytes]] = []
    async with payment_rig(asterisk, crm) as rig:
        payment = await rig.request_payment(await rig.place_call(crm_record="003XYZ"))
        await key_card(rig, payment)
        await rig.finished(payment)

        async def refused_while_down() -> bool:
            item = await rig.ledger.outbox_item(payment.id)
            return item is not None and item.attempts >= 2

        await until(refused_while_down)
        async with webhook_receiver(received, port, fail_first=1):

            async def posted() -> bool:
                entry = await rig.ledger.get(payment.id)
                return entry is not None and entry.crm_state is CrmState.POSTED

            await until(posted)
            await asyncio.sleep(1)  # time for a duplicate, were one coming
        item = await rig.ledger.outbox_item(payment.id)
    assert item is not None
    print(f"\ncrm down then up: {item.attempts} attempts, {len(received)} reached the CRM, 1 accepted")
    assert len(received) == 2 and received[0][1] == received[1][1]
    assert {headers["Idempotency-Key"] for headers, _ in received} == {payment.id}


@contextlib.asynccontextmanager
async def own_redis() -> AsyncIterator[tuple[RedisInstance, RedisBus]]:
    """A redis-server of the test's own (the session's stays up for the other tests), and a bus on it."""
    redis = RedisInstance()
    await asyncio.to_thread(redis.start)
    bus = RedisBus(redis.url)
    try:
        yield redis, bus
    finally:
        await bus.close()
        await asyncio.to_thread(redis.stop)


async def test_redis_killed_and_restarted_mid_payment_the_payment_completes_and_events_resume(
    asterisk: AsteriskInstance,
) -> None:
    async with own_redis() as (redis, bus), payment_rig(asterisk, bus=bus) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await asyncio.to_thread(redis.stop)
        await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
        await asyncio.to_thread(redis.start)
        async with agent_events(rig.daemon.bus) as events:
            await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
            await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201")
            await rig.finished(payment)
            result = await told(events, payment)
        entry = await rig.ledger.get(payment.id)
        await assert_back_with_agent(rig, payment)
    steps = [(e["step"], e["status"]) for e in events if e["type"] == "payment.step"]
    print(f"\nredis restart: {len(events)} events after the restart, outcome {result['outcome']}")
    assert ("cvc", "completed") in steps and ("processing", "completed") in steps
    assert result["outcome"] == "success" and len(rig.simulator.charges) == 1
    assert entry is not None and entry.finished_at is not None and entry.invoice_number
    assert (entry.outcome, entry.transaction_id) == ("success", rig.simulator.charges[0].trans_id)


async def together(rig: PaymentRig, call_id: str) -> bool:
    """The caller is back in the agent's bridge, with nobody else."""
    call = rig.daemon.calls.get(call_id)
    assert call is not None
    return await rig.bridge_members(call_id) == {call.caller_channel, call.agent_channel}


async def test_a_hung_redis_mid_payment_holds_no_caller_and_its_events_arrive_once_it_answers(
    asterisk: AsteriskInstance,
) -> None:
    async with (
        own_redis() as (redis, bus),
        payment_rig(asterisk, bus=bus) as rig,
        agent_events(bus) as events,
    ):
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id)
        await confirm_amount(rig, payment)
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        redis.pause()
        try:
            await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
            await rig.key_at(payment, State.CVC_ENTRY, "*")
            cancelled_at = time.monotonic()
            await until(lambda: together(rig, call_id))
            back_s = time.monotonic() - cancelled_at
        finally:
            redis.resume()
        await rig.finished(payment)
        await assert_back_with_agent(rig, payment)
        result = ("payment.result", payment.id)  # published while Redis hung, sent once it answers
        await until(lambda: any((e["type"], e["payment_id"]) == result for e in events))
        second = await rig.request_payment(call_id)
        await until(lambda: any(e["payment_id"] == second.id for e in events))
        async with rig.http.delete(f"/api/v1/payments/{second.id}") as resp:
            assert resp.status == 202
        await rig.finished(second)
    print(
        f"\nhung redis: caller back {back_s:.2f} s after *, outcome {payment.outcome}; "
        "its result reached the panel once Redis answered"
    )
    assert payment.outcome is not None and payment.outcome.value == "caller-cancelled"
    assert rig.simulator.charges == []


async def test_the_ari_connection_cut_mid_entry_resyncs_and_the_payment_goes_on(
    asterisk: AsteriskInstance,
) -> None:
    proxy = TcpProxy(asterisk.ari_port)
    await proxy.start()
    try:
        async with payment_rig(asterisk, {"SECUREPAY_ARI_URL": f"http://127.0.0.1:{proxy.port}"}) as rig:
            payment = await rig.request_payment(await rig.place_call())
            leg = await caller_leg(rig.phones)
            await confirm_amount(rig, payment)
            await rig.at(payment, State.CARD_NUMBER_ENTRY)
            await leg.key("4111")
            cut = time.monotonic()
            proxy.cut()
            await until(lambda: rig.daemon.ari.reconnects == 1 and rig.daemon.ari.connected.is_set())
            reconnected_s = time.monotonic() - cut
            await until(lambda: payment.last_error == "card-invalid")  # the half-typed card, timed out
            await key_card_after_amount(rig, payment)
            await rig.finished(payment)
            await assert_back_with_agent(rig, payment)
    finally:
        await proxy.stop()
    print(
        f"\nari cut mid-entry: reconnected and resynced in {reconnected_s:.2f} s, outcome {payment.outcome}"
    )
    assert payment.outcome is not None and payment.outcome.value == "success"
    assert len(rig.simulator.charges) == 1


async def key_card_after_amount(rig: PaymentRig, payment: Payment) -> None:
    await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
    await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
    await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
    await enter(rig, payment, State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM, "46201")


@contextlib.contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of its own, so filling it fills nobody else's disk."""
    if os.geteuid() != 0:
        unavailable("a small tmpfs", "mounting one needs root")
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=False)
    if mounted.returncode != 0:
        unavailable("a small tmpfs", f"mount -t tmpfs exited with {mounted.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def test_a_full_disk_at_charge_time_fails_before_charging_and_tells_caller_and_agent(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        async with payment_rig(asterisk, {"SECUREPAY_LEDGER_PATH": str(disk / "ledger.sqlite3")}) as rig:
            call_id = await rig.place_call()
            async with agent_events(rig.daemon.bus) as events:
                payment = await rig.request_payment(call_id)
                await confirm_amount(rig, payment)
                await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
                await enter(rig, payment, State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM, "1230")
                await enter(rig, payment, State.CVC_ENTRY, State.CVC_CONFIRM, "900")
                await rig.key_at(payment, State.POSTAL_CODE_ENTRY, "46201")
                await rig.at(payment, State.POSTAL_CODE_CONFIRM)
                filler = fill(disk)
                await rig.phones.key("1")
                await rig.finished(payment)
                result = await told(events, payment)
            await assert_back_with_agent(rig, payment)
            filler.unlink()
    steps = [(e["step"], e["status"]) for e in events if e["type"] == "payment.step"]
    print(f"\ndisk full at charge time: {len(rig.simulator.charges)} charges, agent told {result['reason']}")
    assert rig.simulator.charges == [] and rig.simulator.request_count("createTransactionRequest") == 0
    assert (result["outcome"], result["reason"]) == ("gateway-error", "ledger-unavailable")
    assert ("processing", "failed") in steps
