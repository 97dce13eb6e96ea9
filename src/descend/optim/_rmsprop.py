"""RMSProp: divide the gradient by a running root mean square of recent gradients.

    nu <- rho*nu + (1 - rho)*g^2                  (nu starts at ``initial_scale``)
    mu <- rho*mu + (1 - rho)*g                    (centered=True only)
    var = nu - mu^2 if centered else nu           (bias-corrected first if bias_correction)
    s = g / (sqrt(var) + eps)                     eps_in_sqrt=False  (PyTorch)
    s = g / sqrt(var + eps)                       eps_in_sqrt=True   (Keras, Optax)

and then, with momentum m (the buffer b starts at 0):

    b <- m*b + s,       theta <- theta - lr*b     lr_in_momentum=False  (PyTorch)
    b <- m*b + lr*s,    theta <- theta - b        lr_in_momentum=True   (Keras, Optax)

The two momentum forms agree for a constant learning rate and differ under a schedule.
They are the "sum" and "velocity" forms of the momentum piece that :func:`descend.momentum`
shares (:func:`descend.optim._moments.trace`); with ``lr_in_momentum`` the state holds the
velocity ``v = -b``.
Hinton's lecture 6e (2012); centered form from Graves (2013). Library defaults: PyTorch
``RMSprop(lr=0.01, alpha=0.99, eps=1e-8)``, Keras ``RMSprop(learning_rate=0.001, rho=0.9,
epsilon=1e-7)``, Optax ``rmsprop(decay=0.9, eps=1e-8)``.
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
    tree_zeros_like,
    value_at,
    zero_count,
)
from descend.optim._moments import ema, one_minus_power, root, trace
from descend.optim._recipe import recorded


class RMSPropState(NamedTuple):
    """Update count, mean square ``nu``, mean ``mu`` (centered) and momentum buffer (``b``,
    or the velocity ``-b`` with ``lr_in_momentum``)."""

    count: jax.Array
    nu: PyTree
    mu: PyTree
    momentum: PyTree


@recorded
def rmsprop(
    lr: HyperParam = 0.01,
    decay: HyperParam = 0.99,
    eps: HyperParam = 1e-8,
    *,
    centered: bool = False,
    momentum: HyperParam = 0.0,
    nesterov: bool = False,
    eps_in_sqrt: bool = False,
    lr_in_momentum: bool = False,
    initial_scale: float = 0.0,
    bias_correction: bool = False,
) -> Transform:
    """RMSProp (see the module docstring for the math and the conventions).

    Args:
        lr: learning rate, >= 0.
        decay: the averaging constant rho (PyTorch's ``alpha``, Keras' ``rho``), in [0, 1).
        eps: > 0, added inside or outside the square root (``eps_in_sqrt``).
        centered: divide by the estimated standard deviation instead of the RMS.
        momentum: momentum coefficient in [0, 1); 0 disables it.
        nesterov: Nesterov form of the momentum buffer (Optax's ``rmsprop(nesterov=True)``).
        eps_in_sqrt: False for PyTorch, True for Keras and Optax.
        lr_in_momentum: False for PyTorch, True for Keras and Optax.
        initial_scale: starting value of ``nu`` (0 in PyTorch and Keras, 1 in TF1).
        bias_correction: divide ``nu`` (and ``mu``) by ``1 - rho^t`` as Optax optionally does.
    """
    check.nonnegative("lr", lr)
    check.fraction("decay", decay)
    check.positive("eps", eps)
    check.boolean("centered", centered)
    check.fraction("momentum", momentum)
    for name, flag in [
        ("nesterov", nesterov),
        ("eps_in_sqrt", eps_in_sqrt),
        ("lr_in_momentum", lr_in_momentum),
        ("bias_correction", bias_correction),
    ]:
        check.boolean(name, flag)
    check.nonnegative("initial_scale", initial_scale)
    # the learning rate inside the buffer is the "velocity" form (its buffer is -b)
    momentum_form = "velocity" if lr_in_momentum else "sum"

    def init(params: PyTree) -> RMSPropState:
        zeros = tree_zeros_like(params)
        return RMSPropState(zero_count(), tree_full_like(params, initial_scale), zeros, zeros)

    def update(grads: PyTree, state: RMSPropState, params: PyTree = None, **extra: Any):
        del params, extra
        t = state.count
        rho, a, e, m = (value_at(h, t) for h in (decay, lr, eps, momentum))
        correction = one_minus_power(rho, t + 1) if bias_correction else 1.0

        def leaf(g, nu, mu, buf):
            aa, ee, mm = (cast_like(h, g) for h in (a, e, m))
            c = cast_like(correction, g)
            nu = ema(nu, jnp.square(g), rho)
            var = nu / c
            if centered:
                mu = ema(mu, g, rho)
                var = var - jnp.square(mu / c)
            s = g / root(var, ee, eps_in_sqrt)
            update, buf = trace(s, buf, mm, aa, form=momentum_form, nesterov=nesterov)
            return update, nu, mu, buf

        updates, nu, mu, buf = map_unzip(leaf, 4, grads, state.nu, state.mu, state.momentum)
        return updates, RMSPropState(t + 1, nu, mu, buf)

    return Transform(init, update)
