"""Adam and its kin: AMSGrad and AdamW (decoupled weight decay).

With ``t`` the 1-based step and the moments starting at 0 (Kingma & Ba, 2015):

    m <- b1*m + (1 - b1)*g,      v <- b2*v + (1 - b2)*g^2
    m_hat = m / (1 - b1^t),      v_hat = v / (1 - b2^t)
    theta <- theta - lr * m_hat / (sqrt(v_hat + eps_root) + eps)

Where epsilon sits differs between libraries, and the difference is visible in the
trajectories when ``eps`` is not tiny against ``sqrt(v)``:

- PyTorch ``Adam``: ``eps_root=0``, ``eps`` added to ``sqrt(v_hat)`` (the formula above).
- Optax ``adam``: the same, plus the optional ``eps_root`` inside the root.
- Keras / TensorFlow (``eps_hat=True``): epsilon is the "epsilon hat" of the paper's
  section 2, added to ``sqrt(v)`` *before* bias correction:
  ``theta <- theta - lr * sqrt(1 - b2^t)/(1 - b1^t) * m / (sqrt(v) + eps)``.

AMSGrad (Reddi, Kale & Kumar, 2018) keeps a running maximum of the second moment and uses
it in place of ``v``. ``amsgrad="raw"`` takes the maximum over the raw ``v`` and then bias
corrects (PyTorch, Keras); ``amsgrad="corrected"`` takes it over ``v_hat`` (Optax).
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
    times,
    tree_zeros_like,
    value_at,
    zero_count,
)
from descend.optim._combine import chain
from descend.optim._moments import ema, one_minus_power
from descend.optim._recipe import recorded
from descend.optim._transforms import decoupled_weight_decay, scale_by_schedule

AMSGRAD_FORMS = (None, "raw", "corrected")
WEIGHT_DECAY_COUPLINGS = ("lr", "schedule")


class AdamState(NamedTuple):
    """Update count, first moment m, second moment v and (AMSGrad) the running max of v."""

    count: jax.Array
    m: PyTree
    v: PyTree
    v_max: PyTree  # () unless AMSGrad is on


def check_moments(lr: Any, b1: Any, b2: Any, eps: Any, eps_root: Any) -> None:
    """The checks Adam and NAdam share: ``lr, eps_root >= 0``, ``b1, b2`` in [0, 1),
    ``eps > 0``."""
    check.nonnegative("lr", lr)
    check.fraction("b1", b1)
    check.fraction("b2", b2)
    check.positive("eps", eps)
    check.nonnegative("eps_root", eps_root)


def _check_adam(lr, b1, b2, eps, eps_root, eps_hat, amsgrad) -> None:
    check_moments(lr, b1, b2, eps, eps_root)
    check.boolean("eps_hat", eps_hat)
    check.choice("amsgrad", amsgrad, AMSGRAD_FORMS)


def _adam(
    lr: HyperParam,
    b1: HyperParam,
    b2: HyperParam,
    eps: HyperParam,
    eps_root: HyperParam,
    eps_hat: bool,
    amsgrad: str | None,
) -> Transform:
    """Adam's update ``-lr * m_hat / (sqrt(v_hat + eps_root) + eps)`` (module docstring)."""

    def init(params: PyTree) -> AdamState:
        zeros = tree_zeros_like(params)
        return AdamState(zero_count(), zeros, zeros, zeros if amsgrad else ())

    def update(grads: PyTree, state: AdamState, params: PyTree = None, **extra: Any):
        del params, extra
        t = state.count
        a, beta1, beta2, e, e_root = (value_at(h, t) for h in (lr, b1, b2, eps, eps_root))
        step = t + 1
        c1, c2 = one_minus_power(beta1, step), one_minus_power(beta2, step)

        def leaf(g, m, v, v_max):
            aa, ee, ee_root, cc1, cc2 = (cast_like(x, g) for x in (a, e, e_root, c1, c2))
            m, v = ema(m, g, beta1), ema(v, jnp.square(g), beta2)
            second = v / cc2
            if amsgrad:  # the largest v seen (PyTorch, Keras) or largest corrected v (Optax)
                v_max = jnp.maximum(v_max, v if amsgrad == "raw" else second)
                second = v_max / cc2 if amsgrad == "raw" else v_max
            if eps_hat:
                direction = (m / cc1) / (jnp.sqrt(second + ee_root) + ee / jnp.sqrt(cc2))
            else:
                direction = (m / cc1) / (jnp.sqrt(second + ee_root) + ee)
            return -aa * direction, m, v, v_max

        v_max_in = state.v_max if amsgrad else state.v  # a placeholder, unused without AMSGrad
        updates, m, v, v_max = map_unzip(leaf, 4, grads, state.m, state.v, v_max_in)
        return updates, AdamState(step, m, v, v_max if amsgrad else ())

    return Transform(init, update)


@recorded
def adam(
    lr: HyperParam = 1e-3,
    b1: HyperParam = 0.9,
    b2: HyperParam = 0.999,
    eps: HyperParam = 1e-8,
    *,
    eps_root: HyperParam = 0.0,
    eps_hat: bool = False,
    amsgrad: str | None = None,
) -> Transform:
    """Adam (see the module docstring for the math and where each library puts epsilon).

    Args:
        lr: learning rate, >= 0. b1, b2: moment decays in [0, 1). eps: > 0.
        eps_root: added inside the square root (Optax's ``eps_root``), >= 0.
        eps_hat: True for Keras/TensorFlow's epsilon-hat placement.
        amsgrad: None, "raw" (PyTorch, Keras) or "corrected" (Optax); see :func:`amsgrad`.
    """
    _check_adam(lr, b1, b2, eps, eps_root, eps_hat, amsgrad)
    return _adam(lr, b1, b2, eps, eps_root, eps_hat, amsgrad)


@recorded
def amsgrad(
    lr: HyperParam = 1e-3,
    b1: HyperParam = 0.9,
    b2: HyperParam = 0.999,
    eps: HyperParam = 1e-8,
    *,
    max_of: str = "raw",
    eps_root: HyperParam = 0.0,
    eps_hat: bool = False,
) -> Transform:
    """AMSGrad: Adam with ``v`` replaced by its running maximum.

    ``max_of="raw"``: ``v_max <- max(v_max, v)``, step with ``v_max / (1 - b2^t)``
    (PyTorch ``Adam(amsgrad=True)``, Keras). ``max_of="corrected"``:
    ``v_max <- max(v_max, v / (1 - b2^t))``, step with ``v_max`` (Optax ``amsgrad``).
    """
    check.choice("max_of", max_of, AMSGRAD_FORMS[1:])
    return adam(lr, b1, b2, eps, eps_root=eps_root, eps_hat=eps_hat, amsgrad=max_of)


@recorded
def adamw(
    lr: HyperParam = 1e-3,
    b1: HyperParam = 0.9,
    b2: HyperParam = 0.999,
    eps: HyperParam = 1e-8,
    weight_decay: HyperParam = 1e-2,
    *,
    coupling: str = "lr",
    schedule: HyperParam = 1.0,
    eps_root: HyperParam = 0.0,
    eps_hat: bool = False,
    amsgrad: str | None = None,
) -> Transform:
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    With the schedule multiplier ``eta_t`` (``schedule``, default 1) and ``d`` the Adam
    direction ``m_hat / (sqrt(v_hat) + eps)``:

    ``coupling="lr"``        theta <- theta - eta_t*lr*(d + weight_decay*theta)
                             PyTorch ``AdamW``, Optax ``adamw``, Keras ``AdamW``: the decay
                             is multiplied by the full learning rate.
    ``coupling="schedule"``  theta <- theta - eta_t*(lr*d + weight_decay*theta)
                             the paper's Algorithm 2: the decay is multiplied by the
                             schedule multiplier only, so it does not shrink with ``lr``.

    ``lr`` itself may also be a schedule; in the paper's form it is the constant alpha and
    the time dependence belongs in ``schedule``. Built as Optax builds it, from pieces:
    ``chain(adam(lr, ...), decoupled_weight_decay(rate), scale_by_schedule(schedule))`` with
    ``rate = lr * weight_decay`` ("lr") or ``weight_decay`` ("schedule").
    """
    _check_adam(lr, b1, b2, eps, eps_root, eps_hat, amsgrad)
    check.nonnegative("weight_decay", weight_decay)
    check.choice("coupling", coupling, WEIGHT_DECAY_COUPLINGS)
    check.nonnegative("schedule", schedule)
    rate = times(lr, weight_decay) if coupling == "lr" else weight_decay
    return chain(
        _adam(lr, b1, b2, eps, eps_root, eps_hat, amsgrad),
        decoupled_weight_decay(rate),
        scale_by_schedule(schedule),
    )
