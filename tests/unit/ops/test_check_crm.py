"""`securepay check` signs in to the configured CRM, against the CRM fakes."""

from __future__ import annotations

import socket

from securepay import config
from securepay.ops.check import Status, run_checks
from tests.unit.crm.fakes import (
    HUBSPOT_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    FakeHubSpot,
    FakeSalesforce,
    serve,
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def crm_row(**crm: str) -> tuple[Status, str, str]:
    env = {"SECUREPAY_ARI_URL": f"http://127.0.0.1:{closed_port()}"}
    env.update({f"SECUREPAY_CRM_{key.upper()}": value for key, value in crm.items()})
    results = {r.name: r for r in await run_checks(config.load(None, environ=env), None)}
    row = results["crm"]
    return row.status, row.detail, row.fix


async def test_salesforce_client_credentials_are_accepted() -> None:
    fake = FakeSalesforce()
    async with serve(fake.app()) as url:
        status, detail, _ = await crm_row(
            kind="salesforce",
            salesforce_url=url,
            salesforce_client_id=SF_CLIENT_ID,
            salesforce_client_secret=SF_CLIENT_SECRET,
        )
    assert status is Status.OK and "token granted" in detail
    assert fake.problems == []


async def test_wrong_salesforce_secret_fails_with_the_connected_app_fix() -> None:
    async with serve(FakeSalesforce().app()) as url:
        status, detail, fix = await crm_row(
            kind="salesforce",
            salesforce_url=url,
            salesforce_client_id=SF_CLIENT_ID,
            salesforce_client_secret="not-the-secret",
        )
    assert status is Status.FAIL and "invalid_client" in detail
    assert "salesforce_client_secret" in fix and "not-the-secret" not in detail + fix


async def test_hubspot_token_is_accepted() -> None:
    fake = FakeHubSpot()
    async with serve(fake.app()) as url:
        status, detail, _ = await crm_row(kind="hubspot", hubspot_url=url, hubspot_token=HUBSPOT_TOKEN)
    assert status is Status.OK and "securepay_payment_id" in detail
    assert fake.problems == []


async def test_wrong_hubspot_token_fails_with_the_token_fix() -> None:
    async with serve(FakeHubSpot().app()) as url:
        status, detail, fix = await crm_row(kind="hubspot", hubspot_url=url, hubspot_token="pat-wrong")
    assert status is Status.FAIL and "401" in detail
    assert "hubspot_token" in fix and "pat-wrong" not in detail + fix


async def test_unreachable_webhook_fails() -> None:
    status, _, fix = await crm_row(
        kind="webhook", webhook_url=f"http://127.0.0.1:{closed_port()}/hook", webhook_secret="s"
    )
    assert status is Status.FAIL and "webhook_url" in fix
