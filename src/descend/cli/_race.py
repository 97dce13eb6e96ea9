"""``descend race``: several optimizers from one start on one surface, a table of how each
did (stop reason, steps, final loss, distance to the nearest known minimum, time), and on
request the paths drawn (``--plot``) or animated (``--animate``).

``descend race --fair`` first tunes each optimizer's learning rate (``--tune all``: also its
beta, b1 or decay) by a vmapped grid on the same budget of steps (``--steps``, one gradient
each), then races the tuned optimizers from ``--starts`` random starts held out from tuning,
the same for each, and ranks them by a stated metric (``--metric steps``: median steps to
tolerance; ``--metric loss``: median final loss above the minimum); see
:mod:`descend.cli._fair` and :func:`descend.insight.fair_race`."""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend.cli._common import (
    DEFAULT_RACE,
    OPTIMIZERS,
    UsageError,
    command_parser,
    format_hyper,
    integer,
    need_matplotlib,
    number,
    optimizer_from_spec,
    optimizer_option,
    output_path,
    print_json,
    print_table,
    real,
    surface_of,
    text,
)
from descend.cli._fair import DEFAULT_BUDGET, DEFAULT_FAIR, check_options, run_fair
from descend.engine import minimize, restarts
from descend.engine._result import Result
from descend.insight._fair import METRICS, TUNES
from descend.problems import surfaces

PLOT_SUFFIXES, ANIMATION_SUFFIXES = (".png", ".svg"), (".gif", ".mp4")


def _start(text: str | None, surface: Any) -> jax.Array:
    if text is None:
        return jnp.asarray(surface.start)
    values = [number(v, "--start") for v in text.replace(" ", "").split(",") if v]
    if len(values) != surface.dim:
        raise UsageError(
            f"--start needs {surface.dim} numbers for {surface.name}; got {len(values)}"
        )
    return jnp.asarray(values)


def _check_outputs(args: argparse.Namespace, surface: Any) -> None:
    """``--plot`` and ``--animate``: a 2-D surface and files that can be written, checked
    before the race runs."""
    if not (args.plot or args.animate):
        return
    if surface.dim != 2:
        raise UsageError(f"--plot and --animate draw 2-D surfaces; {surface.name} has "
                         f"dim {surface.dim}")  # fmt: skip
    need_matplotlib()
    if args.plot:
        output_path("--plot", args.plot, PLOT_SUFFIXES)
    if args.animate:
        output_path("--animate", args.animate, ANIMATION_SUFFIXES)
        from matplotlib import animation

        if args.animate.lower().endswith(".mp4") and not animation.writers.is_available("ffmpeg"):
            raise UsageError("--animate: an .mp4 needs ffmpeg, which is not available; "
                             "install it or write a .gif")  # fmt: skip


def race_rows(args: argparse.Namespace) -> tuple[Any, jax.Array, list[dict[str, Any]]]:
    """Check every input, then run each optimizer: the surface, the start and one row each."""
    surface = surface_of(args)
    x0 = _start(args.start, surface)
    specs = list(args.optimizer or DEFAULT_RACE) + (["annealing"] if args.anneal else [])
    plan = [optimizer_from_spec(spec, surface) for spec in specs]
    _check_outputs(args, surface)
    rows = []
    for name, hyper, opt in plan:
        tol = 0.0 if name == "annealing" else args.tol  # annealing must not stop in a minimum
        # the table reads each run's end alone: no history (the plot reruns with its path)
        options = {"max_steps": args.steps, "tol": tol, "record_path": False,
                   "record_every": args.steps}  # fmt: skip
        n, seed = args.restarts, args.seed
        try:
            if n:
                res, seconds, found = _race_restarts(surface, opt, n, seed, options)
            else:
                res, seconds = _race_one(surface, x0, opt, options, args)
                found = None
        except ValueError as err:  # the engine's checks before a run (memory, ranges)
            raise UsageError(str(err)) from None
        rows.append(
            {
                "optimizer": name,
                "hyperparameters": hyper,
                "stop": res.short_reason,
                "stop_reason": res.stop_reason,
                "steps": int(res.steps),
                "diverged_at": int(res.diverged_at) if res.diverged else None,
                "final_loss": float(res.loss),
                "distance_to_minimum": surface.distance_to_minimum(res.x),
                "x": np.asarray(res.x).tolist(),
                "best_loss": float(res.best_loss),
                "minima_found": found,
                "seconds": seconds,
            }
        )
    return surface, x0, rows


def _race_one(surface: Any, x0: jax.Array, opt: Any, options: dict, args: Any):
    long_run = args.progress or (args.steps >= 10_000_000 and sys.stderr.isatty())
    jax.block_until_ready(minimize(surface, x0, opt, **options))  # compile
    started = time.perf_counter()
    res: Result = jax.block_until_ready(minimize(surface, x0, opt, progress=long_run, **options))
    return res, time.perf_counter() - started


def _race_restarts(surface: Any, opt: Any, n: int, seed: int, options: dict):
    """The best of ``n`` random starts in the surface's domain, and how many of its global
    minima the starts found."""
    jax.block_until_ready(restarts(surface, opt, n, seed=seed, **options).results)  # compile
    started = time.perf_counter()
    r = restarts(surface, opt, n, seed=seed, **options)
    jax.block_until_ready(r.results)
    seconds = time.perf_counter() - started
    if r.best_index < 0:
        return r.results[0], seconds, 0
    found = int(r.found(surface.minima).sum()) if surface.minima else None
    return r.best, seconds, found


def _print_table(surface: Any, x0: jax.Array, rows: list[dict[str, Any]], args) -> None:
    start = ", ".join(f"{v:g}" for v in np.asarray(x0))
    print(f"descend race on {surface.name}: f = {surface.formula}")
    where = f"{args.restarts} random starts" if args.restarts else f"start ({start})"
    print(f"{where}, at most {args.steps} steps, stop when |grad| <= {args.tol:g}\n")
    headers = ["optimizer", "hyperparameters", "stop", "steps", "final loss", "to minimum", "time"]
    extra = args.anneal or args.restarts  # walks that wander: show the best point too
    if extra:
        headers[5:5] = ["best loss"]
    if args.restarts and surface.minima:
        headers[-1:-1] = ["minima found"]
    table = []
    for r in rows:
        distance = r["distance_to_minimum"]
        row = [
            r["optimizer"],
            format_hyper(r["hyperparameters"]),
            r["stop"] + (f" @{r['diverged_at']}" if r["diverged_at"] is not None else ""),
            str(r["steps"]),
            f"{r['final_loss']:.3e}",
            "-" if math.isnan(distance) else f"{distance:.2e}",
            f"{r['seconds'] * 1e3:.1f} ms",
        ]
        if extra:
            row[5:5] = [f"{r['best_loss']:.3e}"]
        if args.restarts and surface.minima:
            row[-1:-1] = [f"{r['minima_found']} of {len(surface.minima)}"]
        table.append(row)
    print_table(headers, table, set(range(3, len(headers))))


def race_figures(args: Any, surface: Any, x0: Any, rows: list[dict]) -> None:
    """Rerun the race with the path recorded and draw it (``--plot``) and animate it
    (``--animate``). "wrote FILE" goes to standard output, or to standard error under
    ``--json`` (standard output then holds the JSON alone)."""
    from descend.insight.animate import animate_race
    from descend.insight.plots import race_figure

    runs, labels = {}, {}
    for row in rows:
        name, hyper = row["optimizer"], row["hyperparameters"]
        tol = 0.0 if name == "annealing" else args.tol
        runs[name] = minimize(surface, x0, OPTIMIZERS[name][0](**hyper), max_steps=args.steps,
                              tol=tol, record_path=True)  # fmt: skip
        labels[name] = f"{name} ({format_hyper(hyper)})"
    said = sys.stderr if args.json else sys.stdout
    try:
        if args.plot:
            race_figure(surface, runs, labels=labels, path=args.plot, curves=True)
            print(f"wrote {args.plot}", file=said)
        if args.animate:
            animate_race(surface, runs, labels=labels, path=args.animate)
            print(f"wrote {args.animate}", file=said)
    except (ValueError, RuntimeError) as err:
        raise UsageError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    check_options(args)
    if args.steps is None:
        args.steps = DEFAULT_BUDGET if args.fair else 10_000
    if args.fair:
        return run_fair(args, surface_of(args))
    surface, x0, rows = race_rows(args)
    if args.json:
        payload = {
            "surface": surface.name,
            "formula": surface.formula,
            "start": np.asarray(x0).tolist(),
            "max_steps": args.steps,
            "tol": args.tol,
            "results": rows,
        }
        print_json(payload)
    else:
        _print_table(surface, x0, rows, args)
    if args.plot or args.animate:
        race_figures(args, surface, x0, rows)
    return 0


def add_parser(sub: Any) -> None:
    race = command_parser(
        sub, "race", run, help="race optimizers from one start on a test surface", doc=__doc__,
        description="Run several optimizers from one start on one surface, each as one compiled "
        "program, and print a table: stop reason, steps, final loss, distance to the nearest "
        "known minimum and time. With --fair, first tune each optimizer's learning rate (and "
        "with --tune all its beta, b1 or decay) by a vmapped grid on the same budget of "
        "steps, then race the tuned optimizers from --starts random starts held out from "
        "tuning, the same for each, ranked by median steps to tolerance or median final loss.",
        examples=["descend race", "descend race --surface himmelblau -o adam:lr=0.05 "
                  "-o momentum:lr=0.002,beta=0.95",
                  "descend race --surface quadratic --param kappa=1000 --json",
                  'descend race --function "x^2 + 10*y^2" --start 3,2',
                  "descend race --fair --surface quadratic --param kappa=100",
                  "descend race --fair -s rosenbrock -o gd -o adam --tune all --metric loss "
                  "--steps 2000 --json"],
        after="surfaces: " + ", ".join(surfaces.names()) + "\noptimizers: " + ", ".join(OPTIMIZERS),
    )  # fmt: skip
    race.add_argument(
        "--surface", "-s", type=text("a surface name"), help="surface name (default: rosenbrock)"
    )
    race.add_argument(
        "--function", "-f", metavar="TEXT", type=text("a function of x and y"),
        help='a function of x and y to race on instead, e.g. "x^2 + 10*y^2" (parsed, never '
        "evaluated; start it with --start X,Y)",
    )  # fmt: skip
    race.add_argument(
        "--param",
        "-p",
        action="append",
        metavar="KEY=VALUE",
        help="surface parameter, e.g. dim=5 or kappa=1000 (repeatable)",
    )
    optimizer_option(
        race,
        "an optimizer and its hyperparameters, e.g. adam:lr=0.01,b1=0.9 "
        f"(repeatable; default: {' '.join(DEFAULT_RACE)}; with --fair, default "
        f"{' '.join(DEFAULT_FAIR)}, and the values given are held fixed while the rest is tuned)",
        repeatable=True,
    )
    race.add_argument("--start", metavar="X,Y,...", help="start point (default: the surface's)")
    race.add_argument(
        "--steps",
        type=integer(1),
        help=f"maximum steps (default 10000); with --fair the budget of every run, tuning "
        f"and race, one gradient per step (default {DEFAULT_BUDGET})",
    )
    race.add_argument(
        "--tol",
        type=real(0),
        default=1e-6,
        help="stop when the gradient norm is at most this (default 1e-6)",
    )
    race.add_argument(
        "--restarts",
        type=integer(1),
        metavar="N",
        help="run each optimizer from N random starts in the surface's domain "
        "(one vmapped program) and report the best",
    )
    race.add_argument(
        "--anneal",
        action="store_true",
        help="add simulated annealing on gradient steps to the race",
    )
    race.add_argument("--seed", type=integer(0), default=0, help="seed of the random starts")
    fair = race.add_argument_group("fair race (--fair)")
    fair.add_argument(
        "--fair",
        action="store_true",
        help="tune each optimizer on the same budget, then race the tuned ones from the same "
        "held-out random starts and print the ranking",
    )
    fair.add_argument(
        "--starts",
        type=integer(1),
        metavar="N",
        help="tuning starts, and as many other race starts, drawn in the surface's domain "
        "(default 8)",
    )
    fair.add_argument(
        "--metric",
        choices=METRICS,
        help="rank by median steps to tolerance (a run that misses it counts as budget + 1) or "
        "by median final loss above the minimum (default steps)",
    )
    fair.add_argument(
        "--tune",
        choices=TUNES,
        help="tune the learning rate only, or also beta, b1 or decay (default lr)",
    )
    fair.add_argument(
        "--grid",
        type=integer(2),
        metavar="N",
        help="learning rates tried, evenly in log lr (default 32)",
    )
    race.add_argument(
        "--plot", metavar="FILE", help="draw the paths on the contour map (.png or .svg)"
    )
    race.add_argument(
        "--animate", metavar="FILE", help="animate the race (.gif, or .mp4 with ffmpeg)"
    )
    race.add_argument("--json", action="store_true", help="print the results as JSON")
    race.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar (shown anyway for long runs on a terminal)",
    )
