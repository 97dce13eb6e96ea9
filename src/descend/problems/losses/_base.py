"""The ``Loss`` type, ``reduce`` (per-sample values to one number) and ``custom``, plus the
checks of predictions and targets that every loss shares (checks of parameters, numbers,
bools and names, come from :mod:`descend._validation`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend._validation import as_float, is_concrete

TASKS = ("regression", "binary", "multiclass", "embedding")
REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class Loss:
    """A loss ``fn(pred, target) -> per-sample values``, its name and the task it serves.

    - ``name``: the registered name (``"huber"``, ...) or the name given to :func:`custom`.
    - ``fn``: a pure ``jnp`` function; for ``n`` samples it returns values of shape ``(n,)``,
      one per sample, so that :func:`reduce` can weight and average them. It is safe under
      ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
    - ``task``: one of ``"regression"``, ``"binary"``, ``"multiclass"``, ``"embedding"``.

    ``loss(pred, target)`` is ``loss.fn(pred, target)``: the per-sample values, unreduced.
    """

    name: str
    fn: Callable[[Any, Any], jax.Array] = field(repr=False)
    task: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Loss.name must be a non-empty string; got {self.name!r}")
        if not self.name:
            raise ValueError(f"Loss.name must be a non-empty string; got {self.name!r}")
        if not callable(self.fn):
            raise TypeError(f"Loss.fn must be callable (pred, target) -> values; got {self.fn!r}")
        check.choice("Loss.task", self.task, TASKS)

    def __call__(self, pred: Any, target: Any = None) -> jax.Array:
        """The per-sample loss values for predictions ``pred`` and targets ``target`` (both
        real numbers: anything else is a ``TypeError`` naming the loss and the argument)."""
        pred = check.real_array(f"{self.name}: pred", pred)
        if target is not None:
            checked = check.real_array(f"{self.name}: target", target, floating=False)
            # a NumPy target goes on as it is: its values can be read even while the loss is
            # traced (given_values), where the converted array is a tracer
            target = target if isinstance(target, np.ndarray) else checked
        return self.fn(pred, target)


def factory(build: Callable[..., Loss]) -> Callable[..., Loss]:
    """A loss's constructor that says how it is used when it is called on values:
    ``mse(pred, y)`` (the functional style of Optax and PyTorch) builds no loss; the loss
    is ``mse()``, called on the values. Its own arguments are its parameters (``huber(0.5)``)."""
    parameters = inspect.signature(build).parameters

    @functools.wraps(build)
    def built(*args: Any, **kwargs: Any) -> Loss:
        values = len(args) >= 2 and all(np.ndim(a) > 0 for a in args[:2])  # (pred, target)
        if len(args) > len(parameters) or values:
            raise TypeError(
                f"{build.__name__}() builds the loss, it does not compute it: call the loss "
                f"on the values, descend.losses.{build.__name__}()(pred, target)"
            )
        return build(*args, **kwargs)

    return built


def custom(
    fn: Callable[[Any, Any], Any], name: str | None = None, task: str = "regression"
) -> Loss:
    """Wrap a user function ``fn(pred, target) -> per-sample values`` as a :class:`Loss`.

    ``fn`` must be pure ``jnp`` code (so that it can be jitted and differentiated) and return
    one value per sample, shape ``(n,)``, *not* an already-averaged scalar: weighting and
    averaging are :func:`reduce`'s job (a scalar is caught there when weights are given).
    ``name`` defaults to ``fn.__name__`` (``"custom"`` for a lambda); ``task`` is one of
    ``"regression"``, ``"binary"``, ``"multiclass"``, ``"embedding"``.
    """
    if not callable(fn):
        raise TypeError(f"custom: fn must be callable (pred, target) -> values; got {fn!r}")
    if name is None:
        name = getattr(fn, "__name__", "custom")
        name = "custom" if not name or name == "<lambda>" else name
    return Loss(name=name, fn=fn, task=task)


def reduce(values: Any, weights: Any = None, reduction: str = "mean") -> jax.Array:
    """Reduce per-sample loss values ``v`` with optional sample weights ``w``.

    - ``"mean"``: ``sum(w * v) / sum(w)`` (the weighted mean, as ``np.average`` and
      scikit-learn's ``sample_weight``; ``mean(v)`` without weights). All-zero weights give NaN.
    - ``"sum"``: ``sum(w * v)`` (``sum(v)`` without weights).
    - ``"none"``: ``w * v``, element by element (``v`` itself without weights).

    ``weights`` must broadcast to the shape of ``values`` (``(n,)``): a scalar, shape ``(n,)``,
    or ``(n, 1)`` (a trailing 1 is squeezed). Negative weights are rejected when the weights
    are concrete (not when traced under ``jit``, where values cannot be inspected).
    """
    check.choice("reduce: reduction", reduction, REDUCTIONS)
    values = as_float(values)
    if weights is not None:
        w = jnp.asarray(weights)
        if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        try:
            shape = np.broadcast_shapes(w.shape, values.shape)
        except ValueError:
            shape = None
        if shape != values.shape:
            raise ValueError(
                f"reduce: weights of shape {tuple(np.shape(weights))} do not broadcast to the "
                f"values' shape {values.shape}"
            )
        if is_concrete(w) and np.any(np.asarray(w) < 0):
            raise ValueError(
                f"reduce: weights must be >= 0; got a negative weight ({np.min(np.asarray(w))})"
            )
        w = jnp.broadcast_to(w.astype(values.dtype), values.shape)
        values = w * values
    if reduction == "none":
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    return jnp.mean(values) if weights is None else total / jnp.sum(w)


# ---------------------------------------------------------------------------------------------
# Helpers shared by the loss catalogues


def per_sample(values: jax.Array) -> jax.Array:
    """Average over every axis after the first, so ``(n, m, ...)`` becomes ``(n,)`` (as Keras
    averages over the last axis); ``(n,)`` and ``()`` are returned as they are."""
    return jnp.mean(values, axis=tuple(range(1, values.ndim))) if values.ndim > 1 else values


def pair(where: str, pred: Any, target: Any) -> tuple[jax.Array, jax.Array]:
    """``pred`` and ``target`` as float arrays of the same shape, for element-wise losses.

    A trailing axis of size 1 on just one of them is squeezed, so ``(n,)`` and ``(n, 1)``
    match; a scalar target broadcasts. Anything else must agree exactly.
    """
    if target is None:
        raise ValueError(f"{where}: target is required; got None")
    p, t = as_float(pred), jnp.asarray(target)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    elif t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    if t.shape != p.shape and t.ndim != 0:
        raise ValueError(
            f"{where}: pred and target shapes must match (a trailing 1 may differ); got pred "
            f"{tuple(np.shape(pred))} and target {tuple(np.shape(target))}"
        )
    return p, jnp.broadcast_to(t.astype(p.dtype), p.shape)


def given_values(target: Any) -> np.ndarray | None:
    """``target`` as a NumPy array when its values can be read now, None when any part of it
    is traced. Read from the target as given, not from ``jnp.asarray(target)``: a NumPy
    target can be read even while the loss itself is traced (``jax.eval_shape`` of a loss, as
    ``fit`` checks its targets without compiling anything), where ``jnp.asarray`` of it is a
    tracer."""
    if any(not is_concrete(leaf) for leaf in jax.tree.leaves(target)):
        return None
    return np.asarray(target)


def check_unit_interval(where: str, target: Any) -> None:
    """Raise ``ValueError`` when concrete targets leave ``[0, 1]`` (labels or probabilities).

    The losses pass the target as they were given it, not as :func:`pair` made it (see
    :func:`given_values`)."""
    t = given_values(target)
    if t is not None and t.size and not (np.all(t >= 0) and np.all(t <= 1)):
        raise ValueError(
            f"{where}: targets must lie in [0, 1] (labels 0/1 or probabilities); got values "
            f"from {t.min()} to {t.max()}"
        )


def prob_eps(dtype: Any) -> float:
    """The clip for probabilities: machine epsilon of ``dtype`` (about 1.19e-7 for float32,
    2.2e-16 for float64), the value scikit-learn's ``log_loss`` uses. ``1 - eps`` is still
    below 1 in that dtype, so ``log(p)`` and ``log(1 - p)`` are never ``log(0)``."""
    return float(jnp.finfo(dtype).eps)


def safe_norm(x: jax.Array, axis: int = -1) -> jax.Array:
    """Euclidean norm along ``axis`` whose gradient at ``x = 0`` is 0 instead of NaN.

    ``sqrt`` has an infinite slope at 0, so the square root is taken of 1 where the squared
    norm is 0 and the result replaced by 0 there (the "double where"): the value is exact
    everywhere and the gradient at 0 is the subgradient 0.
    """
    sq = jnp.sum(jnp.square(x), axis=axis)
    positive = sq > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq, 1)), 0)
