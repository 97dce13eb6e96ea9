"""Regression losses: squared error, absolute error and Huber.

Each is element-wise in the residual ``r = pred - target``. ``pred`` and ``target`` have the
same shape, ``(n,)`` or ``(n, 1)`` (a trailing 1 on one of them is squeezed); for several
outputs, ``(n, m, ...)``, the per-sample value is the mean over the outputs (as Keras and
scikit-learn's ``multioutput="uniform_average"``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.problems.losses._base import Loss, factory, pair, per_sample


@factory
def mse() -> Loss:
    """Squared error ``(pred - target)^2`` per sample.

    The mean of it is scikit-learn's ``mean_squared_error``, PyTorch's ``MSELoss`` and Keras's
    ``MeanSquaredError``. (Optax's ``l2_loss`` is half of this, ``0.5 r^2``.)
    """

    def fn(pred: Any, target: Any) -> jax.Array:
        p, t = pair("mse", pred, target)
        return per_sample(jnp.square(p - t))

    return Loss("mse", fn, "regression")


@factory
def mae() -> Loss:
    """Absolute error ``|pred - target|`` per sample.

    The mean of it is scikit-learn's ``mean_absolute_error``, PyTorch's ``L1Loss`` and Keras's
    ``MeanAbsoluteError``. At ``r = 0`` JAX's subgradient of ``|r|`` is 1.
    """

    def fn(pred: Any, target: Any) -> jax.Array:
        p, t = pair("mae", pred, target)
        return per_sample(jnp.abs(p - t))

    return Loss("mae", fn, "regression")


@factory
def huber(delta: Any = 1.0) -> Loss:
    """Huber loss (Huber 1964) of the residual ``r = pred - target``::

        0.5 r^2                    if |r| <= delta
        delta (|r| - 0.5 delta)    otherwise

    quadratic near 0 and linear (slope ``delta``) in the tails; it is PyTorch's
    ``HuberLoss(delta)``, Optax's ``huber_loss(delta=...)`` and Keras's ``Huber(delta)``.
    (PyTorch's ``SmoothL1Loss(beta)`` is this divided by ``beta``.) Computed as
    ``0.5 q^2 + delta (|r| - q)`` with ``q = min(|r|, delta)``, which has no branch.

    ``delta`` must be > 0; it may be a JAX scalar (and so vmapped over).
    """
    delta = check.real("huber: delta", delta, 0.0, open_low=True)

    def fn(pred: Any, target: Any) -> jax.Array:
        p, t = pair("huber", pred, target)
        a = jnp.abs(p - t)
        q = jnp.minimum(a, delta)
        return per_sample(0.5 * jnp.square(q) + delta * (a - q))

    return Loss("huber", fn, "regression")
