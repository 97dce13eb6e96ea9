"""Gradient descent, momentum (heavy ball) and Nesterov momentum.

Three forms of the momentum buffer are in use, and they are *not* the same algorithm once
the learning rate changes over time or dampening is used:

``form="sum"``       u <- beta*u + (1 - dampening)*g,  theta <- theta - lr*u
                     PyTorch ``SGD`` and Optax ``sgd``; Polyak's heavy ball. As in PyTorch,
                     the first step sets u <- g (dampening does not apply to it).
``form="ema"``       u <- beta*u + (1 - beta)*g,       theta <- theta - lr*u
                     the exponential moving average (u starts at 0, no bias correction).
``form="velocity"``  v <- beta*v - lr*g,               theta <- theta + v
                     the learning rate lives inside the buffer: Keras ``SGD``, Sutskever et
                     al. (2013).

With a constant learning rate, "sum" and "velocity" give the same iterates; "ema" is "sum"
with the learning rate multiplied by (1 - beta).

Nesterov momentum applies the buffer's recurrence a second time with the same gradient
(the reparametrised form of PyTorch, Optax and Keras): for "sum" the step direction is
``g + beta*u`` (u already updated), for "ema" ``(1 - beta)*g + beta*u``, for "velocity"
the update is ``beta*v - lr*g``. This equals evaluating the gradient at the look-ahead
point ``theta - lr*beta*u`` (Sutskever et al. 2013), in shifted variables.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from descend import _validation as check
from descend.optim._base import (
    HyperParam,
    PyTree,
    Transform,
    cast_like,
    map_unzip,
    tree_zeros_like,
    value_at,
    zero_count,
)
from descend.optim._moments import TRACE_FORMS, trace
from descend.optim._recipe import recorded
from descend.optim._transforms import scale_by_learning_rate

MOMENTUM_FORMS = TRACE_FORMS


class MomentumState(NamedTuple):
    """Update count and momentum buffer (u, or the velocity v)."""

    count: jax.Array
    buffer: PyTree


@recorded
def gd(lr: HyperParam = 0.01) -> Transform:
    """Vanilla gradient descent: ``theta <- theta - lr * g``.

    ``torch.optim.SGD(lr)``, ``optax.sgd(lr)``, ``keras.optimizers.SGD(lr)`` (no momentum).
    """
    return scale_by_learning_rate(lr)


@recorded
def momentum(
    lr: HyperParam = 0.01,
    beta: HyperParam = 0.9,
    *,
    form: str = "sum",
    dampening: HyperParam = 0.0,
    nesterov: bool = False,
) -> Transform:
    """Gradient descent with momentum (the heavy ball); see the module docstring for the forms.

    Args:
        lr: learning rate (number, JAX scalar or schedule), >= 0.
        beta: momentum coefficient in [0, 1).
        form: "sum" (PyTorch/Optax), "ema" or "velocity" (Keras/Sutskever).
        dampening: PyTorch's dampening in [0, 1], only for ``form="sum"``:
            ``u <- beta*u + (1 - dampening)*g`` after the first step.
        nesterov: use Nesterov's look-ahead gradient (see :func:`nesterov`).
    """
    check.nonnegative("lr", lr)
    check.fraction("beta", beta)
    check.choice("form", form, MOMENTUM_FORMS)
    check.fraction("dampening", dampening, closed=True)
    check.boolean("nesterov", nesterov)
    if form != "sum" and check.nonzero(dampening):
        raise ValueError(f"dampening applies only to form='sum'; got form={form!r}")
    if nesterov and check.nonzero(dampening):
        raise ValueError(
            f"nesterov requires dampening=0 (as in PyTorch); got dampening={dampening!r}"
        )

    def init(params: PyTree) -> MomentumState:
        return MomentumState(zero_count(), tree_zeros_like(params))

    def update(grads: PyTree, state: MomentumState, params: PyTree = None, **extra: Any):
        del params, extra
        t = state.count
        b, a, d = value_at(beta, t), value_at(lr, t), value_at(dampening, t)
        first = t == 0 if form == "sum" else None  # PyTorch: the first step sets u <- g

        def leaf(g: jax.Array, u: jax.Array) -> tuple[jax.Array, jax.Array]:
            bb, aa, dd = cast_like(b, g), cast_like(a, g), cast_like(d, g)
            damp = dd if form == "sum" else None
            return trace(g, u, bb, aa, form=form, nesterov=nesterov, dampening=damp, first=first)

        updates, buffer = map_unzip(leaf, 2, grads, state.buffer)
        return updates, MomentumState(t + 1, buffer)

    return Transform(init, update)


@recorded
def nesterov(
    lr: HyperParam = 0.01,
    beta: HyperParam = 0.9,
    *,
    form: str = "sum",
) -> Transform:
    """Nesterov accelerated gradient in the reparametrised form of PyTorch, Optax and Keras.

    With ``form="sum"``: ``u <- beta*u + g``, ``theta <- theta - lr*(g + beta*u)``.
    Writing ``phi = theta - lr*beta*u_prev`` for the look-ahead point, this is exactly
    ``u <- beta*u + grad f(theta - lr*beta*u)``, ``theta <- theta - lr*u``: the gradient taken
    where momentum is about to carry the parameters ("look before you leap"). The iterates of
    this transform are the look-ahead points. See :func:`momentum` for the forms.
    """
    return momentum(lr, beta, form=form, nesterov=True)
