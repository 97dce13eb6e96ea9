"""Metrics of a model's outputs against targets: accuracy for classification, R^2 for regression.

Model outputs follow :mod:`descend.problems.models`: raw scores (logits) of shape ``(n,)`` for
a binary model or ``(n, k)`` for ``k`` classes, or probabilities of shape ``(n,)`` for the
sigmoid neuron (``output="probability"``). All functions are pure ``jax.numpy`` and take an
optional 0/1 ``mask`` of the samples that count (padding in a batch does not).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend._public import listing

__all__ = ["accuracy", "predicted_labels", "r2"]
__dir__ = listing(__all__)


def predicted_labels(outputs: jax.Array, output: str = "raw") -> jax.Array:
    """Class labels from outputs: ``argmax`` over classes, or for one output per sample
    ``logit > 0`` (``output="raw"``) or ``p > 0.5`` (``output="probability"``)."""
    outputs = _outputs("predicted_labels", outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return jnp.argmax(outputs, axis=1)
    outputs = outputs.reshape(outputs.shape[0])
    threshold = 0.5 if output == "probability" else 0.0
    return (outputs > threshold).astype(jnp.int32)


def _outputs(name: str, outputs: jax.Array) -> jax.Array:
    """``outputs`` as a real array of one value a sample (``(n,)``) or a row a sample
    (``(n, k)``); a ``TypeError`` or ``ValueError`` naming ``name`` otherwise."""
    outputs = check.real_array(f"{name}: outputs", outputs, floating=False)
    if outputs.ndim not in (1, 2):
        raise ValueError(
            f"{name}: outputs must have shape (n,) or (n, k), one value or row a sample; got "
            f"shape {outputs.shape}"
        )
    return outputs


def _same_samples(name: str, n_outputs: int, y: jax.Array) -> None:
    """Refuse (``ValueError``) outputs and targets of different lengths, or none at all:
    broadcasting would fail deep in JAX, and an empty set would score a perfect 1."""
    n_y = int(jnp.size(y))
    if n_outputs != n_y or n_outputs == 0:
        raise ValueError(
            f"{name}: outputs and y must hold the same number of samples, at least one; got "
            f"{n_outputs} and {n_y}"
        )


def _weights(n: int, mask: jax.Array | None, dtype) -> jax.Array:
    return jnp.ones(n, dtype) if mask is None else jnp.asarray(mask, dtype)


def accuracy(outputs: jax.Array, y: jax.Array, output: str = "raw", mask=None) -> jax.Array:
    """The share of samples whose predicted label equals ``y``."""
    labels = predicted_labels(_outputs("accuracy", outputs), output)
    y = check.real_array("accuracy: y", y, floating=False)
    _same_samples("accuracy", labels.shape[0], y)
    w = _weights(labels.shape[0], mask, jnp.result_type(float))
    hits = (labels == jnp.asarray(y).reshape(-1).astype(labels.dtype)).astype(w.dtype)
    return jnp.sum(w * hits) / jnp.maximum(jnp.sum(w), 1)


def r2(outputs: jax.Array, y: jax.Array, mask=None) -> jax.Array:
    """The coefficient of determination ``1 - sum (y - f)^2 / sum (y - mean y)^2``, as
    scikit-learn's ``r2_score`` (1 is a perfect fit; a constant target gives 0 unless fitted
    exactly, which gives 1)."""
    f = check.as_float(_outputs("r2", outputs)).reshape(-1)
    y = check.real_array("r2: y", y).astype(f.dtype).reshape(-1)
    _same_samples("r2", f.shape[0], y)
    w = _weights(f.shape[0], mask, f.dtype)
    mean = jnp.sum(w * y) / jnp.maximum(jnp.sum(w), 1)
    residual = jnp.sum(w * (y - f) ** 2)
    total = jnp.sum(w * (y - mean) ** 2)
    safe = jnp.where(total > 0, total, 1.0)
    return jnp.where(total > 0, 1 - residual / safe, jnp.where(residual == 0, 1.0, 0.0))
