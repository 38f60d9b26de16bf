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

import securepay


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def sampling(pid: int, output: Path) -> Iterator[None]:
    """Sample `pid` at 100 Hz into collapsed stacks at `output`, without pausing it (a paused
    daemon would add its own latency to the very level being measured)."""
    binary = py_spy()
    if binary is None:
        yield
        return
    argv = [binary, "record", "--pid", str(pid), "--rate", "100", "--nonblocking"]
    argv += ["--format", "raw", "--output", str(output)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


SOURCE_FILES = frozenset(path.name for path in Path(securepay.__file__).parent.rglob("*.py")) - {"cli.py"}
"""securepay's module files (less the entry point, whose frames are every stack's root)."""

IDLE = frozenset(
    {"EpollSelector.select (selectors.py)", "_worker (thread.py)", "Condition.wait (threading.py)"}
)
"""Leaves where a thread waits rather than works: the event loop's poll, idle executor threads."""


def top_functions(collapsed: str, limit: int = 15) -> tuple[int, list[tuple[str, int, int]]]:
    """(busy samples, [(function, inclusive, self samples)]) from py-spy's collapsed stacks:
    the functions that burn the most themselves, then securepay's own that cost the most in all."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        if frames[-1] in IDLE:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        for frame in {_short(frame) for frame in stack.split(";") if _ours(frame)}:
            ours[frame] += count
        own[frames[-1]] += count
    rows = [(name, inclusive[name], own[name]) for name, _ in own.most_common(limit)]
    rows += [
        (name, count, own[name]) for name, count in ours.most_common(limit) if name not in dict.fromkeys(own)
    ]
    return total, rows


def _ours(frame: str) -> bool:
    """securepay's frames: py-spy names them by package path, or by bare file name when the
    module was run from the source tree."""
    where = frame.partition(" (")[2].split(":")[0]
    name = Path(where).name
    return name in SOURCE_FILES and ("securepay/" in where or "/" not in where)


def _short(frame: str) -> str:
    """`func (path/to/module.py:12)` -> `func (module.py)`: lines differ by sample, functions do not."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name
