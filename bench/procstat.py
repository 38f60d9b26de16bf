"""CPU and memory of a process, read from /proc as `ps` and `top` do.

CPU is utime + stime from /proc/<pid>/stat (clock ticks); memory is VmRSS and VmHWM
(the peak) from /proc/<pid>/status.
"""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_cpu_ticks(stat_line: str) -> int:
    """utime + stime from a /proc/<pid>/stat line; the command name may hold spaces and ')'."""
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float:
    return parse_cpu_ticks(Path(f"/proc/{pid}/stat").read_text()) / CLOCK_TICKS


def parse_status_kb(status_text: str, key: str) -> int:
    """A `Key:   1234 kB` value from /proc/<pid>/status."""
    for line in status_text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def rss_kb(pid: int) -> int:
    return parse_status_kb(Path(f"/proc/{pid}/status").read_text(), "VmRSS")


def peak_rss_kb(pid: int) -> int:
    return parse_status_kb(Path(f"/proc/{pid}/status").read_text(), "VmHWM")


def machine() -> dict[str, object]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count(), "cpu_model": model}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
