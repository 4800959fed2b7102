"""What every workload shares: optional torch with one thread, and timing by median."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def load_torch():
    """torch limited to one thread (chainrule runs on one core), or None if not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Seconds one call of ``fn`` takes: wall clock, and this process's CPU time.

    CPU time is the steadier figure on a shared machine (it does not count waiting for a core).
    """
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def median(values: list[float]) -> float:
    return statistics.median(values)


def row(metric: str, unit: str, ours: float, theirs: float | None) -> dict:
    """One line of a workload's table: chainrule's median, torch's, and their ratio."""
    return {
        "metric": metric,
        "unit": unit,
        "chainrule": ours,
        "torch": theirs,
        "ratio": ours / theirs if theirs else None,
    }
