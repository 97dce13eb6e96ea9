"""`benchmarks.loop_state`: does packing one run's scalar loop state into one vector make
XLA:CPU's loop faster? (A lead for the stop rules' cost in "one run within 2x of Numba".)

Two hand-written Adam loops on 2-D Rosenbrock, 20,000 steps, float32, each with descend's
bookkeeping: the loss, the best point and loss, the steps since the best, a stop reason from
the gradient, precision, divergence and finiteness rules, and one packed history row a step.
``separate`` carries each scalar as its own loop variable; ``packed`` carries the loss, best
loss, reason and counter as one 4-vector. Printed: the thunks in each compiled loop body and
the nanoseconds a step (median of 31 interleaved calls).

Run: ``.venv/bin/python -m benchmarks.loop_state``.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

STEPS = 20_000
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
GRADIENT_TOL, FLOOR, PATIENCE, DIVERGENCE = 1e-12, 64e-9, 10, 1e4


def rosenbrock(x: jax.Array) -> jax.Array:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


value_and_grad = jax.value_and_grad(rosenbrock)


def adam(t: Any, x: Any, m: Any, v: Any, g: Any) -> tuple[Any, Any, Any]:
    m, v = B1 * m + (1 - B1) * g, B2 * v + (1 - B2) * g * g
    s = (t + 1).astype(jnp.float32)
    c1, c2 = -jnp.expm1(s * jnp.log1p(B1 - 1)), -jnp.expm1(s * jnp.log1p(B2 - 1))
    return x - LR * (m / c1) / (jnp.sqrt(v / c2) + EPS), m, v


def verdict(t: Any, loss: Any, gn: Any, x: Any, since: Any, loss0: Any) -> Any:
    """The stop reason as a float: 0 running, 1 max steps, 2 precision, 3 tol, 4 diverged."""
    finite = jnp.isfinite(loss) & jnp.isfinite(gn) & jnp.all(jnp.isfinite(x))
    blown = loss - loss0 > DIVERGENCE * jnp.maximum(jnp.abs(loss0), 1.0)
    reason = jnp.where(t >= STEPS, 1.0, 0.0)
    reason = jnp.where((gn <= FLOOR) & (since >= PATIENCE), 2.0, reason)
    reason = jnp.where(gn <= GRADIENT_TOL, 3.0, reason)
    return jnp.where(finite & ~blown, reason, 4.0)


def step(t: Any, x: Any, m: Any, v: Any, g: Any, log: Any) -> tuple[Any, ...]:
    x, m, v = adam(t, x, m, v, g)
    loss, g = value_and_grad(x)
    gn = jnp.sqrt(jnp.sum(g * g))
    row = jnp.concatenate([loss[None], gn[None], x])
    return t + 1, x, m, v, g, loss, gn, jax.lax.dynamic_update_index_in_dim(log, row, t + 1, 0)


@jax.jit
def separate(x0: jax.Array) -> Any:
    loss0, g0 = value_and_grad(x0)

    def body(c: Any) -> Any:
        t, x, m, v, g, _, best_x, best_loss, _, since, log = c
        t, x, m, v, g, loss, gn, log = step(t, x, m, v, g, log)
        improved = loss < best_loss
        since = jnp.where(improved, 0, since + 1)
        reason = verdict(t, loss, gn, x, since, loss0)
        better = improved & (reason != 4.0)
        best_x = jnp.where(better, x, best_x)
        best_loss = jnp.where(better, loss, best_loss)
        return t, x, m, v, g, loss, best_x, best_loss, reason, since, log

    z, log = jnp.zeros(2), jnp.full((STEPS + 1, 4), jnp.nan)
    start = (0, x0, z, z, g0, loss0, x0, loss0, 0.0, 0, log)
    return jax.lax.while_loop(lambda c: c[8] == 0.0, body, start)


@jax.jit
def packed(x0: jax.Array) -> Any:
    loss0, g0 = value_and_grad(x0)

    def body(c: Any) -> Any:
        t, x, m, v, g, best_x, state, log = c  # state: loss, best loss, reason, since
        t, x, m, v, g, loss, gn, log = step(t, x, m, v, g, log)
        improved = loss < state[1]
        since = jnp.where(improved, 0.0, state[3] + 1)
        reason = verdict(t, loss, gn, x, since, loss0)
        better = improved & (reason != 4.0)
        best_x = jnp.where(better, x, best_x)
        state = jnp.stack([loss, jnp.where(better, loss, state[1]), reason, since])
        return t, x, m, v, g, best_x, state, log

    z, log = jnp.zeros(2), jnp.full((STEPS + 1, 4), jnp.nan)
    start = (0, x0, z, z, g0, x0, jnp.stack([loss0, loss0, 0.0, 0.0]), log)
    return jax.lax.while_loop(lambda c: c[6][2] == 0.0, body, start)


def loop_thunks(fn: Callable[[jax.Array], Any], x0: jax.Array) -> int:
    """Fusions and copies in the compiled loop body (the computation with the most)."""
    text = fn.lower(x0).compile().as_text()
    computations = re.split(r"\n(?=%|ENTRY)", text)
    body = max(computations, key=lambda c: c.count(" fusion("))
    return body.count(" fusion(") + body.count(" copy(")


def main() -> None:
    x0 = jnp.array([-1.2, 1.0])
    runners = {"separate": separate, "packed": packed}
    times: dict[str, list[float]] = {name: [] for name in runners}
    for fn in runners.values():
        jax.block_until_ready(fn(x0))
    for _ in range(31):
        for name, fn in runners.items():
            start = time.perf_counter()
            jax.block_until_ready(fn(x0))
            times[name].append(time.perf_counter() - start)
    print("| loop state | thunks in the loop body | ns a step |")
    print("|---|---:|---:|")
    for name, fn in runners.items():
        ns = 1e9 * statistics.median(times[name]) / STEPS
        print(f"| {name} | {loop_thunks(fn, x0)} | {ns:.1f} |")


if __name__ == "__main__":
    main()
