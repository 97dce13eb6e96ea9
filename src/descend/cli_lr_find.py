"""``descend lr-find``: the learning-rate range test on a surface or a model on data.

Prints the suggestions (valley, steep, minimum/10), the rates where the loss starts to fall
and blows up (every suggestion lies between them), and the curve as a table of learning
rate, loss and smoothed loss; ``--json`` for machine-readable output. Data are standardised
as ``descend fit`` trains on them (the features, and a regression target).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from descend import cli_fit
from descend.insight import lr_find
from descend.problems import data as data_lib
from descend.problems import surfaces


def run_lr_find(args: argparse.Namespace, parse_optimizer: Any, rules: dict) -> dict[str, Any]:
    name, given = parse_optimizer(args.optimizer)
    if "lr" in given:
        raise cli_fit.FitUsageError("the range test sweeps lr itself: leave it out of -o")
    rule = rules[name][0]
    common = dict(start=args.start, end=args.end, num_steps=args.steps, method=args.method,
                  **given)  # fmt: skip
    try:
        if args.data:
            dataset = cli_fit.load_data(args.data, args.target)
            train = data_lib.standardize(dataset, targets=True)[0]  # as descend fit trains
            model, loss = cli_fit.build_model(args.model, train, [32], "relu")
            batch = None if args.batch_size in ("full", "none") else int(args.batch_size)
            res = lr_find(model, rule=rule, data=train, loss=loss, batch_size=batch, **common)
            problem = f"{model.name} on {args.data}"
        else:
            surface = surfaces.get(args.surface)
            res = lr_find(surface, None, rule, **common)
            problem = surface.name
    except (ValueError, TypeError) as err:
        raise cli_fit.FitUsageError(str(err)) from None
    return {
        "problem": problem,
        "optimizer": name,
        "fixed_hyperparameters": given,
        "method": res.method,
        "suggestions": res.suggestions,
        "fall_start": _number(res.fall_start),
        "blow_up": _number(res.blow_up),
        "stopped_early": res.stopped_early,
        "curve": [{"lr": a, "loss": b, "smoothed": c} for a, b, c in res.table(args.rows)],
        "points": len(res.lrs),
    }


def _number(value: float) -> float | None:
    """A finite float, or None (JSON has no NaN)."""
    return float(value) if np.isfinite(value) else None


def print_report(report: dict[str, Any]) -> None:
    print(f"descend lr-find: {report['optimizer']} on {report['problem']} "
          f"({report['method']}, {report['points']} points"
          f"{', stopped when the loss blew up' if report['stopped_early'] else ''})\n")  # fmt: skip
    s = report["suggestions"]
    print(f"suggested learning rate: {s['valley']:.3g} (valley)")
    print(f"  steepest descent: {s['steep']:.3g}   minimum/10: {s['minimum']:.3g}")
    fall, up = report["fall_start"], report["blow_up"]
    if fall is None:
        print("the loss did not fall beyond its noise: try a larger --end or more --steps\n")
    else:
        where = f"blows up from {up:.3g}" if up is not None else "did not blow up"
        print(f"the loss starts to fall at {fall:.3g} and {where}\n")
    print(f"{'lr':>10}  {'loss':>11}  {'smoothed':>11}")
    for p in report["curve"]:
        loss = "nan" if not np.isfinite(p["loss"]) else f"{p['loss']:.4e}"
        print(f"{p['lr']:>10.3g}  {loss:>11}  {p['smoothed']:>11.4e}")


def add_parser(sub: Any, run: Any) -> None:
    p = sub.add_parser(
        "lr-find",
        help="find a learning rate with the range test",
        description=__doc__.splitlines()[0],
        epilog="examples:\n  descend lr-find\n  descend lr-find --surface quadratic -o gd\n"
        "  descend lr-find --data digits --model mlp -o adam --batch-size 32",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--surface", "-s", default="rosenbrock", help="surface (default rosenbrock)")
    p.add_argument("--data", "-d", help="a data set or CSV (then a model is trained instead)")
    p.add_argument("--target", help="target column of a CSV file")
    p.add_argument("--model", "-m", default="auto", choices=cli_fit.MODELS)
    p.add_argument("--batch-size", "-b", default="32", help="for data: an integer or 'full'")
    p.add_argument(
        "--optimizer",
        "-o",
        default="gd",
        help="the rule, with fixed hyperparameters other than lr, e.g. adam:b1=0.8",
    )
    p.add_argument("--start", type=float, default=1e-7, help="first learning rate (1e-7)")
    p.add_argument("--end", type=float, default=10.0, help="last learning rate (10)")
    p.add_argument("--steps", type=int, default=100, help="learning rates tried (100)")
    p.add_argument("--method", choices=("sequential", "parallel"), default="sequential")
    p.add_argument("--rows", type=int, default=12, help="rows of the curve to print (12)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)  # fmt: skip


def cmd_lr_find(args: argparse.Namespace, parse_optimizer: Any, rules: dict) -> int:
    report = run_lr_find(args, parse_optimizer, rules)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0
