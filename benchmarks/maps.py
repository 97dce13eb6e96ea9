"""`benchmarks.maps`: basin and stability maps (issue 12), each one vmapped program.

Goals: a 128 x 128 basin map of 1,000 steps within 2 s, and a 64 x 64 stability map within
2 s, on the 2 cores, after compilation.

1. ``descend.insight.basin_map`` at 128 x 128 starts, ``max_steps=1000``: Himmelblau with
   gradient descent, momentum and Adam, Rastrigin with gradient descent (121 minima to
   cluster), and the worst case, ``tol=0``, where no run stops before step 1,000.
2. ``descend.insight.stability_map`` at 64 x 64 hyperparameter pairs, ``max_steps=1000``:
   the heavy ball and Adam on the quadratic of condition number 100 and on Rosenbrock, and
   the worst case ``tol=0``.
3. Where the time goes (profile): the compiled program alone (``_basin_program``) against
   the whole call (grid, program, labelling), and float32 (the maps' type) against the
   same program with its stop rules off.
4. One core against all: the maps split their runs across the cores
   (``descend.engine._cores``); the same two maps with the split off and on, interleaved.

Times are wall-clock medians of repeats after an untimed compiling call (whose time is
given too); the process's CPU time (all threads) beside them. The machine is shared: the
load average is printed with the figures. Run: ``.venv/bin/python -m benchmarks.maps
[--quick]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import descend as ds
from benchmarks import peers
from benchmarks._timing import timed
from descend.insight import basin_map, stability_map
from descend.insight._maps import _basin_program, _label
from descend.optim._recipe import split

GOAL_S = 2.0
BASIN_RES = 128
STABILITY_RES = 64
STEPS = 1000


def _row(name: str, first: float, wall: float, cpu: float, steps: float, extra: str) -> str:
    verdict = "yes" if wall <= GOAL_S else "**no**"
    return (f"| {name} | {first:.2f} s | {wall:.3f} s | {cpu:.3f} s | {steps:,.0f} | "
            f"{steps / wall:.3g} | {verdict} | {extra} |")  # fmt: skip


def basins(repeats: int) -> None:
    print(f"### Basin maps, {BASIN_RES} x {BASIN_RES} starts, max_steps={STEPS}\n")
    print("| map | first call (compiles) | wall | CPU | run-steps | run-steps/s | "
          "within 2 s | result |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|:---:|---|")
    himmelblau, rastrigin = ds.surfaces.get("himmelblau"), ds.surfaces.get("rastrigin")
    cases = [
        ("himmelblau, gd(0.01)", himmelblau, ds.gd(0.01), 1e-6),
        ("himmelblau, momentum(0.003, 0.9)", himmelblau, ds.momentum(0.003, 0.9), 1e-6),
        ("himmelblau, adam(0.05)", himmelblau, ds.adam(0.05), 1e-6),
        ("rastrigin, gd(0.002)", rastrigin, ds.gd(0.002), 1e-6),
        ("himmelblau, gd(0.01), tol=0", himmelblau, ds.gd(0.01), 0.0),
    ]
    for name, surface, opt, tol in cases:
        box: dict[str, Any] = {}

        def run(surface=surface, opt=opt, tol=tol, box=box) -> Any:
            box["m"] = basin_map(surface, opt, resolution=BASIN_RES, max_steps=STEPS, tol=tol)
            return box["m"].labels

        first, wall, cpu = timed(run, repeats)
        m = box["m"]
        shares = ", ".join(f"{s:.1%}" for s in sorted(m.shares, reverse=True)[:4])
        extra = (f"{len(m.minima)} minima (largest shares {shares}), mean steps "
                 f"{m.steps.mean():.0f}, max {m.steps.max()}")  # fmt: skip
        print(_row(name, first, wall, cpu, float(m.steps.sum()), extra))
    print()


def stability(repeats: int) -> None:
    print(f"### Stability maps, {STABILITY_RES} x {STABILITY_RES} pairs, max_steps={STEPS}\n")
    print("| map | first call (compiles) | wall | CPU | run-steps | run-steps/s | "
          "within 2 s | result |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|:---:|---|")
    quad, rosen = ds.surfaces.get("quadratic", kappa=100.0), ds.surfaces.get("rosenbrock")
    cases = [
        ("quadratic kappa=100, momentum (lr, beta)", quad, "momentum", 1e-6),
        ("quadratic kappa=100, adam (lr, b1)", quad, "adam", 1e-6),
        ("rosenbrock, momentum (lr, beta)", rosen, "momentum", 1e-6),
        ("rosenbrock, adam (lr, b1)", rosen, "adam", 1e-6),
        ("rosenbrock, momentum (lr, beta), tol=0", rosen, "momentum", 0.0),
    ]
    for name, surface, rule, tol in cases:
        box: dict[str, Any] = {}

        def run(surface=surface, rule=rule, tol=tol, box=box) -> Any:
            box["m"] = stability_map(surface, rule, resolution=STABILITY_RES, max_steps=STEPS,
                                     tol=tol)  # fmt: skip
            return box["m"].final_loss

        first, wall, cpu = timed(run, repeats)
        m = box["m"]
        extra = (f"converged {m.converged.mean():.0%}, diverged {m.diverged.mean():.0%}, "
                 f"not converged {1 - m.converged.mean() - m.diverged.mean():.0%}")  # fmt: skip
        print(_row(name, first, wall, cpu, float(m.steps.sum()), extra))
    print()


def profile(repeats: int) -> None:
    """The compiled program alone, the labelling alone and the whole call, against a loop
    written by hand with no stop rules (a floor for the program)."""
    print("### Where the time goes (128 x 128 starts, 1,000 steps)\n")
    print("| map | compiled program | labels (NumPy) | whole basin_map call | "
          "hand-written fori_loop, no stop rules |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    cases = [("himmelblau", "gd(0.01)", 0.01, 1e-6), ("himmelblau", "gd(0.01), tol=0", 0.01, 0.0),
             ("rastrigin", "gd(0.002)", 0.002, 1e-6)]  # fmt: skip
    for name, label, lr, tol in cases:
        surface = ds.surfaces.get(name)
        (lo, hi), _ = surface.domain
        xs = np.linspace(lo, hi, BASIN_RES)
        gx, gy = np.meshgrid(xs, xs)
        starts = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], axis=1), jnp.float32)
        key, leaves = split(ds.gd(lr))
        program = _basin_program(surface.f, key, STEPS, tol)
        _, alone, _ = timed(lambda p=program, s=starts, v=leaves: p(s, v), repeats)
        ends, loss, _, reason = (np.asarray(a, np.float64) for a in program(starts, leaves))
        known = np.asarray(list(surface.minima) + list(surface.local_minima), np.float64)
        radius = 0.02 * (hi - lo)
        codes = reason.astype(np.int32)
        _, labels, _ = timed(lambda: _label(ends, loss, codes, known, radius), repeats)  # noqa: B023

        def whole_call(surface=surface, lr=lr, tol=tol) -> Any:
            return basin_map(surface, ds.gd(lr), resolution=BASIN_RES, max_steps=STEPS, tol=tol)

        _, whole, _ = timed(lambda: whole_call().labels, repeats)

        def plain(x0: jax.Array, f=surface.f, lr=lr) -> jax.Array:
            grad = jax.grad(f)
            return jax.lax.fori_loop(0, STEPS, lambda _, x: x - lr * grad(x), x0)

        floor = jax.jit(jax.vmap(plain))
        _, bare, _ = timed(lambda fl=floor, s=starts: fl(s), repeats)
        print(f"| {name}, {label} | {alone:.3f} s | {labels:.3f} s | {whole:.3f} s | "
              f"{bare:.3f} s |")  # fmt: skip
    print()


def cores_compared(repeats: int) -> None:
    """The same maps with the runs on one core and split across all (engine._cores), the two
    settings interleaved in one process."""
    from descend.engine import _cores

    every = _cores.cores()
    print(f"### One core against {every} (the runs split across the cores)\n")
    print(f"| map | 1 core | {every} cores | ratio |")
    print("|---|---:|---:|---:|")
    himmelblau, quadratic = ds.surfaces.get("himmelblau"), ds.surfaces.get("quadratic")
    cases = [
        ("basins, himmelblau, adam(0.05)", lambda: basin_map(himmelblau, ds.adam(0.05))),
        ("stability, quadratic, momentum",
         lambda: stability_map(quadratic, "momentum", resolution=STABILITY_RES)),
    ]  # fmt: skip
    real = _cores.cores
    try:
        for name, run in cases:
            walls: dict[int, list[float]] = {1: [], every: []}
            for _ in range(2):  # interleaved rounds
                for n in walls:
                    _cores.cores = lambda n=n: n
                    walls[n].append(timed(run, repeats)[1])
            one, all_ = float(np.median(walls[1])), float(np.median(walls[every]))
            print(f"| {name} | {one:.3f} s | {all_:.3f} s | {one / all_:.2f}x |")
    finally:
        _cores.cores = real
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 5
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine: {peers.environment()}")
    print(f"load average at the start (1, 5, 15 min): {load} (the machine is shared)\n")
    basins(repeats)
    stability(repeats)
    profile(repeats)
    cores_compared(repeats)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
