"""A daemon that runs for months keeps only recent payments in memory; the ledger keeps all."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from securepay import config
from securepay.flow import Outcome
from securepay.payments import service as service_module
from securepay.payments.model import Payment, PaymentRequest
from securepay.payments.service import PaymentService


def payment_service() -> PaymentService:
    unused: Any = None
    return PaymentService(config.load(None, {}), unused, unused, unused, unused, unused, unused)


async def test_a_settled_payment_is_forgotten_after_the_retention_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service_module, "FINISHED_KEPT_S", 0.01)
    service = payment_service()
    payment = Payment("p-1", "c-1", "alice", PaymentRequest("Plan", Decimal("1.00"), "USD", "en"))
    payment.outcome = Outcome.SUCCESS
    service.settled(payment)
    assert service.get("p-1") is payment
    assert service.settled_on("c-1") == "p-1"

    await asyncio.sleep(0.05)

    assert service.get("p-1") is None
    assert service.settled_on("c-1") is None
