"""The agent panel in Debian's chromium, on the real daemon and Asterisk, while a scripted caller
keys a test card: what the agent does and sees. Screenshots land in build/artifacts/panel/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from securepay.flow import State
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.payment_rig import PaymentRig
from tests.unit.web.live import DECLINE_ZIP, VISA, api_url, card_keys, key_step, live_rig
from tests.unit.web.support import ALICE_TOKEN

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "panel"


@pytest.fixture
async def page(chromium: Any) -> AsyncIterator[Page]:
    context = await chromium.new_context(viewport={"width": 360, "height": 760})
    page = await context.new_page()
    yield page
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def signed_in_on_a_call(page: Page, rig: PaymentRig) -> str:
    call_id = await rig.place_call()
    await page.goto(api_url(rig))
    await page.get_by_label("Agent token").fill(ALICE_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#call-id")).to_have_text(call_id)
    await expect(page.locator("#call-status")).to_have_text("Connected")
    return call_id


async def send_to_pay(page: Page, rig: PaymentRig, call_id: str) -> Payment:
    await page.get_by_role("button", name="Actions").click()
    await page.get_by_role("menuitem", name="Request Payment").click()
    await page.get_by_label("Item name").fill("Blue widget")
    await page.get_by_label("Total amount").fill("49.95")
    await page.get_by_role("button", name="Send to Pay").click()
    await expect(page.locator("#payment-title")).to_have_text("Payment in progress")
    payment = rig.daemon.payments.get(rig.daemon.calls.get(call_id).payment_id or "")
    assert payment is not None
    return payment


def step(page: Page, name: str) -> Any:
    return page.locator(f'[data-step="{name}"]')


async def test_agent_takes_a_card_payment_and_watches_each_step_turn_to_a_check(
    asterisk: AsteriskInstance, page: Page
) -> None:
    async with live_rig(asterisk) as rig:
        call_id = await signed_in_on_a_call(page, rig)
        posts: list[str] = []
        page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
        await page.get_by_role("button", name="Actions").click()
        await page.get_by_role("menuitem", name="Request Payment").click()
        await page.get_by_label("Item name").fill("Blue widget")
        await page.get_by_role("button", name="Cancel payment request").click()
        await expect(page.locator("#request")).to_be_hidden()
        assert posts == [] and rig.daemon.calls.get(call_id).payment_id is None

        payment = await send_to_pay(page, rig, call_id)
        for name, keys in card_keys().items():
            await rig.at(payment, keys[0][0])  # the flow asks once its prompt has started
            await expect(step(page, name)).to_have_attribute("data-status", "entering")
            await key_step(rig, payment, keys)
            await expect(step(page, name)).to_have_attribute("data-status", "completed")
            if name == "expiry":
                await screenshot(page, "payment-in-progress")
        await expect(step(page, "processing")).to_have_attribute("data-status", "completed")
        await expect(page.locator("#result-title")).to_have_text("Payment successful")
        await rig.finished(payment)
        assert payment.transaction_id
        await expect(page.locator("#result-txn-id")).to_have_text(payment.transaction_id)
        await expect(page.locator("#result-detail")).to_have_text("$49.95 charged to Visa ending 1111.")
        await expect(page.get_by_role("button", name="Cancel payment")).to_be_hidden()
        await screenshot(page, "payment-success")


async def test_a_declined_card_shows_the_failure_in_plain_words(
    asterisk: AsteriskInstance, page: Page
) -> None:
    async with live_rig(asterisk) as rig:
        call_id = await signed_in_on_a_call(page, rig)
        payment = await send_to_pay(page, rig, call_id)
        for keys in card_keys(zip_code=DECLINE_ZIP).values():
            await key_step(rig, payment, keys)
        await expect(page.locator("#result-title")).to_have_text("Payment failed")
        await expect(page.locator("#result-detail")).to_have_text("The card was declined.")
        await expect(step(page, "processing")).to_have_attribute("data-status", "failed")
        await screenshot(page, "payment-declined")


async def test_cancel_payment_returns_the_caller_to_the_agent(asterisk: AsteriskInstance, page: Page) -> None:
    async with live_rig(asterisk) as rig:
        call_id = await signed_in_on_a_call(page, rig)
        payment = await send_to_pay(page, rig, call_id)
        await key_step(rig, payment, card_keys()["amount"])
        await expect(step(page, "card_number")).to_have_attribute("data-status", "entering")
        await page.get_by_role("button", name="Cancel payment").click()
        await expect(page.locator("#result-title")).to_have_text("Payment cancelled")
        await expect(page.locator("#result-detail")).to_have_text("You cancelled the payment.")
        await rig.finished(payment)
        call = rig.daemon.calls.get(call_id)
        assert await rig.bridge_members(call_id) == {call.caller_channel, call.agent_channel}
        assert rig.simulator.charges == []


async def key_field(
    rig: PaymentRig, page: Page, payment: Payment, field: str, digits: str, shown: str
) -> None:
    """The caller keys a field: the agent sees one bullet after the first key (which
    interrupts the prompt), the masked value after the rest, then the caller confirms."""
    entry, confirm = {
        "card_number": (State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM),
        "expiry": (State.EXPIRY_ENTRY, State.EXPIRY_CONFIRM),
        "cvc": (State.CVC_ENTRY, State.CVC_CONFIRM),
        "postal_code": (State.POSTAL_CODE_ENTRY, State.POSTAL_CODE_CONFIRM),
    }[field]
    value = page.locator(f"#value-{field}")
    await rig.key_at(payment, entry, digits[0])
    await expect(value).to_have_text(("Visa " if field == "card_number" else "") + "\u2022")
    await rig.phones.key(digits[1:])
    await expect(value).to_have_text(shown)
    await rig.key_at(payment, confirm, "1")
    await expect(step(page, field)).to_have_attribute("data-status", "completed")


async def test_assisted_agent_watches_masked_fields_fill_in_restarts_one_and_submits(
    asterisk: AsteriskInstance, page: Page
) -> None:
    async with live_rig(asterisk) as rig:
        call_id = await signed_in_on_a_call(page, rig)
        await page.get_by_role("button", name="Actions").click()
        await page.get_by_role("menuitem", name="Request Payment").click()
        await page.get_by_label("Item name").fill("Blue widget")
        await page.get_by_label("Total amount").fill("49.95")
        await page.get_by_label("Assisted: stay on the line").check()
        await page.get_by_role("button", name="Send to Pay").click()
        await expect(page.locator("#payment-mode")).to_be_visible()
        payment = rig.daemon.payments.get(rig.daemon.calls.get(call_id).payment_id or "")
        assert payment is not None and payment.request.mode == "assisted"
        submit = page.get_by_role("button", name="Submit payment")
        await rig.key_at(payment, State.AMOUNT_CONFIRM, "1")
        dots = "\u2022"
        await key_field(
            rig, page, payment, "card_number", VISA + "#", f"Visa {dots * 4} {dots * 4} {dots * 4} 1111"
        )
        await key_field(rig, page, payment, "expiry", "1131", f"{dots * 2}/{dots * 2}")
        await expect(submit).to_be_disabled()
        await page.get_by_role("button", name="Ask the caller to re-enter the expiry date").click()
        await expect(page.locator("#value-expiry")).to_have_text("")
        await expect(step(page, "expiry")).to_have_attribute("data-status", "entering")
        await key_field(rig, page, payment, "expiry", "1230", f"{dots * 2}/{dots * 2}")
        await key_field(rig, page, payment, "cvc", "900", dots * 3)
        await key_field(rig, page, payment, "postal_code", "46201", dots * 5)
        await screenshot(page, "assisted-ready-to-submit")
        page_text = await page.content()
        assert not any(secret in page_text for secret in ("4111", "1230", "900", "46201"))
        await submit.click()
        await expect(step(page, "processing")).to_have_attribute("data-status", "completed", timeout=15000)
        await expect(page.locator("#result-title")).to_have_text("Payment successful", timeout=30000)
        await rig.finished(payment)
        assert rig.phones.agent_heard == []
        await screenshot(page, "assisted-success")
