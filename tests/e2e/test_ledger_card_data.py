"""Real payments on a real Asterisk, recorded the way the daemon records them: no card data at rest.

The caller keys the sandbox test cards by DTMF; the finished payments go into the ledger
with their CRM activities and out through the webhook. Neither the ledger's files nor
the CRM's requests may hold the card numbers (or any part of them beyond the last 4).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr

from securepay.crm import agent_display_name, build_activity
from securepay.crm.outbox import CrmOutbox
from securepay.crm.webhook import WebhookConnector
from securepay.ledger import CrmState, Ledger
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig, payment_rig
from tests.e2e.test_payment_flow import key_card
from tests.unit.crm.fakes import FakeWebhook, serve

VISA = "4111111111111111"
MASTERCARD = "5424000000000015"
SECRET = "e2e-webhook-secret"
RECORD = "001Ax00000AbCdEfGH"


async def _pay(rig: PaymentRig, ledger: Ledger, call_id: str, card: str, zip_code: str) -> Payment:
    payment = await rig.request_payment(call_id)
    name = agent_display_name(rig.daemon.settings.agents, payment.agent_id)
    await ledger.payment_started(payment, name)
    await key_card(rig, payment, card=card, zip_code=zip_code)
    await rig.finished(payment)
    crm = rig.daemon.settings.crm
    await ledger.payment_finished(payment, build_activity(payment, name, crm))
    return payment


async def test_ledger_and_crm_hold_no_card_numbers_of_real_payments(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    webhook = FakeWebhook(secret=SECRET.encode())
    path = tmp_path / "ledger.sqlite3"
    async with serve(webhook.app()) as hook_url:
        overrides = {
            "SECUREPAY_CRM_KIND": "webhook",
            "SECUREPAY_CRM_WEBHOOK_URL": f"{hook_url}/hook",
            "SECUREPAY_CRM_WEBHOOK_SECRET": SECRET,
            "SECUREPAY_LEDGER_PATH": str(path),
        }
        ledger = Ledger.open(path)
        connector = WebhookConnector(f"{hook_url}/hook", SecretStr(SECRET), timeout_s=5)
        outbox = CrmOutbox(ledger, connector, retry_base_s=0.05, retry_max_s=0.2, poll_s=0.1)
        worker = asyncio.create_task(outbox.run())
        try:
            async with payment_rig(asterisk, overrides) as rig:
                call_id = await rig.place_call(crm_record=RECORD)
                paid = await _pay(rig, ledger, call_id, VISA, "46201")
                declined = await _pay(rig, ledger, call_id, MASTERCARD, "46282")
            await PaymentRig.until(lambda: len(webhook.keys) >= 2, timeout=10)
        finally:
            await outbox.stop()
            await connector.close()
        assert worker.done()
        entries = {entry.id: entry for entry in await ledger.list_payments()}
        ledger.close()

    assert (paid.outcome and paid.outcome.value, declined.outcome and declined.outcome.value) == (
        "success",
        "declined",
    )
    assert {entry.crm_state for entry in entries.values()} == {CrmState.POSTED}
    assert (entries[paid.id].last4, entries[declined.id].last4) == ("1111", "0015")
    assert sorted(webhook.keys) == sorted([paid.id, declined.id])
    raw = b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if candidate.exists()
    )
    sent = b"".join(body for _, body in webhook.deliveries)
    for card in (VISA, MASTERCARD):
        for trace in (card, card[:-4]):
            assert trace.encode() not in raw, f"ledger holds {trace}"
            assert trace.encode() not in sent, f"CRM received {trace}"
