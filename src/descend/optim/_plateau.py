"""Reduce the learning rate when the loss stops improving (a schedule driven by the loss).

Place it after the update rule: it multiplies the updates by a scale that starts at 1. It
reads the loss as an extra argument, ``update(grads, state, params, loss=value)``, which
:func:`descend.chain` passes through and :func:`descend.minimize` (the objective at the
current point) and :func:`descend.fit` (the step's batch loss) give every update. The rules
are PyTorch's ``ReduceLROnPlateau``, with one metric value per update:

    better   = loss < best * (1 - threshold)        threshold_mode="rel", mode="min"
               loss < best - threshold              threshold_mode="abs", mode="min"
               (reversed inequalities and ``1 + threshold`` for mode="max")
    best, bad = (loss, 0) if better else (best, bad + 1)
    in cooldown: cooldown_left -= 1 and bad = 0
    if bad > patience: scale <- max(scale*factor, min_scale); cooldown_left = cooldown; bad = 0

As in PyTorch (``scheduler.step(loss)`` after ``optimizer.step()``), the loss seen at an
update changes the scale of the *next* updates. (Optax's ``contrib.reduce_on_plateau``
applies the new scale at once and can average the loss over several updates.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._base import PyTree, Transform, cast_like
from descend.optim._recipe import recorded


class PlateauState(NamedTuple):
    """The current scale, best loss seen, bad updates in a row and cooldown left."""

    scale: jax.Array
    best: jax.Array
    bad: jax.Array
    cooldown_left: jax.Array


@recorded
def reduce_on_plateau(
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    *,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_scale: float = 0.0,
    mode: str = "min",
) -> Transform:
    """Scale the updates by ``factor`` each time the loss has not improved for ``patience``
    updates (see the module docstring). ``min_scale`` is PyTorch's ``min_lr / lr``."""
    check.in_range("factor", factor, 0.0, 1.0)
    check.nonnegative_int("patience", patience)
    check.nonnegative("threshold", threshold)
    check.choice("threshold_mode", threshold_mode, ("rel", "abs"))
    check.nonnegative_int("cooldown", cooldown)
    check.nonnegative("min_scale", min_scale)
    check.choice("mode", mode, ("min", "max"))
    sign = 1.0 if mode == "min" else -1.0

    def init(params: PyTree) -> PlateauState:
        del params
        worst = jnp.asarray(jnp.inf)
        zero = jnp.zeros([], jnp.int32)
        return PlateauState(jnp.ones([]), sign * worst, zero, zero)

    def improved(loss: jax.Array, best: jax.Array) -> jax.Array:
        if threshold_mode == "rel":
            return sign * loss < sign * best * (1 - sign * threshold)
        return sign * loss < sign * best - threshold

    def update(grads: PyTree, state: PlateauState, params: PyTree = None, **extra: Any):
        del params
        if "loss" not in extra:
            raise ValueError(
                "reduce_on_plateau needs the loss: call update(grads, state, params, loss=value)"
            )
        loss = jnp.asarray(extra["loss"])
        updates = jax.tree.map(lambda g: cast_like(state.scale, g) * g, grads)
        better = improved(loss, state.best)
        best = jnp.where(better, loss, state.best).astype(state.best.dtype)
        bad = jnp.where(better, 0, state.bad + 1)
        in_cooldown = state.cooldown_left > 0
        cooldown_left = jnp.where(in_cooldown, state.cooldown_left - 1, state.cooldown_left)
        bad = jnp.where(in_cooldown, 0, bad)
        reduce = bad > patience
        scale = jnp.where(reduce, jnp.maximum(state.scale * factor, min_scale), state.scale)
        cooldown_left = jnp.where(reduce, cooldown, cooldown_left)
        bad = jnp.where(reduce, 0, bad)
        return updates, PlateauState(scale.astype(state.scale.dtype), best, bad, cooldown_left)

    return Transform(init, update)
