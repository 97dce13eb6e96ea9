"""`benchmarks.loop_floor`: what XLA itself makes of one run's loop, to read descend's
single-run figures against (issue 9's "one run with its history within 2x of Numba").

A minimal Adam loop on 2-D Rosenbrock written directly as one ``lax.while_loop`` (no stop
rules, no best point, no schedule, float32, 20,000 steps), in three forms:

- ``none``: nothing recorded;
- ``three buffers``: loss, gradient norm and point written to three history arrays each
  step, as descend's loop does;
- ``one packed buffer``: the same four numbers written as one row of a ``(steps, 4)`` array.

Beside them, in the same process, ``descend.minimize`` with the same rule and steps: its
defaults and no history. Times are nanoseconds a step, medians of interleaved calls.
Run: ``.venv/bin/python -m benchmarks.loop_floor``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

import descend as ds

STEPS = 20_000
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
X0 = (-1.2, 1.0)


def rosenbrock(x: jax.Array) -> jax.Array:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def minimal(record: str) -> Callable[[], Any]:
    """The hand-written loop; ``record`` is "none", "three" or "packed"."""
    value_and_grad = jax.value_and_grad(rosenbrock)
    rows = STEPS + 1

    @jax.jit
    def run(x0: jax.Array) -> Any:
        if record == "three":
            log: Any = (jnp.full(rows, jnp.nan), jnp.full(rows, jnp.nan),
                        jnp.full((rows, 2), jnp.nan))  # fmt: skip
        elif record == "packed":
            log = jnp.full((rows, 4), jnp.nan)
        else:
            log = ()

        def body(c: Any) -> Any:
            t, x, m, v, log = c
            loss, g = value_and_grad(x)
            m, v = B1 * m + (1 - B1) * g, B2 * v + (1 - B2) * g * g
            step = (t + 1).astype(jnp.float32)
            x = x - LR * (m / (1 - B1**step)) / (jnp.sqrt(v / (1 - B2**step)) + EPS)
            t = t + 1
            norm = jnp.sqrt(jnp.sum(g * g))
            if record == "three":
                log = (log[0].at[t].set(loss), log[1].at[t].set(norm), log[2].at[t].set(x))
            elif record == "packed":
                row = jnp.concatenate([loss[None], norm[None], x])[None]
                log = jax.lax.dynamic_update_slice(log, row, (t, 0))
            return t, x, m, v, log

        start = (0, x0, jnp.zeros(2), jnp.zeros(2), log)
        return jax.lax.while_loop(lambda c: c[0] < STEPS, body, start)

    x0 = jnp.asarray(X0, jnp.float32)
    return lambda: run(x0)


def main(argv: list[str] | None = None) -> int:
    del argv
    x0 = jnp.asarray(X0, jnp.float32)
    opt = ds.adam(LR, B1, B2, EPS)
    runners = {
        "minimal loop, none": minimal("none"),
        "minimal loop, three buffers": minimal("three"),
        "minimal loop, one packed buffer": minimal("packed"),
        "descend.minimize, no history": lambda: ds.minimize(
            rosenbrock, x0, opt, max_steps=STEPS, tol=0.0, record_every=STEPS, record_path=False
        ),
        "descend.minimize, defaults": lambda: ds.minimize(
            rosenbrock, x0, opt, max_steps=STEPS, tol=0.0
        ),
    }
    for fn in runners.values():
        jax.block_until_ready(fn())  # compile
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(31):
        for name, fn in runners.items():
            start = time.perf_counter()
            jax.block_until_ready(fn())
            times[name].append(time.perf_counter() - start)
    print(f"### One run of {STEPS:,} Adam steps on Rosenbrock, float32 (ns a step)\n")
    print("| runner | ns a step |")
    print("|---|---:|")
    for name, t in times.items():
        print(f"| {name} | {statistics.median(t) / STEPS * 1e9:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
