"""What the benchmark scripts share: timing a JAX call the same way everywhere."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import jax


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float, float]:
    """``(first call, median wall, median CPU)`` seconds of ``fn()`` over ``repeats`` calls,
    each waited for with ``jax.block_until_ready``; the first call (it compiles) is timed
    alone and is not in the medians."""
    start = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - start
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        jax.block_until_ready(fn())
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return first, statistics.median(wall), statistics.median(cpu)
