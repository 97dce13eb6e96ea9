"""`benchmarks.history`: vectorised runs with their history on (issue 9), in one run.

1. 4,096 Adam configurations (learning rates) on 2-D Rosenbrock, 2,000 steps each, no early
   stop, ``jax.vmap`` of ``descend.minimize`` in one ``jax.jit``: with the default options
   (loss, gradient norm, learning rate and path recorded every step) against no history
   (``record_every=steps, record_path=False``); then the same runs through ``descend.sweep``,
   which splits them across the CPU's cores.
2. The same sweep with the default history at 500, 1,000, 2,000 and 4,000 steps: linear in the
   steps means a flat run-steps/s column.
3. One 1,000-step and one 10,000-step run: the defaults, no history, and the Numba loop of
   :mod:`benchmarks.peers` (when Numba is installed).
4. ``descend.restarts`` on Rastrigin, 256 starts, ``max_steps=10_000``, with and without
   history; and ``max_steps=10**9`` against ``10**4`` on a run that converges near step 4,000.

Times are wall-clock medians of repeats after an untimed compiling call; the CPU time of the
process (all threads) is reported beside the sweeps. Run:
``.venv/bin/python -m benchmarks.history [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import descend as ds
from benchmarks import peers
from benchmarks._timing import timed
from descend.engine._cores import cores

X0 = (-1.2, 1.0)
CONFIGS = 4096


def rosenbrock(x: jax.Array) -> jax.Array:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def sweep(
    n: int, steps: int, history: bool, make: Callable[[Any], Any] = ds.adam
) -> Callable[[], Any]:
    """``jit(vmap)`` of ``minimize`` over ``n`` learning rates, the optimizer ``make(lr)``."""
    lrs = jnp.geomspace(1e-4, 1e-1, n).astype(jnp.float32)
    x0 = jnp.asarray(X0, jnp.float32)
    lean = {} if history else {"record_every": steps, "record_path": False}

    @jax.jit
    def run(lrs: jax.Array) -> Any:
        one = lambda lr: ds.minimize(rosenbrock, x0, make(lr), max_steps=steps, tol=0.0,  # noqa: E731
                                     **lean)  # fmt: skip
        return jax.vmap(one)(lrs)

    return lambda: run(lrs)


def descend_sweep(n: int, steps: int, history: bool) -> Callable[[], Any]:
    """The same runs through ``descend.sweep``, which splits them across the CPU's cores."""
    lrs = np.geomspace(1e-4, 1e-1, n)
    x0 = jnp.asarray(X0, jnp.float32)
    lean = {} if history else {"record_every": steps, "record_path": False}
    return lambda: ds.sweep(rosenbrock, x0, ds.adam, lr=lrs, max_steps=steps, tol=0.0, **lean)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--configs", type=int, default=CONFIGS,
                        help=f"configurations in parts 1 and 2 (default {CONFIGS:,})")  # fmt: skip
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 5
    n = args.configs
    print(f"machine: {peers.environment()}\n")

    print(f"### {n:,} configurations x 2,000 steps, vmapped\n")
    print("| history | wall | CPU | run-steps/s (wall) | run-steps/s per CPU-second |")
    print("|---|---:|---:|---:|---:|")
    rates = {}
    for history in (False, True):
        _, wall, cpu = timed(sweep(n, 2000, history), repeats)
        rates[history] = n * 2000 / wall
        name = "default (every step, with path)" if history else "none"
        print(f"| {name} | {wall:.3f} s | {cpu:.3f} s | {rates[history]:.3g} | "
              f"{n * 2000 / cpu:.3g} |")  # fmt: skip
    print(f"\nwith history / without: {rates[True] / rates[False]:.2f}\n")

    backend = jax.default_backend()
    where = f"split across {cores()} cores" if backend == "cpu" else f"one program on the {backend}"
    print(f"### The same through descend.sweep ({where})\n")
    print("| history | wall | CPU | run-steps/s (wall) | / jit(vmap) above |")
    print("|---|---:|---:|---:|---:|")
    for history in (False, True):
        _, wall, cpu = timed(descend_sweep(n, 2000, history), repeats)
        rate = n * 2000 / wall
        name = "default (every step, with path)" if history else "none"
        print(f"| {name} | {wall:.3f} s | {cpu:.3f} s | {rate:.3g} | "
              f"{rate / rates[history]:.2f}x |")  # fmt: skip
    print()

    print(f"### Scaling with the steps, default history, {n:,} configurations\n")
    print("| steps | wall | run-steps/s |")
    print("|---:|---:|---:|")
    for steps in (500, 1000, 2000, 4000):
        _, wall, _ = timed(sweep(n, steps, True), repeats)
        print(f"| {steps:,} | {wall:.3f} s | {n * steps / wall:.3g} |")

    x0 = jnp.asarray(X0, jnp.float32)
    opt = ds.adam(peers.LR, peers.B1, peers.B2, peers.EPS)
    for steps in (1_000, peers.STEPS):
        print(f"\n### One {steps:,}-step run\n")
        print("| runner | time per step | / Numba | / no history |")
        print("|---|---:|---:|---:|")
        lean = {"record_every": steps, "record_path": False}
        single = {
            "descend.minimize (defaults)": lambda s=steps: ds.minimize(
                rosenbrock, x0, opt, max_steps=s, tol=0.0
            ),
            "descend.minimize (no history)": lambda s=steps, lean=lean: ds.minimize(
                rosenbrock, x0, opt, max_steps=s, tol=0.0, **lean
            ),
        }
        per_step = {name: timed(fn, 3 * repeats)[1] / steps for name, fn in single.items()}
        bare = per_step["descend.minimize (no history)"]
        numba = None
        if "numba_loop" in peers.available_peers():
            numba = peers.time_peer(peers.PEERS["numba_loop"], steps, 3 * repeats)
            numba = numba["seconds_per_step_median"]
            per_step["numba_loop (float64)"] = numba
        for name, t in per_step.items():
            ratio = f"{t / numba:.2f}x" if numba else "n/a"
            print(f"| {name} | {t * 1e9:.1f} ns | {ratio} | {t / bare:.2f}x |")

    print("\n### Restarts and a huge max_steps\n")
    surface = ds.surfaces.get("rastrigin")
    lean = {"record_every": 10**6, "record_path": False}
    for label, extra in (("default history", {}), ("no history", lean)):
        _, wall, _ = timed(lambda extra=extra: ds.restarts(surface, ds.adam(0.05), 256,
                                                           max_steps=10_000, **extra).results,
                           repeats)  # fmt: skip
        print(f"- restarts(rastrigin, 256, max_steps=10_000), {label}: {wall * 1e3:.1f} ms")
    for max_steps in (10**4, 10**9):
        _, wall, _ = timed(lambda m=max_steps: ds.minimize(rosenbrock, x0, ds.adam(0.02),
                                                           max_steps=m), repeats)  # fmt: skip
        res = ds.minimize(rosenbrock, x0, ds.adam(0.02), max_steps=max_steps)
        print(
            f"- minimize(adam(0.02), max_steps={max_steps:.0e}): {wall * 1e3:.2f} ms, "
            f"{int(res.steps)} steps, {res.history.loss.shape[0]} history rows"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
