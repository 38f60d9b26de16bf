"""Webhook connector: the activity as signed JSON, POSTed to the operator's own endpoint.

The receiver authenticates us by the signature header, ``sha256=`` followed by the hex
HMAC-SHA256 of the raw request body under ``crm.webhook_secret``, and de-duplicates by
the ``Idempotency-Key`` header (the payment id): a delivery retried after a lost answer
carries the same key and the same bytes. The body is deterministic for that reason (no
send time in it), which also makes a replayed request harmless to an idempotent receiver.
The payload is documented in the README ("Ledger and CRM").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from pydantic import SecretStr

from securepay.crm.activity import CrmActivity
from securepay.crm.connector import DeliveryError, Unanswered
from securepay.crm.http import CrmHttp

SCHEMA = "securepay.crm-activity/1"
SIGNATURE_HEADER = "X-Securepay-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def webhook_payload(activity: CrmActivity) -> dict[str, Any]:
    """The JSON document a webhook receives: the seed's fields, raw and formatted."""
    return {
        "schema": SCHEMA,
        "type": "payment.activity",
        "payment_id": activity.payment_id,
        "record_id": activity.record_id,
        "agent": activity.agent_name,
        "product_name": activity.product_name,
        "transaction_id": activity.transaction_id,
        "amount": f"{activity.amount:.2f}",
        "currency": activity.currency,
        "amount_charged": activity.amount_charged,
        "status": activity.status,
        "outcome": activity.outcome.value,
        "timestamp": activity.timestamp,
        "occurred_at": activity.occurred_at.isoformat(),
        "text": activity.text,
    }


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookConnector:
    kind = "webhook"

    def __init__(self, url: str, secret: SecretStr, timeout_s: float) -> None:
        self._url = url
        self._secret = secret
        self._http = CrmHttp(timeout_s, (secret,))

    async def close(self) -> None:
        await self._http.close()

    async def verify(self) -> str:
        """A webhook authenticates us by the signature, so reaching it is all there is to prove:
        any HTTP answer to a HEAD will do."""
        try:
            await self._http.request("HEAD", self._url, what="webhook", headers={})
        except Unanswered:
            raise
        except DeliveryError:
            pass
        return f"webhook {self._url} answers (it authenticates us by the signature)"

    async def deliver(self, activity: CrmActivity) -> str:
        body = json.dumps(webhook_payload(activity), ensure_ascii=False, separators=(",", ":")).encode()
        answer = await self._http.request(
            "POST",
            self._url,
            what="webhook",
            headers={
                "Content-Type": "application/json",
                IDEMPOTENCY_HEADER: activity.payment_id,
                SIGNATURE_HEADER: sign(self._secret.get_secret_value().encode(), body),
            },
            data=body,
        )
        remote_id = answer.get("id") if isinstance(answer, dict) else None
        return str(remote_id) if remote_id is not None else ""
