"""Writes each payment's life to the ledger (and its CRM activity to the outbox).

A ledger failure is logged and swallowed: a disk problem must never strand a caller
or stop a payment that is already under way. The one exception is the invoice written
before a charge: without it a crash could leave a charge nobody can find, so its
failure stops the charge (`charge_submitted` says whether it was recorded).
"""

from __future__ import annotations

import logging

from securepay.config import Settings
from securepay.crm import agent_display_name, build_activity
from securepay.ledger import Ledger
from securepay.payments.model import Payment

log = logging.getLogger("securepay.payments")


class PaymentRecorder:
    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self._ledger = ledger
        self._settings = settings

    def _agent_name(self, payment: Payment) -> str:
        return agent_display_name(self._settings.agents, payment.agent_id)

    async def started(self, payment: Payment) -> None:
        try:
            await self._ledger.payment_started(payment, self._agent_name(payment))
        except Exception as exc:
            log.error("ledger: could not record the start of %s (%s)", payment.id, type(exc).__name__)

    async def charge_submitted(self, payment: Payment) -> bool:
        """Whether the invoice is on record; when it is not, the card must not be charged."""
        try:
            await self._ledger.charge_submitted(payment)
        except Exception as exc:
            log.error("ledger: could not record the invoice of %s (%s)", payment.id, type(exc).__name__)
            return False
        return True

    async def charge_was_submitted(self, payment_id: str) -> bool:
        """Whether the ledger holds an invoice for the payment, i.e. its card may have been
        charged; when the ledger cannot say, it may have been."""
        try:
            entry = await self._ledger.get(payment_id)
        except Exception as exc:
            log.error("ledger: could not read %s (%s)", payment_id, type(exc).__name__)
            return True
        return entry is not None and entry.invoice_number is not None

    async def finished(self, payment: Payment) -> None:
        try:
            activity = build_activity(payment, self._agent_name(payment), self._settings.crm)
            await self._ledger.payment_finished(payment, activity)
        except Exception as exc:
            log.error("ledger: could not record the result of %s (%s)", payment.id, type(exc).__name__)
