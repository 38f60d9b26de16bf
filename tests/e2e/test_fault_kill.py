"""A real `securepay run` killed (SIGKILL) at every state of a payment, then restarted.

At each state: the caller is back in the agent's bridge within 5 s of the restart, the
card is charged at most once (never before the caller confirmed the ZIP, exactly once
after), the ledger says what the gateway says, and the agent's events and the API (what
a reconnecting panel starts from) end with the outcome. The gateway simulator runs in
the test, so it outlives both daemons.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from securepay.ari.models import ChannelDtmfReceived, PlaybackStarted
from securepay.events.bus import EventBus, RedisBus
from securepay.events.publisher import agent_channel
from securepay.ledger import Ledger
from securepay.ledger.records import LedgerEntry
from securepay.testing.asterisk_rig import AsteriskInstance, free_port
from securepay.testing.gateway_sim import (
    SIM_API_LOGIN_ID,
    SIM_TRANSACTION_KEY,
    Fault,
    GatewaySimulator,
    serve_simulator,
)
from securepay.testing.phones import DRIVER_APP, Phones, driven_phones
from securepay.testing.redis_rig import RedisInstance
from tests.e2e.ari_helpers import EventLog
from tests.e2e.test_recovery import daemon_config, poll, request_payment, start_daemon

pytestmark = pytest.mark.fault

CALLER_BACK_WITHIN_S = 5.0


@dataclass
class CallerLeg:
    """What securepay's side of the caller's call receives: the digits and the prompts.

    The driver app subscribes to the leg securepay holds, so the test knows when a key
    has reached the daemon and when a prompt has started, without guessing from time.
    """

    phones: Phones
    channel: str
    log: EventLog

    def mark(self) -> int:
        return len(self.log.events)

    def _since(self, mark: int) -> list[Any]:
        return self.log.events[mark:]

    def _is_digit(self, event: Any) -> bool:
        return isinstance(event, ChannelDtmfReceived) and event.channel.id == self.channel

    def digits_since(self, mark: int) -> int:
        return sum(map(self._is_digit, self._since(mark)))

    def prompts_since(self, mark: int) -> int:
        target = f"channel:{self.channel}"
        return sum(
            isinstance(e, PlaybackStarted) and e.playback.target_uri == target for e in self._since(mark)
        )

    async def key(self, digits: str) -> int:
        """Key `digits` one by one, each once securepay's leg has received the one before (keyed
        in one burst, a digit can wait in Asterisk until audio flows); the mark just after
        the last of them (a prompt it sets off may already be logged)."""
        mark = self.mark()
        for count, digit in enumerate(digits, 1):
            await self.phones.key(digit)
            await until(lambda count=count: self.digits_since(mark) >= count)
        received = [i for i, e in enumerate(self.log.events) if self._is_digit(e) and i >= mark]
        return received[len(digits) - 1] + 1

    async def prompt_after(self, mark: int, count: int = 1) -> None:
        await until(lambda: self.prompts_since(mark) >= count)


@dataclass
class Run:
    """One payment driven through a daemon that is about to be killed."""

    leg: CallerLeg
    simulator: GatewaySimulator
    events: list[dict[str, Any]] = field(default_factory=list)

    async def step(self, step: str, status: str) -> None:
        await until(
            lambda: any(
                e["type"] == "payment.step" and e["step"] == step and e["status"] == status
                for e in self.events
            )
        )


async def until(check: Callable[[], Any], timeout: float = 30) -> Any:
    """Poll `check` (plain or async) until it gives something true; that value."""

    async def value() -> Any:
        result = check()
        return await result if inspect.isawaitable(result) else result

    async def wait() -> Any:
        while not (found := await value()):
            await asyncio.sleep(0.05)
        return found

    return await asyncio.wait_for(wait(), timeout)


# Each state is reached from the one before it; the kill comes once the daemon is in it.


async def amount_confirm(run: Run) -> None:
    await run.step("amount", "entering")


async def confirm_then_key(run: Run, step: str, digits: str) -> int:
    """Answer 1 to what was asked, wait for `step` to be asked, key `digits`; the mark after."""
    await run.leg.key("1")
    await run.step(step, "entering")
    return await run.leg.key(digits)


async def card_entry(run: Run) -> None:
    await amount_confirm(run)
    await confirm_then_key(run, "card_number", "4111")


async def card_confirm(run: Run) -> None:
    await card_entry(run)
    await run.leg.prompt_after(await run.leg.key("111111111111#"))


async def expiry_entry(run: Run) -> None:
    await card_confirm(run)
    await confirm_then_key(run, "expiry", "12")


async def cvc_confirm(run: Run) -> None:
    await expiry_entry(run)
    await run.leg.prompt_after(await run.leg.key("30"))
    await run.leg.prompt_after(await confirm_then_key(run, "cvc", "900"))


async def zip_confirm(run: Run) -> None:
    await cvc_confirm(run)
    await run.leg.prompt_after(await confirm_then_key(run, "postal_code", "46201"))


async def charge_in_flight(run: Run) -> None:
    await zip_confirm(run)
    run.simulator.inject(Fault.SLOW_RESPONSE)
    await run.leg.key("1")
    await until(lambda: run.simulator.charges)


async def result_playing(run: Run) -> None:
    """After "please wait", the result prompt is the second one to start after the final 1."""
    await zip_confirm(run)
    await run.leg.prompt_after(await run.leg.key("1"), count=2)


KILL_AT: dict[str, tuple[Callable[[Run], Awaitable[None]], bool]] = {
    "amount-confirm": (amount_confirm, False),
    "card-entry": (card_entry, False),
    "card-confirm": (card_confirm, False),
    "expiry-entry": (expiry_entry, False),
    "cvc-confirm": (cvc_confirm, False),
    "zip-confirm": (zip_confirm, False),
    "charge-in-flight": (charge_in_flight, True),
    "result-playing": (result_playing, True),
}
"""State -> how to reach it, and whether the charge has been submitted by then."""


def kill_config(tmp_path: Path, asterisk: AsteriskInstance, http_port: int, redis: str, gateway: str) -> Path:
    """The daemon's config, with Redis for the events and the test's simulator as Authorize.Net."""
    path = daemon_config(tmp_path, asterisk, http_port)
    with path.open("a") as config:
        config.write(
            f"""
[redis]
url = "{redis}"

[gateway]
kind = "authorizenet"
url = "{gateway}"
api_login_id = "{SIM_API_LOGIN_ID}"
transaction_key = "{SIM_TRANSACTION_KEY}"
"""
        )
    return path


@contextlib.asynccontextmanager
async def agent_events(bus: EventBus) -> AsyncIterator[list[dict[str, Any]]]:
    """Every event on Alice's channel while the block runs, as her panel gets them."""
    events: list[dict[str, Any]] = []
    async with bus.subscribe([agent_channel("alice")]) as stream:

        async def collect() -> None:
            async for event in stream:
                events.append(event)

        task = asyncio.create_task(collect())
        try:
            yield events
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def caller_leg(phones: Phones) -> CallerLeg:
    """securepay's `;2` half of the caller's Local channel, subscribed to by the driver."""
    log = EventLog(phones.driver)
    rest = phones.driver.rest
    phone = await rest.get_channel(phones.caller_phone)
    leg_name = phone.name.removesuffix(";1") + ";2"
    leg = next(c for c in await rest.list_channels() if c.name == leg_name)
    await rest.request(
        "POST", f"/applications/{DRIVER_APP}/subscription", [("eventSource", f"channel:{leg.id}")]
    )
    return CallerLeg(phones, leg.id, log)


async def caller_back_with_agent(phones: Phones, call_id: str, caller: str) -> bool:
    bridges = {b["name"]: set(b["channels"]) for b in await phones.driver.rest.list_bridges()}
    paying = any(name.startswith("securepay/pay/") for name in bridges)
    members = bridges.get(f"securepay/call/{call_id}/alice", set())
    return not paying and caller in members and len(members) == 2


async def ledger_entry(path: Path, payment_id: str) -> LedgerEntry | None:
    ledger = Ledger.open(path)
    try:
        return await ledger.get(payment_id)
    finally:
        ledger.close()


async def start_logged_daemon(config: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as stderr:  # the daemon holds its own copy of the file
        return await start_daemon(config, stderr)


def show_logs(paths: list[Path]) -> None:
    """The daemons' logs, for a failure that happened in another process."""
    for path in paths:
        if path.exists():
            print(f"\n--- {path.name} ---\n{path.read_text(errors='replace')}")


@pytest.mark.parametrize("state", list(KILL_AT))
async def test_a_daemon_killed_at_any_state_returns_the_caller_and_charges_at_most_once(
    asterisk: AsteriskInstance, redis_server: RedisInstance, tmp_path: Path, state: str
) -> None:
    reach, submitted = KILL_AT[state]
    simulator = GatewaySimulator(slow_response_s=60)
    port = free_port()
    processes: list[asyncio.subprocess.Process] = []
    bus = RedisBus(redis_server.url)  # Redis outlives both daemons, and so do the agent's events
    async with (
        serve_simulator(simulator) as gateway_url,
        driven_phones(asterisk.ari) as phones,
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
        agent_events(bus) as events,
    ):
        config = kill_config(tmp_path, asterisk, port, redis_server.url, gateway_url)
        logs = [tmp_path / "first-daemon.log", tmp_path / "restarted-daemon.log"]
        try:
            processes.append(await start_logged_daemon(config, logs[0]))
            await poll(http, "/api/v1/me", lambda _: True)
            await phones.call_in("alice")
            call = await poll(http, "/api/v1/agents/alice/call", lambda body: body["connected"])
            leg = await caller_leg(phones)
            payment_id = (await request_payment(http, call["id"]))["id"]
            await reach(Run(leg, simulator, events))
            await asyncio.sleep(0.2)  # the daemon handles what the leg just received

            processes[0].send_signal(signal.SIGKILL)
            await processes[0].wait()
            charged_at_kill = len(simulator.charges)
            restarted = time.monotonic()
            processes.append(await start_logged_daemon(config, logs[1]))
            await until(
                lambda: caller_back_with_agent(phones, call["id"], leg.channel), CALLER_BACK_WITHIN_S + 10
            )
            back_after_s = time.monotonic() - restarted
            results = await until(
                lambda: [e for e in events if e["type"] == "payment.result" and e["payment_id"] == payment_id]
            )
            entry = await ledger_entry(tmp_path / "ledger.sqlite3", payment_id)
            panel = await poll(http, f"/api/v1/payments/{payment_id}", lambda p: p["outcome"] is not None)
        except BaseException:
            show_logs(logs)
            raise
        finally:
            with contextlib.suppress(Exception):
                await phones.hang_up_caller()
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), 30)
    await bus.close()

    invoice = entry.invoice_number if entry else None
    charges = [c for c in simulator.charges if invoice and c.invoice_number == invoice]
    print(
        f"\nkill at {state}: caller back {back_after_s:.2f} s after the restart; "
        f"charges {charged_at_kill} at the kill, {len(charges)} after; outcome {entry and entry.outcome}"
    )
    assert back_after_s < CALLER_BACK_WITHIN_S
    assert entry is not None and entry.finished_at is not None
    assert simulator.request_count("createTransactionRequest") == int(submitted)
    assert len(simulator.charges) == len(charges) == charged_at_kill == int(submitted)
    if submitted:
        assert (entry.outcome, entry.transaction_id) == ("success", charges[0].trans_id)
    else:
        assert (entry.outcome, entry.transaction_id, invoice) == ("internal-error", None, None)
    own = [e for e in events if e["payment_id"] == payment_id]
    assert len(results) == 1 and own[-1] is results[0]
    assert (results[0]["outcome"], results[0]["transaction_id"]) == (entry.outcome, entry.transaction_id)
    assert (panel["outcome"], panel["transaction_id"]) == (entry.outcome, entry.transaction_id)
