"""``descend fit``: train a model on a bundled data set, a generated one or a CSV file.

The data are split (train / validation / test, from ``--seed``) and standardised with the
training statistics; the model is trained by ``descend.fit`` and a table of the loss and the
metric (accuracy or R^2) on each split is printed (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend.engine import fit
from descend.problems import data as data_lib
from descend.problems import losses, metrics, models

GENERATED = {
    "moons": data_lib.moons,
    "circles": data_lib.circles,
    "xor": data_lib.xor,
    "spiral": data_lib.spiral,
    "blobs": data_lib.blobs,
    "linear": data_lib.linear_regression,
    "polynomial": data_lib.polynomial_regression,
}
MODELS = ("auto", "linear", "logistic", "softmax", "mlp")


class FitUsageError(Exception):
    """Bad input: printed as one line by the CLI, exit status 2."""


def load_data(name: str, target: str | None) -> Any:
    """A bundled set, a generated one, or a CSV file (which needs ``--target``)."""
    if name.lower().endswith(".csv") or os.path.sep in name or os.path.exists(name):
        if not target:
            raise FitUsageError(f"--target is required for a CSV file ({name})")
        try:
            return data_lib.read_csv(name, target)
        except (ValueError, FileNotFoundError) as err:
            raise FitUsageError(str(err)) from None
    if name in GENERATED:
        return GENERATED[name]()
    if name in data_lib.names():
        try:
            return data_lib.load(name)
        except ImportError as err:
            raise FitUsageError(str(err)) from None
    valid = sorted([*data_lib.names(), *GENERATED])
    raise FitUsageError(
        f"unknown data set {name!r}; valid names: {', '.join(valid)}, or a path to a CSV file"
    )


def build_model(kind: str, dataset: Any, hidden: list[int], activation: str) -> tuple[Any, str]:
    """The model and its default loss for the task."""
    d = dataset.n_features
    if dataset.task == "regression":
        if kind in ("logistic", "softmax"):
            raise FitUsageError(f"--model {kind} is for classification; this data is regression")
        if kind == "mlp":
            return models.mlp([d, *hidden, 1], activation=activation), "mse"
        return models.linear(d), "mse"
    k = dataset.n_classes
    binary = k == 2
    if kind == "linear":
        raise FitUsageError("--model linear is for regression; use logistic, softmax or mlp")
    if kind == "mlp":
        out = 1 if binary else k
        loss = "binary_cross_entropy" if binary else "softmax_cross_entropy"
        return models.mlp([d, *hidden, out], activation=activation), loss
    if kind == "logistic" and not binary:
        raise FitUsageError(f"--model logistic needs 2 classes; this data has {k} (use softmax)")
    if kind == "softmax" or not binary:
        return models.softmax(d, k), "softmax_cross_entropy"
    return models.logistic(d), "binary_cross_entropy"


def evaluate(model: Any, params: Any, loss: Any, part: Any, task: str) -> dict[str, float]:
    """The loss and the metric (accuracy or R^2) of ``params`` on one split."""
    outputs = model.apply(params, jnp.asarray(part.X))
    value = float(jnp.mean(loss(outputs, jnp.asarray(part.y))))
    if task == "classification":
        score = float(metrics.accuracy(outputs, part.y, getattr(model, "output", "raw")))
        return {"loss": value, "accuracy": score}
    return {"loss": value, "r2": float(metrics.r2(outputs, part.y))}


def run_fit(args: argparse.Namespace, optimizer_from_spec: Any) -> dict[str, Any]:
    dataset = load_data(args.data, args.target)
    fractions = [1 - args.validation - args.test, args.validation, args.test]
    if not (0 <= args.validation < 1 and 0 <= args.test < 1 and fractions[0] > 0):
        raise FitUsageError("--validation and --test must be in [0, 1) and sum to less than 1")
    kept = [f for f in fractions if f > 0]
    parts = data_lib.split(dataset, tuple(kept), seed=args.seed)
    named = dict(zip([n for n, f in zip(("train", "validation", "test"), fractions, strict=True)
                      if f > 0], parts, strict=True))  # fmt: skip
    if args.standardize:
        named = dict(zip(named, data_lib.standardize(*named.values()), strict=True))
    hidden = [int(h) for h in args.hidden.split(",") if h.strip()] if args.hidden else [32]
    model, default_loss = build_model(args.model, dataset, hidden, args.activation)
    try:
        loss = losses.get(args.loss or default_loss)
    except (ValueError, TypeError) as err:
        raise FitUsageError(str(err)) from None
    name, hyper, optimizer = optimizer_from_spec(args.optimizer)
    batch = None if args.batch_size in ("full", "none", "None") else int(args.batch_size)
    n_train = named["train"].n_samples
    if batch is not None and not 1 <= batch <= n_train:
        raise FitUsageError(f"--batch-size must be in 1..{n_train} (the training samples) or full")
    options = dict(batch_size=batch, epochs=args.epochs, seed=args.seed,
                   tol=args.tol, n_iter_no_change=args.patience,
                   validation=named.get("validation"), task=dataset.task,
                   early_stopping=args.early_stopping and "validation" in named)  # fmt: skip
    if args.epochs < 1:
        raise FitUsageError(f"--epochs must be an integer >= 1; got {args.epochs}")
    started = time.perf_counter()
    try:
        res = fit(model, loss, named["train"], optimizer, progress=args.progress, **options)
        res = jax.block_until_ready(res)
    except (ValueError, TypeError) as err:
        raise FitUsageError(str(err)) from None
    seconds = time.perf_counter() - started
    table = {
        part: evaluate(model, res.params, loss, ds, dataset.task) for part, ds in named.items()
    }
    return {
        "data": dataset.name or args.data,
        "task": dataset.task,
        "samples": {part: ds.n_samples for part, ds in named.items()},
        "model": model.name,
        "loss": loss.name,
        "optimizer": name,
        "hyperparameters": hyper,
        "batch_size": batch if batch is not None else "full",
        "epochs_run": int(res.epochs),
        "stop_reason": res.stop_reason,
        "diverged_at_epoch": int(res.diverged_at) if res.diverged else None,
        "seconds": seconds,
        "metrics": table,
        "loss_curve": np.asarray(res.curves()["loss"]).tolist(),
    }


def print_report(report: dict[str, Any]) -> None:
    hyper = ", ".join(f"{k}={v:g}" for k, v in report["hyperparameters"].items())
    print(f"descend fit: {report['model']} on {report['data']} ({report['task']}), "
          f"loss {report['loss']}, {report['optimizer']}({hyper}), "
          f"batch {report['batch_size']}")  # fmt: skip
    print(f"{report['stop_reason']} after {report['epochs_run']} epochs "
          f"in {report['seconds']:.2f} s (compilation included)\n")  # fmt: skip
    metric = "accuracy" if report["task"] == "classification" else "r2"
    rows = [["split", "samples", "loss", metric]]
    for part, values in report["metrics"].items():
        rows.append([part, str(report["samples"][part]), f"{values['loss']:.4f}",
                     f"{values[metric]:.4f}"])  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for j, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip
        if j == 0:
            print("  ".join("-" * w for w in widths))


def add_parser(sub: Any, run: Any) -> None:
    p = sub.add_parser(
        "fit",
        help="train a model on a data set",
        description=__doc__.splitlines()[0],
        epilog=("examples:\n  descend fit\n  descend fit --data digits --model mlp --hidden 32 "
                "-o adam:lr=0.001 --batch-size 32 --epochs 100\n  descend fit --data my.csv "
                "--target price --model linear --json\n\ndata sets: "
                + ", ".join(sorted([*data_lib.names(), *GENERATED])) + ", or a CSV path"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("--data", "-d", default="iris", help="data set name or CSV path (default iris)")
    p.add_argument("--target", help="target column of a CSV file")
    p.add_argument(
        "--model",
        "-m",
        default="auto",
        choices=MODELS,
        help="auto: logistic/softmax for classification, linear for regression",
    )
    p.add_argument("--hidden", help="hidden layer sizes of an mlp, e.g. 32,16 (default 32)")
    p.add_argument("--activation", default="relu", help="mlp activation: relu, tanh, sigmoid")
    p.add_argument("--loss", help="loss name (default: by task); see descend.losses.names()")
    p.add_argument(
        "--optimizer",
        "-o",
        default="adam:lr=0.01",
        help="NAME[:KEY=VALUE,...] (default adam:lr=0.01)",
    )
    p.add_argument(
        "--batch-size",
        "-b",
        default="32",
        help="an integer (1 = stochastic) or 'full' (batch GD); default 32",
    )
    p.add_argument("--epochs", "-e", type=int, default=100, help="maximum epochs (default 100)")
    p.add_argument("--seed", type=int, default=0, help="split, shuffle and init seed")
    p.add_argument("--validation", type=float, default=0.15, help="validation share (0.15)")
    p.add_argument("--test", type=float, default=0.15, help="test share (0.15)")
    p.add_argument("--tol", type=float, default=None, help="stop when the loss stalls by tol")
    p.add_argument("--patience", type=int, default=10, help="epochs without improvement (10)")
    p.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop on the validation loss and keep the best parameters",
    )
    p.add_argument(
        "--no-standardize",
        dest="standardize",
        action="store_false",
        help="keep the raw features (default: standardise with train statistics)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(run=run)  # fmt: skip


def cmd_fit(args: argparse.Namespace, optimizer_from_spec: Any) -> int:
    report = run_fit(args, optimizer_from_spec)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0
