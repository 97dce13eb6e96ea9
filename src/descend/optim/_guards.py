"""One-line messages for a transform's functions called on the wrong values.

The update rules are plain JAX. Called on a string, on gradients shaped unlike the parameters
their state was made for, on another rule's state, or built with an array hyperparameter of a
shape the parameters cannot take (``gd(lr)`` with ``lr`` of shape (2,) on ``x`` of shape (3,)),
they fail deep inside JAX (``add got incompatible shapes for broadcasting``, ``'NoneType'
object has no attribute 'count'``). A guard runs the function unchanged; only when it fails
does the guard look at the arguments (:class:`descend._validation.explained`), and it raises
one line naming the argument that was wrong and what was expected. When the arguments look
right, the original error is raised as it was. A working call costs one Python call (once,
at trace time, inside ``jit``), and for a rule with an array or schedule hyperparameter a
comparison of the updates' shapes with the gradients' (an array that broadcasts to a larger
shape fails nowhere in the rule: the run would fail later, on a carry of the wrong shape).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
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


def _value_shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a hyperparameter's value (a schedule's at step 0, from shapes alone), or
    None when a schedule cannot tell (its own failure is named by ``value_at``)."""
    if not callable(value):
        return np.shape(value)
    try:
        out = jax.eval_shape(value, jax.ShapeDtypeStruct((), jnp.int32))
    except Exception:
        return None
    return getattr(out, "shape", None)


def _hyper_problem(where: str, hyper: dict[str, Any], like: Any, like_name: str) -> Any:
    """A ``ValueError`` naming the first hyperparameter whose value is an array that does not
    broadcast to the shape of every leaf of ``like`` (the rule would fail on it, or grow the
    parameters to a new shape), or None."""
    leaves = jax.tree_util.tree_flatten_with_path(like)[0]
    for name, value in hyper.items():
        shape = _value_shape(value)
        for path, leaf in leaves if shape else ():
            target = np.shape(leaf)
            try:
                fits = np.broadcast_shapes(shape, target) == target
            except ValueError:
                fits = False
            if not fits:
                at = f" at {jax.tree_util.keystr(path)}" if path else ""
                return ValueError(
                    f"{where}: {name} has shape {shape}, which does not broadcast to the "
                    f"shape of {like_name}{at} ({_leaf_text(leaf)}); an array hyperparameter "
                    "must broadcast to the shape of every parameter, as a number does"
                )
    return None


def _update_problem(
    where: str,
    name: str,
    init: Callable[..., Any],
    grads: Any,
    state: Any,
    params: Any,
    hyper: dict,
) -> Exception | None:
    problem = not_numbers(where, "grads", grads)
    if problem is None and params is not None:
        problem = not_numbers(where, "params", params) or unlike(
            where, "params", params, "grads", grads
        )
    return (
        problem
        or _state_problem(where, name, init, grads, "the grads", state)
        or _hyper_problem(where, hyper, grads, "the grads")
    )


def _step_problem(
    where: str,
    name: str,
    init: Callable[..., Any],
    objective: Any,
    x: Any,
    state: Any,
    hyper: dict,
) -> Exception | None:
    if not callable(objective):
        return TypeError(
            f"{where}: objective must be the function of x to minimise; got "
            f"{check.shown(objective)} ({type(objective).__name__})"
        )
    return (
        not_numbers(where, "x", x)
        or _state_problem(where, name, init, x, "x", state)
        or _hyper_problem(where, hyper, x, "x")
    )


def _shaped(hyper: dict[str, Any] | None) -> dict[str, Any]:
    """The hyperparameters whose value may be an array: schedules, and arrays with axes (a
    number always broadcasts; a swept value under ``vmap`` is a number in each run)."""
    return {k: v for k, v in (hyper or {}).items() if callable(v) or np.ndim(v) > 0}


def _checked_init(name: str, init: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(init)
    def checked_init(params: Any) -> Any:
        with check.explained(lambda: not_numbers(f"{name}.init(params)", "params", params), name):
            return init(params)

    return checked_init


def _grown(where: str, hyper: dict[str, Any], out: Any, like: Any, like_name: str) -> None:
    """Raise the problem of an array hyperparameter that made ``out`` (updates, or the next
    ``x``) shaped unlike ``like`` without failing (lr of shape (3, 1) on x of shape (3,))."""
    if (
        hyper
        and not _alike(out, like)
        and (problem := _hyper_problem(where, hyper, like, like_name))
    ):
        raise problem


def guarded(
    name: str, init: Callable[..., Any], update: Callable[..., Any], hyper: dict | None = None
) -> tuple:
    """A transform's ``init`` and ``update`` that name their wrong arguments (see the module
    docstring) as ``name``'s; functions guarded already are guarded again under the new
    name, not twice. ``hyper`` maps the names of the numeric hyperparameters to their values,
    so that an array of a shape the parameters cannot take is named too."""
    init, update = getattr(update, "raw", (init, update))
    hyper = _shaped(hyper)
    where = f"{name}.update(grads, state, params)"

    @functools.wraps(update)
    def checked_update(grads: Any, state: Any, params: Any = None, **extra: Any) -> Any:
        with check.explained(
            lambda: _update_problem(where, name, init, grads, state, params, hyper), name
        ):
            updates, new_state = update(grads, state, params, **extra)
        _grown(where, hyper, updates, grads, "the grads")
        return updates, new_state

    checked_init = _checked_init(name, init)
    checked_init.raw = checked_update.raw = (init, update)  # type: ignore[attr-defined]
    return checked_init, checked_update


def guarded_step(
    name: str, init: Callable[..., Any], step: Callable[..., Any], hyper: dict | None = None
) -> tuple:
    """A gradient step's ``init`` and ``step(objective, x, state)``, guarded as
    :func:`guarded` guards a transform's."""
    init, step = getattr(step, "raw", (init, step))
    hyper = _shaped(hyper)
    where = f"{name}.step(objective, x, state)"

    @functools.wraps(step)
    def checked_step(objective: Any, x: Any, state: Any, *args: Any, **kwargs: Any) -> Any:
        with check.explained(
            lambda: _step_problem(where, name, init, objective, x, state, hyper), name
        ):
            x_next, new_state = step(objective, x, state, *args, **kwargs)
        _grown(where, hyper, x_next, x, "x")
        return x_next, new_state

    checked_init = _checked_init(name, init)
    checked_init.raw = checked_step.raw = (init, step)  # type: ignore[attr-defined]
    return checked_init, checked_step
