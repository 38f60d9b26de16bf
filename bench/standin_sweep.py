"""The daemon's own ceiling: thousands of concurrent flows against the ARI stand-in.

The daemon is pinned to CPU 0; the stand-in, the callers and this bench run where the
kernel puts them (on a shared machine, pinning them too starves them, not the daemon). A
flow paces like a person (a pause to read each prompt, about three digits a second),
so a payment lasts about a minute and the N flows overlap fully. CPU per payment counts
the whole call: its arrival, the agent's leg, the payment and the hang-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench import procstat
from bench.callers import ITEM, EventTally, amount_for, follow_agents
from bench.daemon_process import agent_id, running_daemon
from bench.standin import AriStandIn
from bench.stats import latency_summary
from securepay.events.bus import RedisBus
from securepay.testing.asterisk_rig import AriEndpoint, free_port

log = logging.getLogger("bench")

PROMPT_S = 5.0
"""About the length of securepay's own entry prompts (4 to 6 s)."""
THINK_S = 8.0
"""From a step's prompt starting to the caller's first key."""
DIGIT_GAP_S = 0.3
CALLS_PER_S = 250
PAYMENT_RAMP_S = 20.0
HANG_UP_AFTER_S = 1.0
FLOW_TIMEOUT_S = 300
DAEMON_CPU = 0


class StandInCallers:
    """The N callers on the stand-in: dial, wait for the agent, key what each step asks."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.standin = AriStandIn(PROMPT_S, self._bridged)
        self.tally = EventTally()
        self.calls: dict[str, str] = {}
        self.all_bridged = asyncio.Event()
        self.finished = asyncio.Event()
        self.peak_in_flight = 0
        self._requested = 0
        self._results_seen = 0

    def _bridged(self, agent: str, call_id: str) -> None:
        if agent not in self.calls:
            self.calls[agent] = call_id
            if len(self.calls) == self.n:
                self.all_bridged.set()

    def key(self, agent: str, digits: str) -> None:
        loop = asyncio.get_running_loop()
        channel = f"caller-{agent}"
        for index, digit in enumerate(digits):
            loop.call_later(THINK_S + index * DIGIT_GAP_S, self.standin.key, channel, digit)

    def result_seen(self) -> None:
        """Called after each event: hang up callers whose payment has ended."""
        if len(self.tally.outcomes) == self._results_seen:
            return
        loop = asyncio.get_running_loop()
        for agent in list(self.tally.outcomes)[self._results_seen :]:
            loop.call_later(HANG_UP_AFTER_S, self.standin.hang_up, f"caller-{agent}")
        self._results_seen = len(self.tally.outcomes)
        if self._results_seen == self.n:
            self.finished.set()

    def requested(self) -> None:
        self._requested += 1
        self.peak_in_flight = max(self.peak_in_flight, self._requested - len(self.tally.outcomes))


async def run_level(redis_url: str, n: int, workdir: Path) -> dict[str, Any]:
    callers = StandInCallers(n)
    runner = web.AppRunner(callers.standin.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ari = AriEndpoint(f"http://127.0.0.1:{port}", "securepay", "stand-in")
    bus = RedisBus(redis_url)
    try:
        async with running_daemon(workdir / f"standin-n{n}", ari, redis_url, n, cpu=DAEMON_CPU) as daemon:
            return await _measure(callers, daemon.pid, daemon.base_url, daemon.token, bus)
    finally:
        await bus.close()
        await runner.cleanup()


async def _measure(
    callers: StandInCallers, pid: int, base_url: str, token: str, bus: RedisBus
) -> dict[str, Any]:
    n = callers.n
    agents = [agent_id(i) for i in range(n)]

    def on_keys(agent: str, digits: str) -> None:
        callers.key(agent, digits)

    follower = asyncio.create_task(follow_agents(bus, agents, callers.tally, on_keys, callers.result_seen))
    idle_rss_kb = procstat.rss_kb(pid)
    cpu_before, bench_cpu_before = procstat.cpu_seconds(pid), procstat.cpu_seconds(os.getpid())
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=50)
    try:
        async with aiohttp.ClientSession(base_url, headers=headers, connector=connector) as api:
            for index, agent in enumerate(agents):
                callers.standin.call_in(agent)
                if index % CALLS_PER_S == CALLS_PER_S - 1:
                    await asyncio.sleep(1)
            await asyncio.wait_for(callers.all_bridged.wait(), FLOW_TIMEOUT_S)
            setup_s = time.monotonic() - started
            await _request_all(api, callers, agents)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(callers.finished.wait(), FLOW_TIMEOUT_S)
            await asyncio.sleep(HANG_UP_AFTER_S + 1)
        cpu_s = procstat.cpu_seconds(pid) - cpu_before
        bench_cpu_s = procstat.cpu_seconds(os.getpid()) - bench_cpu_before
        peak_rss_kb = procstat.peak_rss_kb(pid)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    completed = callers.tally.succeeded
    result = {
        "n": n,
        "completed": completed,
        "peak_concurrent": callers.peak_in_flight,
        "cpu_s_per_payment": round(cpu_s / max(completed, 1), 4),
        "daemon_cpu_s": round(cpu_s, 2),
        "standin_cpu_s": round(bench_cpu_s, 2),
        "added_latency_ms": latency_summary(callers.standin.timer.latencies_ms),
        "latency_samples": len(callers.standin.timer.latencies_ms),
        "event_latency_ms": latency_summary(callers.tally.latencies_ms, with_max=False),
        "rss_kb_per_flow": round((peak_rss_kb - idle_rss_kb) / n, 1),
        "daemon_rss_mb": round(peak_rss_kb / 1024, 1),
        "setup_s": round(setup_s, 1),
        "window_s": round(time.monotonic() - started, 1),
        "load": procstat.load_average(),
    }
    log.info("stand-in N=%d: %s", n, result)
    return result


async def _request_all(api: aiohttp.ClientSession, callers: StandInCallers, agents: list[str]) -> None:
    """Request every payment, evenly over PAYMENT_RAMP_S, as agents would."""
    gap = PAYMENT_RAMP_S / len(agents)
    tasks = []
    for index, agent in enumerate(agents):
        tasks.append(asyncio.create_task(_request(api, callers.calls[agent], index)))
        callers.requested()
        await asyncio.sleep(gap)
    await asyncio.gather(*tasks)


async def _request(api: aiohttp.ClientSession, call_id: str, index: int) -> None:
    async with api.post(
        f"/api/v1/calls/{call_id}/payments", json={"item": ITEM, "amount": amount_for(index)}
    ) as resp:
        if resp.status != 201:
            log.warning("payment request refused: %s %s", resp.status, await resp.text())
