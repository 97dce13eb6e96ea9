"""NAdam: Adam with Nesterov momentum (Dozat, 2016).

Two formulations are in use. With ``t`` the 1-based step, ``m`` and ``v`` Adam's moments and
``v_hat = v / (1 - b2^t)``:

``momentum_schedule=True`` (PyTorch ``NAdam``, Keras ``Nadam``; Dozat's paper) warms the
momentum coefficient up over time, ``mu_t = b1 * (1 - 0.5 * 0.96^(t * momentum_decay))``,
keeps the running product ``P_t = mu_1 ... mu_t`` and steps

    theta <- theta - lr * [ (1 - mu_t)/(1 - P_t) * g + mu_{t+1}/(1 - P_t mu_{t+1}) * m ]
                    / (sqrt(v_hat) + eps)

``momentum_schedule=False`` (Optax ``nadam``) keeps ``b1`` constant:

    m_hat = b1 * m / (1 - b1^(t+1)) + (1 - b1) * g / (1 - b1^t)
    theta <- theta - lr * m_hat / (sqrt(v_hat + eps_root) + eps)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._adam import check_moments
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
from descend.optim._moments import ema, one_minus_power
from descend.optim._recipe import recorded


class NAdamState(NamedTuple):
    """Update count, product of momentum coefficients, and Adam's moments m and v."""

    count: jax.Array
    mu_product: jax.Array
    m: PyTree
    v: PyTree


@recorded
def nadam(
    lr: HyperParam = 2e-3,
    b1: HyperParam = 0.9,
    b2: HyperParam = 0.999,
    eps: HyperParam = 1e-8,
    *,
    momentum_decay: HyperParam = 4e-3,
    momentum_schedule: bool = True,
    eps_root: HyperParam = 0.0,
) -> Transform:
    """NAdam (see the module docstring for the two formulations).

    Args:
        lr: learning rate, >= 0. b1, b2: moment decays in [0, 1). eps: > 0.
        momentum_decay: psi in Dozat's momentum schedule (PyTorch's ``momentum_decay``), >= 0.
        momentum_schedule: True for PyTorch and Keras, False for Optax.
        eps_root: added inside the square root (Optax), >= 0.
    """
    check_moments(lr, b1, b2, eps, eps_root)
    check.nonnegative("momentum_decay", momentum_decay)
    check.boolean("momentum_schedule", momentum_schedule)

    def init(params: PyTree) -> NAdamState:
        zeros = tree_zeros_like(params)
        # the product has the shape of the momentum coefficients (arrays of b1 broadcast)
        shape = jnp.broadcast_shapes(
            *(jnp.shape(value_at(h, zero_count())) for h in (b1, momentum_decay))
        )
        return NAdamState(zero_count(), jnp.ones(shape), zeros, zeros)

    def update(grads: PyTree, state: NAdamState, params: PyTree = None, **extra: Any):
        del params, extra
        t = state.count
        a, beta1, beta2, e, e_root, psi = (
            value_at(h, t) for h in (lr, b1, b2, eps, eps_root, momentum_decay)
        )
        step = t + 1
        c2 = one_minus_power(beta2, step)
        if momentum_schedule:
            mu = beta1 * (1 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * psi))
            product = state.mu_product * mu
            coef_g = (1 - mu) / (1 - product)
            coef_m = mu_next / (1 - product * mu_next)
        else:
            product = state.mu_product
            coef_g = (1 - beta1) / one_minus_power(beta1, step)
            coef_m = beta1 / one_minus_power(beta1, step + 1)

        def leaf(g, m, v):
            m, v = ema(m, g, beta1), ema(v, jnp.square(g), beta2)
            denom = jnp.sqrt(v / cast_like(c2, g) + cast_like(e_root, g)) + cast_like(e, g)
            direction = (cast_like(coef_g, g) * g + cast_like(coef_m, g) * m) / denom
            return -cast_like(a, g) * direction, m, v

        updates, m, v = map_unzip(leaf, 3, grads, state.m, state.v)
        return updates, NAdamState(step, product, m, v)

    return Transform(init, update)
