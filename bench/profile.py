"""py-spy on the daemon during the top N: where its CPU goes, summarised for latest.md."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def sampling(pid: int, output: Path) -> Iterator[None]:
    """Sample `pid` (100 Hz, idle frames dropped) into collapsed stacks at `output`."""
    binary = py_spy()
    if binary is None:
        yield
        return
    argv = [binary, "record", "--pid", str(pid), "--rate", "100", "--format", "raw", "--output", str(output)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def top_functions(collapsed: str, limit: int = 15) -> tuple[int, list[tuple[str, int, int]]]:
    """(samples, [(function, inclusive samples, self samples)]) from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    rows = [(name, inclusive[name], own[name]) for name, _ in own.most_common(limit)]
    return total, rows


def _short(frame: str) -> str:
    """`func (path/to/module.py:12)` -> `func (module.py)`: lines differ by sample, functions do not."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name
