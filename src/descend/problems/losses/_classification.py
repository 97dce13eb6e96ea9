"""Classification losses: binary cross-entropy, softmax cross-entropy, (squared) hinge and focal.

Binary losses take one score per sample: ``pred`` of shape ``(n,)`` or ``(n, 1)`` (a trailing 1
is squeezed), and ``target`` of the same shape. Several independent binary outputs
(multi-label), ``(n, m)``, are averaged per sample, as Keras does. Every loss here is finite,
with finite gradients, for logits as large as ``+-1e4`` in float32.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend._validation import as_float
from descend.problems.losses._base import (
    Loss,
    check_unit_interval,
    factory,
    given_values,
    pair,
    per_sample,
    prob_eps,
)


def _bce_logits(z: jax.Array, y: jax.Array) -> jax.Array:
    # softplus(z) - y z = max(z, 0) - y z + log1p(exp(-|z|)). jax.nn.softplus evaluates that
    # stable form and differentiates to sigmoid(z) everywhere; spelling out max and abs gives
    # a wrong slope at exactly z = 0 (JAX's subgradients of max and abs there do not cancel).
    return jax.nn.softplus(z) - y * z


def _bce_probs(p: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    eps = prob_eps(p.dtype)
    p = jnp.clip(p, eps, 1 - eps)
    return -(y * jnp.log(p) + (1 - y) * jnp.log1p(-p)), p


@factory
def binary_cross_entropy(from_logits: bool = True) -> Loss:
    """Binary cross-entropy (log loss) for targets ``y`` in {0, 1}, or probabilities in [0, 1].

    - ``from_logits=True`` (default): ``pred`` is the logit ``z`` and the loss is
      ``-(y log sigmoid(z) + (1 - y) log sigmoid(-z)) = softplus(z) - y z``, evaluated as
      ``max(z, 0) - y z + log1p(exp(-|z|))`` so it never overflows (PyTorch's
      ``BCEWithLogitsLoss``, Optax's ``sigmoid_binary_cross_entropy``). At ``z = 1e4, y = 1`` it
      is 0; at ``z = -1e4, y = 1`` it is ``1e4``.
    - ``from_logits=False``: ``pred`` is the probability ``p`` and the loss is
      ``-(y log p + (1 - y) log(1 - p))`` with ``p`` clipped to ``[eps, 1 - eps]``, ``eps`` the
      machine epsilon of the dtype (1.19e-7 in float32, 2.2e-16 in float64), so ``log(0)``
      never happens. That is scikit-learn's ``log_loss`` clip; Keras clips at a fixed 1e-7 and
      PyTorch's ``BCELoss`` clamps each log at -100 instead.

    Concrete targets outside [0, 1] raise ``ValueError`` (labels in {-1, +1} belong to
    :func:`hinge`).
    """
    from_logits = check.boolean("binary_cross_entropy: from_logits", from_logits)

    def fn(pred: Any, target: Any) -> jax.Array:
        z, y = pair("binary_cross_entropy", pred, target)
        check_unit_interval("binary_cross_entropy", target)
        return per_sample(_bce_logits(z, y) if from_logits else _bce_probs(z, y)[0])

    return Loss("binary_cross_entropy", fn, "binary")


@factory
def softmax_cross_entropy() -> Loss:
    """Softmax cross-entropy for ``k`` classes: ``pred`` holds logits ``z`` of shape ``(n, k)``.

    With log-probabilities ``log_softmax(z) = z - logsumexp(z)`` (stable: ``logsumexp``
    subtracts the largest logit first):

    - integer labels ``c`` of shape ``(n,)`` (or ``(n, 1)``): ``logsumexp(z) - z_c``
      (PyTorch's ``CrossEntropyLoss``, Optax's ``softmax_cross_entropy_with_integer_labels``);
    - one-hot rows or class probabilities ``t`` of shape ``(n, k)``:
      ``-sum_j t_j log_softmax(z)_j`` (Optax's ``softmax_cross_entropy``; with ``z = log p`` it
      is scikit-learn's multiclass ``log_loss``). Terms with ``t_j = 0`` count as 0, so a
      masked logit of ``-inf`` is allowed.

    Concrete labels must be whole numbers in ``[0, k)``; an out-of-range label met under
    ``jit`` gives NaN rather than a silent wrong value.
    """

    def fn(pred: Any, target: Any) -> jax.Array:
        where = "softmax_cross_entropy"
        if target is None:
            raise ValueError(f"{where}: target is required; got None")
        z, t = as_float(pred), jnp.asarray(target)
        if z.ndim < 1:
            raise ValueError(f"{where}: pred must be logits of shape (n, k); got shape ()")
        logp = jax.nn.log_softmax(z, axis=-1)
        if t.shape == z.shape:
            t = t.astype(z.dtype)
            return per_sample(-jnp.sum(jnp.where(t == 0, 0, t * logp), axis=-1))
        if t.ndim == z.ndim and t.shape[-1] == 1:
            t = t[..., 0]
        if t.shape != z.shape[:-1]:
            raise ValueError(
                f"{where}: target must be integer labels of shape {z.shape[:-1]} or one-hot / "
                f"probabilities of shape {z.shape}; got {tuple(np.shape(target))}"
            )
        k = z.shape[-1]
        c = given_values(target)
        if c is not None and c.size and (np.any(c != np.round(c)) or c.min() < 0 or c.max() >= k):
            raise ValueError(
                f"{where}: labels must be whole numbers in [0, {k}); got values from "
                f"{c.min()} to {c.max()}"
            )
        labels = t.astype(jnp.int32)
        picked = jnp.take_along_axis(logp, jnp.clip(labels, 0, k - 1)[..., None], axis=-1)
        valid = (labels >= 0) & (labels < k)
        return per_sample(jnp.where(valid, -picked[..., 0], jnp.nan))

    return Loss("softmax_cross_entropy", fn, "multiclass")


def _signs(where: str, pred: Any, target: Any) -> tuple[jax.Array, jax.Array]:
    s, y = pair(where, pred, target)
    given = given_values(target)
    if given is not None:
        u = set(np.unique(given).tolist())
        if not (u <= {-1, 1} or u <= {0, 1}):
            raise ValueError(
                f"{where}: targets must be labels in {{-1, +1}} or in {{0, 1}}; got values "
                f"{sorted(u)[:6]}"
            )
    return s, jnp.where(y > 0, 1, -1).astype(s.dtype)


@factory
def hinge() -> Loss:
    """Hinge loss ``max(0, 1 - y s)`` for a raw score ``s`` (``pred``) and a label ``y``.

    Labels are ``-1``/``+1``; labels ``0``/``1`` are accepted and mapped to ``-1``/``+1`` (as
    scikit-learn's ``hinge_loss`` and Keras's ``Hinge`` do): under ``jit`` any ``y > 0`` is the
    positive class and ``y <= 0`` the negative one. The mean over samples is scikit-learn's
    binary ``hinge_loss``. (Only the binary hinge is provided, not the multiclass one.)
    """

    def fn(pred: Any, target: Any) -> jax.Array:
        s, y = _signs("hinge", pred, target)
        return per_sample(jnp.maximum(0, 1 - y * s))

    return Loss("hinge", fn, "binary")


@factory
def squared_hinge() -> Loss:
    """Squared hinge loss ``max(0, 1 - y s)^2`` (Keras's ``SquaredHinge``; the L2-SVM loss).

    Labels as in :func:`hinge`: ``-1``/``+1``, or ``0``/``1`` mapped to ``-1``/``+1``.
    """

    def fn(pred: Any, target: Any) -> jax.Array:
        s, y = _signs("squared_hinge", pred, target)
        return per_sample(jnp.square(jnp.maximum(0, 1 - y * s)))

    return Loss("squared_hinge", fn, "binary")


@factory
def focal(gamma: Any = 2.0, alpha: Any = 0.25, from_logits: bool = True) -> Loss:
    """Binary focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection")::

        FL = -alpha_t (1 - p_t)^gamma log(p_t)

    with ``p = sigmoid(z)``, ``p_t = p`` if ``y = 1`` else ``1 - p``, and ``alpha_t = alpha`` if
    ``y = 1`` else ``1 - alpha``. ``gamma = 0`` and ``alpha=None`` give binary cross-entropy.

    From logits (default), ``-log(p_t)`` is the stable binary cross-entropy
    ``softplus(z) - y z = -log_sigmoid((2y - 1) z)`` and ``1 - p_t = sigmoid(z) (1 - y) +
    sigmoid(-z) y`` (no cancellation); ``(1 - p_t)^gamma`` is taken as 0 where ``1 - p_t``
    underflows to 0 (1 if ``gamma = 0``), so values and gradients stay finite for logits of
    ``+-1e4`` and any ``gamma >= 0``. For soft targets ``y`` in [0, 1] the same expressions are
    used with ``alpha_t = alpha y + (1 - alpha)(1 - y)``, as Optax's ``sigmoid_focal_loss`` and
    torchvision's ``sigmoid_focal_loss`` do. With ``from_logits=False``, ``pred`` is ``p``,
    clipped to ``[eps, 1 - eps]`` as in :func:`binary_cross_entropy`.

    ``gamma >= 0``; ``alpha`` in [0, 1] or ``None`` (no alpha weighting). Both may be JAX
    scalars.
    """
    gamma = check.real("focal: gamma", gamma, 0.0)
    if alpha is not None:
        alpha = check.real("focal: alpha", alpha, 0.0, 1.0)
    from_logits = check.boolean("focal: from_logits", from_logits)

    def fn(pred: Any, target: Any) -> jax.Array:
        z, y = pair("focal", pred, target)
        check_unit_interval("focal", target)
        if from_logits:
            ce = _bce_logits(z, y)
            q = jax.nn.sigmoid(z) * (1 - y) + jax.nn.sigmoid(-z) * y
        else:
            ce, p = _bce_probs(z, y)
            q = p * (1 - y) + (1 - p) * y
        positive = q > 0
        modulator = jnp.where(
            positive, jnp.power(jnp.where(positive, q, 1), gamma), jnp.where(gamma == 0, 1, 0)
        )
        values = modulator * ce
        if alpha is not None:
            values = (alpha * y + (1 - alpha) * (1 - y)) * values
        return per_sample(values)

    return Loss("focal", fn, "binary")
