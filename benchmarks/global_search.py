"""descend's strategies against local minima, measured against SciPy's global optimizers.

On Rastrigin, Ackley, six-hump camel and Himmelblau (2-D), over ``TRIALS`` seeds each:

- descend ``restarts``: 1,024 starts drawn in the domain, plain gradient descent at the
  surface's recommended rate, 500 steps each, all in one vmapped program;
- descend ``annealing``: one run of simulated annealing on gradient steps (5,000 steps; the
  temperature starts at 0.3 times the loss gap at the start and cools by 0.998 a step; kicks
  of 0.02 times the domain's width), from the surface's recommended start (these settings
  were chosen on these surfaces over a small grid: tuned, not held out);
- ``scipy.optimize.basinhopping`` from the same start (100 hops, L-BFGS-B with the exact
  gradient from JAX);
- ``scipy.optimize.dual_annealing`` over the domain (its defaults).

A trial succeeds when its best point lies within 1e-2 of a global minimum (a distance, not a
loss gap: Ackley's minimum is a cone, where a gradient method circles at a small distance
whose loss is ~0.02); also reported is how many of the global minima a trial found (all four
of Himmelblau's take several starts). Evaluations count
function values and gradients separately (descend: one of each per step and start; the
annealing step evaluates the loss twice); time is the wall time of a trial after
compilation. Run: ``.venv/bin/python -m benchmarks.global_search [--trials N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize as so

import descend as ds

SURFACES = ("rastrigin", "ackley", "six_hump_camel", "himmelblau")
TRIALS = 10
RESTARTS, RESTART_STEPS, ANNEAL_STEPS = 1024, 500, 5000
WITHIN = 1e-2


def _found(surface: Any, points: np.ndarray) -> int:
    mins = np.asarray(surface.minima)
    dist = np.linalg.norm(np.asarray(points).reshape(-1, 1, mins.shape[1]) - mins[None], axis=-1)
    return int(np.sum(np.any(dist < WITHIN, axis=0)))


def run_restarts(surface: Any, seed: int) -> dict[str, Any]:
    def go():
        return ds.restarts(surface, ds.gd(surface.lr), RESTARTS, seed=seed,
                           max_steps=RESTART_STEPS, record_path=False)  # fmt: skip

    jax.block_until_ready(go().results)
    start = time.perf_counter()
    r = go()
    jax.block_until_ready(r.results)
    seconds = time.perf_counter() - start
    steps = int(np.sum(np.asarray(r.results.steps)))
    ok = np.asarray(r.results.reason) != 4
    best = np.asarray(r.results.best_x)[ok]
    return {"value": float(r.best.best_loss), "nfev": steps + RESTARTS, "njev": steps + RESTARTS,
            "seconds": seconds, "found": _found(surface, best)}  # fmt: skip


def run_annealing(surface: Any, seed: int) -> dict[str, Any]:
    x0 = jnp.asarray(surface.start, jnp.float32)
    scale = max(1.0, abs(float(surface(x0)) - surface.min_value))
    width = float(np.mean([hi - lo for lo, hi in surface.domain]))
    opt = ds.annealing(surface.lr, 0.3 * scale, 0.998, 0.02 * width, seed=seed)

    def go():
        return ds.minimize(surface, x0, opt, max_steps=ANNEAL_STEPS, tol=0.0, record_path=False)

    jax.block_until_ready(go())
    start = time.perf_counter()
    r = jax.block_until_ready(go())
    seconds = time.perf_counter() - start
    return {"value": float(r.best_loss), "nfev": 2 * ANNEAL_STEPS + 1, "njev": ANNEAL_STEPS + 1,
            "seconds": seconds, "found": _found(surface, np.asarray(r.best_x))}  # fmt: skip


def _scipy_functions(surface: Any):
    with jax.enable_x64(True):
        f = jax.jit(lambda x: surface.f(x))
        g = jax.jit(jax.grad(lambda x: surface.f(x)))

    def fun(x: np.ndarray) -> float:
        with jax.enable_x64(True):
            return float(f(jnp.asarray(x, jnp.float64)))

    def jac(x: np.ndarray) -> np.ndarray:
        with jax.enable_x64(True):
            return np.asarray(g(jnp.asarray(x, jnp.float64)), float)

    fun(np.asarray(surface.start, float))
    jac(np.asarray(surface.start, float))
    return fun, jac


def run_basinhopping(surface: Any, seed: int) -> dict[str, Any]:
    fun, jac = _scipy_functions(surface)
    bounds = list(surface.domain)
    start = time.perf_counter()
    minimizer = {"method": "L-BFGS-B", "jac": jac, "bounds": bounds}
    r = so.basinhopping(fun, np.asarray(surface.start, float), niter=100, seed=seed,
                        minimizer_kwargs=minimizer)  # fmt: skip
    seconds = time.perf_counter() - start
    return {"value": float(r.fun), "nfev": int(r.nfev), "njev": int(getattr(r, "njev", 0)),
            "seconds": seconds, "found": _found(surface, r.x)}  # fmt: skip


def run_dual_annealing(surface: Any, seed: int) -> dict[str, Any]:
    fun, jac = _scipy_functions(surface)
    start = time.perf_counter()
    r = so.dual_annealing(fun, bounds=list(surface.domain), seed=seed,
                          minimizer_kwargs={"method": "L-BFGS-B", "jac": jac})  # fmt: skip
    seconds = time.perf_counter() - start
    return {"value": float(r.fun), "nfev": int(r.nfev), "njev": int(getattr(r, "njev", 0)),
            "seconds": seconds, "found": _found(surface, r.x)}  # fmt: skip


METHODS = {
    "descend restarts (1,024 x GD)": run_restarts,
    "descend annealing": run_annealing,
    "scipy basinhopping": run_basinhopping,
    "scipy dual_annealing": run_dual_annealing,
}


def measure(trials: int) -> list[dict[str, Any]]:
    rows = []
    for name in SURFACES:
        surface = ds.surfaces.get(name)
        for method, run in METHODS.items():
            out = [run(surface, seed) for seed in range(trials)]
            rows.append({
                "surface": name,
                "method": method,
                "success_rate": float(np.mean([o["found"] > 0 for o in out])),
                "nfev_median": statistics.median(o["nfev"] for o in out),
                "njev_median": statistics.median(o["njev"] for o in out),
                "seconds_median": statistics.median(o["seconds"] for o in out),
                "minima_found_median": statistics.median(o["found"] for o in out),
                "n_minima": len(surface.minima),
            })  # fmt: skip
    return rows


def report(rows: list[dict[str, Any]], trials: int) -> str:
    lines = [
        f"### Global search: {trials} trials per method and surface",
        "",
        "| surface | method | success | f evals | grad evals | time | minima found |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['surface']} | {r['method']} | {100 * r['success_rate']:.0f}% | "
            f"{r['nfev_median']:,.0f} | {r['njev_median']:,.0f} | "
            f"{r['seconds_median'] * 1e3:.1f} ms | {r['minima_found_median']:.0f} of "
            f"{r['n_minima']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    rows = measure(args.trials)
    print(report(rows, args.trials))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
