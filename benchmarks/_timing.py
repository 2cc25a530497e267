"""Timing helpers shared by the benchmarks: milliseconds per call and their p50/p95/max."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(run: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call of `run`, `runs` times."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float], *, width: int = 8, decimals: int = 2) -> str:
    """p50 / p95 / max in milliseconds, as fixed-width columns."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return " ".join(
        f"{value:{width}.{decimals}f}" for value in (statistics.median(ordered), p95, ordered[-1])
    )
