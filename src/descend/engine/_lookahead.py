"""Nesterov's accelerated gradient as the texts write it: the gradient at the look-ahead point.

    u_t = beta * u_{t-1} + grad f(theta_t - lr * beta * u_{t-1})
    theta_{t+1} = theta_t - lr * u_t

This needs the objective *function* (to take its gradient away from the current point): a
:class:`~descend.optim._recipe.GradientStep` that :func:`descend.minimize` drives. Its
iterates ``theta_t`` and those of :func:`descend.nesterov` (the reparametrised form of
PyTorch and Optax, whose iterates are the look-ahead points) are related by
``phi_{t+1} = theta_{t+1} + beta * (theta_{t+1} - theta_t)``. (Informal introductions,
such as the post "The Intuition Behind Gradient Descent", write the look-ahead point without
the learning rate, ``theta_t - beta * u_{t-1}``; this is the exact form of Sutskever et al.
2013.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from descend import _validation as check
from descend.optim._base import HyperParam, PyTree, cast_like, tree_zeros_like, value_at, zero_count
from descend.optim._recipe import GradientStep, recorded


class LookaheadState(NamedTuple):
    """Update count and the momentum buffer u."""

    count: jax.Array
    u: PyTree


@recorded
def lookahead_nesterov(lr: HyperParam = 0.01, beta: HyperParam = 0.9) -> GradientStep:
    """Nesterov momentum evaluated at the look-ahead point (see the module docstring)."""
    check.nonnegative("lr", lr)
    check.fraction("beta", beta)

    def init(params: PyTree) -> LookaheadState:
        return LookaheadState(zero_count(), tree_zeros_like(params))

    def step(objective: Any, x: PyTree, state: LookaheadState) -> tuple[PyTree, LookaheadState]:
        a, b = value_at(lr, state.count), value_at(beta, state.count)
        ahead = jax.tree.map(lambda p, u: p - cast_like(a * b, p) * u, x, state.u)
        g = jax.grad(objective)(ahead)
        u = jax.tree.map(lambda u, gi: cast_like(b, gi) * u + gi, state.u, g)
        x = jax.tree.map(lambda p, ui: p - cast_like(a, p) * ui, x, u)
        return x, LookaheadState(state.count + 1, u)

    return GradientStep(init, step)
