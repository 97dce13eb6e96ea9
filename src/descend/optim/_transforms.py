"""Gradient transforms: clipping, weight decay, gradient ascent and scaling.

Put them before an update rule in :func:`descend.chain` (they act on gradients), except the
scaling transforms, which may go anywhere. PyTorch's order inside ``optimizer.step()`` is
``maximize`` (negate), then coupled ``weight_decay``, then the rule:
``chain(maximize(), weight_decay(wd), momentum(lr, 0.9))`` is ``torch.optim.SGD(lr=lr,
momentum=0.9, weight_decay=wd, maximize=True)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._base import (
    HyperParam,
    PyTree,
    Transform,
    cast_like,
    stateless_with_count,
    value_at,
)
from descend.optim._guards import not_numbers
from descend.optim._recipe import recorded


def _leafwise(
    fn: Callable[..., jax.Array], hyperparam: HyperParam, *, params_of: str | None = None
) -> Transform:
    """A transform (its state: the count) that maps each leaf ``g`` to ``fn(g, h)``, with
    ``h`` the hyperparameter's value at the update count. With ``params_of`` (the
    transform's name) it maps ``fn(g, h, theta)`` and needs the parameters."""

    def tree_fn(grads: PyTree, params: PyTree, count: jax.Array) -> PyTree:
        h = value_at(hyperparam, count)
        if params_of is None:
            return jax.tree.map(lambda g: fn(g, h), grads)
        if params is None:
            raise ValueError(f"{params_of} needs the parameters: call update(grads, state, params)")
        return jax.tree.map(lambda g, p: fn(g, h, p), grads, params)

    return stateless_with_count(tree_fn)


@recorded
def scale(factor: HyperParam) -> Transform:
    """``u = factor * g``; ``factor`` may be a schedule of the update count."""

    return _leafwise(lambda g, f: cast_like(f, g) * g, factor)


@recorded
def scale_by_schedule(schedule: HyperParam) -> Transform:
    """``u_t = s(t) * g_t``: multiply by a schedule's value at update ``t`` (0-based)."""
    if not callable(schedule):
        check.nonnegative("schedule", schedule)
    return scale(schedule)


@recorded
def scale_by_learning_rate(lr: HyperParam) -> Transform:
    """``u = -lr * g``: the descent step of plain gradient descent."""
    check.nonnegative("lr", lr)
    if callable(lr):
        return scale(lambda t: -value_at(lr, t))
    return scale(-lr)  # a float, a float64 array or a traced value (see ``recorded``)


@recorded
def clip_by_value(max_abs: HyperParam) -> Transform:
    """``g <- clip(g, -c, c)`` element-wise: ``torch.nn.utils.clip_grad_value_``, ``optax.clip``."""
    check.positive("max_abs", max_abs)

    return _leafwise(lambda g, c: jnp.clip(g, -cast_like(c, g), cast_like(c, g)), max_abs)


SMALL = 16  # leaves up to this size are summed by unrolled adds (fuses with the loop body)


def small_sum(x: jax.Array) -> jax.Array:
    """``sum(x)``; for a small leaf written as unrolled additions, which XLA fuses into the
    surrounding elementwise work (a reduction would end the fusion), and which stays
    elementwise under ``vmap``."""
    x = jnp.asarray(x)
    if x.size > SMALL or x.size == 0:
        return jnp.sum(x)
    flat = x.reshape(-1)
    total = flat[0]
    for i in range(1, flat.shape[0]):
        total = total + flat[i]
    return total


def global_norm(tree: PyTree) -> jax.Array:
    """``sqrt(sum of squares of every element of every leaf)``."""
    leaves = jax.tree.leaves(tree)
    with check.explained(lambda: not_numbers("global_norm(tree)", "tree", tree)):
        return jnp.sqrt(sum(small_sum(jnp.square(x)) for x in leaves))


@recorded
def clip_by_global_norm(max_norm: HyperParam, eps: float = 0.0) -> Transform:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    ``g <- g * min(1, c / (||g|| + eps))`` with ``||g||`` the norm over every leaf.
    ``eps=0`` is Optax's ``clip_by_global_norm``; PyTorch's ``clip_grad_norm_`` uses
    ``eps=1e-6``.
    """
    check.positive("max_norm", max_norm)
    check.nonnegative("eps", eps)

    def fn(grads: PyTree, params: PyTree, count: jax.Array) -> PyTree:
        del params
        norm = global_norm(grads)
        c = value_at(max_norm, count)
        factor = jnp.minimum(1.0, c / (norm + eps))
        factor = jnp.where(norm == 0, 1.0, factor)
        return jax.tree.map(lambda g: cast_like(factor, g) * g, grads)

    return stateless_with_count(fn)


@recorded
def clip_by_norm(max_norm: HyperParam) -> Transform:
    """Rescale each leaf separately so its norm is at most ``max_norm`` (Keras' ``clipnorm``)."""
    check.positive("max_norm", max_norm)

    def clip(g: jax.Array, c: jax.Array) -> jax.Array:
        norm = jnp.sqrt(jnp.sum(jnp.square(g)))
        factor = jnp.where(norm > c, c / jnp.where(norm == 0, 1.0, norm), 1.0)
        return cast_like(factor, g) * g

    return _leafwise(clip, max_norm)


@recorded
def weight_decay(rate: HyperParam) -> Transform:
    """Coupled L2 weight decay: ``g <- g + rate * theta``.

    This is the gradient of ``rate/2 * ||theta||^2`` added to the loss, as the
    ``weight_decay`` argument of ``torch.optim.SGD/Adam/RMSprop/Adagrad``. Place it before
    the update rule. For the decoupled form of AdamW see :func:`descend.adamw` and
    :func:`decoupled_weight_decay`.
    """
    check.nonnegative("rate", rate)

    return _leafwise(lambda g, r, p: g + cast_like(r, g) * p, rate, params_of="weight_decay")


@recorded
def decoupled_weight_decay(rate: HyperParam) -> Transform:
    """Decoupled weight decay added to the final updates: ``u <- u - rate_t * theta``.

    Place it *after* the update rule. With ``rate_t = lr_t * lambda`` this is the weight
    decay of ``torch.optim.AdamW`` and of every Keras optimizer's ``weight_decay`` argument
    (``theta <- theta - lr_t * lambda * theta`` before the step).
    """
    check.nonnegative("rate", rate)

    return _leafwise(
        lambda u, r, p: u - cast_like(r, u) * p, rate, params_of="decoupled_weight_decay"
    )


@recorded
def maximize() -> Transform:
    """Gradient ascent: ``g <- -g``. Put it first in the chain.

    ``chain(maximize(), weight_decay(wd), rule)`` climbs the objective while the decay still
    shrinks the parameters toward zero, exactly as ``maximize=True`` in ``torch.optim``.
    """

    def fn(grads: PyTree, params: PyTree, count: jax.Array) -> PyTree:
        del params, count
        return jax.tree.map(jnp.negative, grads)

    return stateless_with_count(fn)
