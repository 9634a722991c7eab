"""Shared timing helper of the benchmark scripts (run as ``python benchmarks/bench_X.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """Smallest wall time of ``repeats`` calls of ``fn`` (seconds) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_time(fn: Callable[[], Any], repeats: int = 3) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn`` (seconds)."""
    return best_of(fn, repeats)[0]
