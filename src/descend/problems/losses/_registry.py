"""Losses by name: ``names()`` and ``get(name_or_loss, **params)``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from descend import _validation as check
from descend.problems.losses._base import Loss, custom
from descend.problems.losses._classification import (
    binary_cross_entropy,
    focal,
    hinge,
    softmax_cross_entropy,
    squared_hinge,
)
from descend.problems.losses._embedding import contrastive, triplet
from descend.problems.losses._regression import huber, mae, mse

_FACTORIES: dict[str, Callable[..., Loss]] = {
    "mse": mse,
    "mae": mae,
    "huber": huber,
    "binary_cross_entropy": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "focal": focal,
    "contrastive": contrastive,
    "triplet": triplet,
}

_ALIASES: dict[str, str] = {
    "bce": "binary_cross_entropy",
    "log_loss": "binary_cross_entropy",
    "logistic": "binary_cross_entropy",
    "cross_entropy": "softmax_cross_entropy",
    "categorical_cross_entropy": "softmax_cross_entropy",
}


def names(aliases: bool = False) -> list[str]:
    """The loss names ``get`` accepts, sorted; with ``aliases=True`` the aliases too."""
    return sorted([*_FACTORIES, *(_ALIASES if aliases else ())])


def get(name_or_loss: str | Loss | Callable[[Any, Any], Any], **params: Any) -> Loss:
    """A :class:`Loss` from a name, a ``Loss`` or a plain function.

    - a name (case-insensitive; ``-``, ``_`` and spaces are the same): the loss built with
      ``params``, e.g. ``get("huber", delta=0.5)``. Aliases: ``bce``, ``log_loss`` and
      ``logistic`` for ``binary_cross_entropy`` (from logits by default, with labels 0/1);
      ``cross_entropy`` and ``categorical_cross_entropy`` for ``softmax_cross_entropy``.
    - a ``Loss``: returned as it is (no ``params`` allowed).
    - a callable ``(pred, target) -> per-sample values``: wrapped by :func:`custom`, to which
      ``params`` (``name``, ``task``) go.

    Raises ``ValueError`` for an unknown name (listing the valid ones) or a bad parameter
    value, and ``TypeError`` for a parameter the loss does not take or an argument of the
    wrong kind.
    """
    if isinstance(name_or_loss, Loss):
        if params:
            raise TypeError(
                f"get: parameters {sorted(params)} cannot be applied to an existing Loss "
                f"{name_or_loss.name!r}; build it with get(name, **params) instead"
            )
        return name_or_loss
    if isinstance(name_or_loss, str):
        key = check.registry_key("loss", name_or_loss, _FACTORIES, aliases=_ALIASES)
        factory = _FACTORIES[key]
        allowed = list(inspect.signature(factory).parameters)
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise TypeError(
                f"loss {key!r} got unknown parameter(s) {', '.join(map(repr, unknown))}"
                f"{check.did_you_mean(unknown[0], allowed)}; "
                f"allowed: {', '.join(allowed) if allowed else 'none (it takes no parameters)'}"
            )
        return factory(**params)
    if callable(name_or_loss):
        return custom(name_or_loss, **params)
    raise TypeError(
        f"get: expected a loss name, a Loss or a callable (pred, target) -> values; "
        f"got {name_or_loss!r}"
    )
