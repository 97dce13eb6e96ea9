"""``descend`` on the command line (also ``python -m descend``).

``descend race``: several optimizers from one start on one surface, a table of how each did.
``descend fit``: train a model on a data set (see :mod:`descend.cli_fit`).
``descend lr-find``: the learning-rate range test (see :mod:`descend.cli_lr_find`).
``descend diagnose FILE``: read a loss curve (see :mod:`descend.cli_diagnose`).
``descend plot KIND``: draw a figure (see :mod:`descend.cli_plot`).
``descend tour``: a self-contained HTML report that measures the texts' claims.
Exit status: 0 when the command ran, 2 for bad input (an unknown name lists the valid ones).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import cli_diagnose, cli_fit, cli_lr_find, cli_plot, cli_tour
from descend.engine import annealing, lookahead_nesterov, minimize, restarts
from descend.engine.result import Result
from descend.optim import adagrad, adam, adamw, amsgrad, gd, momentum, nadam, nesterov, rmsprop
from descend.problems import surfaces

# Momentum methods get 0.3x the surface's gradient-descent rate. A GD rate may be as high as
# 2/L; Nesterov with beta = 0.9 is stable only for lr*L < 2(1 + beta)/(1 + 2 beta) = 1.36, so
# 0.3 * 2/L = 0.6/L keeps every surface stable. Measured over the catalogue (5,000 steps):
# no divergence at 0.3 (Beale diverges at 0.5), and momentum still beats GD on Rosenbrock,
# the plateau and the ill-conditioned quadratic.
MOMENTUM_LR_FACTOR = 0.3


def _momentum_defaults(s: Any) -> dict[str, float]:
    return {"lr": MOMENTUM_LR_FACTOR * s.lr, "beta": 0.9}


# name -> (constructor, its default hyperparameters given the surface)
OPTIMIZERS: dict[str, tuple[Callable[..., Any], Callable[[Any], dict[str, float]]]] = {
    "gd": (gd, lambda s: {"lr": s.lr}),
    "momentum": (momentum, _momentum_defaults),
    "nesterov": (nesterov, _momentum_defaults),
    "lookahead-nesterov": (lookahead_nesterov, _momentum_defaults),
    "adagrad": (adagrad, lambda s: {"lr": 10 * s.adaptive_lr}),
    "rmsprop": (rmsprop, lambda s: {"lr": s.adaptive_lr, "decay": 0.9}),
    "adam": (adam, lambda s: {"lr": s.adaptive_lr, "b1": 0.9, "b2": 0.999}),
    "amsgrad": (amsgrad, lambda s: {"lr": s.adaptive_lr}),
    "nadam": (nadam, lambda s: {"lr": s.adaptive_lr}),
    "adamw": (adamw, lambda s: {"lr": s.adaptive_lr, "weight_decay": 0.0}),
    # the settings of benchmarks/global_search.py, in the surface's units
    "annealing": (
        annealing,
        lambda s: {
            "lr": s.lr,
            "temperature": _loss_scale(s) * 0.3,
            "cooling": 0.998,
            "noise": 0.02 * _width(s),
        },
    ),
}


def _loss_scale(s: Any) -> float:
    """The loss gap between the surface's start and its minimum (1 when unknown or less)."""
    start = float(s(jnp.asarray(s.start)))
    return max(1.0, abs(start - s.min_value) if s.min_value is not None else abs(start))


def _width(s: Any) -> float:
    return float(np.mean([hi - lo for lo, hi in s.domain]))


DEFAULT_RACE = ("gd", "momentum", "nesterov", "rmsprop", "adam")


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a number") from None


def _parse_optimizer(spec: str) -> tuple[str, dict[str, float]]:
    """``adam`` or ``adam:lr=0.01,b1=0.9`` -> ("adam", {"lr": 0.01, "b1": 0.9})."""
    name, _, rest = spec.partition(":")
    name = name.strip().lower().replace("_", "-")
    if name not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    values: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"optimizer {name}: write hyperparameters as key=value; got {item!r}")
        values[key.strip()] = _number(value.strip(), f"optimizer {name}, {key.strip()}")
    return name, values


def _hyperparameters(name: str, given: dict[str, float], surface: Any) -> dict[str, float]:
    """The given hyperparameters (checked against the rule's) over the defaults for the
    surface (none when ``surface`` is None: the rule's own defaults apply)."""
    build, defaults = OPTIMIZERS[name]
    allowed = _numeric_params(build)
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise UsageError(
            f"optimizer {name}: unknown hyperparameter(s) {', '.join(unknown)}; "
            f"valid: {', '.join(allowed)}"
        )
    return {**(defaults(surface) if surface is not None else {}), **given}


def optimizer_from_spec(spec: str) -> tuple[str, dict[str, float], Any]:
    """``"adam:lr=0.01"`` -> ("adam", {"lr": 0.01}, descend.adam(lr=0.01))."""
    name, given = _parse_optimizer(spec)
    hyper = _hyperparameters(name, given, None)
    try:
        return name, hyper, OPTIMIZERS[name][0](**hyper)
    except (ValueError, TypeError) as err:
        raise UsageError(f"optimizer {name}: {err}") from None


def _numeric_params(build: Callable[..., Any]) -> list[str]:
    """The constructor's numeric hyperparameters: those whose default is a float."""
    params = inspect.signature(build).parameters.values()
    return [p.name for p in params if isinstance(p.default, float)]


def _surface(name: str, params: Sequence[str]) -> Any:
    kwargs: dict[str, Any] = {}
    for item in params:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"--param: write surface parameters as key=value; got {item!r}")
        text = value.strip()
        lowered = text.lower()
        if lowered in ("true", "false"):
            kwargs[key.strip()] = lowered == "true"
        else:
            number = _number(text, f"--param {key.strip()}")
            kwargs[key.strip()] = int(number) if number.is_integer() and "." not in text else number
    try:
        return surfaces.get(name, **kwargs)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None


def _start(text: str | None, surface: Any) -> jax.Array:
    if text is None:
        return jnp.asarray(surface.start)
    values = [_number(v, "--start") for v in text.replace(" ", "").split(",") if v]
    if len(values) != surface.dim:
        raise UsageError(
            f"--start needs {surface.dim} numbers for {surface.name}; got {len(values)}"
        )
    return jnp.asarray(values)


def _format_hyper(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in values.items())


def race_rows(args: argparse.Namespace) -> tuple[Any, jax.Array, list[dict[str, Any]]]:
    surface = _surface(args.surface, args.param or [])
    x0 = _start(args.start, surface)
    specs = list(args.optimizer or DEFAULT_RACE) + (["annealing"] if args.anneal else [])
    if args.restarts is not None and args.restarts < 1:
        raise UsageError(f"--restarts must be an integer >= 1; got {args.restarts}")
    rows = []
    for spec in specs:
        name, given = _parse_optimizer(spec)
        hyper = _hyperparameters(name, given, surface)
        try:
            opt = OPTIMIZERS[name][0](**hyper)
        except (ValueError, TypeError) as err:
            raise UsageError(f"optimizer {name}: {err}") from None
        tol = 0.0 if name == "annealing" else args.tol  # annealing must not stop in a minimum
        options = {"max_steps": args.steps, "tol": tol, "record_path": False}
        if args.restarts:
            res, seconds, found = _race_restarts(surface, opt, args.restarts, args.seed, options)
        else:
            res, seconds = _race_one(surface, x0, opt, options, args)
            found = None
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
            _format_hyper(r["hyperparameters"]),
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
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    right = set(range(3, len(headers)))
    for line in [headers, ["-" * w for w in widths], *table]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def cmd_race(args: argparse.Namespace) -> int:
    if args.steps < 1:
        raise UsageError(f"--steps must be an integer >= 1; got {args.steps}")
    if not args.tol >= 0:
        raise UsageError(f"--tol must be >= 0; got {args.tol}")
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
        print(json.dumps(payload, indent=2))
    else:
        _print_table(surface, x0, rows, args)
    if args.plot or args.animate:
        if surface.dim != 2:
            raise UsageError(f"--plot and --animate draw 2-D surfaces; {surface.name} has "
                             f"dim {surface.dim}")  # fmt: skip
        cli_plot.race_figures(args, surface, x0, rows, OPTIMIZERS)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="descend",
        description="descend: gradient descent you can see, trust and run many times at once.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    race = sub.add_parser(
        "race",
        help="race optimizers from one start on a test surface",
        description=(
            "Run several optimizers from one start on one surface, each as one compiled "
            "program, and print a table: stop reason, steps, final loss, distance to the "
            "nearest known minimum and time."
        ),
        epilog=(
            "examples:\n  descend race\n  descend race --surface himmelblau -o adam:lr=0.05 "
            "-o momentum:lr=0.002,beta=0.95\n  descend race --surface quadratic --param "
            "kappa=1000 --json\n\nsurfaces: " + ", ".join(surfaces.names())
            + "\noptimizers: " + ", ".join(OPTIMIZERS)
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    race.add_argument(
        "--surface", "-s", default="rosenbrock", help="surface name (default: rosenbrock)"
    )
    race.add_argument(
        "--param",
        "-p",
        action="append",
        metavar="KEY=VALUE",
        help="surface parameter, e.g. dim=5 or kappa=1000 (repeatable)",
    )
    race.add_argument(
        "--optimizer",
        "-o",
        action="append",
        metavar="NAME[:KEY=VALUE,...]",
        help="an optimizer and its hyperparameters, e.g. adam:lr=0.01,b1=0.9 "
        f"(repeatable; default: {' '.join(DEFAULT_RACE)})",
    )
    race.add_argument("--start", metavar="X,Y,...", help="start point (default: the surface's)")
    race.add_argument("--steps", type=int, default=10_000, help="maximum steps (default 10000)")
    race.add_argument(
        "--tol",
        type=float,
        default=1e-6,
        help="stop when the gradient norm is at most this (default 1e-6)",
    )
    race.add_argument(
        "--restarts",
        type=int,
        metavar="N",
        help="run each optimizer from N random starts in the surface's domain "
        "(one vmapped program) and report the best",
    )
    race.add_argument(
        "--anneal",
        action="store_true",
        help="add simulated annealing on gradient steps to the race",
    )
    race.add_argument("--seed", type=int, default=0, help="seed of the random starts")
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
    race.set_defaults(run=cmd_race)  # fmt: skip
    cli_fit.add_parser(sub, lambda args: cli_fit.cmd_fit(args, optimizer_from_spec))
    cli_diagnose.add_parser(sub, cli_diagnose.cmd_diagnose)
    cli_plot.add_parser(sub, lambda args: cli_plot.cmd_plot(args, OPTIMIZERS))
    cli_tour.add_parser(sub, cli_tour.cmd_tour)
    cli_lr_find.add_parser(
        sub, lambda args: cli_lr_find.cmd_lr_find(args, _parse_optimizer, OPTIMIZERS)
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (UsageError, cli_fit.FitUsageError, cli_plot.PlotUsageError) as err:
        print(f"descend {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
