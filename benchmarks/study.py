"""`benchmarks.study`: ``descend study`` at scale (issue 13), in one run.

1. The issue's study: Adam over lr x b1 x b2 (50 x 50 x 50 = 125,000 configurations) x 8
   seeds = 1,000,000 runs of 2,000 steps on Rosenbrock, end to end through the driver with
   the in-process executor, storage included (the chunks of 4,096 runs, the default): wall
   time, run-steps/s (nominal: runs x 2,000 / wall; and as stored: each run's own steps,
   runs that converge stop early), the store's size and the driver's peak memory
   (``resource.getrusage``, max RSS).
2. The same study through a local Ray cluster of this machine's cores (``Ray()``, as
   ``--ray``): its wall time against (1), which gives the Ray executor's overhead. The first
   chunk's program is compiled once before both, untimed (the persistent cache then serves
   the Ray workers; starting the cluster and the workers' imports are in the Ray time).
3. Optuna, on the same problem with 300 steps per run (at 2,000 the grid's best gap is at
   float32's floor, about 1e-9, where one value beats another by rounding): the grid's best
   value (16 x 8 x 8 = 1,024 configurations, the median over 8 seeds of final f - f*), then
   the trials and time a batched Optuna study (TPE with constant liar, 64 trials per chunk,
   one program each) and Optuna's own sequential ``study.optimize`` (the same TPE seed, one
   trial at a time through the same compiled program of descend for one configuration) take
   to reach it, within a budget of 1,024 trials each.

``--subset`` runs (1) and (2) on 100,000 runs (50 x 50 x 5), ``--quick`` on 8,000 runs (and
(3) on a 256-trial budget). The load average is printed with each part: the machine is
shared, and a load above its cores inflates the times. Run:
``.venv/bin/python -m benchmarks.study [--quick | --subset]``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import descend as ds
from descend.study import ChunkOutput, ChunkTask, Executor, InProcess, run_chunk
from descend.study._chunks import planned_task
from descend.study._optuna import trial_value

STEPS = 2000
SEEDS = 8
#: the Optuna part's budget per run: at 2,000 steps the grid's best sits at float32's floor
#: (a gap near 1e-9, where "better" is rounding), at 300 it is well above it
OPTUNA_STEPS = 300


def load() -> str:
    """The 1-, 5- and 15-minute load averages and the cores, as text."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def adam_spec(n_lr: int, n_b1: int, n_b2: int, **extra: Any) -> dict[str, Any]:
    return dict(
        name=f"adam-{n_lr}x{n_b1}x{n_b2}",
        steps=STEPS,
        seeds=SEEDS,
        problem={"surface": "rosenbrock"},
        optimizers=[
            {
                "rule": "adam",
                "grid": {
                    "lr": {"log": [1e-4, 1e-1], "num": n_lr},
                    "b1": {"linear": [0.5, 0.99], "num": n_b1},
                    "b2": {"linear": [0.9, 0.9999], "num": n_b2},
                },
            }
        ],
        **extra,
    )


def first_task(study: ds.Study) -> ChunkTask:
    return planned_task(study.canonical_json(), study.chunks()[0], study.configurations())


def store_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("study.sqlite*"))


def run_study(study: ds.Study, directory: Path, executor: Executor) -> dict[str, Any]:
    print(f"  {executor.name}: {load()}", flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    study.run(directory, executor=executor)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    status = study.status()
    runs = status["runs"]["done"]
    return {
        "wall": wall,
        "cpu": cpu,
        "runs": runs,
        "nominal": runs * STEPS / wall,
        "stored": status["run_steps"] / wall,
        "run_steps": status["run_steps"],
        "bytes": store_bytes(directory),
        "load": os.getloadavg()[0],
    }


def scale(sizes: tuple[int, int, int], root: Path) -> None:
    study = ds.Study(**adam_spec(*sizes))
    n_runs = len(study.configurations()) * SEEDS
    print(f"\n## {n_runs:,} runs (lr x b1 x b2 = {' x '.join(map(str, sizes))} x 8 seeds)")
    print(f"  {len(study.chunks())} chunks of {study.spec.chunk_size} runs; {load()}")
    t = time.perf_counter()
    run_chunk(first_task(study))  # compiles the chunk's program once (persistent cache)
    print(f"  compile (untimed below): {time.perf_counter() - t:.1f} s", flush=True)
    local = run_study(study, root / "in-process", InProcess())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    from descend.study import Ray

    t = time.perf_counter()
    with Ray() as executor:
        cluster = time.perf_counter() - t
        ray_res = run_study(ds.Study(**adam_spec(*sizes)), root / "ray", executor)
    ray_res["wall"] += cluster
    ray_res["nominal"] = ray_res["runs"] * STEPS / ray_res["wall"]
    ray_res["stored"] = ray_res["run_steps"] / ray_res["wall"]
    same = ds.Study.load(root / "in-process").table()[1] == ds.Study.load(root / "ray").table()[1]
    print(
        "\n| executor | runs | wall | driver CPU | run-steps/s (runs x 2,000) | "
        "run-steps/s (stored) | store |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in (("in-process", local), ("Ray, local cluster", ray_res)):
        print(
            f"| {name} | {r['runs']:,} | {r['wall']:.1f} s | {r['cpu']:.1f} s | "
            f"{r['nominal']:.3g} | {r['stored']:.3g} | {r['bytes'] / 2**20:.1f} MiB |"
        )
    steady = (ray_res["wall"] - cluster) / local["wall"] - 1
    print(
        f"\nRay overhead: {ray_res['wall'] / local['wall'] - 1:+.1%} of the in-process wall "
        f"with the cluster's start ({cluster:.1f} s), {steady:+.1%} without; rows identical: "
        f"{same}; driver peak RSS "
        f"after the in-process study: {peak:.0f} MiB; mean run steps "
        f"{local['run_steps'] / local['runs']:.0f} of {STEPS}"
    )


class Clock(Executor):
    """In process, noting when each chunk's output reaches the driver."""

    name = "in-process (timed)"

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.at: dict[int, float] = {}

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput]:
        for task in tasks:
            out = run_chunk(task)
            self.at[out.chunk_id] = time.perf_counter() - self.start
            yield out


def reach(values: list[float], times: list[float], target: float) -> tuple[int | None, float]:
    """The first trial (1-based) whose best-so-far is at most ``target``, and its time."""
    best = np.minimum.accumulate(np.asarray(values, float))
    hit = np.flatnonzero(best <= target)
    return (None, math.inf) if not hit.size else (int(hit[0]) + 1, times[int(hit[0])])


def optuna_race(budget: int, root: Path) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"\n## Optuna: trials and time to the grid's best (budget {budget} trials); {load()}")
    grid = ds.Study(**{**adam_spec(16, 8, 8, chunk_size=4096), "steps": OPTUNA_STEPS})
    t = time.perf_counter()
    grid.run(root / "grid")
    grid_wall = time.perf_counter() - t
    frame = grid.results()
    medians = frame.groupby("config_id")["gap"].median()
    target = float(medians.min())
    print(f"  grid: 1,024 configurations in {grid_wall:.1f} s, best median gap {target:.3g}")

    spec = {**adam_spec(16, 8, 8, chunk_size=64 * SEEDS), "steps": OPTUNA_STEPS}
    spec["search"] = {"kind": "optuna", "sampler": "tpe", "trials": budget, "seed": 0}
    batched = ds.Study(**spec)
    warm = {"lr": (1e-3,) * 64, "b1": (0.9,) * 64, "b2": (0.99,) * 64}  # compile, untimed
    run_chunk(ChunkTask(0, batched.canonical_json(), 0, tuple(range(64)), warm, 64))
    clock = Clock()
    batched.run(root / "optuna", executor=clock)
    total = time.perf_counter() - clock.start
    frame = batched.results()
    values = [
        trial_value(g["gap"].to_numpy(), "min") or math.inf
        for _, g in frame.groupby("config_id", sort=True)
    ]
    chunk_of = [c.chunk_id for c in batched.chunks() for _ in range(c.config_hi - c.config_lo)]
    times = [clock.at[c] for c in chunk_of]
    b_trial, b_time = reach(values, times, target)

    # sequential: the same objective (descend's program for one configuration, 8 seeds)
    json_spec = batched.canonical_json()
    run_chunk(ChunkTask(0, json_spec, 0, (0,), {"lr": (1e-3,), "b1": (0.9,), "b2": (0.99,)}, 1))

    def objective(trial: optuna.Trial) -> float:
        values = {
            "lr": (trial.suggest_float("lr", 1e-4, 1e-1, log=True),),
            "b1": (trial.suggest_float("b1", 0.5, 0.99),),
            "b2": (trial.suggest_float("b2", 0.9, 0.9999),),
        }
        out = run_chunk(ChunkTask(0, json_spec, 0, (0,), values, 1))
        value = trial_value(out.metric, "min")
        return math.inf if value is None else value

    stamps: list[float] = []
    seq = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    start = time.perf_counter()
    seq.optimize(
        objective,
        n_trials=budget,
        callbacks=[lambda s, t: stamps.append(time.perf_counter() - start)],
    )
    seq_total = time.perf_counter() - start
    s_values = [t.value if t.value is not None else math.inf for t in seq.trials]
    s_trial, s_time = reach(s_values, stamps, target)

    def fmt(trial: int | None, at: float) -> str:
        return "not reached" if trial is None else f"trial {trial} at {at:.1f} s"

    print("\n| search | reaches the grid's best | best value | whole budget |")
    print("|---|---|---:|---:|")
    print(
        f"| descend, Optuna TPE (constant liar), 64 trials per program | "
        f"{fmt(b_trial, b_time)} | {min(values):.3g} | {total:.1f} s |"
    )
    print(
        f"| Optuna `study.optimize`, TPE, one trial at a time | {fmt(s_trial, s_time)} | "
        f"{min(s_values):.3g} | {seq_total:.1f} s |"
    )
    print(f"| grid, 1,024 configurations, one study | - | {target:.3g} | {grid_wall:.1f} s |")
    print(
        f"\nper trial: {total / budget * 1e3:.1f} ms batched, "
        f"{statistics.median(np.diff([0.0, *stamps])) * 1e3:.1f} ms sequential (median); {load()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="8,000 runs, a 256-trial budget")
    size.add_argument("--subset", action="store_true", help="100,000 runs instead of 1,000,000")
    parser.add_argument("--skip-optuna", action="store_true", help="only parts 1 and 2")
    parser.add_argument("--only-optuna", action="store_true", help="only part 3")
    args = parser.parse_args(argv)
    sizes = (10, 10, 10) if args.quick else (50, 50, 5) if args.subset else (50, 50, 50)
    print(f"descend {ds.__version__}, {sys.version.split()[0]}; {load()}")
    root = Path(tempfile.mkdtemp(prefix="descend-study-bench-"))
    os.environ.setdefault("DESCEND_CACHE_DIR", str(root / "jax-cache"))
    try:
        if not args.only_optuna:
            scale(sizes, root)
        if not args.skip_optuna:
            optuna_race(256 if args.quick else 1024, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
