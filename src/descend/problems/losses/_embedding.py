"""Embedding (metric-learning) losses: contrastive for pairs, triplet for triplets.

Distances are Euclidean, computed so that the gradient stays finite (the subgradient 0) where
two embeddings coincide, although ``sqrt`` has an infinite slope at 0.
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
    pair,
    per_sample,
    safe_norm,
)


def _tuples(where: str, pred: Any, size: int, names: str) -> jax.Array:
    x = as_float(pred)
    if x.ndim < 2 or x.shape[-2] != size:
        raise ValueError(
            f"{where}: pred must have shape (n, {size}, d) ({names} embeddings per sample); "
            f"got {tuple(np.shape(pred))}"
        )
    return x


@factory
def contrastive(margin: Any = 1.0) -> Loss:
    """Contrastive loss for pairs (Hadsell, Chopra & LeCun 2006)::

        y d^2 + (1 - y) max(0, margin - d)^2

    ``pred`` has shape ``(n, 2, d)`` (the two embeddings of each pair), ``target`` ``y`` is 1
    for a similar pair and 0 for a dissimilar one, ``d`` the Euclidean distance between the
    two. Similar pairs are pulled together; dissimilar ones pushed at least ``margin`` apart.
    (Hadsell et al. write the same loss with ``Y = 0`` for *similar* pairs and a factor 1/2 on
    both terms; here ``y = 1`` means similar and there is no 1/2.) ``y d^2`` uses the squared
    distance directly, and ``d`` has a finite gradient at ``d = 0``.

    ``margin >= 0``; it may be a JAX scalar.
    """
    margin = check.real("contrastive: margin", margin, 0.0)

    def fn(pred: Any, target: Any) -> jax.Array:
        x = _tuples("contrastive", pred, 2, "two")
        diff = x[..., 0, :] - x[..., 1, :]
        _, y = pair("contrastive", diff[..., 0], target)
        check_unit_interval("contrastive", target)
        sq = jnp.sum(jnp.square(diff), axis=-1)
        push = jnp.square(jnp.maximum(0, margin - safe_norm(diff)))
        return per_sample(y * sq + (1 - y) * push)

    return Loss("contrastive", fn, "embedding")


@factory
def triplet(margin: Any = 1.0) -> Loss:
    """Triplet margin loss (Schroff et al. 2015, FaceNet; with plain, not squared, distances)::

        max(0, d(a, p) - d(a, n) + margin)

    ``pred`` has shape ``(n, 3, d)``: anchor ``a``, positive ``p`` (same class) and negative
    ``n``; ``d`` is the Euclidean distance. ``target`` is ignored and may be ``None``. This is
    PyTorch's ``TripletMarginLoss(margin, p=2)`` except that PyTorch adds ``eps = 1e-6`` inside
    the norm (``||a - p + eps||``); here the distance is exact and its gradient is finite
    (the subgradient 0) when ``a == p``.

    ``margin >= 0``; it may be a JAX scalar.
    """
    margin = check.real("triplet: margin", margin, 0.0)

    def fn(pred: Any, target: Any = None) -> jax.Array:
        x = _tuples("triplet", pred, 3, "anchor, positive, negative")
        a, p, n = x[..., 0, :], x[..., 1, :], x[..., 2, :]
        return per_sample(jnp.maximum(0, safe_norm(a - p) - safe_norm(a - n) + margin))

    return Loss("triplet", fn, "embedding")
