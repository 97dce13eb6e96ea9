"""A study's problem: what is minimised, from its ``[problem]`` table, and its metric.

Three kinds, one per table:

- ``surface = NAME`` (``descend.surfaces.get``), with ``params`` (the surface's own, e.g.
  ``{ dim = 4 }``), ``domain`` (the box that seeds draw starts from; the surface's by default)
  and ``tol`` (:func:`descend.minimize`'s, default 1e-6);
- ``expression = TEXT`` (``descend.surfaces.from_expression``: parsed, never evaluated), with
  ``domain`` (default ``[[-5, 5], [-5, 5]]``), ``minima`` (known minimum points, which give
  the metric a floor) and ``tol``;
- ``data = NAME`` (a bundled set of ``descend.data.names()`` or a generated one: moons,
  circles, xor, spiral, blobs, linear_regression, polynomial_regression), with ``model``
  (auto, linear, logistic, softmax, mlp), ``hidden`` and ``activation`` (mlp), ``loss``,
  ``batch_size`` (default 32), ``epochs`` (default ``ceil(steps / steps_per_epoch)``),
  ``standardize`` (default true: features, and a regression target, scaled to mean 0 and
  standard deviation 1) and ``tol`` (:func:`descend.fit`'s; default none).

The metric (:class:`Metric`) is ``final_loss - min_value`` (``gap``, lower is better) on a
surface with a known minimum, the final loss itself (``loss``) on one without, and the
training set's ``accuracy`` or ``r2`` (higher is better) after the last epoch on data.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from descend._validation import did_you_mean, normalise, shown
from descend.problems import data as data_lib
from descend.problems import losses, models, surfaces
from descend.study._fields import _int, _keys, _real, _text, _type

SURFACE_KEYS = ("surface", "params", "domain", "tol")
EXPRESSION_KEYS = ("expression", "domain", "minima", "tol")
DATA_KEYS = (
    "data",
    "model",
    "hidden",
    "activation",
    "loss",
    "batch_size",
    "epochs",
    "standardize",
    "tol",
)
GENERATED = {
    "moons": data_lib.moons,
    "circles": data_lib.circles,
    "xor": data_lib.xor,
    "spiral": data_lib.spiral,
    "blobs": data_lib.blobs,
    "linear_regression": data_lib.linear_regression,
    "polynomial_regression": data_lib.polynomial_regression,
}
MODELS = ("auto", "linear", "logistic", "softmax", "mlp")
DEFAULT_TOL = 1e-6
DEFAULT_BATCH = 32


@dataclass(frozen=True)
class Metric:
    """The problem's metric: its column name, whether lower or higher is better, and what
    it is in words."""

    name: str
    goal: str  # "min" or "max"
    text: str


@dataclass(frozen=True)
class Problem:
    """A built problem: a surface (``surface``, ``domain``, ``tol``) or a training problem
    (``dataset``, ``model``, ``loss``, ``batch_size``, ``epochs``, ``tol``)."""

    kind: str
    metric: Metric
    surface: Any = None
    domain: tuple[tuple[float, float], ...] = ()
    tol: float | None = None
    dataset: Any = None
    model: Any = None
    loss: Any = None
    batch_size: int = 0
    epochs: int = 0


def _domain(field: str, raw: Any, dim: int) -> list[list[float]]:
    if not isinstance(raw, list) or len(raw) != dim:
        raise _type(field, f"{dim} pairs [low, high], one per coordinate", raw)
    out = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, list) or len(pair) != 2:
            raise _type(f"{field}[{i}]", "a pair [low, high]", pair)
        lo, hi = (_real(f"{field}[{i}]", v) for v in pair)
        if not lo < hi:
            raise ValueError(f"{field}[{i}]: low must be below high; got [{lo!r}, {hi!r}]")
        out.append([lo, hi])
    return out


def _tol(table: dict[str, Any], default: float | None) -> float | None:
    if "tol" not in table:
        return default
    tol = _real("problem.tol", table["tol"])
    if tol < 0:
        raise ValueError(f"problem.tol: must be >= 0; got {tol!r}")
    return tol


def _surface(table: dict[str, Any]) -> dict[str, Any]:
    name = table["surface"]
    if not isinstance(name, str):
        raise _type("problem.surface", f"one of {', '.join(surfaces.names())}", name)
    params = table.get("params", {})
    if not isinstance(params, Mapping):
        raise _type("problem.params", "a table of the surface's parameters", params)
    try:
        s = surfaces.get(name, **params)
    except (TypeError, ValueError) as err:
        field = "problem.surface" if "unknown surface" in str(err) else "problem.params"
        raise type(err)(f"{field}: {err}") from None
    except MemoryError:  # the constructor's arrays (a dim x dim rotation) do not fit
        raise ValueError(
            f"problem.params: {name} with {dict(params)} does not fit in memory; give a smaller dim"
        ) from None
    domain = _domain("problem.domain", table["domain"], s.dim) if "domain" in table else None
    return {
        "kind": "surface",
        "surface": normalise(name),
        "params": dict(sorted(params.items())),
        "domain": domain or [list(p) for p in s.domain],
        "tol": _tol(table, DEFAULT_TOL),
    }


def _expression(table: dict[str, Any]) -> dict[str, Any]:
    text = _text("problem.expression", table["expression"])
    domain = _domain("problem.domain", table.get("domain", [[-5.0, 5.0], [-5.0, 5.0]]), 2)
    minima = table.get("minima")
    if minima is not None and (not isinstance(minima, list) or not minima):
        raise _type("problem.minima", "a non-empty list of points [x, y]", minima)
    try:
        s = surfaces.from_expression(text, domain=domain, minima=minima)
    except (TypeError, ValueError) as err:
        field = (
            "problem.minima"
            if minima is not None and "minima" in str(err)
            else ("problem.expression")
        )
        raise type(err)(f"{field}: {err}") from None
    return {
        "kind": "expression",
        "expression": s.formula,
        "domain": domain,
        "minima": [list(p) for p in s.minima] or None,
        "tol": _tol(table, DEFAULT_TOL),
    }


def _load(name: str) -> Any:
    if name in GENERATED:
        return GENERATED[name]()
    try:
        return data_lib.load(name)
    except ImportError as err:
        raise ValueError(f"problem.data: {err}") from None


def _data(table: dict[str, Any], steps: int | None) -> dict[str, Any]:
    raw = table["data"]
    valid = sorted([*data_lib.names(), *GENERATED])
    if not isinstance(raw, str) or normalise(raw) not in valid:
        hint = did_you_mean(raw, valid) if isinstance(raw, str) else ""
        raise ValueError(
            f"problem.data: unknown data set {shown(raw)}{hint}; valid: {', '.join(valid)}"
        )
    name = normalise(raw)
    dataset = _load(name)
    model = table.get("model", "auto")
    if model not in MODELS:
        raise ValueError(f"problem.model: {model!r} is not a model; valid: {', '.join(MODELS)}")
    regression = dataset.task == "regression"
    if regression and model in ("logistic", "softmax"):
        raise ValueError(f"problem.model: {model} is for classification; {name} is regression")
    if not regression and model == "linear":
        raise ValueError(
            f"problem.model: linear is for regression; {name} is classification "
            "(use logistic, softmax or mlp)"
        )
    if model == "logistic" and dataset.n_classes != 2:
        raise ValueError(
            f"problem.model: logistic needs 2 classes; {name} has {dataset.n_classes} (use softmax)"
        )
    if "hidden" in table and model != "mlp":
        raise ValueError('problem.hidden: only an mlp has hidden layers (model = "mlp")')
    if "activation" in table and model != "mlp":
        raise ValueError('problem.activation: only an mlp has an activation (model = "mlp")')
    hidden = table.get("hidden", [32]) if model == "mlp" else None
    if hidden is not None:
        if not isinstance(hidden, list) or not hidden:
            raise _type("problem.hidden", "a non-empty list of layer widths, e.g. [32]", hidden)
        hidden = [_int(f"problem.hidden[{i}]", h, 1, 100_000) for i, h in enumerate(hidden)]
    activation = table.get("activation", "relu") if model == "mlp" else None
    if activation is not None and activation not in models.ACTIVATIONS:
        raise ValueError(
            f"problem.activation: {activation!r} is not an activation; valid: "
            f"{', '.join(models.ACTIVATIONS)}"
        )
    default_loss = _default_loss(model, dataset)
    loss = table.get("loss", default_loss)
    try:
        loss_obj = losses.get(loss) if isinstance(loss, str) else None
    except (TypeError, ValueError) as err:
        raise type(err)(f"problem.loss: {err}") from None
    if loss_obj is None:
        raise _type("problem.loss", f"a loss name ({', '.join(losses.names())})", loss)
    want = losses.get(default_loss).task
    if loss_obj.task != want and not (regression and loss_obj.task == "regression"):
        raise ValueError(
            f"problem.loss: {loss_obj.name} is a {loss_obj.task} loss; this model "
            f"and data need a {want} loss such as {default_loss}"
        )
    n = dataset.n_samples
    batch = _int("problem.batch_size", table.get("batch_size", min(DEFAULT_BATCH, n)), 1, n)
    per_epoch = math.ceil(n / batch)
    if "epochs" in table:
        epochs = _int("problem.epochs", table["epochs"], 1, 1_000_000)
    elif steps is not None:
        epochs = math.ceil(steps / per_epoch)
    else:
        raise ValueError("steps: missing; a study needs steps (or, on data, problem.epochs)")
    standardize = table.get("standardize", True)
    if not isinstance(standardize, bool):
        raise _type("problem.standardize", "true or false", standardize)
    return {
        "kind": "data",
        "data": name,
        "model": model,
        "hidden": hidden,
        "activation": activation,
        "loss": loss_obj.name,
        "batch_size": batch,
        "epochs": epochs,
        "standardize": standardize,
        "tol": _tol(table, None),
    }


def _default_loss(model: str, dataset: Any) -> str:
    if dataset.task == "regression":
        return "mse"
    if dataset.n_classes == 2 and model in ("auto", "logistic", "mlp"):
        return "binary_cross_entropy"
    return "softmax_cross_entropy"


def canonical_problem(raw: Any, steps: int | None) -> dict[str, Any]:
    """Check the ``[problem]`` table and return its canonical form (every default filled)."""
    if not isinstance(raw, Mapping):
        raise _type("problem", "a table ([problem])", raw)
    kinds = [k for k in ("surface", "expression", "data") if k in raw]
    if len(kinds) != 1:
        raise ValueError(
            "problem: give exactly one of surface = NAME, expression = TEXT or data = NAME"
        )
    kind = kinds[0]
    allowed = {"surface": SURFACE_KEYS, "expression": EXPRESSION_KEYS, "data": DATA_KEYS}[kind]
    table = _keys("problem", raw, allowed)
    if kind != "data" and steps is None:
        raise ValueError("steps: missing; the budget of each run, e.g. steps = 2000")
    if kind == "surface":
        return _surface(table)
    if kind == "expression":
        return _expression(table)
    return _data(table, steps)


@functools.lru_cache(maxsize=16)
def _built(problem_json: str) -> Problem:
    p = json.loads(problem_json)
    kind = p["kind"]
    if kind in ("surface", "expression"):
        if kind == "surface":
            s = surfaces.get(p["surface"], **p["params"])
        else:
            s = surfaces.from_expression(p["expression"], domain=p["domain"], minima=p["minima"])
        metric = (
            Metric("gap", "min", "final loss minus the known minimum value")
            if s.min_value is not None
            else Metric("loss", "min", "the final loss (no known minimum)")
        )
        domain = tuple((float(lo), float(hi)) for lo, hi in p["domain"])
        return Problem(kind, metric, surface=s, domain=domain, tol=p["tol"])
    dataset = _load(p["data"])
    if p["standardize"]:
        (dataset,) = data_lib.standardize(dataset, targets=dataset.task == "regression")
    model = _model(p["model"], dataset, p["hidden"], p["activation"])
    metric = (
        Metric("r2", "max", "R^2 on the training data after the last epoch")
        if dataset.task == "regression"
        else Metric("accuracy", "max", "accuracy on the training data after the last epoch")
    )
    return Problem(
        "data",
        metric,
        dataset=dataset,
        model=model,
        loss=p["loss"],
        batch_size=p["batch_size"],
        epochs=p["epochs"],
        tol=p["tol"],
    )


def _model(kind: str, dataset: Any, hidden: list[int] | None, activation: str | None) -> Any:
    d = dataset.n_features
    if dataset.task == "regression":
        if kind == "mlp":
            return models.mlp([d, *hidden, 1], activation=activation)
        return models.linear(d)
    k = dataset.n_classes
    if kind == "mlp":
        return models.mlp([d, *hidden, 1 if k == 2 else k], activation=activation)
    if kind == "softmax" or k > 2:
        return models.softmax(d, k)
    return models.logistic(d)


def build(problem: Mapping[str, Any]) -> Problem:
    """The problem of a canonical ``[problem]`` table, built once per process (the same
    surface, model and data objects every time, so compiled programs are found again)."""
    return _built(json.dumps(problem, sort_keys=True, separators=(",", ":")))
