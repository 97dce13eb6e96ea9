"""One-line messages for a transform's functions called on the wrong values.

The update rules are plain JAX. Called on a string, on gradients shaped unlike the parameters
their state was made for, or on another rule's state, they fail deep inside JAX
(``add got incompatible shapes for broadcasting``, ``'NoneType' object has no attribute
'count'``). A guard runs the function unchanged; only when it fails does the guard look at
the arguments (:class:`descend._validation.explained`), and it raises one line naming the
argument that was wrong and what was expected. When the arguments look right, the original
error is raised as it was. A working call costs one Python call (once, at trace time, inside
``jit``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from descend import _validation as check


class _Text(str):
    """A string that prints without quotes, so that a tree of them prints as a layout."""

    def __repr__(self) -> str:
        return str(self)


def _leaf_text(leaf: Any) -> _Text:
    if hasattr(leaf, "dtype") and hasattr(leaf, "shape"):
        return _Text(check.shape_text(leaf))
    if isinstance(leaf, (bool, int, float, complex)):
        return _Text(type(leaf).__name__)
    return _Text(f"{type(leaf).__name__} {check.shown(leaf)}")


def layout(tree: Any) -> str:
    """A tree's structure with each leaf as its dtype and shape, for example
    ``{'b': float32[1], 'w': float32[3,1]}``, cut to :data:`check.SHOWN` characters."""
    text = str(jax.tree.map(_leaf_text, tree))
    return text if len(text) <= check.SHOWN else text[: check.SHOWN - 3] + "..."


def _numeric(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    if dtype is not None:
        return np.dtype(dtype).kind in "biufc" or str(dtype) == "bfloat16"
    return isinstance(leaf, (bool, int, float, complex, np.number))


def not_numbers(where: str, name: str, tree: Any) -> TypeError | None:
    """A ``TypeError`` naming the first leaf of ``tree`` that is not numbers, or None."""
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        if not _numeric(leaf):
            at = f" at {jax.tree_util.keystr(path)}" if path else ""
            return TypeError(
                f"{where}: {name} must be a pytree of arrays of numbers; got "
                f"{check.shown(leaf)} ({type(leaf).__name__}){at}"
            )
    return None


def _alike(a: Any, b: Any) -> bool:
    """Same structure and the same leaf shapes."""
    if jax.tree.structure(a) != jax.tree.structure(b):
        return False
    return [np.shape(x) for x in jax.tree.leaves(a)] == [np.shape(x) for x in jax.tree.leaves(b)]


def unlike(where: str, name: str, tree: Any, like_name: str, like: Any) -> ValueError | None:
    """A ``ValueError`` when ``tree`` has not the structure and leaf shapes of ``like``."""
    if _alike(tree, like):
        return None
    return ValueError(
        f"{where}: {name} must have the structure and shapes of {like_name}: "
        f"{_difference(tree, like)}"
    )


def _difference(got: Any, want: Any) -> str:
    """Where ``got`` first differs from ``want``: a leaf's path and both shapes, or both
    layouts when the structures differ."""
    if jax.tree.structure(got) != jax.tree.structure(want):
        return f"{layout(want)}; got {layout(got)}"
    pairs = zip(jax.tree_util.tree_flatten_with_path(got)[0], jax.tree.leaves(want), strict=True)
    for (path, a), b in pairs:
        if np.shape(a) != np.shape(b):
            at = jax.tree_util.keystr(path)
            return f"{_leaf_text(b)} at {at or 'the root'}, got {_leaf_text(a)}"
    return f"{layout(want)}; got {layout(got)}"  # pragma: no cover - callers check alike


def _state_problem(
    where: str, name: str, init: Callable[..., Any], like: Any, like_name: str, state: Any
) -> ValueError | None:
    """A ``ValueError`` when ``state`` is not what ``init`` gives for parameters shaped like
    ``like`` (None when it is, or when ``init`` cannot tell)."""
    try:
        want = jax.eval_shape(init, like)
    except Exception:  # init cannot tell: the original error stands
        return None
    if _alike(state, want):
        return None
    return ValueError(
        f"{where}: state must be what {name}.init(params) gives for parameters shaped like "
        f"{like_name} ({layout(like)}): {_difference(state, want)}"
    )


def _update_problem(
    name: str, init: Callable[..., Any], grads: Any, state: Any, params: Any
) -> Exception | None:
    where = f"{name}.update(grads, state, params)"
    problem = not_numbers(where, "grads", grads)
    if problem is None and params is not None:
        problem = not_numbers(where, "params", params) or unlike(
            where, "params", params, "grads", grads
        )
    return problem or _state_problem(where, name, init, grads, "the grads", state)


def _step_problem(
    name: str, init: Callable[..., Any], objective: Any, x: Any, state: Any
) -> Exception | None:
    where = f"{name}.step(objective, x, state)"
    if not callable(objective):
        return TypeError(
            f"{where}: objective must be the function of x to minimise; got "
            f"{check.shown(objective)} ({type(objective).__name__})"
        )
    return not_numbers(where, "x", x) or _state_problem(where, name, init, x, "x", state)


def _checked_init(name: str, init: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(init)
    def checked_init(params: Any) -> Any:
        with check.explained(lambda: not_numbers(f"{name}.init(params)", "params", params), name):
            return init(params)

    return checked_init


def guarded(name: str, init: Callable[..., Any], update: Callable[..., Any]) -> tuple:
    """A transform's ``init`` and ``update`` that name their wrong arguments (see the module
    docstring) as ``name``'s; functions guarded already are guarded again under the new
    name, not twice."""
    init, update = getattr(update, "raw", (init, update))

    @functools.wraps(update)
    def checked_update(grads: Any, state: Any, params: Any = None, **extra: Any) -> Any:
        with check.explained(lambda: _update_problem(name, init, grads, state, params), name):
            return update(grads, state, params, **extra)

    checked_init = _checked_init(name, init)
    checked_init.raw = checked_update.raw = (init, update)  # type: ignore[attr-defined]
    return checked_init, checked_update


def guarded_step(name: str, init: Callable[..., Any], step: Callable[..., Any]) -> tuple:
    """A gradient step's ``init`` and ``step(objective, x, state)``, guarded as
    :func:`guarded` guards a transform's."""
    init, step = getattr(step, "raw", (init, step))

    @functools.wraps(step)
    def checked_step(objective: Any, x: Any, state: Any, *args: Any, **kwargs: Any) -> Any:
        with check.explained(lambda: _step_problem(name, init, objective, x, state), name):
            return step(objective, x, state, *args, **kwargs)

    checked_init = _checked_init(name, init)
    checked_init.raw = checked_step.raw = (init, step)  # type: ignore[attr-defined]
    return checked_init, checked_step
