"""The caller's payment on each gateway, end to end on a real Asterisk.

Authorize.Net's success and decline are in test_payment_flow; here every other gateway
takes the same call, and every gateway survives a charge that commits but whose answer
comes too late: exactly one charge, and the caller hears success.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.sim_faults import Fault
from tests.e2e.payment_rig import PaymentRig, payment_rig
from tests.e2e.test_payment_flow import assert_back_with_agent, key_card


@dataclass(frozen=True)
class Kind:
    """How one gateway kind is configured and which of its test cards does what."""

    settings: dict[str, str]
    card: str
    cvc: str
    zip_code: str
    decline: dict[str, str]
    charge_operation: str
    reconciled_by: tuple[str, int]
    """The request that settles a lost answer, and how many of them a lost charge costs."""
    decline_amount: str = "49.95"


KINDS = {
    "authorizenet": Kind(
        {},
        "4111111111111111",
        "900",
        "46201",
        {"zip_code": "46282"},
        "createTransactionRequest",
        ("getUnsettledTransactionListRequest", 1),
    ),
    "stripe": Kind(
        {"SECUREPAY_GATEWAY_KIND": "stripe", "SECUREPAY_GATEWAY_SIMULATOR": "true"},
        "4242424242424242",
        "123",
        "10001",
        {"card": "4000000000000002"},
        "create_payment_intent",
        ("create_payment_intent", 2),
    ),
    "braintree": Kind(
        {"SECUREPAY_GATEWAY_KIND": "braintree", "SECUREPAY_GATEWAY_SIMULATOR": "true"},
        "4111111111111111",
        "123",
        "60606",
        {},
        "chargeCreditCard",
        ("search", 1),
        decline_amount="2000.00",
    ),
}
OTHER_KINDS = [kind for kind in KINDS if kind != "authorizenet"]


def approved_invoices(rig: PaymentRig) -> list[str]:
    return [charge.invoice_number for charge in rig.simulator.charges if charge.status == "approved"]


@pytest.mark.parametrize("kind", OTHER_KINDS)
async def test_a_payment_succeeds_and_the_caller_is_back_with_the_agent(
    asterisk: AsteriskInstance, kind: str
) -> None:
    spec = KINDS[kind]
    async with payment_rig(asterisk, spec.settings) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await key_card(rig, payment, card=spec.card, cvc=spec.cvc, zip_code=spec.zip_code)
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert payment.transaction_id == rig.simulator.charges[0].id
        assert approved_invoices(rig) == [payment.invoice_number]
        assert rig.playback_states and "failed" not in rig.playback_states, rig.playback_states
        await assert_back_with_agent(rig, payment)


@pytest.mark.parametrize("kind", OTHER_KINDS)
async def test_a_decline_is_told_to_the_caller_and_recorded(asterisk: AsteriskInstance, kind: str) -> None:
    spec = KINDS[kind]
    async with payment_rig(asterisk, spec.settings) as rig:
        payment = await rig.request_payment(await rig.place_call(), amount=spec.decline_amount)
        card = {"card": spec.card, "cvc": spec.cvc, "zip_code": spec.zip_code, **spec.decline}
        await key_card(rig, payment, **card)
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "declined"
        assert payment.reason == "declined"
        assert approved_invoices(rig) == []
        await assert_back_with_agent(rig, payment)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_charge_committed_but_answered_too_late_is_charged_exactly_once(
    asterisk: AsteriskInstance, kind: str
) -> None:
    spec = KINDS[kind]
    async with payment_rig(asterisk, {**spec.settings, "SECUREPAY_GATEWAY_TIMEOUT_S": "1"}) as rig:
        rig.simulator.slow_response_s = 2.5
        rig.simulator.inject(Fault.SLOW_RESPONSE, request=spec.charge_operation)
        payment = await rig.request_payment(await rig.place_call())
        await key_card(rig, payment, card=spec.card, cvc=spec.cvc, zip_code=spec.zip_code)
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
        assert approved_invoices(rig) == [payment.invoice_number]
        assert len(rig.simulator.charges) == 1
        operation, count = spec.reconciled_by
        assert rig.simulator.request_count(operation) == count
        await assert_back_with_agent(rig, payment)
