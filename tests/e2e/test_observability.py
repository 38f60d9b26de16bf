"""What an operator's monitoring sees: /healthz and /metrics on a live daemon."""

from __future__ import annotations

import asyncio

import aiohttp

from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig, payment_rig
from tests.e2e.test_payment_flow import key_card


async def health(rig: PaymentRig) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{rig.daemon.http_port}/healthz") as resp,
    ):
        return resp.status, await resp.json()


async def test_healthz_is_ok_when_ari_events_and_ledger_work(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        status, body = await health(rig)
    assert status == 200
    assert body == {"status": "ok", "checks": {"ari": "ok", "events": "ok", "ledger": "ok"}}


async def test_healthz_fails_while_asterisk_is_down_and_recovers(fresh_asterisk: AsteriskInstance) -> None:
    await asyncio.to_thread(fresh_asterisk.start)
    async with payment_rig(fresh_asterisk) as rig:
        await asyncio.to_thread(fresh_asterisk.stop)
        await rig.until(lambda: not rig.daemon.ari.connected.is_set())
        status, body = await health(rig)
        assert status == 503 and body["checks"]["ari"] == "fail"
        await asyncio.to_thread(fresh_asterisk.start)
        await rig.until(lambda: rig.daemon.ari.connected.is_set())
        status, _ = await health(rig)
        assert status == 200


async def test_metrics_count_a_payment_by_outcome_with_gateway_latency(asterisk: AsteriskInstance) -> None:
    async with payment_rig(asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await key_card(rig, payment)
        await rig.finished(payment)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{rig.daemon.http_port}/metrics") as resp,
        ):
            assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            page = await resp.text()
    samples = dict(line.rsplit(" ", 1) for line in page.splitlines() if line and not line.startswith("#"))
    assert float(samples['securepay_payments_total{outcome="success"}']) >= 1
    assert float(samples['securepay_gateway_request_seconds_count{status="approved"}']) >= 1
    assert float(samples["securepay_active_sessions"]) == 0
    assert float(samples["securepay_ari_connected"]) == 1
    assert "4111" not in page
