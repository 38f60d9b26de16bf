"""latest.png: latency and CPU against concurrency, real Asterisk and stand-in side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; pyplot picks its backend on import
import matplotlib.pyplot as plt


def plot(results: dict[str, Any], path: Path) -> None:
    asterisk = results.get("asterisk_sweep", [])
    standin = results.get("standin_sweep", [])
    figure, (latency, cpu, ceiling) = plt.subplots(1, 3, figsize=(15, 4.5))
    if asterisk:
        ns = [level["n"] for level in asterisk]
        for key, style in (("p50", "o-"), ("p99", "s-"), ("max", "^:")):
            latency.plot(
                ns, [level["added_latency_ms"][key] for level in asterisk], style, label=f"added {key}"
            )
        latency.plot(
            ns, [level["event_latency_ms"]["p99"] for level in asterisk], "x--", label="event->Redis p99"
        )
        latency.axhline(10, color="red", linewidth=0.8, label="p99 target 10 ms")
        ratio = [100 * level["daemon_cpu_s"] / max(level["asterisk_cpu_s"], 1e-9) for level in asterisk]
        cpu.plot(ns, ratio, "o-", label="daemon CPU, % of Asterisk's")
        cpu.axhline(5, color="red", linewidth=0.8, label="target 5 %")
    latency.set(title="Real Asterisk: added latency", xlabel="concurrent payments", ylabel="ms")
    latency.legend(fontsize=8)
    cpu.set(title="Real Asterisk: daemon CPU vs Asterisk", xlabel="concurrent payments", ylabel="%")
    cpu.legend(fontsize=8)
    if standin:
        ns = [level["n"] for level in standin]
        ceiling.plot(
            ns, [level["added_latency_ms"]["p99"] for level in standin], "s-", label="added p99 (ms)"
        )
        ceiling.plot(
            ns, [1000 * level["cpu_s_per_payment"] for level in standin], "o-", label="CPU ms / payment"
        )
        ceiling.axhline(50, color="red", linewidth=0.8, label="p99 target 50 ms")
    ceiling.set(title="ARI stand-in: one daemon, one core", xlabel="concurrent flows")
    ceiling.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
