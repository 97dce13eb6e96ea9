"""The moving average, the momentum buffer and the root of a second moment: the pieces that
momentum, RMSProp, Adagrad, NAdam and Adam compose, leaf by leaf.

Optax builds its rules from small pieces (``trace`` for momentum, ``update_moment`` for the
moving averages of ``scale_by_adam`` and ``scale_by_rms``). descend shares the same
pieces, but as functions of one leaf: a rule calls them inside its own per-leaf step, so it
keeps one step counter and one pass over the leaves, and its compiled step has no more
operations than if the math were written inline.

:func:`ema` is the exponential moving average ``avg <- decay*avg + (1 - decay)*x`` (Adam's
``m`` and ``v``, RMSProp's mean square, the "ema" form of momentum).

:func:`one_minus_power` is ``1 - decay^t``, the weight that an average started at 0 has put on
its inputs after ``t`` steps: Adam divides its moments by it (the bias correction).

:func:`trace` is the momentum buffer in the conventions the libraries use (see
:func:`descend.momentum` for the forms side by side):

``form="sum"``       u <- beta*u + (1 - dampening)*g,  update = -lr*u
                     PyTorch ``SGD`` and ``RMSprop``, Optax ``sgd`` (Optax's ``trace`` before
                     the learning rate). ``first`` (PyTorch SGD's convention) sets u <- g on
                     the first step; without it u starts at 0, which gives the same u when
                     there is no dampening.
``form="ema"``       u <- beta*u + (1 - beta)*g,       update = -lr*u
``form="velocity"``  v <- beta*v - lr*g,               update = v
                     the learning rate lives inside the buffer: Keras ``SGD`` and
                     ``RMSprop``, Sutskever et al. (2013), Optax's ``trace`` placed after the
                     learning rate (its ``rmsprop(momentum=...)``).

:func:`root` is the denominator ``sqrt(v) + eps`` or ``sqrt(v + eps)`` that Adagrad and
RMSProp divide by, with epsilon outside (PyTorch) or inside (Optax, Keras) the root.

Nesterov's form applies the buffer's recurrence a second time with the same input: the
step direction is ``g + beta*u`` ("sum"), ``(1 - beta)*g + beta*u`` ("ema"), and the update
``beta*v - lr*g`` ("velocity").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

TRACE_FORMS = ("sum", "ema", "velocity")


def ema(avg: jax.Array, x: jax.Array, decay: jax.Array | float) -> jax.Array:
    """``decay*avg + (1 - decay)*x``: one step of an exponential moving average of ``x``
    (Optax's ``update_moment``; Adam's moments, RMSProp's mean square), in ``x``'s dtype.

    ``1 - decay`` is taken in the wider of the two dtypes before the cast: in bfloat16 (8
    bits of mantissa) Adam's ``b2 = 0.999`` rounds to 1, and ``1 - cast(b2)`` would be 0, so
    ``v`` would stay 0 and the first step be ``m / eps``; ``cast(1 - b2)`` is 0.001."""
    decay = jnp.asarray(decay)
    dtype = jnp.result_type(x)
    weight = (1 - decay.astype(jnp.promote_types(decay.dtype, dtype))).astype(dtype)
    return decay.astype(dtype) * avg + weight * x


def one_minus_power(beta: jax.Array | float, step: jax.Array | int) -> jax.Array:
    """``1 - beta ** step`` for a decay rate ``beta`` in [0, 1] and a step count ``step >= 1``,
    as ``-expm1(step * log1p(beta - 1))``.

    Written out, ``1 - beta ** step`` subtracts two numbers close to 1 when ``step (1 - beta)``
    is small (Adam's ``b2 = 0.999`` over its first steps): an error of one ulp in
    ``beta ** step``, which a GPU's ``pow`` and ``exp(step * log(beta))`` both make, becomes a
    relative error of ``eps / (1 - beta)`` (3e-5 in float32 at step 1). Here ``beta - 1`` is
    exact (Sterbenz, for ``beta >= 1/2``) and ``log1p``/``expm1`` are accurate near 0, so the
    result is within a few ulps of itself on every backend. ``beta = 0`` gives 1."""
    beta = jnp.asarray(beta)
    return -jnp.expm1(step * jnp.log1p(beta - 1))


def trace(
    g: jax.Array,
    buffer: jax.Array,
    beta: jax.Array,
    lr: jax.Array,
    *,
    form: str = "sum",
    nesterov: bool = False,
    dampening: jax.Array | None = None,
    first: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array]:
    """One leaf of the momentum buffer: ``(update, new buffer)``, with ``update`` the step to
    add to the parameters (see the module docstring for the forms).

    ``g`` is what the momentum averages (the gradient, or RMSProp's scaled gradient),
    ``beta`` the momentum coefficient and ``lr`` the learning rate, all cast to ``g``'s
    dtype. ``dampening`` (form "sum" only; None: no dampening term) and ``first`` (a boolean,
    true on the first update: u <- g, PyTorch's SGD) are PyTorch's conventions.
    """
    if form == "velocity":
        buffer = beta * buffer - lr * g
        return (beta * buffer - lr * g if nesterov else buffer), buffer
    if form == "ema":
        buffer = ema(buffer, g, beta)
        direction = (1 - beta) * g + beta * buffer if nesterov else buffer
    else:
        summed = beta * buffer + (g if dampening is None else (1 - dampening) * g)
        buffer = summed if first is None else jnp.where(first, g, summed)
        direction = g + beta * buffer if nesterov else buffer
    return -lr * direction, buffer


def root(v: jax.Array, eps: jax.Array, eps_in_sqrt: bool) -> jax.Array:
    """``sqrt(v + eps)`` (epsilon inside the root: Optax, Keras) or ``sqrt(v) + eps``
    (outside: PyTorch), the denominator of Adagrad and RMSProp."""
    return jnp.sqrt(v + eps) if eps_in_sqrt else jnp.sqrt(v) + eps
