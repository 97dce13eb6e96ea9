"""Adagrad: per-coordinate step sizes from the running sum of squared gradients.

    s <- s + g^2                       (s starts at ``initial_accumulator_value``)
    lr_t = lr / (1 + t * lr_decay)     (t = updates applied before this one)
    theta <- theta - lr_t * g / (sqrt(s) + eps)      eps_in_sqrt=False  (PyTorch)
    theta <- theta - lr_t * g / sqrt(s + eps)        eps_in_sqrt=True   (Optax, Keras)

Duchi, Hazan and Singer (2011). Library defaults: PyTorch ``Adagrad`` uses
``initial_accumulator_value=0, eps=1e-10``, epsilon outside the root; Optax ``adagrad`` and
Keras ``Adagrad`` use ``0.1, 1e-7``, epsilon inside the root (see
:func:`descend.from_library`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._base import (
    HyperParam,
    PyTree,
    Transform,
    cast_like,
    map_unzip,
    tree_full_like,
    value_at,
    zero_count,
)
from descend.optim._moments import root
from descend.optim._recipe import recorded


class AdagradState(NamedTuple):
    """Update count and the running sum of squared gradients."""

    count: jax.Array
    sum_of_squares: PyTree


@recorded
def adagrad(
    lr: HyperParam = 0.01,
    *,
    initial_accumulator_value: float = 0.0,
    eps: HyperParam = 1e-10,
    eps_in_sqrt: bool = False,
    lr_decay: HyperParam = 0.0,
) -> Transform:
    """Adagrad (see the module docstring for the math and the conventions)."""
    check.nonnegative("lr", lr)
    check.nonnegative("initial_accumulator_value", initial_accumulator_value)
    check.positive("eps", eps)
    check.boolean("eps_in_sqrt", eps_in_sqrt)
    check.nonnegative("lr_decay", lr_decay)

    def init(params: PyTree) -> AdagradState:
        return AdagradState(zero_count(), tree_full_like(params, initial_accumulator_value))

    def update(grads: PyTree, state: AdagradState, params: PyTree = None, **extra: Any):
        del params, extra
        t = state.count
        step = value_at(lr, t) / (1 + t * value_at(lr_decay, t))
        e = value_at(eps, t)

        def leaf(g: jax.Array, s: jax.Array) -> tuple[jax.Array, jax.Array]:
            s = s + jnp.square(g)
            return -cast_like(step, g) * g / root(s, cast_like(e, g), eps_in_sqrt), s

        updates, sums = map_unzip(leaf, 2, grads, state.sum_of_squares)
        return updates, AdagradState(t + 1, sums)

    return Transform(init, update)
