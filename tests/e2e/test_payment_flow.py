"""The caller's payment, end to end on a real Asterisk: from the agent's bridge and back."""

from __future__ import annotations

from securepay.flow import State
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig, payment_rig

VISA = "4111111111111111"


async def key_card(
    rig: PaymentRig,
    payment,
    card: str = VISA,
    expiry: str = "1230",
    cvc: str = "900",
    zip_code: str = "46201",
) -> None:
    await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
    await rig.key_at(payment, State.CARD_NUMBER_ENTRY, card + "#")
    await rig.key_at(payment, State.CARD_NUMBER_CONFIRM, "1")
    await rig.key_at(payment, State.EXPIRY_ENTRY, expiry)
    await rig.key_at(payment, State.EXPIRY_CONFIRM, "1")
    await rig.key_at(payment, State.CVC_ENTRY, cvc)
    await rig.key_at(payment, State.CVC_CONFIRM, "1")
    await rig.key_at(payment, State.POSTAL_CODE_ENTRY, zip_code)
    await rig.key_at(payment, State.POSTAL_CODE_CONFIRM, "1")


async def test_visa_payment_succeeds_and_the_caller_is_back_with_the_agent(
    asterisk: AsteriskInstance,
) -> None:
    async with payment_rig(asterisk) as rig:
        call_id = await rig.place_call()
        payment = await rig.request_payment(call_id)
        await key_card(rig, payment)
        await rig.finished(payment)
        assert payment.outcome.value == "success"
        assert payment.transaction_id and payment.brand == "visa" and payment.last4 == "1111"
        assert [c.invoice_number for c in rig.simulator.charges] == [payment.invoice_number]
        call = rig.daemon.calls.get(call_id)
        assert await rig.bridge_members(call_id) == {call.caller_channel, call.agent_channel}
        assert rig.phones.agent_heard == []
