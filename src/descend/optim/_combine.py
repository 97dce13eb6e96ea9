"""Composing transforms: :func:`chain` and :func:`identity`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from descend import _validation as check
from descend.optim._base import EmptyState, PyTree, Transform
from descend.optim._recipe import recorded


def _accepts_extra(update: Callable[..., Any]) -> bool:
    """Whether ``update`` takes ``**kwargs`` (descend's transforms and optax's ExtraArgs do)."""
    try:
        parameters = inspect.signature(update).parameters.values()
    except (TypeError, ValueError):  # builtins or C callables: be conservative
        return False
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def update_with_loss(
    transform: Any, grads: PyTree, state: Any, params: PyTree, loss: Any
) -> tuple[PyTree, Any]:
    """``transform.update(grads, state, params)``, also given the loss at ``params`` as the
    extra arguments ``loss=`` (read by :func:`descend.reduce_on_plateau`) and ``value=`` (read
    by Optax's ``contrib.reduce_on_plateau``) when ``update`` takes keyword arguments, as
    descend's transforms and Optax's ``GradientTransformationExtraArgs`` do. The engine's
    loops update through this, so a loss-driven transform works inside them."""
    if _accepts_extra(transform.update):
        return transform.update(grads, state, params, loss=loss, value=loss)
    return transform.update(grads, state, params)


def _check_transform(transform: Any, position: int) -> None:
    if hasattr(transform, "step"):
        check.transform(transform, gradient_steps=False, where=f"chain: argument {position}")
    init = getattr(transform, "init", None)
    update = getattr(transform, "update", None)
    if not (callable(init) and callable(update)):
        raise TypeError(
            f"chain: argument {position} must be a Transform (an object with callable "
            f"init and update, such as descend.adam(...) or an optax transform); "
            f"got {type(transform).__name__}"
        )


@recorded
def chain(*transforms: Any) -> Transform:
    """Compose transforms: the updates of each are the gradients of the next.

    ``chain(clip_by_global_norm(1.0), adam(1e-3))`` clips, then applies Adam. Accepts descend
    and optax transforms alike; the state is the tuple of the parts' states.
    """
    for i, t in enumerate(transforms):
        _check_transform(t, i)
    takes_extra = tuple(_accepts_extra(t.update) for t in transforms)

    def init(params: PyTree) -> tuple[PyTree, ...]:
        return tuple(t.init(params) for t in transforms)

    def update(grads: PyTree, state: tuple, params: PyTree = None, **extra: Any):
        if len(state) != len(transforms):
            raise ValueError(
                f"chain: state has {len(state)} parts but the chain has {len(transforms)} "
                "transforms; was it made by this chain's init?"
            )
        new_state = []
        for t, s, extra_ok in zip(transforms, state, takes_extra, strict=True):
            grads, s = (
                t.update(grads, s, params, **extra) if extra_ok else t.update(grads, s, params)
            )
            new_state.append(s)
        return grads, tuple(new_state)

    return Transform(init, update)


@recorded
def identity() -> Transform:
    """The transform that leaves gradients unchanged."""

    def init(params: PyTree) -> EmptyState:
        del params
        return EmptyState()

    def update(grads: PyTree, state: EmptyState, params: PyTree = None, **extra: Any):
        del params, extra
        return grads, state

    return Transform(init, update)
