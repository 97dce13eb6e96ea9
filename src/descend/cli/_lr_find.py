"""``descend lr-find``: the learning-rate range test on a surface or a model on data.

Prints the suggestions (valley, steep, minimum/10), the rates where the loss starts to fall
and blows up (every suggestion lies between them), and the curve as a table of learning
rate, loss and smoothed loss; ``--json`` for machine-readable output. Data are standardised
as ``descend fit`` trains on them (the features, and a regression target).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from descend.cli._common import (
    OPTIMIZERS,
    UsageError,
    build_model,
    command_parser,
    data_options,
    finite_or_none,
    integer,
    load_data,
    optimizer_option,
    parse_optimizer,
    real,
    reporting,
    surface_by_name,
    text,
)
from descend.insight import lr_find
from descend.problems import data as data_lib

METHODS = ("sequential", "parallel")
MIN_STEPS = 5


def _check_args(args: argparse.Namespace) -> tuple[str, dict[str, float], int | None]:
    """The rule, its fixed hyperparameters and the batch size, checked before the test."""
    name, given = parse_optimizer(args.optimizer)
    if "lr" in given:
        raise UsageError("the range test sweeps lr itself: leave it out of -o")
    if not args.end > args.start:
        raise UsageError(f"--end must be greater than --start; got --start {args.start:g}, "
                         f"--end {args.end:g}")  # fmt: skip
    if not args.data:
        for option, value in (("--target", args.target), ("--model", args.model),
                              ("--batch-size", args.batch_size)):  # fmt: skip
            if value is not None:
                raise UsageError(f"{option} applies to a model on --data; this test runs on "
                                 f"the surface {args.surface}")  # fmt: skip
        return name, given, None
    text = args.batch_size or "32"
    if text.strip().lower() in ("full", "none"):
        return name, given, None
    try:
        batch = int(text)
    except ValueError:
        batch = 0
    if batch < 1:
        raise UsageError(f"--batch-size must be an integer >= 1 or 'full'; got {text!r}")
    return name, given, batch


def run_lr_find(args: argparse.Namespace) -> dict[str, Any]:
    name, given, batch = _check_args(args)
    rule = OPTIMIZERS[name][0]
    common = dict(start=args.start, end=args.end, num_steps=args.steps, method=args.method,
                  **given)  # fmt: skip
    if args.data:
        dataset = load_data(args.data, args.target)
        if batch is not None and batch > dataset.n_samples:
            raise UsageError(f"--batch-size must be at most the {dataset.n_samples} samples of "
                             f"{args.data}; got {batch}")  # fmt: skip
        train = data_lib.standardize(dataset, targets=True)[0]  # as descend fit trains
        model, loss = build_model(args.model or "auto", train, [32], "relu")
        problem = f"{model.name} on {args.data}"
    else:
        surface = surface_by_name(args.surface)
        problem = surface.name
    try:
        if args.data:
            res = lr_find(model, rule=rule, data=train, loss=loss, batch_size=batch, **common)
        else:
            res = lr_find(surface, None, rule, **common)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    return {
        "problem": problem,
        "optimizer": name,
        "fixed_hyperparameters": given,
        "method": res.method,
        "suggestions": res.suggestions,
        "fall_start": finite_or_none(res.fall_start),
        "blow_up": finite_or_none(res.blow_up),
        "stopped_early": res.stopped_early,
        "curve": [{"lr": a, "loss": b, "smoothed": c} for a, b, c in res.table(args.rows)],
        "points": len(res.lrs),
    }


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


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub, "lr-find", reporting(run_lr_find, print_report), doc=__doc__,
        help="find a learning rate with the range test",
        examples=["descend lr-find", "descend lr-find --surface quadratic -o gd",
                  "descend lr-find --data digits --model mlp -o adam --batch-size 32"],
        after="--model mlp trains one hidden layer of 32 units",
    )  # fmt: skip
    p.add_argument(
        "--surface",
        "-s",
        default="rosenbrock",
        type=text("a surface name"),
        help="surface (default rosenbrock)",
    )
    data_options(p)
    p.add_argument("--batch-size", "-b", help="with --data: an integer or 'full' (default 32)")
    optimizer_option(
        p, "the rule, with fixed hyperparameters other than lr, e.g. adam:b1=0.8", default="gd"
    )
    p.add_argument(
        "--start", type=real(0, low_open=True), default=1e-7, help="first learning rate (1e-7)"
    )
    p.add_argument(
        "--end", type=real(0, low_open=True), default=10.0, help="last learning rate (10)"
    )
    p.add_argument(
        "--steps", type=integer(MIN_STEPS), default=100, help="learning rates tried (100)"
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="sequential",
        help="sequential: one run whose rate grows each step (the classic test); parallel: "
        "every rate trained side by side for a few steps in one vmapped program "
        "(default sequential)",
    )
    p.add_argument("--rows", type=integer(1), default=12, help="rows of the curve to print (12)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
