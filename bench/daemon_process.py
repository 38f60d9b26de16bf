"""The daemon as its own process, as an operator runs it (`securepay run --config ...`).

Its config names one agent per concurrent call and one supervisor token the bench uses
to request every payment. Each run starts a fresh process, so VmHWM is that run's peak.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from securepay.testing.asterisk_rig import AriEndpoint, free_port
from securepay.web.auth import new_token, token_hash

AGENT_ENDPOINT = "Local/agentphone@securepay-test/n"


def agent_id(index: int) -> str:
    return f"agent{index:05d}"


@dataclass
class DaemonProcess:
    process: subprocess.Popen[bytes]
    http_port: int
    token: str

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def write_config(
    path: Path, ari: AriEndpoint, redis_url: str, agents: int, http_port: int, token: str
) -> None:
    lines = [
        "[ari]",
        f'url = "{ari.url}"',
        f'username = "{ari.username}"',
        f'password = "{ari.password}"',
        "reconnect_max_s = 1",
        "[http]",
        f"port = {http_port}",
        "[redis]",
        f'url = "{redis_url}"',
        "[log]",
        'level = "info"',
        'format = "json"',
        "[ledger]",
        f'path = "{path.parent / "ledger.sqlite3"}"',
        "[web]",
        f'supervisor_tokens_sha256 = ["{token_hash(token)}"]',
    ]
    for index in range(agents):
        lines += [
            f"[agents.{agent_id(index)}]",
            f'name = "Bench agent {index}"',
            f'endpoint = "{AGENT_ENDPOINT}"',
        ]
    path.write_text("\n".join(lines) + "\n")


@contextlib.asynccontextmanager
async def running_daemon(
    workdir: Path, ari: AriEndpoint, redis_url: str, agents: int, cpu: int | None = None
) -> AsyncIterator[DaemonProcess]:
    """Start `securepay run`, wait for /healthz, and stop it with SIGTERM at the end."""
    workdir.mkdir(parents=True, exist_ok=True)
    token, port = new_token(), free_port()
    config = workdir / "securepay.toml"
    write_config(config, ari, redis_url, agents, port, token)
    log = open(workdir / "daemon.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [sys.executable, "-m", "securepay.cli", "run", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log.close()
    if cpu is not None:
        os.sched_setaffinity(process.pid, {cpu})
    daemon = DaemonProcess(process, port, token)
    try:
        await _wait_healthy(daemon, workdir / "daemon.log")
        yield daemon
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


async def _wait_healthy(daemon: DaemonProcess, log: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http:
        while time.monotonic() < deadline:
            if daemon.process.poll() is not None:
                tail = log.read_text()[-2000:]
                raise RuntimeError(f"the daemon exited with {daemon.process.returncode}:\n{tail}")
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                async with http.get(daemon.base_url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the daemon was not healthy within {timeout_s:.0f} s:\n{log.read_text()[-2000:]}")
