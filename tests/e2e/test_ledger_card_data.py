"""Real payments on a real Asterisk, recorded by the daemon: no card data at rest or sent.

The caller keys the sandbox test cards by DTMF; the daemon writes the finished payments
to its ledger with their CRM activities, and its outbox posts them to the webhook.
Neither the ledger's files nor the CRM's requests may hold the card numbers (or any
part of them beyond the last 4).
"""

from __future__ import annotations

import asyncio

from securepay.ledger import CrmState, Ledger, LedgerEntry
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig, payment_rig
from tests.e2e.test_payment_flow import key_card
from tests.unit.crm.fakes import FakeWebhook, serve

VISA = "4111111111111111"
MASTERCARD = "5424000000000015"
SECRET = "e2e-webhook-secret"
RECORD = "001Ax00000AbCdEfGH"


async def _pay(rig: PaymentRig, call_id: str, card: str, zip_code: str) -> Payment:
    payment = await rig.request_payment(call_id)
    await key_card(rig, payment, card=card, zip_code=zip_code)
    await rig.finished(payment)
    return payment


async def _all_posted(ledger: Ledger, count: int) -> dict[str, LedgerEntry]:
    while True:
        entries = {entry.id: entry for entry in await ledger.list_payments()}
        if len(entries) == count and all(e.crm_state is CrmState.POSTED for e in entries.values()):
            return entries
        await asyncio.sleep(0.05)


async def test_ledger_and_crm_hold_no_card_numbers_of_real_payments(asterisk: AsteriskInstance) -> None:
    webhook = FakeWebhook(secret=SECRET.encode())
    async with serve(webhook.app()) as hook_url:
        overrides = {
            "SECUREPAY_CRM_KIND": "webhook",
            "SECUREPAY_CRM_WEBHOOK_URL": f"{hook_url}/hook",
            "SECUREPAY_CRM_WEBHOOK_SECRET": SECRET,
        }
        async with payment_rig(asterisk, overrides) as rig:
            call_id = await rig.place_call(crm_record=RECORD)
            paid = await _pay(rig, call_id, VISA, "46201")
            declined = await _pay(rig, call_id, MASTERCARD, "46282")
            entries = await asyncio.wait_for(_all_posted(rig.ledger, 2), 15)
            path = rig.daemon.settings.ledger.path
            raw = b"".join(
                candidate.read_bytes()
                for candidate in (
                    path,
                    path.with_name(path.name + "-wal"),
                    path.with_name(path.name + "-shm"),
                )
                if candidate.exists()
            )

    assert (paid.outcome and paid.outcome.value, declined.outcome and declined.outcome.value) == (
        "success",
        "declined",
    )
    assert (entries[paid.id].last4, entries[declined.id].last4) == ("1111", "0015")
    assert sorted(webhook.keys) == sorted([paid.id, declined.id])
    sent = b"".join(body for _, body in webhook.deliveries)
    for card in (VISA, MASTERCARD):
        for trace in (card, card[:-4]):
            assert trace.encode() not in raw, f"ledger holds {trace}"
            assert trace.encode() not in sent, f"CRM received {trace}"
