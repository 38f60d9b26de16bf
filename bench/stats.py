"""Percentiles over latency samples, the way the results report them."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): always a value that was actually measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(values_ms: Sequence[float], *, with_max: bool = True) -> dict[str, float]:
    """p50/p99 (and max) in ms, rounded to what the clocks can tell apart."""
    summary = {"p50": percentile(values_ms, 50), "p99": percentile(values_ms, 99)}
    if with_max:
        summary["max"] = max(values_ms) if values_ms else math.nan
    return {key: round(value, 2) for key, value in summary.items()}
