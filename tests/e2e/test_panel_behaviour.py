"""The agent panel in Debian's chromium against the real web app (a stand-in payment service):
sign-in, the request form and its errors, live steps, reconnecting, keyboard and width."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from securepay.flow import Outcome
from tests.unit.web.support import ALICE_TOKEN, SUPERVISOR_TOKEN, WebRig, web_rig

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "panel"
WIDTH = 360


@pytest.fixture
async def rig() -> AsyncIterator[WebRig]:
    async with web_rig() as rig:
        yield rig


@pytest.fixture
async def page(chromium: Any) -> AsyncIterator[Page]:
    context = await chromium.new_context(viewport={"width": WIDTH, "height": 760})
    page = await context.new_page()
    yield page
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def sign_in(page: Page, rig: WebRig, token: str = ALICE_TOKEN) -> None:
    await page.goto(rig.url)
    await page.get_by_label("Agent token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def open_request_form(page: Page) -> None:
    await page.get_by_role("button", name="Actions").click()
    await page.get_by_role("menuitem", name="Request Payment").click()


async def test_a_wrong_token_is_refused_next_to_the_field(rig: WebRig, page: Page) -> None:
    await sign_in(page, rig, "wrong-token")
    await expect(page.locator("#token-error")).to_have_text("That token was not accepted.")
    await expect(page.get_by_label("Agent token")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#desk")).to_be_hidden()
    await screenshot(page, "sign-in-refused")


async def test_a_supervisor_token_is_sent_to_an_agents_token(rig: WebRig, page: Page) -> None:
    await sign_in(page, rig, SUPERVISOR_TOKEN)
    await expect(page.locator("#token-error")).to_contain_text("sign in with an agent token")


async def test_signing_in_shows_the_current_call_and_a_reload_keeps_the_session(
    rig: WebRig, page: Page
) -> None:
    call = rig.add_call()
    await sign_in(page, rig)
    await expect(page.locator("#link")).to_have_text("Live")
    await expect(page.locator("#call-id")).to_have_text(call.id)
    await expect(page.locator("#agent-name")).to_have_text("Alice Smith")
    await page.reload()
    await expect(page.locator("#call-id")).to_have_text(call.id)
    assert await page.evaluate("document.cookie") == ""


async def test_actions_wait_for_a_connected_call(rig: WebRig, page: Page) -> None:
    await sign_in(page, rig)
    await expect(page.get_by_text("No call right now.")).to_be_visible()
    await expect(page.get_by_role("button", name="Actions")).to_be_disabled()
    rig.add_call()
    await expect(page.get_by_role("button", name="Actions")).to_be_enabled()


async def test_the_x_closes_the_request_form_and_sends_nothing(rig: WebRig, page: Page) -> None:
    call = rig.add_call()
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    await sign_in(page, rig)
    await open_request_form(page)
    await page.get_by_label("Item name").fill("Blue widget")
    await page.get_by_label("Total amount").fill("49.95")
    await page.get_by_role("button", name="Cancel payment request").click()
    await expect(page.locator("#request")).to_be_hidden()
    assert posts == [] and call.payment_id is None


async def test_the_servers_field_errors_show_next_to_the_field(rig: WebRig, page: Page) -> None:
    rig.add_call()
    await sign_in(page, rig)
    await open_request_form(page)
    await page.get_by_role("button", name="Send to Pay").click()
    await expect(page.locator("#item-error")).to_have_text("Enter the item name.")
    await page.get_by_label("Item name").fill("Blue widget")
    await page.get_by_label("Total amount").fill("20000")
    await page.get_by_role("button", name="Send to Pay").click()
    await expect(page.locator("#amount-error")).to_have_text("Must be at most 10000.00.")
    await expect(page.get_by_label("Total amount")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#item-error")).to_be_empty()
    await page.get_by_label("Total amount").fill("12.345")
    await page.get_by_role("button", name="Send to Pay").click()
    await expect(page.locator("#amount-error")).to_have_text("Must have at most 2 decimal places.")
    await screenshot(page, "request-form-errors")


async def test_steps_turn_to_checks_and_the_result_shows_the_transaction(rig: WebRig, page: Page) -> None:
    call = rig.add_call()
    await sign_in(page, rig)
    await open_request_form(page)
    await page.get_by_label("Item name").fill("Blue widget")
    await page.get_by_label("Total amount").fill("49.95")
    await page.get_by_role("button", name="Send to Pay").click()
    await expect(page.locator("#payment-amount")).to_have_text("$49.95")
    payment = rig.payments.get(call.payment_id or "")
    assert payment is not None
    await rig.payments.step(payment, "amount", "entering")
    amount = page.locator('[data-step="amount"]')
    await expect(amount).to_have_attribute("data-status", "entering")
    await rig.payments.step(payment, "amount", "completed")
    await expect(amount).to_have_attribute("data-status", "completed")
    await expect(page.locator("#announcer")).to_have_text("Amount confirmation: Done")
    await rig.payments.step(payment, "card_number", "entering", attempt=2, error="card-invalid")
    await expect(page.locator('[data-step="card_number"] .state')).to_have_text(
        "Re-entering: not a valid card number"
    )
    await rig.payments.finish(payment, Outcome.SUCCESS, transaction_id="60012345", last4="1111")
    await expect(page.locator("#result-title")).to_have_text("Payment successful")
    await expect(page.locator("#result-txn-id")).to_have_text("60012345")
    await expect(page.locator("#result-detail")).to_have_text("$49.95 charged to Visa ending 1111.")
    await expect(page.get_by_role("button", name="Cancel payment")).to_be_hidden()


async def test_cancel_payment_ends_it_and_says_so(rig: WebRig, page: Page) -> None:
    payment = await rig.start_payment(rig.add_call())
    await sign_in(page, rig)
    await page.get_by_role("button", name="Cancel payment").click()
    await expect(page.locator("#result-title")).to_have_text("Payment cancelled")
    await expect(page.locator("#result-detail")).to_have_text("You cancelled the payment.")
    assert payment.outcome is Outcome.AGENT_CANCELLED


async def test_the_panel_reconnects_by_itself_and_catches_up(rig: WebRig, page: Page) -> None:
    rig.add_call()
    await sign_in(page, rig)
    await expect(page.locator("#link")).to_have_text("Live")
    payment = await rig.start_payment(rig.calls.all()[0])
    await rig.restart()
    await rig.payments.step(payment, "amount", "completed")
    await expect(page.locator("#link")).to_have_text("Live", timeout=15_000)
    await expect(page.locator('[data-step="amount"]')).to_have_attribute("data-status", "completed")


async def test_the_request_form_works_from_the_keyboard_alone(rig: WebRig, page: Page) -> None:
    rig.add_call()
    await sign_in(page, rig)
    await expect(page.get_by_role("button", name="Actions")).to_be_enabled()
    await page.get_by_role("button", name="Actions").focus()
    await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("menuitem", name="Request Payment")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("Item name")).to_be_focused()
    await page.keyboard.type("Blue widget")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Total amount")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("#request")).to_be_hidden()
    await expect(page.get_by_role("button", name="Actions")).to_be_focused()


async def test_the_panel_fits_beside_a_softphone_without_sideways_scrolling(rig: WebRig, page: Page) -> None:
    await rig.start_payment(rig.add_call())
    await sign_in(page, rig)
    await expect(page.locator("#payment")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH


async def test_a_reload_while_the_daemon_is_unreachable_keeps_the_session(rig: WebRig, page: Page) -> None:
    rig.add_call()
    await sign_in(page, rig)
    await expect(page.locator("#link")).to_have_text("Live")
    await page.route("**/api/v1/me", lambda route: route.abort())
    await page.reload()
    await expect(page.locator("#token-error")).to_contain_text("Retrying")
    await page.unroute("**/api/v1/me")
    await expect(page.locator("#link")).to_have_text("Live", timeout=10_000)
