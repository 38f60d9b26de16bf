"""N concurrent full payments on the real Asterisk rig, the daemon as its own process.

Per N: a fresh daemon with N agents; N callers (G.711 u-law) dialled and bridged to their agents;
then the N payments requested within a few seconds and keyed as the prompts ask. The CPU window runs
from the first request to the last result, for the daemon and Asterisk alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import procstat, profile
from bench.asterisk_phones import AsteriskPhones, asterisk_phones
from bench.callers import ITEM, EventTally, amount_for, follow_agents
from bench.daemon_process import DaemonProcess, agent_id, running_daemon
from bench.stats import latency_summary
from securepay.events.bus import RedisBus
from securepay.testing.asterisk_rig import AsteriskInstance

log = logging.getLogger("bench")

PAYMENT_TIMEOUT_S = 180
REQUEST_SPREAD_S = 8.0
"""Agents request their payments over these seconds, not in one instant: callers in lockstep
would key every digit of every call in the same millisecond, which no contact center sees.
A payment lasts about 65 s, so all N still run at once."""


async def run_level(
    asterisk: AsteriskInstance,
    asterisk_pid: int,
    redis_url: str,
    n: int,
    workdir: Path,
    profile_to: Path | None = None,
) -> dict[str, Any]:
    """One level; with `profile_to`, py-spy samples the daemon into that file meanwhile."""
    async with running_daemon(workdir / f"asterisk-n{n}", asterisk.ari, redis_url, n) as daemon:
        bus = RedisBus(redis_url)
        try:
            if profile_to is None:
                return await _measure(asterisk, asterisk_pid, daemon, bus, n)
            with profile.sampling(daemon.pid, profile_to):
                return await _measure(asterisk, asterisk_pid, daemon, bus, n)
        finally:
            await bus.close()


async def _measure(
    asterisk: AsteriskInstance, asterisk_pid: int, daemon: DaemonProcess, bus: RedisBus, n: int
) -> dict[str, Any]:
    agents = [agent_id(i) for i in range(n)]
    tally = EventTally()
    headers = {"Authorization": f"Bearer {daemon.token}"}
    async with (
        asterisk_phones(asterisk.ari) as phones,
        aiohttp.ClientSession(daemon.base_url, headers=headers) as api,
    ):
        follower = asyncio.create_task(follow_agents(bus, agents, tally, phones.key))
        try:
            idle_rss_kb = procstat.rss_kb(daemon.pid)
            call_ids = await _connect_calls(phones, api, agents)
            daemon_cpu, asterisk_cpu = procstat.cpu_seconds(daemon.pid), procstat.cpu_seconds(asterisk_pid)
            started = time.monotonic()
            await asyncio.gather(*(_request(api, call_ids[i], i, i * REQUEST_SPREAD_S / n) for i in range(n)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_all_finished(tally, n), PAYMENT_TIMEOUT_S)
            window_s = time.monotonic() - started
            daemon_cpu = procstat.cpu_seconds(daemon.pid) - daemon_cpu
            asterisk_cpu = procstat.cpu_seconds(asterisk_pid) - asterisk_cpu
            peak_rss_kb = procstat.peak_rss_kb(daemon.pid)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
    result = {
        "n": n,
        "completed": tally.succeeded,
        "attempted": n,
        "daemon_cpu_s": round(daemon_cpu, 2),
        "asterisk_cpu_s": round(asterisk_cpu, 2),
        "cpu_ratio": round(daemon_cpu / asterisk_cpu, 4) if asterisk_cpu else None,
        "added_latency_ms": latency_summary(phones.timer.latencies_ms),
        "latency_samples": len(phones.timer.latencies_ms),
        "event_latency_ms": latency_summary(tally.latencies_ms, with_max=False),
        "daemon_rss_mb": round(peak_rss_kb / 1024, 1),
        "daemon_idle_rss_mb": round(idle_rss_kb / 1024, 1),
        "window_s": round(window_s, 1),
        "load": procstat.load_average(),
    }
    log.info("asterisk N=%d: %s", n, result)
    return result


async def _connect_calls(phones: AsteriskPhones, api: aiohttp.ClientSession, agents: list[str]) -> list[str]:
    """Dial every caller (a few at a time, as calls arrive) and wait until each has its agent."""
    limit = asyncio.Semaphore(10)

    async def one(index: int, agent: str) -> str:
        async with limit:
            await phones.call_in(agent, f"{index}-{time.monotonic_ns()}")
        for _ in range(600):
            async with api.get(f"/api/v1/agents/{agent}/call") as resp:
                if resp.status == 200 and (call := await resp.json())["connected"]:
                    return str(call["id"])
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the call for {agent} never reached the agent")

    return list(await asyncio.gather(*(one(i, agent) for i, agent in enumerate(agents))))


async def _request(api: aiohttp.ClientSession, call_id: str, index: int, after_s: float) -> None:
    await asyncio.sleep(after_s)
    body = {"item": ITEM, "amount": amount_for(index)}
    async with api.post(f"/api/v1/calls/{call_id}/payments", json=body) as resp:
        if resp.status != 201:
            log.warning("payment request refused: %s %s", resp.status, await resp.text())


async def _all_finished(tally: EventTally, n: int) -> None:
    while len(tally.outcomes) < n:
        await asyncio.sleep(0.1)
