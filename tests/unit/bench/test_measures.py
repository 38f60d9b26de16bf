"""The bench's own arithmetic: percentiles, /proc parsing, pairing digits with prompts;
and its clean-up of AGI scripts."""

import signal
import subprocess
import sys

from bench.agi_baseline import end_children
from bench.asterisk_phones import PromptTimer, asterisk_time
from bench.procstat import parse_cpu_ticks, parse_status_kb
from bench.report import Target, targets
from bench.stats import latency_summary, percentile


def test_percentiles_are_values_that_were_measured() -> None:
    samples = [float(value) for value in range(1, 101)]
    assert percentile(samples, 50) == 50
    assert percentile(samples, 99) == 99
    assert percentile([7.0], 99) == 7
    assert latency_summary([3.0, 1.0, 2.0]) == {"p50": 2.0, "p99": 3.0, "max": 3.0}


def test_cpu_ticks_survive_a_process_name_with_spaces_and_parentheses() -> None:
    line = "4242 (python3 (bench) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 99 0 0"
    assert parse_cpu_ticks(line) == 325


def test_rss_and_peak_come_from_proc_status() -> None:
    status = "Name:\tpython3\nVmHWM:\t   61234 kB\nVmRSS:\t   58000 kB\n"
    assert parse_status_kb(status, "VmRSS") == 58000
    assert parse_status_kb(status, "VmHWM") == 61234


def test_added_latency_runs_from_the_last_digit_before_a_prompt_to_its_start() -> None:
    timer = PromptTimer()
    timer.prompt_started("caller", 0.5)  # the intro: no digit before it
    for at in (1.0, 1.35, 1.7):
        timer.digit("caller", at)
    timer.prompt_started("caller", 1.703)
    timer.prompt_started("caller", 2.0)  # a second prompt with no new digit is not paired
    assert [round(ms, 3) for ms in timer.latencies_ms] == [3.0]


def test_asterisk_timestamps_keep_their_milliseconds() -> None:
    gap = asterisk_time("2026-12-03T07:45:00.125+0000") - asterisk_time("2026-12-03T07:45:00.122+0000")
    assert round(gap * 1000, 3) == 3.0


def test_a_missed_target_says_by_how_much() -> None:
    assert Target("p99", 12.5, 10, unit=" ms").verdict() == "missed by 2.5 ms (1.2x the limit)"
    assert Target("memory x", 100, 50, higher_is_better=True).verdict() == "met"
    assert Target("cpu x", 5, 10, higher_is_better=True, unit="x").verdict() == "missed: 5x, 2.0x short"


def _level(n: int, completed: int) -> dict[str, object]:
    return {
        "n": n,
        "completed": completed,
        "attempted": n,
        "daemon_cpu_s": 1.0,
        "asterisk_cpu_s": 40.0,
        "added_latency_ms": {"p50": 2.0, "p99": 4.0, "max": 5.0},
        "event_latency_ms": {"p50": 1.0, "p99": 3.0},
    }


def test_when_asterisk_cannot_hold_the_top_n_the_largest_n_it_held_is_judged_too() -> None:
    names = [t.name for t in targets({"asterisk_sweep": [_level(1, 1), _level(60, 60), _level(80, 79)]})]
    assert "real Asterisk N=80: completed %" in names
    assert "real Asterisk N=60 (the largest N Asterisk held): added latency p99" in names


def test_when_asterisk_holds_the_top_n_it_is_judged_once() -> None:
    names = [t.name for t in targets({"asterisk_sweep": [_level(1, 1), _level(80, 80)]})]
    assert not any("largest N" in name for name in names)


def test_agi_scripts_still_running_after_one_grace_period_are_ended() -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    stuck = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(3)]
    end_children([finished, *stuck], grace_s=0.5)
    assert finished.returncode == 0
    assert [child.returncode for child in stuck] == [-signal.SIGKILL] * 3
