"""Loss functions: ``loss(pred, target) -> per-sample values``, and ``reduce`` to one number.

::

    from descend.problems import losses
    losses.names()                              # every loss get() knows, sorted
    loss = losses.get("huber", delta=0.5)       # or losses.huber(0.5); a Loss or callable too
    values = loss(pred, target)                 # shape (n,): one value per sample
    losses.reduce(values, weights, "mean")      # sum(w v) / sum(w); also "sum" and "none"

Every loss is a :class:`Loss` (``name``, ``fn``, ``task``) whose ``fn`` is pure ``jnp`` code,
safe under ``jit``, ``vmap`` and ``grad``; numeric parameters (``delta``, ``gamma``,
``margin``, ...) may be JAX scalars. The catalogue:

- regression (:mod:`.regression`): :func:`mse`, :func:`mae`, :func:`huber`;
- classification (:mod:`.classification`): :func:`binary_cross_entropy` (from logits or
  probabilities), :func:`softmax_cross_entropy` (integer labels or probabilities),
  :func:`hinge`, :func:`squared_hinge`, :func:`focal`;
- embeddings (:mod:`.embedding`): :func:`contrastive` (pairs), :func:`triplet`;
- your own: :func:`custom` (``get`` wraps a plain callable with it).

Shapes: regression and binary losses take ``pred`` of shape ``(n,)`` or ``(n, 1)`` (a trailing
1 is squeezed) and a ``target`` of the same shape; extra trailing axes (several outputs) are
averaged per sample. Each docstring gives the formula and the library or paper it follows.
"""

from descend.problems.losses._base import TASKS, Loss, custom, reduce
from descend.problems.losses._classification import (
    binary_cross_entropy,
    focal,
    hinge,
    softmax_cross_entropy,
    squared_hinge,
)
from descend.problems.losses._embedding import contrastive, triplet
from descend.problems.losses._registry import get, names
from descend.problems.losses._regression import huber, mae, mse

__all__ = [
    "TASKS",
    "Loss",
    "binary_cross_entropy",
    "contrastive",
    "custom",
    "focal",
    "get",
    "hinge",
    "huber",
    "mae",
    "mse",
    "names",
    "reduce",
    "softmax_cross_entropy",
    "squared_hinge",
    "triplet",
]
