"""``descend fit``: train a model on a bundled data set, a generated one or a CSV file.

The data are split (train / validation / test, from ``--seed``) and standardised with the
training statistics: the features, and a regression target (``y' = (y - mean) / std``), so
that one learning rate and one ``--tol`` suit every data set; ``--no-standardize`` keeps the
raw values. The model is trained by ``descend.fit`` and a table of the loss and the metric
(accuracy or R^2) on each split is printed, in the units of the data (a standardized target's
predictions are mapped back, ``y = y' * std + mean``); ``--json`` for machine-readable output.

Training stops as scikit-learn's does, when the epoch loss has not fallen by ``--tol`` (1e-4)
for ``--patience`` (10) epochs. A run that reaches ``--epochs`` while the loss still falls by
more than ``tol`` an epoch (averaged over the last ``patience`` epochs) ends with the line
"not converged after N epochs: the loss was still falling by X per epoch; try --epochs or
--lr".
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend.cli._common import (
    ACTIVATIONS,
    GENERATED,
    UsageError,
    build_model,
    check_loss,
    command_parser,
    data_options,
    format_hyper,
    int_list,
    integer,
    load_data,
    loss_by_name,
    optimizer_from_spec,
    optimizer_option,
    parse_optimizer,
    real,
    reporting,
    text,
)
from descend.engine import fit
from descend.engine._fit import MAX_EPOCHS
from descend.problems import data as data_lib
from descend.problems import metrics
from descend.problems.data._prepare import AUTO_RATES as MODEL_RATES
from descend.problems.data._prepare import auto_batch, padded_rows, row_bucket, target_scaler

#: The learning rate of ``-o NAME`` without ``lr``, by ``--model`` (``descend.sklearn``'s
#: ``learning_rate="auto"``); ``--model auto`` picks a linear model.
AUTO_RATES = {"auto": MODEL_RATES["linear"], **MODEL_RATES}
#: The default of ``--tol`` (scikit-learn's ``MLP*.tol``), and the fall per epoch above which
#: a run stopped by ``--epochs`` is reported as not converged when ``--tol none``.
TOL = 1e-4
BATCH_WORDS = ("auto", "full", "none")


@functools.lru_cache(maxsize=64)
def _scorers(model: Any, loss: Any, task: str) -> tuple[Any, Any]:
    """The model's outputs, and ``(mean loss, metric)`` over the rows a mask keeps, each one
    compiled program a size of :func:`row_bucket` (run op by op, the splits' evaluation
    compiled some 80 operations, 2.5 s of an 8 s ``descend fit``)."""

    def scores(outputs: Any, y: Any, mask: Any) -> tuple[Any, Any]:
        values = loss(outputs, y)
        kept = mask.astype(values.dtype)
        value = jnp.sum(kept * values) / jnp.sum(kept)
        if task == "classification":
            output = getattr(model, "output", "raw")
            return value, metrics.accuracy(outputs, y, output, mask=mask)
        return value, metrics.r2(outputs, y, mask=mask)

    return jax.jit(model.apply), jax.jit(scores)


def evaluate(
    model: Any, params: Any, loss: Any, X: Any, y: Any, task: str, scaler: Any = None
) -> dict[str, float]:
    """The loss and the metric (accuracy or R^2) of ``params`` on the features ``X`` the
    model takes and the targets ``y`` in the units of the data: ``scaler`` (a fitted
    ``Standardizer`` of the targets) maps standardized outputs back, ``y = y' * std + mean``.
    The rows are padded to :func:`row_bucket` (the last row repeated) and the padding masked
    out: the splits share compiled programs."""
    X, y, n = np.asarray(X), np.asarray(y), len(X)
    apply, scores = _scorers(model, loss, task)
    # the padded rows stay (masked out below), so y is padded as the outputs are
    outputs = np.asarray(apply(params, jnp.asarray(padded_rows(X))))
    if scaler is not None:  # row by row: the padding rows are undone as the others
        back = scaler.inverse_transform(outputs.astype(np.float64).reshape(len(outputs), -1))
        outputs = back.reshape(outputs.shape).astype(X.dtype)
    mask = np.arange(row_bucket(n)) < n
    value, score = scores(jnp.asarray(outputs), jnp.asarray(padded_rows(y)), mask)
    return {"loss": float(value), "accuracy" if task == "classification" else "r2": float(score)}


def still_falling(curve: Any, at_max: bool, tol: float | None, patience: int) -> float | None:
    """How fast the loss was still falling when the run stopped at ``--epochs`` (``at_max``):
    the mean fall per epoch over the last ``patience`` epochs, ``(L[-w-1] - L[-1]) / w`` with
    ``w = min(patience, epochs - 1)``, when it exceeds ``tol`` (``TOL`` when stopping on
    ``tol`` is off); ``None`` otherwise (converged, diverged, or the loss had all but stopped
    falling).
    The stop rule ends a run whose loss falls by less than ``tol`` in ``patience`` epochs, so
    a run that still falls by ``tol`` in each one is far from that."""
    loss = np.asarray(curve, float)
    window = min(patience, len(loss) - 1)
    if not at_max or window < 1 or not np.all(np.isfinite(loss[-window - 1 :])):
        return None
    fall = (loss[-window - 1] - loss[-1]) / window
    return float(fall) if fall > (TOL if tol is None else tol) else None


def _batch(text: str, n: int | None) -> int | None:
    """``--batch-size``: ``auto``, ``full`` (None: batch gradient descent) or 1..n (any
    integer >= 1 while ``n``, the training samples, is not known yet)."""
    word = text.strip().lower()
    if word == "auto":
        return auto_batch(n) if n is not None else 1
    if word in ("full", "none"):
        return None
    try:
        batch = int(word)
    except ValueError:
        batch = 0
    if n is None and batch < 1:
        raise UsageError(f"--batch-size must be auto, full or an integer >= 1; got {text!r}")
    if n is not None and not 1 <= batch <= n:
        raise UsageError(
            f"--batch-size must be auto, full or an integer in 1..{n} (the training samples); "
            f"got {text!r}"
        )
    return batch


def _has_lr(spec: str) -> bool:
    return any(i.partition("=")[0].strip() == "lr" for i in spec.partition(":")[2].split(","))


def _with_lr(spec: str, lr: float | None) -> str:
    """The optimizer spec with ``lr`` set to ``--lr`` (replacing one given there)."""
    if lr is None:
        return spec
    name, _, rest = spec.partition(":")
    items = [i for i in rest.split(",") if i.strip() and i.partition("=")[0].strip() != "lr"]
    return f"{name}:{','.join([*items, f'lr={lr!r}'])}"


def _tol(text: str) -> float | None:
    """``--tol``: a number >= 0, or ``none`` to run every epoch."""
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number >= 0 or 'none'; got {text!r}")
    return value


def _check_args(args: argparse.Namespace) -> tuple[list[int], str]:
    """Everything that can be checked before the data are loaded: the hidden layers, the
    activation, the batch size's form and the optimizer."""
    if args.validation + args.test >= 1:
        raise UsageError("--validation and --test must be in [0, 1) and sum to less than 1")
    if args.early_stopping and args.validation == 0:
        raise UsageError("--early-stopping needs a validation fraction > 0, e.g. --validation 0.1")
    mlp = args.model == "mlp"
    if not mlp and (args.hidden is not None or args.activation is not None):
        option = "--hidden" if args.hidden is not None else "--activation"
        raise UsageError(f"{option} shapes an mlp; add --model mlp (the model is {args.model})")
    hidden = int_list(args.hidden, "--hidden") if args.hidden is not None else [32]
    _batch(args.batch_size, None)
    lr = args.lr if args.lr is not None or _has_lr(args.optimizer) else AUTO_RATES[args.model]
    spec = _with_lr(args.optimizer, lr)
    parse_optimizer(spec)
    return hidden, spec


def run_fit(args: argparse.Namespace) -> dict[str, Any]:
    """Check the input, load and split the data, train, and report on each split."""
    hidden, spec = _check_args(args)
    name, hyper, optimizer = optimizer_from_spec(spec)
    given_loss = loss_by_name(args.loss) if args.loss else None
    dataset = load_data(args.data, args.target)
    fractions = [1 - args.validation - args.test, args.validation, args.test]
    kept = [f for f in fractions if f > 0]
    try:  # --validation 0 --test 0: all of the data trains, uncut
        parts = (
            data_lib.split(dataset, tuple(kept), seed=args.seed) if len(kept) > 1 else (dataset,)
        )
    except ValueError:
        sizes = ", ".join(f"{f:g}" for f in kept)
        raise UsageError(
            f"--data {args.data}: its {dataset.n_samples} samples are too few to cut into "
            f"train, validation and test parts of {sizes} with at least one sample each; "
            "give more data, or --validation 0 --test 0 to train on all of it"
        ) from None
    named = dict(zip([n for n, f in zip(("train", "validation", "test"), fractions, strict=True)
                      if f > 0], parts, strict=True))  # fmt: skip
    model, default_loss = build_model(args.model, dataset, hidden, args.activation or "relu")
    loss = given_loss or loss_by_name(default_loss)
    check_loss(loss, dataset, default_loss)
    scaler = target_scaler(named["train"]) if args.standardize else None
    if args.standardize:
        named_std = dict(zip(named, data_lib.standardize(*named.values(), targets=True),
                             strict=True))  # fmt: skip
    else:
        named_std = named
    batch = _batch(args.batch_size, named_std["train"].n_samples)
    options = dict(batch_size=batch, epochs=args.epochs, seed=args.seed,
                   tol=args.tol, n_iter_no_change=args.patience,
                   validation=named_std.get("validation"), task=dataset.task,
                   early_stopping=args.early_stopping and "validation" in named)  # fmt: skip
    started = time.perf_counter()
    try:
        res = fit(model, loss, named_std["train"], optimizer, progress=args.progress, **options)
        res = jax.block_until_ready(res)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    seconds = time.perf_counter() - started
    table = {
        part: evaluate(model, res.params, loss, named_std[part].X, ds.y, dataset.task, scaler)
        for part, ds in named.items()
    }
    curve = np.asarray(res.curves()["loss"])
    falling = still_falling(curve, int(res.reason) == MAX_EPOCHS, args.tol, args.patience)
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
        "loss_curve": curve.tolist(),
        "standardized": bool(args.standardize),
        "tol": args.tol,
        "not_converged": falling is not None,
        "still_falling_per_epoch": falling,
    }


def print_report(report: dict[str, Any]) -> None:
    hyper = format_hyper(report["hyperparameters"])
    print(f"descend fit: {report['model']} on {report['data']} ({report['task']}), "
          f"loss {report['loss']}, {report['optimizer']}({hyper}), "
          f"batch {report['batch_size']}")  # fmt: skip
    print(f"{report['stop_reason']} after {report['epochs_run']} epochs "
          f"in {report['seconds']:.2f} s (compilation included)")  # fmt: skip
    if report["not_converged"]:
        fall = report["still_falling_per_epoch"]
        print(f"not converged after {report['epochs_run']} epochs: the loss was still falling "
              f"by {fall:.3g} per epoch; try --epochs or --lr")  # fmt: skip
    print()
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


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub, "fit", reporting(run_fit, print_report), doc=__doc__,
        help="train a model on a data set",
        examples=["descend fit", "descend fit --data digits --model mlp --hidden 32 "
                  "-o adam:lr=0.001 --batch-size 32 --epochs 100",
                  "descend fit --data my.csv --target price --model linear --json"],
        after="data sets: " + ", ".join(sorted([*data_lib.names(), *GENERATED]))
        + ", or a CSV path",
    )  # fmt: skip
    data_options(p, default="iris")
    p.add_argument("--hidden", help="hidden layer sizes of an mlp, e.g. 32,16 (default 32)")
    p.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        help=f"mlp activation: {', '.join(ACTIVATIONS)} (default relu)",
    )
    p.add_argument(
        "--loss",
        type=text("a loss name"),
        help="loss name (default: by task); see descend.losses.names()",
    )
    optimizer_option(
        p, "the optimizer (default adam; without lr: 0.01, or 0.001 for an mlp)", default="adam"
    )
    p.add_argument(
        "--batch-size",
        "-b",
        default="auto",
        help="an integer (1 = stochastic), 'full' (batch GD) or 'auto' (the default): "
        "min(200, ceil(n / 10)), at least 10 steps an epoch",
    )
    p.add_argument(
        "--epochs", "-e", type=integer(1), default=200, help="maximum epochs (default 200)"
    )
    p.add_argument("--seed", type=integer(0), default=0, help="split, shuffle and init seed")
    p.add_argument("--validation", type=real(0, 1), default=0.15, help="validation share (0.15)")
    p.add_argument("--test", type=real(0, 1), default=0.15, help="test share (0.15)")
    p.add_argument(
        "--lr",
        type=real(0, low_open=True),
        default=None,
        help="the learning rate (overrides an lr in --optimizer)",
    )
    p.add_argument(
        "--tol",
        type=_tol,
        default=TOL,
        help=f"stop when the loss has not fallen by tol for --patience epochs ({TOL:g}); "
        "'none' runs every epoch",
    )
    p.add_argument(
        "--patience", type=integer(1), default=10, help="epochs without improvement (10)"
    )
    p.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop on the validation loss and keep the best parameters",
    )
    p.add_argument(
        "--no-standardize",
        dest="standardize",
        action="store_false",
        help="keep the raw features and targets (default: standardise both with the "
        "training statistics, predictions mapped back)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
