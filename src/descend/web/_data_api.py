"""The data view's endpoints: training a model on a generated data set with the engine's
``fit``, the three flavours side by side and seed fans of a noisy fit.

- ``POST /api/train``: one training run. The run is cut into chunks of ``c = ceil(epochs /
  snapshots)`` epochs, each a ``ds.fit`` call that continues the previous one (its
  ``final_params``, ``opt_state`` and step count; chunk ``j`` shuffles with ``seed + j``), so
  the boundary (or regression curve) after every chunk is the engine's own parameters'. The
  per-epoch losses are the chunks' histories, end to end.
- ``POST /api/flavours``: batch (``batch_size=None``), stochastic (1) and mini-batch
  (``batch_size``) gradient descent, each one ``ds.fit`` of ``epochs`` epochs, with its run
  time: every fit is called once to compile and once more, timed; the whole training is one
  XLA program, so epoch ``e`` of ``E`` is placed at ``e / E`` of the timed run.
- ``POST /api/data-fan``: :func:`descend.insight.fit_fan`, the seeds as one vmapped program.
- ``GET /api/data-catalog``: the data sets, models, losses by task, flavours and limits.

Every answer carries ``python``: a descend script that reproduces its numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from fastapi import FastAPI

import descend as ds
from descend import _validation as check
from descend.engine._fit import _named_loss
from descend.engine._stop import StopReason
from descend.problems import losses as loss_lib
from descend.web import _build
from descend.web._build import Built
from descend.web._data_schemas import (
    ACTIVATIONS,
    DATA_PROGRAMS,
    DATASETS,
    FLAVOURS,
    LOSSES,
    MAX_FAN_STEPS,
    MAX_FLAVOUR_STEPS,
    MAX_TRAIN_STEPS,
    MODELS,
    DataCatalog,
    FanRequest,
    FanResponse,
    FlavoursRequest,
    FlavoursResponse,
    TrainingSpec,
    TrainRequest,
    TrainResponse,
    published,
)
from descend.web._errors import ApiError, not_found, shown
from descend.web._runs import _call, keywords, nums
from descend.web._schemas import ERRORS

#: Points of a regression curve.
CURVE_POINTS = 121
#: Decimals kept in the boundary and curve values (the losses are sent in full).
DECIMALS = 4
#: A timed flavour run shorter than this is repeated (best of up to 3).
SHORT_RUN_S = 0.05

MODEL_CACHE = _build._Lru(DATA_PROGRAMS)
LOSS_CACHE = _build._Lru(DATA_PROGRAMS)


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "").replace(" ", "").replace("_", "")


def _choose(field: str, value: str, allowed: Any, what: str) -> str:
    """``value`` among ``allowed`` (case, ``-``, ``_`` and spaces ignored), else a 404 that
    lists them."""
    for name in allowed:
        if _key(name) == _key(value):
            return name
    raise not_found(field, f"unknown {what}", value, allowed)


# -- the set-up of a training run --------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """A model built once per structure, with its code and a compiled prediction."""

    model: Any
    code: str
    predict: Callable[[Any, Any], Any]
    init: Callable[[Any], Any]


@dataclass(frozen=True)
class Setup:
    """Everything a data endpoint trains with, checked and built."""

    data: ds.data.Dataset
    train: ds.data.Dataset
    val: ds.data.Dataset | None
    raw_train: ds.data.Dataset
    raw_val: ds.data.Dataset | None
    scaler: Any
    task: str
    kind: str
    classes: int
    model: Model
    loss: Any
    loss_code: str
    built: Built
    data_code: str


def _dataset(body: TrainingSpec, name: str) -> tuple[ds.data.Dataset, str]:
    """The data set ``name`` (already chosen from :data:`DATASETS`) and its code."""
    spec = body.data
    common = f"n_samples={spec.samples}, noise={spec.noise!r}, seed={spec.seed}"
    calls = {
        "moons": ("moons", {}),
        "circles": ("circles", {}),
        "xor": ("xor", {}),
        "spiral": ("spiral", {"classes": spec.classes}),
        "blobs": ("blobs", {"centers": spec.classes}),
        "linear": ("linear_regression", {}),
        "polynomial": ("polynomial_regression", {"degree": spec.degree}),
    }
    fn, extra = calls[name]
    kwargs: dict[str, Any] = {"n_samples": spec.samples, "seed": spec.seed, **extra}
    if name == "blobs":  # the clusters' spread is its noise
        kwargs["cluster_std"] = spec.noise
        common = common.replace("noise=", "cluster_std=")
    else:
        kwargs["noise"] = spec.noise
    code = f"ds.data.{fn}({', '.join([common, *(f'{k}={v!r}' for k, v in extra.items())])})"
    try:
        return getattr(ds.data, fn)(**kwargs), code
    except (TypeError, ValueError) as err:
        raise ApiError(422, "data", f"{name}: {err}") from None


def _loss(body: TrainingSpec, kind: str, data_name: str) -> tuple[Any, str]:
    allowed = LOSSES[kind]
    try:
        canonical = loss_lib.get(body.loss).name
    except (TypeError, ValueError):
        hint = check.did_you_mean(body.loss, allowed)
        raise ApiError(404, "loss", f"unknown loss {shown(body.loss)}{hint}; allowed for "
                       f"{data_name}: {', '.join(allowed)}") from None  # fmt: skip
    if canonical not in allowed:
        task = {"regression": "a regression", "binary": "a two-class", "multiclass":
                "a multi-class"}[kind]  # fmt: skip
        raise ApiError(422, "loss", f"the loss {canonical} does not suit {data_name}, "
                       f"{task} data set; allowed: {', '.join(allowed)}")  # fmt: skip
    params = dict(sorted(body.loss_params.items()))

    def build() -> Any:
        # without parameters, the engine's own Loss of that name, so that a script calling
        # ds.fit(..., "<name>", ...) finds the same compiled program
        return loss_lib.get(canonical, **params) if params else _named_loss(canonical)

    try:
        loss = LOSS_CACHE.get((canonical, tuple(params.items())), build)
    except (TypeError, ValueError) as err:
        raise ApiError(422, "loss_params", f"{canonical}: {err}") from None
    inner = keywords(params)
    code = (
        f"ds.losses.get({canonical!r}{', ' + inner if inner else ''})"
        if params
        else repr(canonical)
    )
    return loss, code


def _model(body: TrainingSpec, task: str, d: int, outputs: int) -> Model:
    spec = body.model
    name = _choose("model.name", spec.name, MODELS, "model")
    if name == "logistic" and task == "regression":
        raise ApiError(422, "model.name", "logistic is a classifier; for a regression set "
                       "use linear or mlp")  # fmt: skip
    if name == "linear" and task == "classification":
        raise ApiError(422, "model.name", "linear is a regression model; for a classification "
                       "set use logistic or mlp")  # fmt: skip
    activation = _choose("model.activation", spec.activation, ACTIVATIONS, "activation")
    hidden = tuple(spec.hidden) if name == "mlp" else ()

    def build() -> Model:
        if name == "mlp":
            sizes = [d, *hidden, outputs]
            model = ds.models.mlp(sizes, activation)
            code = f"ds.models.mlp({sizes!r}, activation={activation!r})"
        elif name == "linear":
            model, code = ds.models.linear(d), f"ds.models.linear({d})"
        elif outputs == 1:
            model, code = ds.models.logistic(d), f"ds.models.logistic({d})"
        else:
            model = ds.models.softmax(d, outputs)
            code = f"ds.models.softmax({d}, {outputs})"
        return Model(model, code, jax.jit(model.apply), jax.jit(model.init))

    return MODEL_CACHE.get((name, d, outputs, hidden, activation), build)


def setup(body: TrainingSpec) -> Setup:
    """Check and build what ``body`` trains: data (split and scaled), model, loss, optimizer."""
    name = _choose("data.name", body.data.name, DATASETS, "data set")
    data, data_code = _dataset(body, name)
    task = DATASETS[name]
    classes = len(data.target_names) if task == "classification" else 0
    kind = "regression" if task == "regression" else ("binary" if classes == 2 else "multiclass")
    loss, loss_code = _loss(body, kind, name)
    softmax = getattr(loss, "name", "") == "softmax_cross_entropy"
    built = _build.optimizer(body.optimizer, "optimizer")
    model = _model(body, task, data.X.shape[1], classes if softmax else 1)
    train = val = None
    if body.validation > 0:
        try:
            train, val = ds.data.split(data, (1.0 - body.validation, body.validation),
                                       seed=body.data.seed)  # fmt: skip
        except (TypeError, ValueError) as err:
            raise ApiError(422, "validation", f"validation: {err}") from None
        if len(val.y) == 0 or len(train.y) == 0:
            raise ApiError(422, "validation", f"a validation fraction of {body.validation!r} "
                           f"leaves a part of {body.data.samples} samples empty")  # fmt: skip
    else:
        train = data
    raw_train, raw_val, scaler = train, val, None
    if body.standardize:
        scaler = ds.data.Standardizer().fit(train.X)
        parts = ds.data.standardize(train, *([val] if val is not None else []))
        train, val = parts[0], (parts[1] if val is not None else None)
    return Setup(data, train, val, raw_train, raw_val, scaler, task, kind, classes, model,
                 loss, loss_code, built, data_code)  # fmt: skip


def batch_of(s: Setup, flavour: str, batch_size: int) -> int | None:
    """The ``batch_size`` of ``fit`` for a flavour; a mini-batch larger than the training
    set is a 422 naming ``batch_size``."""
    if flavour == "batch":
        return None
    if flavour == "stochastic":
        return 1
    n = len(s.train.y)
    if batch_size > n:
        raise ApiError(422, "batch_size", f"batch_size must be at most the {n} training "
                       f"samples; got {batch_size}", n)  # fmt: skip
    return batch_size


def steps_per_epoch(s: Setup, batch: int | None) -> int:
    return 1 if batch is None else math.ceil(len(s.train.y) / batch)


def _plan(body: TrainRequest | FanRequest) -> tuple[Setup, int | None, int]:
    """A training request's set-up (its flavour checked first), the flavour's batch size
    (see :func:`batch_of`) and the gradient steps per epoch."""
    flavour = _choose("flavour", body.flavour, FLAVOURS, "flavour")
    s = setup(body)
    batch = batch_of(s, flavour, body.batch_size)
    return s, batch, steps_per_epoch(s, batch)


def _budget(field: str, total: int, limit: int, what: str) -> None:
    if total > limit:
        raise ApiError(422, field, f"{what} come to {total} gradient steps; at most {limit} "
                       "are allowed: use fewer epochs, fewer samples or larger batches",
                       limit)  # fmt: skip


def _fit_kwargs(s: Setup) -> dict[str, Any]:
    return {"validation": s.val} if s.val is not None else {}


# -- the script ----------------------------------------------------------------------------------


def _preamble(s: Setup, body: TrainingSpec) -> list[str]:
    lines = ["import descend as ds", "", f"data = {s.data_code}"]
    if s.val is not None:
        v = body.validation
        lines.append(f"train, val = ds.data.split(data, ({1.0 - v!r}, {v!r}), "
                     f"seed={body.data.seed})")  # fmt: skip
        if body.standardize:
            lines.append("train, val = ds.data.standardize(train, val)")
    else:
        lines.append("train, val = data, None")
        if body.standardize:
            lines.append("(train,) = ds.data.standardize(train)")
    lines += [f"model = {s.model.code}", f"loss = {s.loss_code}",
              f"optimizer = {_call(s.built)}"]  # fmt: skip
    return lines


# -- POST /api/train -----------------------------------------------------------------------------


def chunks_of(epochs: int, snapshots: int) -> list[int]:
    """Epochs per chunk: ``c = ceil(epochs / snapshots)`` each, the last one what is left."""
    c = math.ceil(epochs / min(snapshots, epochs))
    sizes = [c] * (epochs // c)
    return sizes + ([epochs % c] if epochs % c else [])


def _box(X: np.ndarray) -> list[float]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(0.1 * (hi - lo), 0.1)
    return [float(v) for v in (lo[0] - pad[0], hi[0] + pad[0], *(
        (lo[1] - pad[1], hi[1] + pad[1]) if X.shape[1] > 1 else ()))]  # fmt: skip


def _where(s: Setup, body: TrainRequest) -> tuple[np.ndarray, list[float], Any]:
    """The points the snapshots are taken at: the grid over the box (2-D) or the curve's x."""
    box = _box(np.asarray(s.data.X, dtype=np.float64))
    if s.task == "regression":
        xs = np.linspace(box[0], box[1], CURVE_POINTS)
        points = xs[:, None]
    else:
        n = body.grid
        xs, ys = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
        gx, gy = np.meshgrid(xs, ys)  # row i is ys[i]
        points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    model_in = s.scaler.transform(points) if s.scaler is not None else points
    return points, box, jnp.asarray(model_in, dtype=jnp.float32)


def _rounded(a: Any) -> list[Any]:
    return nums(np.round(np.asarray(a, dtype=np.float64), DECIMALS))


def _snapshot(s: Setup, params: Any, at: Any, epoch: int) -> dict[str, Any]:
    out = np.asarray(s.model.predict(params, at))
    if s.kind == "regression":
        return {"epoch": epoch, "values": _rounded(out)}
    out = out.astype(np.float64)
    if s.kind == "binary" and out.ndim == 1:
        with np.errstate(over="ignore"):
            return {"epoch": epoch, "values": _rounded(1.0 / (1.0 + np.exp(-out)))}
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(out - out.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
    if s.kind == "binary":
        return {"epoch": epoch, "values": _rounded(p[:, 1])}
    ok = np.all(np.isfinite(p), axis=-1)
    classes = np.where(ok, p.argmax(axis=-1), np.nan)
    return {"epoch": epoch, "values": nums(classes), "confidence": _rounded(p.max(axis=-1))}


def _points(d: ds.data.Dataset | None) -> dict[str, Any]:
    if d is None:
        return {"X": [], "y": []}
    return {"X": _rounded(d.X), "y": nums(d.y)}


def train(body: TrainRequest) -> dict[str, Any]:
    """``POST /api/train``: the run's per-epoch losses and its snapshots."""
    clock = time.perf_counter()
    s, batch, steps = _plan(body)
    _budget("epochs", body.epochs * steps, MAX_TRAIN_STEPS,
            f"{body.epochs} epochs of {steps} steps")  # fmt: skip
    points, box, at = _where(s, body)
    sizes = chunks_of(body.epochs, body.snapshots)
    start = s.model.init(jax.random.split(jax.random.key(body.seed))[0])  # fit's own start
    snapshots = [_snapshot(s, start, at, 0)]
    params, state, done, taken, stop = None, None, 0, 0, StopReason.MAX_EPOCHS.text
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("loss", "val_loss", "train_metric",
                                                         "val_metric")}  # fmt: skip
    run: list[int] = []
    for j, size in enumerate(sizes):
        try:
            r = ds.fit(s.model.model, s.loss, s.train, s.built.transform, batch_size=batch,
                       epochs=size, seed=body.seed + j, params=params, opt_state=state,
                       start_step=taken, **_fit_kwargs(s))  # fmt: skip
        except (TypeError, ValueError) as err:
            raise ApiError(422, None, f"fit: {err}") from None
        curves = r.curves()
        for k in rows:
            rows[k].append(curves[k])
        epochs_run = int(r.epochs)
        done += epochs_run
        taken += int(r.steps)
        run.append(epochs_run)
        params, state = r.final_params, r.opt_state
        snapshots.append(_snapshot(s, params, at, done))
        reason = StopReason(int(r.reason))
        if reason != StopReason.MAX_EPOCHS:
            stop = f"{reason.text} (epoch {done})"
            break
    history = {k: np.concatenate(v) for k, v in rows.items()}
    return {
        "task": s.kind,
        "classes": s.classes,
        "train": _points(s.raw_train),
        "validation": _points(s.raw_val),
        "box": box,
        "grid": None if s.task == "regression" else body.grid,
        "curve_x": _rounded(points[:, 0]) if s.task == "regression" else None,
        "epochs": list(range(1, done + 1)),
        "train_loss": nums(history["loss"]),
        "val_loss": nums(history["val_loss"]),
        "train_metric": nums(history["train_metric"]),
        "val_metric": nums(history["val_metric"]),
        "snapshots": snapshots,
        "chunks": run,
        "stop": stop,
        "steps_per_epoch": steps,
        "seconds": time.perf_counter() - clock,
        "python": train_python(s, body, batch, sizes, steps),
    }


def train_python(s: Setup, body: TrainRequest, batch: int | None, sizes: list[int],
                 steps: int) -> str:  # fmt: skip
    """The script of a training run: the chunks, each continuing the previous fit."""
    val = ", validation=val" if s.val is not None else ""
    return "\n".join([
        *_preamble(s, body),
        "",
        f"# {len(sizes)} chunks of epochs, each fit continuing the one before (the page draws",
        "# the model after each chunk); chunk j shuffles with seed + j",
        f"chunks = {sizes!r}",
        "result, loss_curve, val_curve, step = None, [], [], 0",
        "for j, epochs in enumerate(chunks):",
        f"    result = ds.fit(model, loss, train, optimizer, batch_size={batch!r}, "
        f"epochs=epochs,",
        f"                    seed={f'{body.seed} + j' if body.seed else 'j'}{val}, "
        "start_step=step,",
        "                    params=None if result is None else result.final_params,",
        "                    opt_state=None if result is None else result.opt_state)",
        "    curves = result.curves()",
        "    loss_curve += curves['loss'].tolist()",
        "    val_curve += curves['val_loss'].tolist()",
        "    step += int(result.steps)",
        "    if result.stop_reason != 'max_epochs':  # diverged: stop there",
        "        break",
        f"print(result.stop_reason, loss_curve[-1])  # {steps} steps per epoch",
        "",
    ])  # fmt: skip


# -- POST /api/flavours --------------------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    """``call()`` once to compile (and run), then timed again, best of up to 3 while runs
    are short; returns the result, the timed run and the first call's extra time."""
    start = time.perf_counter()
    result = jax.block_until_ready(call())
    first = time.perf_counter() - start
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        result = jax.block_until_ready(call())
        best = min(best, time.perf_counter() - start)
        if best >= SHORT_RUN_S:
            break
    return result, best, max(first - best, 0.0)


def flavours(body: FlavoursRequest) -> dict[str, Any]:
    """``POST /api/flavours``: the three flavours' losses against epochs and seconds."""
    s = setup(body)
    plan = []
    for flavour in FLAVOURS:
        batch = batch_of(s, flavour, body.batch_size)
        plan.append((flavour, batch, steps_per_epoch(s, batch)))
    total = body.epochs * sum(steps for _, _, steps in plan)
    _budget("epochs", total, MAX_FLAVOUR_STEPS, f"{body.epochs} epochs of the three flavours "
            f"({' + '.join(str(steps) for _, _, steps in plan)} steps each)")  # fmt: skip
    runs = []
    for flavour, batch, steps in plan:

        def call(batch: int | None = batch) -> Any:
            return ds.fit(s.model.model, s.loss, s.train, s.built.transform, batch_size=batch,
                          epochs=body.epochs, seed=body.seed, **_fit_kwargs(s))  # fmt: skip

        try:
            r, seconds, compile_s = _timed(call)
        except (TypeError, ValueError) as err:
            raise ApiError(422, None, f"fit: {err}") from None
        curves = r.curves()
        n = int(r.epochs)
        reason = StopReason(int(r.reason))
        runs.append({
            "flavour": flavour,
            "batch_size": len(s.train.y) if batch is None else batch,
            "steps_per_epoch": steps,
            "epochs": list(range(1, n + 1)),
            "train_loss": nums(curves["loss"]),
            "val_loss": nums(curves["val_loss"]),
            "seconds": [seconds * (e + 1) / max(n, 1) for e in range(n)],
            "run_seconds": seconds,
            "compile_seconds": compile_s,
            "stop": reason.text,
        })  # fmt: skip
    return {"runs": runs, "python": flavours_python(s, body)}


def flavours_python(s: Setup, body: FlavoursRequest) -> str:
    val = ", validation=val" if s.val is not None else ""
    return "\n".join([
        "import time",
        "import jax",
        *_preamble(s, body),
        "",
        f"for name, batch_size in [('batch', None), ('stochastic', 1), "
        f"('mini-batch', {body.batch_size})]:",
        "    def run():",
        "        return ds.fit(model, loss, train, optimizer, batch_size=batch_size,",
        f"                      epochs={body.epochs}, seed={body.seed}{val})",
        "    jax.block_until_ready(run())  # the first call compiles",
        "    start = time.perf_counter()",
        "    result = jax.block_until_ready(run())",
        "    seconds = time.perf_counter() - start",
        "    print(name, result.curves()['loss'][-1], f'{seconds:.3f} s')",
        "",
    ])  # fmt: skip


# -- POST /api/data-fan --------------------------------------------------------------------------


def fan(body: FanRequest) -> dict[str, Any]:
    """``POST /api/data-fan``: the seeds' curves and their spread."""
    clock = time.perf_counter()
    s, batch, steps = _plan(body)
    _budget("seeds", body.seeds * body.epochs * steps, MAX_FAN_STEPS,
            f"{body.seeds} seeds x {body.epochs} epochs x {steps} steps")  # fmt: skip
    try:
        f = ds.insight.fit_fan(s.model.model, s.loss, s.train, s.built.transform,
                               seeds=body.seeds, batch_size=batch, epochs=body.epochs,
                               seed=body.seed, validation=s.val)  # fmt: skip
    except (TypeError, ValueError) as err:
        raise ApiError(422, None, f"fit_fan: {err}") from None
    n = f.train_loss.shape[1]
    has_val = f.val_loss is not None
    val = ", validation=val" if has_val else ""
    code = "\n".join([
        *_preamble(s, body),
        "",
        f"fan = ds.insight.fit_fan(model, loss, train, optimizer, seeds={body.seeds}, "
        f"seed={body.seed},",
        f"                         batch_size={batch!r}, epochs={body.epochs}{val})",
        "print(fan)",
        "print(fan.median[-1], fan.low[-1], fan.high[-1])",
        "",
    ])  # fmt: skip
    return {
        "seeds": f.seeds_used.tolist(),
        "epochs": list(range(1, n + 1)),
        "train_loss": nums(f.train_loss),
        "val_loss": nums(f.val_loss) if has_val else None,
        "median": nums(f.median),
        "low": nums(f.low),
        "high": nums(f.high),
        "val_median": nums(f.val_median) if has_val else None,
        "band": list(f.band),
        "steps_per_epoch": f.steps_per_epoch,
        "final_loss": nums(f.final_loss),
        "seconds": time.perf_counter() - clock,
        "python": code,
    }


def register(app: FastAPI, compute: Callable[..., Any]) -> None:
    """Add the data endpoints to ``app``; ``compute(fn, *args)`` runs ``fn`` in a worker
    thread under the server's time limit and answers its JSON."""

    @app.get("/api/data-catalog", response_model=DataCatalog)
    async def data_catalog() -> Any:
        """The data view's data sets, models, losses by task, flavours and limits."""
        return await compute(published)

    @app.post("/api/train", response_model=TrainResponse, responses=ERRORS)
    async def train_endpoint(body: TrainRequest) -> Any:
        """Train a model with the engine's ``fit``, chunk by chunk: per-epoch losses and the
        boundary (or curve) after each chunk."""
        return await compute(train, body)

    @app.post("/api/flavours", response_model=FlavoursResponse, responses=ERRORS)
    async def flavours_endpoint(body: FlavoursRequest) -> Any:
        """Batch, stochastic and mini-batch on the same data and model, against epochs and
        wall-clock time (compilation excluded: each fit is timed on its second call)."""
        return await compute(flavours, body)

    @app.post("/api/data-fan", response_model=FanResponse, responses=ERRORS)
    async def fan_endpoint(body: FanRequest) -> Any:
        """Many seeds of one run as one vmapped program (``ds.insight.fit_fan``)."""
        return await compute(fan, body)
