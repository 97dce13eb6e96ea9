"""``descend race --fair``: each optimizer tuned on the same budget, then raced from the same
held-out starts, ranked by a stated metric (:func:`descend.insight.fair_race`).

The options of the plain race that do not apply (``--start``, ``--restarts``, ``--anneal``,
``--plot``, ``--animate``, ``--progress``) are refused with ``--fair``, and the fair race's
own options (``--starts``, ``--metric``, ``--tune``, ``--grid``) without it, before any work.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from descend.cli._common import (
    UsageError,
    finite_or_none,
    option_choices,
    parse_optimizer,
    print_report_or_json,
    print_table,
)
from descend.insight import fair_race
from descend.insight._fair import MAX_BUDGET, MAX_GRID, MAX_STARTS

DEFAULT_FAIR = ("gd", "momentum", "adam")
DEFAULT_BUDGET = 1000
DEFAULTS = {"starts": 8, "metric": "steps", "tune": "lr", "grid": 32}
#: plain-race options that --fair refuses, with the value each has when not given
NOT_WITH_FAIR = {
    "start": None,
    "restarts": None,
    "anneal": False,
    "plot": None,
    "animate": None,
    "progress": False,
}


def check_options(args: argparse.Namespace) -> None:
    """The fair race's options go with ``--fair`` only, and ``--fair`` refuses the plain
    race's options that do not apply to it."""
    if not args.fair:
        given = [f"--{k}" for k in DEFAULTS if getattr(args, k) is not None]
        if given:
            raise UsageError(f"{given[0]} is an option of the fair race; add --fair")
        return
    for name, unset in NOT_WITH_FAIR.items():
        if getattr(args, name) != unset:
            raise UsageError(
                f"--{name} cannot go with --fair (the fair race draws its own "
                "starts and prints a ranking)"
            )


def _value(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name)
    return DEFAULTS[name] if value is None else value


def metric_text(metric: str, budget: int, tol: float) -> str:
    """The ranking metric in words, as the table and the JSON state it."""
    if metric == "steps":
        return (
            f"median steps to tolerance (|grad| <= {tol:g}) over the race starts; a run "
            f"that does not get there within {budget} steps counts as {budget + 1}"
        )
    return (
        f"median final loss above the minimum, f(x_end) - f*, after {budget} steps (or "
        f"where |grad| <= {tol:g}) over the race starts; a diverged run counts as inf"
    )


def fair_report(args: argparse.Namespace, surface: Any) -> dict[str, Any]:
    """Check the optimizers, run the fair race and return its report (the JSON's form)."""
    rules = []
    for spec in args.optimizer or DEFAULT_FAIR:
        name, given = parse_optimizer(spec)
        options = option_choices(name)
        structural = [k for k in given if k in options]
        if structural:  # fair_race tunes and vmaps numbers; an option is a different program
            raise UsageError(
                f"optimizer {name}: the fair race takes numeric hyperparameters only; "
                f"{', '.join(structural)} is a structural option (race without --fair)"
            )
        rules.append((name, given))
    budget = args.steps
    limits = {
        "--steps": (budget, MAX_BUDGET),
        "--starts": (_value(args, "starts"), MAX_STARTS),
        "--grid": (_value(args, "grid"), MAX_GRID),
    }
    for option, (value, most) in limits.items():
        if value > most:
            raise UsageError(f"{option} with --fair must be at most {most}; got {value}")
    options = {
        "budget": budget,
        "starts": _value(args, "starts"),
        "grid": _value(args, "grid"),
        "tune": _value(args, "tune"),
        "metric": _value(args, "metric"),
        "tol": args.tol,
        "seed": args.seed,
    }
    try:  # fair_race checks every input before it runs anything
        race = fair_race(surface, rules, **options)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err).removeprefix("rules: ")) from None
    results = []
    for e in race.entries:
        per_start = [
            {
                "start": [float(v) for v in start],
                "steps": int(steps),
                "final_loss": finite_or_none(loss),
                "converged": bool(done),
            }
            for start, steps, loss, done in zip(
                race.race_starts, e.steps, e.final_loss, e.converged, strict=True
            )
        ]
        results.append(
            {
                "rank": e.rank,
                "optimizer": e.name,
                "hyperparameters": {k: float(v) for k, v in e.hyperparameters.items()},
                "tuned": list(e.tuned),
                "at_edge": list(e.at_edge),
                "median_steps": float(e.median_steps),
                "median_final_loss": finite_or_none(e.median_final_loss),
                "converged_share": float(e.converged_share),
                "per_start": per_start,
            }
        )
    return {
        "surface": surface.name,
        "formula": surface.formula,
        "fair": True,
        "metric": race.metric,
        "metric_text": metric_text(race.metric, budget, args.tol),
        "budget": budget,
        "gradient_evaluations": budget + 1,
        "tol": args.tol,
        "tune": race.tune,
        "grid": options["grid"],
        "lr_span": [float(v) for v in race.lr_span],
        "seed": args.seed,
        "tuning_starts": np.asarray(race.tuning_starts).tolist(),
        "race_starts": np.asarray(race.race_starts).tolist(),
        "results": results,
    }


def print_fair(report: dict[str, Any]) -> None:
    """The ranking as a table, under the lines that state how it was made."""
    low, high = report["lr_span"]
    n = len(report["race_starts"])
    tuned = "lr" if report["tune"] == "lr" else "lr and beta, b1 or decay"
    print(f"descend race --fair on {report['surface']}: f = {report['formula']}")
    print(
        f"tuned: {tuned}, on {n} starts (lr: {report['grid']} values from {low:.3g} to "
        f"{high:.3g}, evenly in log lr); raced from {n} other starts, the same for each"
    )
    print(
        f"budget: {report['budget']} steps per run, one gradient each "
        f"({report['gradient_evaluations']} gradient evaluations with the start's)"
    )
    print(f"ranked by {report['metric_text']}\n")
    headers = [
        "rank",
        "optimizer",
        "tuned hyperparameters",
        "median steps",
        "median final loss",
        "converged",
    ]
    table, edge = [], False
    for r in report["results"]:
        hyper = r["hyperparameters"]
        marks = []
        for k in r["tuned"]:
            star = "*" if k in r["at_edge"] else ""
            edge = edge or bool(star)
            marks.append(f"{k}={hyper[k]:.3g}{star}")
        loss = r["median_final_loss"]
        steps = r["median_steps"]
        table.append(
            [
                str(r["rank"]),
                r["optimizer"],
                ", ".join(marks),
                f"{steps:g}" if steps <= report["budget"] else f">{report['budget']}",
                "inf" if loss is None else f"{loss:.3e}",
                f"{sum(s['converged'] for s in r['per_start'])}/{n}",
            ]
        )
    print_table(headers, table, {0, 3, 4, 5})
    if edge:
        print("\n* at an end of its tuning grid: the best value may lie beyond it")


def run_fair(args: argparse.Namespace, surface: Any) -> int:
    """``descend race --fair``: the table, or the report as JSON with ``--json``."""
    print_report_or_json(fair_report(args, surface), args.json, print_fair)
    return 0
