"""`make demo`: one secure payment from start to finish, on embedded defaults.

Brings up a private Asterisk 22, a redis-server, the Authorize.Net simulator and the
daemon; places a call from a scripted caller to agent alice; requests a payment over
the HTTP API as alice's panel would; the caller keys a test card as each step's event
arrives over Redis; prints every step and the result. `DEMO_KEEP=1` leaves it all
running (the panel, the API, Asterisk) until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Any

import aiohttp

from securepay import config, logs
from securepay.daemon import Daemon, open_ledger
from securepay.events.bus import RedisBus
from securepay.events.publisher import agent_channel
from securepay.gateway.factory import open_gateway
from securepay.testing.asterisk_rig import AsteriskInstance, free_port
from securepay.testing.asterisk_root import find_or_build
from securepay.testing.phones import AGENT_ENDPOINT, Phones, driven_phones
from securepay.testing.redis_rig import RedisInstance
from securepay.web.auth import new_token, token_hash

ITEM, AMOUNT = "Blue widget", "49.95"
KEYS_FOR_STEP = {
    "amount": "1",
    "card_number": "4111111111111111#1",
    "expiry": "12301",
    "cvc": "9001",
    "postal_code": "462011",
}
"""What the scripted caller keys when each step starts: the entry, then 1 to confirm."""

CHECK = {"entering": "...", "completed": "done", "failed": "FAILED", "waiting": ""}


def say(text: str) -> None:
    print(f"demo: {text}", flush=True)


def demo_settings(asterisk: AsteriskInstance, redis: RedisInstance, token: str) -> config.Settings:
    ari = asterisk.ari
    settings = config.load(
        None,
        {
            "SECUREPAY_ARI_URL": ari.url,
            "SECUREPAY_ARI_PASSWORD": ari.password,
            "SECUREPAY_REDIS_URL": redis.url,
            "SECUREPAY_HTTP_PORT": str(free_port()),
            "SECUREPAY_LOG_LEVEL": "warning",
            "SECUREPAY_LOG_FORMAT": "text",
            "SECUREPAY_LEDGER_PATH": str(asterisk.dir / "ledger.sqlite3"),
        },
    )
    alice = config.AgentConfig(name="Alice Smith", endpoint=AGENT_ENDPOINT, token_sha256=token_hash(token))
    return settings.model_copy(update={"agents": {"alice": alice}})


async def pay(daemon: Daemon, bus: RedisBus, phones: Phones, token: str) -> dict[str, Any]:
    base = f"http://127.0.0.1:{daemon.http_port}"
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(base, headers=headers) as http,
        bus.subscribe([agent_channel("alice")]) as events,
    ):
        await phones.call_in("alice")
        call = await _wait_for_call(http)
        say(f"caller connected to Alice Smith (call {call['id']})")
        async with http.post(
            f"/api/v1/calls/{call['id']}/payments", json={"item": ITEM, "amount": AMOUNT}
        ) as resp:
            payment = await resp.json()
            if resp.status != 201:
                raise RuntimeError(f"payment request refused: {payment}")
        say(f"Alice requested a payment: {ITEM}, ${AMOUNT} ({payment['id']}); the caller hears the prompts")
        async for event in events:
            if event["payment_id"] != payment["id"]:
                continue
            if event["type"] == "payment.step":
                say(
                    f"  {event['step']:<12} {CHECK[event['status']]}"
                    + (f" ({event['error']})" if event["error"] else "")
                )
                if event["status"] == "entering" and event["step"] in KEYS_FOR_STEP:
                    await phones.key(KEYS_FOR_STEP[event["step"]])
            elif event["type"] == "payment.entry" and event["complete"]:
                brand = f"{event['brand']} " if event["brand"] else ""
                say(f"  {event['step']:<12} the panel shows {brand}{event['masked']}")
            elif event["type"] == "payment.result":
                return event
    raise RuntimeError("the event stream ended before the result")


async def _wait_for_call(http: aiohttp.ClientSession) -> dict[str, Any]:
    for _ in range(300):
        async with http.get("/api/v1/agents/alice/call") as resp:
            if resp.status == 200 and (call := await resp.json())["connected"]:
                return call
        await asyncio.sleep(0.1)
    raise RuntimeError("the call never reached the agent")


async def run_demo(asterisk: AsteriskInstance, redis: RedisInstance) -> int:
    token = new_token()
    settings = demo_settings(asterisk, redis, token)
    bus = RedisBus(redis.url)
    ledger = open_ledger(settings.ledger.path)
    async with driven_phones(asterisk.ari) as phones, open_gateway(settings.gateway) as gateway:
        daemon = Daemon(settings, gateway, bus, ledger)
        await daemon.start()
        try:
            await asyncio.wait_for(daemon.ari.connected.wait(), 20)
            say(
                f"daemon connected to Asterisk over ARI; API and panel on http://127.0.0.1:{daemon.http_port}/"
            )
            result = await asyncio.wait_for(pay(daemon, bus, phones, token), 120)
            ok = result["outcome"] == "success"
            say(
                f"result: {result['outcome']}, transaction {result['transaction_id']}, "
                f"${result['amount']} on {result['brand']} ending {result['last4']}"
            )
            await _until_caller_back(daemon)
            say("the caller is back with Alice")
            if os.environ.get("DEMO_KEEP") == "1":
                say(f"DEMO_KEEP=1: panel http://127.0.0.1:{daemon.http_port}/  token for alice: {token}")
                say(f"ARI {asterisk.ari.url} (securepay / {asterisk.ari.password}); Ctrl-C stops everything")
                await asyncio.Event().wait()
            return 0 if ok else 1
        finally:
            await daemon.stop()
            await bus.close()
            ledger.close()


async def _until_caller_back(daemon: Daemon) -> None:
    for _ in range(300):
        calls = daemon.calls.all()
        if calls and calls[0].payment_id is None:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the caller did not return to the agent")


def main() -> int:
    logs.configure("warning", "text")
    say("provisioning Asterisk (the first run builds a cached chroot, about a minute)")
    install = find_or_build()
    asterisk = AsteriskInstance(install)
    redis = RedisInstance()
    code = 1
    try:
        asterisk.start()
        say(f"Asterisk {install.version} up; ARI on {asterisk.ari.url}")
        redis.start()
        say(f"redis-server up on {redis.url}; gateway: the local Authorize.Net simulator")
        with contextlib.suppress(KeyboardInterrupt):
            code = asyncio.run(run_demo(asterisk, redis))
    finally:
        redis.stop()
        asterisk.remove()
        say("stopped Asterisk and redis-server")
    say("OK" if code == 0 else "FAILED")
    return code


if __name__ == "__main__":
    sys.exit(main())
