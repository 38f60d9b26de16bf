"""No caller is stranded when the daemon dies or Asterisk restarts mid-payment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp
import pytest

from securepay.flow import State
from securepay.testing.asterisk_rig import AsteriskInstance, free_port
from securepay.testing.phones import AGENT_ENDPOINT, Phones, driven_phones
from securepay.web.auth import token_hash
from tests.e2e.payment_rig import ALICE_TOKEN, PaymentRig, payment_rig
from tests.e2e.test_payment_flow import VISA, confirm_amount, enter

AUTH = {"Authorization": f"Bearer {ALICE_TOKEN}"}


def daemon_config(tmp_path: Path, asterisk: AsteriskInstance, http_port: int) -> Path:
    ari = asterisk.ari
    path = tmp_path / "securepay.toml"
    path.write_text(
        f"""
[ari]
url = "{ari.url}"
username = "{ari.username}"
password = "{ari.password}"
reconnect_max_s = 1

[http]
port = {http_port}

[ivr]
input_timeout_s = 10
fallback_context = "securepay-test-fallback"

[ledger]
path = "{tmp_path / "ledger.sqlite3"}"

[agents.alice]
name = "Alice Smith"
endpoint = "{AGENT_ENDPOINT}"
token_sha256 = "{token_hash(ALICE_TOKEN)}"
"""
    )
    return path


async def start_daemon(
    config: Path, log: int | IO[bytes] = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """`securepay run` as systemd starts it; its log (stderr) goes to `log`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECUREPAY_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "securepay.cli",
        "run",
        "--config",
        str(config),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )


async def poll(http: aiohttp.ClientSession, path: str, check: Any, timeout: float = 30) -> dict[str, Any]:
    async def attempt() -> dict[str, Any]:
        while True:
            try:
                async with http.get(path, headers=AUTH) as resp:
                    if resp.status == 200 and check(body := await resp.json(content_type=None)):
                        return body
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(attempt(), timeout)


async def request_payment(http: aiohttp.ClientSession, call_id: str, mode: str = "private") -> dict[str, Any]:
    """Ask the daemon over HTTP, as Alice's panel does, for a $10.00 widget; the new payment."""
    body = {"item": "Widget", "amount": "10.00", "mode": mode}
    async with http.post(f"/api/v1/calls/{call_id}/payments", json=body, headers=AUTH) as resp:
        assert resp.status == 201, await resp.text()
        return dict(await resp.json())


@dataclass
class KilledDaemonCall:
    """A call Alice took through a real `securepay run`, whose daemon the test kills and restarts."""

    config: Path
    phones: Phones
    http: aiohttp.ClientSession
    call: dict[str, Any]
    processes: list[asyncio.subprocess.Process]

    async def kill(self) -> None:
        self.processes[-1].send_signal(signal.SIGKILL)
        await self.processes[-1].wait()

    async def restart(self) -> None:
        self.processes.append(await start_daemon(self.config))


@contextlib.asynccontextmanager
async def call_through_a_daemon(
    asterisk: AsteriskInstance, tmp_path: Path
) -> AsyncIterator[KilledDaemonCall]:
    port = free_port()
    config = daemon_config(tmp_path, asterisk, port)
    processes = [await start_daemon(config)]
    async with (
        driven_phones(asterisk.ari) as phones,
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
    ):
        try:
            await poll(http, "/api/v1/me", lambda _: True)
            await phones.call_in("alice")
            call = await poll(http, "/api/v1/agents/alice/call", lambda body: body["connected"])
            yield KilledDaemonCall(config, phones, http, call, processes)
        finally:
            with contextlib.suppress(Exception):
                await phones.hang_up_caller()
                await poll(http, "/api/v1/me", lambda _: True)
                await asyncio.sleep(1)
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), 30)


@pytest.mark.parametrize("mode", ["private", "assisted"])
async def test_a_daemon_killed_mid_payment_leaves_no_caller_stranded(
    asterisk: AsteriskInstance, tmp_path: Path, mode: str
) -> None:
    """In assisted mode the agent too was in the payment's bridge, and the caller muted."""
    async with call_through_a_daemon(asterisk, tmp_path) as run:
        http, phones, call = run.http, run.phones, run.call
        payment = await request_payment(http, call["id"], mode)
        await poll(http, f"/api/v1/payments/{payment['id']}", lambda p: p["steps"]["amount"] == "entering")
        await phones.key("1")
        await poll(
            http, f"/api/v1/payments/{payment['id']}", lambda p: p["steps"]["card_number"] == "entering"
        )
        await phones.key("4111")

        await run.kill()
        await run.restart()

        adopted = await poll(http, "/api/v1/agents/alice/call", lambda body: body["connected"])
        assert adopted["id"] == call["id"] and adopted["payment_id"] is None
        bridges = await phones.driver.rest.list_bridges()
        names = {b["name"]: set(b["channels"]) for b in bridges}
        assert not any(name.startswith("securepay/pay/") for name in names)
        assert len(names[f"securepay/call/{call['id']}/alice"]) == 2
        await request_payment(http, call["id"])


@pytest.mark.fault
async def test_an_asterisk_restart_mid_payment_ends_the_payment_and_the_daemon_carries_on(
    fresh_asterisk: AsteriskInstance,
) -> None:
    await asyncio.to_thread(fresh_asterisk.start)
    async with payment_rig(fresh_asterisk) as rig:
        payment = await rig.request_payment(await rig.place_call())
        await confirm_amount(rig, payment)
        await enter(rig, payment, State.CARD_NUMBER_ENTRY, State.CARD_NUMBER_CONFIRM, VISA + "#")
        await asyncio.to_thread(fresh_asterisk.stop)
        restarted = time.monotonic()
        await asyncio.to_thread(fresh_asterisk.start)
        await rig.finished(payment, timeout=60)
        print(
            f"\nasterisk restart: payment ended {time.monotonic() - restarted:.2f} s after the restart began"
        )
        assert payment.outcome is not None and payment.outcome.value == "caller-hung-up"
        assert rig.simulator.charges == []
        assert rig.daemon.calls.all() == []
        await rig.until(lambda: rig.daemon.ari.connected.is_set() and rig.phones.driver.connected.is_set())
        await place_and_pay_again(rig)


async def place_and_pay_again(rig: PaymentRig) -> None:
    rig.phones.agent_phone = ""
    payment = await rig.request_payment(await rig.place_call())
    await rig.key_at(payment, State.AMOUNT_CONFIRM, "*")
    await rig.finished(payment)
    assert payment.outcome is not None and payment.outcome.value == "caller-cancelled"


async def test_a_caller_a_killed_daemon_left_outside_any_bridge_reaches_the_fallback(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    """As if the daemon died after answering the caller and before bridging them: recovery
    rebuilds calls from bridges, so this caller is found by the restarted daemon's sweep."""
    async with call_through_a_daemon(asterisk, tmp_path) as run:
        phones, call_id = run.phones, run.call["id"]
        await run.kill()
        rest = phones.driver.rest
        bridge = next(b for b in await rest.list_bridges() if b["name"].endswith(f"/{call_id}/alice"))
        caller = next(c for c in bridge["channels"] if c != f"{call_id}-agent")
        await rest.request("POST", f"/bridges/{bridge['id']}/removeChannel", [("channel", caller)])

        await run.restart()
        deadline = time.monotonic() + 15
        released = False
        while not released and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            released = phones.caller_reached_fallback and phones.agent_hung_up
        assert released
        assert not any(b["name"].startswith("securepay/") for b in await rest.list_bridges())
