"""Helpers for the web tests on the real daemon and Asterisk (tests/e2e/test_api_*, test_events_*,
test_panel_*): the payment rig with the test tokens, a signed-in API client, and the
caller keying a card one panel step at a time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any
from unittest import mock

import aiohttp

from securepay.flow import State
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e import payment_rig as rig_module
from tests.e2e.payment_rig import PaymentRig
from tests.unit.web.support import bearer, with_tokens

VISA = "4111111111111111"
DECLINE_ZIP = "46282"
"""The simulator (like Authorize.Net's sandbox) declines a charge with this ZIP code."""


@contextlib.asynccontextmanager
async def live_rig(
    asterisk: AsteriskInstance, overrides: Mapping[str, str] = (), **web: Any
) -> AsyncIterator[PaymentRig]:
    """The lead's payment rig, its daemon knowing alice's, bob's and the supervisor's test tokens
    (and any `[web]` keys)."""
    plain = rig_module.rig_settings
    with mock.patch.object(rig_module, "rig_settings", lambda *args: with_tokens(plain(*args), **web)):
        async with rig_module.payment_rig(asterisk, overrides) as rig:
            yield rig


def api_url(rig: PaymentRig) -> str:
    return f"http://127.0.0.1:{rig.daemon.http_port}"


def api(rig: PaymentRig, token: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=api_url(rig), headers=bearer(token))


async def request_payment(
    client: aiohttp.ClientSession, rig: PaymentRig, call_id: str, **body: Any
) -> Payment:
    async with client.post(
        f"/api/v1/calls/{call_id}/payments", json={"item": "Blue widget", "amount": "49.95", **body}
    ) as resp:
        answer = await resp.json()
        assert resp.status == 201, answer
    payment = rig.daemon.payments.get(answer["id"])
    assert payment is not None
    return payment


def card_keys(zip_code: str = "46201") -> dict[str, list[tuple[State, str]]]:
    """What the caller keys at each step the panel shows, and when (the flow state asking)."""
    return {
        "amount": [(State.AMOUNT_CONFIRM, "1")],
        "card_number": [(State.CARD_NUMBER_ENTRY, VISA + "#"), (State.CARD_NUMBER_CONFIRM, "1")],
        "expiry": [(State.EXPIRY_ENTRY, "1230"), (State.EXPIRY_CONFIRM, "1")],
        "cvc": [(State.CVC_ENTRY, "900"), (State.CVC_CONFIRM, "1")],
        "postal_code": [(State.POSTAL_CODE_ENTRY, zip_code), (State.POSTAL_CODE_CONFIRM, "1")],
    }


async def key_step(rig: PaymentRig, payment: Payment, keys: list[tuple[State, str]]) -> None:
    for state, digits in keys:
        await rig.key_at(payment, state, digits)


async def key_card(rig: PaymentRig, payment: Payment, zip_code: str = "46201") -> None:
    for keys in card_keys(zip_code).values():
        await key_step(rig, payment, keys)
