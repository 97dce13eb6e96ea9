"""Seed fans of training: many seeds of one stochastic or mini-batch fit as one vmapped
program.

Seed ``s`` of a fan is exactly ``ds.fit(model, loss, data, optimizer, seed=s, ...)``: the seed
draws the initial parameters (``model.init``) and the order of the samples in every epoch.
The fan runs ``fit`` under ``jax.vmap`` over the seeds ``seed, seed + 1, ..., seed + seeds -
1``, compiled once per (model, loss, optimizer structure, options); the optimizer's numeric
hyperparameters and the data are arguments of the program, so a new learning rate or new data
of the same shape reruns it without compiling.

The spread over the seeds, epoch by epoch, is the median and the ``band`` quantiles (10 % and
90 % by default) of the seeds' losses, taken over the seeds still running at that epoch
(``numpy.nanquantile``: a run that stopped early, e.g. diverged, holds NaN after its last
epoch).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine._fit import FitResult, _arrays, check_like, check_model, fit
from descend.optim._recipe import numbers_of, rebuild, split

#: Keyword arguments of :func:`descend.fit` that :func:`fit_fan` passes on unchanged.
FIT_OPTIONS = ("shuffle", "drop_last", "l1", "l2", "tol", "n_iter_no_change",
               "early_stopping", "divergence", "task")  # fmt: skip
#: The most seeds of one fan (each is a whole training run held in memory at once).
MAX_SEEDS = 4096


@dataclass(frozen=True)
class FitFan:
    """Many seeds of one stochastic or mini-batch fit, with their spread.

    ``train_loss[s, e]`` (and ``val_loss``) is the loss of seed ``seeds_used[s]`` after epoch
    ``e + 1``.

    ``train_loss`` is the engine's per-epoch training loss (``FitHistory.loss``: the mean batch
    loss of the epoch, scikit-learn's ``loss_curve_``); ``val_loss`` the loss on the
    validation set after each epoch (``None`` without validation). Both are ``(seeds,
    epochs)`` NumPy arrays, NaN after a run stopped. ``median``, ``low`` and ``high`` are the
    per-epoch median and ``band`` quantiles of ``train_loss`` over the seeds (``val_median``,
    ``val_low``, ``val_high`` of ``val_loss``); ``final_loss[s]`` is seed ``s``'s training
    loss at its last epoch; ``steps_per_epoch`` is ``ceil(n / batch_size)`` (``floor`` with
    ``drop_last``); ``result`` is the batched :class:`~descend.engine.FitResult` (parameters,
    stop reasons and histories, one per seed along the first axis).
    """

    seeds: int
    seeds_used: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray | None
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    val_median: np.ndarray | None
    val_low: np.ndarray | None
    val_high: np.ndarray | None
    final_loss: np.ndarray
    epochs_run: np.ndarray
    steps_per_epoch: int
    band: tuple[float, float]
    result: FitResult

    def __repr__(self) -> str:
        last = self.median[~np.isnan(self.median)]
        end = f"{last[-1]:.4g}" if last.size else "nan"
        return (f"FitFan(seeds={self.seeds}, epochs={self.train_loss.shape[1]}, "
                f"steps_per_epoch={self.steps_per_epoch}, final median loss={end})")  # fmt: skip


def _spread(values: np.ndarray, band: tuple[float, float]) -> tuple[np.ndarray, ...]:
    """The per-epoch median, low and high quantiles over the seeds (axis 0), ignoring NaN; an
    epoch no seed reached is NaN."""
    out = []
    seen = ~np.all(np.isnan(values), axis=0)
    for q in (0.5, *band):
        column = np.full(values.shape[1], np.nan)
        if seen.any():
            column[seen] = np.nanquantile(values[:, seen], q, axis=0)
        out.append(column)
    return tuple(out)


@functools.lru_cache(maxsize=32)
def _program(model: Any, loss: Any, opt_key: Any, options: tuple[tuple[str, Any], ...],
             has_val: bool) -> Callable[..., FitResult]:  # fmt: skip
    """``jit(vmap(seed -> fit(...)))`` for one model, loss, optimizer structure and set of
    options; the data, the optimizer's numeric hyperparameters and a shared start are its
    arguments."""
    kwargs = dict(options)

    def one(seed, X, y, Xv, yv, leaves, params):
        validation = (Xv, yv) if has_val else None
        return fit(model, loss, (X, y), rebuild(opt_key, leaves), seed=seed,
                   validation=validation, params=params, **kwargs)  # fmt: skip

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, None, None, None, None)))


def fit_fan(
    model: Any,
    loss: Any,
    data: Any,
    optimizer: Any,
    *,
    seeds: int = 16,
    batch_size: int | None = 1,
    epochs: int = 20,
    validation: Any = None,
    seed: int = 0,
    params: Any = None,
    band: tuple[float, float] = (0.1, 0.9),
    **fit_options: Any,
) -> FitFan:
    """Train ``model`` under ``seeds`` seeds (initialisation and shuffling) in one program.

    Seed ``s`` (``s = seed, ..., seed + seeds - 1``) gives the same numbers as
    ``ds.fit(model, loss, data, optimizer, batch_size=batch_size, epochs=epochs, seed=s,
    validation=validation, params=params, **fit_options)``; all of them are computed by
    ``jax.vmap`` of that call over the seed.

    Args:
        model, loss, data, optimizer: as for :func:`descend.fit`.
        seeds: how many seeds, 1 to ``MAX_SEEDS``. seed: the first seed (an integer >= 0).
        batch_size: 1 (stochastic, the default), k (mini-batch) or None (batch).
        epochs: passes over the data. validation: a Dataset or ``(X, y)`` scored after
            every epoch.
        params: a start shared by every seed; then the seed only orders the samples (by
            default each seed draws its own start with ``model.init``).
        band: the two quantiles of the spread, ``0 <= low <= high <= 1``.
        fit_options: passed on to :func:`descend.fit`: ``shuffle``, ``drop_last``, ``l1``,
            ``l2``, ``tol``, ``n_iter_no_change``, ``early_stopping``, ``divergence``,
            ``task``.
    """
    check.in_order("fit_fan", model=model, loss=loss, data=data, optimizer=optimizer)
    check.untraced("fit_fan", data, numbers_of(optimizer), params, validation, anywhere=True)
    seeds = check.integer("fit_fan: seeds", seeds, 1, MAX_SEEDS)
    first = check.integer("fit_fan: seed", seed, 0, 2**31 - 1 - seeds)
    if isinstance(band, (str, bytes)) or not hasattr(band, "__len__") or len(band) != 2:
        raise TypeError(f"fit_fan: band must be a pair of quantiles (low, high); got {band!r}")
    low = check.real("fit_fan: band[0]", band[0], 0.0, 1.0)
    high = check.real("fit_fan: band[1]", band[1], 0.0, 1.0)
    if low > high:
        raise ValueError(f"fit_fan: band must have low <= high; got {band!r}")
    own = ("seeds", "batch_size", "epochs", "validation", "seed", "params", "band")
    check.options("fit_fan", fit_options, FIT_OPTIONS, "descend.fit", own)
    check_model(model)
    if params is not None:
        params = check_like("params", params, jax.eval_shape(model.init, jax.random.key(0)),
                            "model.init(key)")  # fmt: skip
    X, y, task = _arrays(data, "data")
    if task is not None:
        fit_options.setdefault("task", task)
    has_val = validation is not None
    Xv, yv = _arrays(validation, "validation")[:2] if has_val else (None, None)
    epochs = check.positive_int("fit_fan: epochs", epochs)
    options = tuple(sorted({**fit_options, "batch_size": batch_size, "epochs": epochs}.items()))
    opt_key, leaves = split(optimizer)
    seed_values = np.arange(first, first + seeds, dtype=np.int32)
    # what cannot be hashed (a model that is a dataclass with eq) is compiled on each call
    result = check.cached_call(_program, model, loss, opt_key, options, has_val)(
        jnp.asarray(seed_values), X, y, Xv, yv, leaves, params
    )
    history = result.history.trimmed(epochs)
    train = np.asarray(history["loss"], dtype=np.float64)
    val = np.asarray(history["val_loss"], dtype=np.float64) if has_val else None
    median, q_low, q_high = _spread(train, (low, high))
    val_median, val_low, val_high = _spread(val, (low, high)) if has_val else (None,) * 3
    run = np.asarray(result.epochs)
    final = np.take_along_axis(train, np.maximum(run - 1, 0)[:, None], axis=1)[:, 0]
    final = np.where(run > 0, final, np.nan)
    return FitFan(
        seeds=seeds,
        seeds_used=seed_values,
        train_loss=train,
        val_loss=val,
        median=median,
        low=q_low,
        high=q_high,
        val_median=val_median,
        val_low=val_low,
        val_high=val_high,
        final_loss=final,
        epochs_run=run,
        steps_per_epoch=int(np.asarray(result.history.step_loss).shape[-1]),
        band=(low, high),
        result=result,
    )
