"""`python -m bench` (`make bench`): provision Asterisk and Redis, run every sweep, write
bench/results/latest.{json,md,png}.

`BENCH_QUICK=1` runs the reduced sweep (under 5 minutes); `BENCH_ONLY=asterisk,agi,standin`
runs some sweeps only (for working on one of them) and keeps the others' results from the
previous latest.json, naming the commit they were measured at.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import agi_baseline, asterisk_sweep, procstat, profile, report, standin_sweep
from bench.plot import plot
from securepay.testing.asterisk_rig import REPO, AsteriskInstance
from securepay.testing.asterisk_root import find_or_build
from securepay.testing.redis_rig import RedisInstance

log = logging.getLogger("bench")

FULL = {"asterisk": [1, 10, 30, 60, 80], "agi": [10, 30], "standin": [1000, 2000, 5000]}
QUICK = {"asterisk": [10], "agi": [10], "standin": [1000]}
"""One level of each kind, about 4.5 minutes: each level lasts as long as a payment does
(about 65 s on Asterisk, 95 s for AGI, whose window runs to the end of the result prompts),
so the levels, not N, set the time; N = 1 would add a minute and break the 5-minute bound."""


def sweep_plan() -> dict[str, list[int]]:
    plan = QUICK if os.environ.get("BENCH_QUICK") == "1" else FULL
    only = os.environ.get("BENCH_ONLY")
    return {name: levels for name, levels in plan.items() if not only or name in only.split(",")}


async def run_sweeps(plan: dict[str, list[int]], workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"asterisk_sweep": [], "standin_sweep": [], "agi_baseline": []}
    redis = RedisInstance()
    redis.start()
    try:
        if plan.get("asterisk") or plan.get("agi"):
            await _on_asterisk(plan, workdir, redis.url, results)
        for n in plan.get("standin", []):
            results["standin_sweep"].append(await standin_sweep.run_level(redis.url, n, workdir))
    finally:
        redis.stop()
    return results


async def _on_asterisk(
    plan: dict[str, list[int]], workdir: Path, redis_url: str, results: dict[str, Any]
) -> None:
    asterisk = AsteriskInstance(find_or_build())
    try:
        asterisk.start()
        pid = int(str(asterisk.state()["pid"]))
        levels = plan.get("asterisk", [])
        for n in levels:
            samples = workdir / "profile.txt" if n == max(levels) and profile.py_spy() else None
            level = await asterisk_sweep.run_level(asterisk, pid, redis_url, n, workdir, samples)
            results["asterisk_sweep"].append(level)
            if samples is not None and samples.exists():
                total, top = profile.top_functions(samples.read_text())
                results["profile"] = {"where": f"real Asterisk N={n}", "samples": total, "top": top}
        for n in plan.get("agi", []):
            results["agi_baseline"].append(await agi_baseline.run_level(asterisk, pid, n, workdir))
    finally:
        asterisk.remove()


SWEEPS = {"asterisk": ("asterisk_sweep", "profile"), "agi": ("agi_baseline",), "standin": ("standin_sweep",)}


def carry_over(plan: dict[str, list[int]], results: dict[str, Any]) -> None:
    """Keep the results of sweeps this run skipped, from the previous latest.json."""
    previous_file = report.RESULTS / "latest.json"
    if not previous_file.exists():
        return
    previous = json.loads(previous_file.read_text())
    for sweep, keys in SWEEPS.items():
        if sweep in plan or not previous.get(keys[0]):
            continue
        for key in keys:
            if key in previous:
                results[key] = previous[key]
        measured_at = previous.get("carried_over", {}).get(keys[0], previous["commit"])
        results.setdefault("carried_over", {})[keys[0]] = measured_at


def commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return found.stdout.strip() or "unknown"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s")
    plan = sweep_plan()
    started = datetime.now(UTC)
    context = {
        "machine": procstat.machine(),
        "commit": commit(),
        "generated_at": started.strftime("%Y-%m-%d %H:%M UTC"),
        "quick": os.environ.get("BENCH_QUICK") == "1",
        "load_at_start": procstat.load_average(),
    }
    log.info("plan %s; load %s", plan, context["load_at_start"])
    workdir = Path(tempfile.mkdtemp(prefix="securepay-bench-"))
    try:
        results = asyncio.run(run_sweeps(plan, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results.update(context)
    carry_over(plan, results)
    results["duration_s"] = round((datetime.now(UTC) - started).total_seconds())
    written = report.write(results, plot)
    log.info("wrote %s and latest.json in %d s", written, results["duration_s"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
