"""The classic alternative in the same run: the same flow as an AGI script per call.

A FastAGI listener hands each call to a fresh Python process (`bench.agi_script`), as
inetd would for `AGI()` running a script: one interpreter per concurrent call. Each
process reports its own CPU time and peak RSS when the call ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import procstat
from bench.asterisk_phones import asterisk_phones
from bench.callers import amount_for
from securepay.testing.asterisk_rig import REPO, AsteriskInstance
from securepay.testing.demo import KEYS_FOR_STEP

log = logging.getLogger("bench")

CONTEXT = "securepay-bench-agi"
CALL_TIMEOUT_S = 180


@contextlib.contextmanager
def process_per_call(usage_file: Path) -> Iterator[int]:
    """A FastAGI listener that runs each call in a new `python -m bench.agi_script`."""
    listener = socket.create_server(("127.0.0.1", 0))
    env = {**os.environ, "BENCH_AGI_USAGE": str(usage_file), "PYTHONPATH": str(REPO)}
    children: list[subprocess.Popen[bytes]] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    argv = [sys.executable, "-m", "bench.agi_script"]
                    children.append(subprocess.Popen(argv, stdin=conn, stdout=conn, env=env, cwd=REPO))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        end_children(children)


def end_children(children: list[subprocess.Popen[bytes]], grace_s: float = 10.0) -> None:
    """Let each script finish its call, within one grace period for all of them (Ctrl-C or
    a stuck call must not leave interpreters behind, nor wait 10 s per call)."""
    deadline = time.monotonic() + grace_s
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def add_agi_dialplan(asterisk: AsteriskInstance, port: int) -> None:
    """Route `pay-<amount>@securepay-bench-agi` to the AGI listener on `port`, in this instance
    only (securepay's shipped modules.conf does not load res_agi). Each level has its own
    listener, so the context is replaced, not appended to."""
    extensions = asterisk.dir / "etc" / "extensions.conf"
    shipped = extensions.read_text().split(f"\n[{CONTEXT}]\n")[0]
    extensions.write_text(
        shipped
        + f"\n[{CONTEXT}]\n"
        + f"exten => _pay-.,1,Answer()\n same => n,AGI(agi://127.0.0.1:{port}/pay,${{EXTEN:4}})\n"
        + " same => n,Hangup()\n"
    )
    for command in ("module load res_speech.so", "module load res_agi.so", "dialplan reload"):
        argv = asterisk.install.command("-C", f"{asterisk.inner_dir}/etc/asterisk.conf", "-rx", command)
        subprocess.run(argv, check=True, capture_output=True, timeout=30)


async def run_level(asterisk: AsteriskInstance, asterisk_pid: int, n: int, workdir: Path) -> dict[str, Any]:
    usage_file = workdir / f"agi-n{n}.jsonl"
    usage_file.touch()
    with process_per_call(usage_file) as port:
        add_agi_dialplan(asterisk, port)
        results = await _calls(asterisk, asterisk_pid, n)
    usage = [json.loads(line) for line in usage_file.read_text().splitlines()]
    completed = sum(record["outcome"] == "success" for record in usage)
    result = {
        "n": n,
        "completed": completed,
        "attempted": n,
        "rss_mb_per_call": round(sum(r["max_rss_kb"] for r in usage) / max(len(usage), 1) / 1024, 1),
        "cpu_s_per_payment": round(sum(r["cpu_s"] for r in usage) / max(completed, 1), 3),
        "outcomes": dict(Counter(record["outcome"] for record in usage)),
        **results,
    }
    log.info("AGI N=%d: %s", n, result)
    return result


async def _calls(asterisk: AsteriskInstance, asterisk_pid: int, n: int) -> dict[str, Any]:
    outcomes: dict[str, str] = {}
    async with asterisk_phones(asterisk.ari) as phones:

        def on_variable(who: str, name: str, value: str) -> None:
            if name == "BENCH_STEP" and value in KEYS_FOR_STEP:
                phones.key(who, KEYS_FOR_STEP[value])
            elif name == "BENCH_RESULT":
                outcomes[who] = value

        phones.on_variable = on_variable
        asterisk_cpu = procstat.cpu_seconds(asterisk_pid)
        started = time.monotonic()
        for index in range(n):
            endpoint = f"Local/pay-{amount_for(index)}@{CONTEXT}/n"
            await phones.dial(endpoint, f"agi{index}", f"agi{index}-{time.monotonic_ns()}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_until(lambda: len(outcomes) >= n), CALL_TIMEOUT_S)
        return {
            "asterisk_cpu_s": round(procstat.cpu_seconds(asterisk_pid) - asterisk_cpu, 2),
            "window_s": round(time.monotonic() - started, 1),
            "load": procstat.load_average(),
        }


async def _until(check: Any) -> None:
    while not check():
        await asyncio.sleep(0.1)
