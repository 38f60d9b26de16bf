"""`python -m bench` (`make bench`): provision Asterisk and Redis, run every sweep, write
bench/results/latest.{json,md,png}. `BENCH_QUICK=1` runs the reduced sweep."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import asterisk_sweep, procstat
from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.asterisk_root import find_or_build
from securepay.testing.redis_rig import RedisInstance

log = logging.getLogger("bench")

FULL = {"asterisk": [1, 10, 30, 60, 80], "standin": [1000, 2000, 5000], "agi": [10, 30]}
QUICK = {"asterisk": [1, 10], "standin": [1000], "agi": [10]}


def sweep_plan() -> dict[str, list[int]]:
    plan = QUICK if os.environ.get("BENCH_QUICK") == "1" else FULL
    only = os.environ.get("BENCH_ONLY")
    return {name: levels for name, levels in plan.items() if not only or name in only.split(",")}


async def run_asterisk_sweeps(plan: dict[str, list[int]], workdir: Path) -> dict[str, Any]:
    asterisk = AsteriskInstance(find_or_build())
    redis = RedisInstance()
    results: dict[str, Any] = {"asterisk_sweep": []}
    try:
        asterisk.start()
        redis.start()
        pid = int(str(asterisk.state()["pid"]))
        for n in plan.get("asterisk", []):
            results["asterisk_sweep"].append(
                await asterisk_sweep.run_level(asterisk, pid, redis.url, n, workdir)
            )
    finally:
        redis.stop()
        asterisk.remove()
    return results


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s")
    plan = sweep_plan()
    workdir = Path(tempfile.mkdtemp(prefix="securepay-bench-"))
    try:
        results = asyncio.run(run_asterisk_sweeps(plan, workdir))
        results["machine"] = procstat.machine()
        print(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
