"""Short reprs for what runs return (`Result`, `FitResult`, `Sweep`, `Restarts`): the stop
reason, the steps, the losses and the shapes of the batched axes, never the history arrays.

A result from ``jax.vmap`` holds an array in every field; its repr counts the reasons
(``reason: converged 12/diverged 4``) and gives each number's range (``steps 31..2000``).
A result whose fields hold no numbers to read (tracers inside ``jit`` or ``vmap``,
``jax.ShapeDtypeStruct`` leaves from ``jax.eval_shape``, whatever ``jax.tree.map`` put there,
such as shapes) prints its fields' shapes instead (:func:`structure_repr`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from descend import _validation as check
from descend.engine._stop import StopReason, tally


def traced(tree: Any) -> bool:
    """Whether any leaf of ``tree`` is a tracer (a repr taken inside ``jit`` or ``vmap``,
    where there are no values to show)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(tree))


def read_on_the_host(where: str, *trees: Any) -> None:
    """Refuse, in one line, a method that reads a result's numbers on the host (a summary, the
    trimmed history, the best run by value) called inside ``jit`` or ``vmap``."""
    check.untraced(where, *trees, does="reads the numbers on the host",
                   hint="call it on the result that jax.vmap or jax.jit returns")  # fmt: skip


def _number(value: float, integer: bool) -> str:
    return f"{int(value)}" if integer else f"{value:.4g}"


def span(values: Any) -> str:
    """One number as itself, several as ``low..high`` (over the finite ones, with how many
    are not finite)."""
    a = np.asarray(values)
    integer = np.issubdtype(a.dtype, np.integer)
    a = a.astype(float).reshape(-1)
    if a.size == 1:
        return _number(a[0], integer)
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return f"{a.size} not finite"
    low, high = finite.min(), finite.max()
    text = (
        _number(low, integer)
        if low == high
        else f"{_number(low, integer)}..{_number(high, integer)}"
    )
    missing = a.size - finite.size
    return text + (f" ({missing} not finite)" if missing else "")


def readable(*values: Any) -> bool:
    """Whether every value holds numbers to show: a NumPy or JAX array or scalar, not a
    tracer, a ``jax.ShapeDtypeStruct``, a shape tuple or anything else ``jax.tree.map`` may
    have put in a result's field."""
    return all(
        isinstance(v, (np.ndarray, np.generic, jax.Array)) and not isinstance(v, jax.core.Tracer)
        for v in values
    )


def _has_shape(leaf: Any) -> bool:
    return hasattr(leaf, "shape") and hasattr(leaf, "dtype")


def _leaf_shape(leaf: Any) -> str:
    """``float32[3,2]``: an array's (or a tracer's, or a ``ShapeDtypeStruct``'s) dtype and
    shape; a Python number as NumPy would store it."""
    return check.shape_text(leaf if _has_shape(leaf) else np.asarray(leaf))


def shape_of(tree: Any) -> str:
    """``float32[16,2]`` for one array; ``(float32[3,1], float32[1])`` for a few (up to 4)
    arrays; ``12 arrays`` for a larger pytree."""
    leaves = jax.tree.leaves(tree)
    if len(leaves) > 4:
        return f"{len(leaves)} arrays"
    shapes = [_leaf_shape(leaf) for leaf in leaves]
    return shapes[0] if len(shapes) == 1 else f"({', '.join(shapes)})"


def structure_repr(obj: Any, *, nested: bool = False) -> str:
    """``Name(field=float32[2], ..., history=History(...))``: each field of a dataclass as
    its shape (a pytree of arrays as :func:`shape_of`, anything else as :func:`brief`),
    preceded by ``traced`` inside ``jit`` or ``vmap``. The repr of a result that holds no
    numbers to read; static fields are left out."""
    parts = ["traced"] if not nested and traced(obj) else []
    for f in dataclasses.fields(obj):
        if f.metadata.get("static") or not f.repr:
            continue
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            text = structure_repr(value, nested=True)
        elif (leaves := jax.tree.leaves(value)) and all(map(_has_shape, leaves)):
            text = shape_of(value)
        else:
            text = brief(value)
        parts.append(f"{f.name}={text}")
    return f"{type(obj).__name__}({', '.join(parts)})"


def run_repr(obj: Any, reason: Any, numbers: Mapping[str, Any], arrays: Mapping[str, Any]) -> str:
    """``Name(<reason>, key value, ..., key shape, ...)``: for one run the reason in words,
    for a batch ``batch=(shape)`` and the reasons counted. ``numbers`` are shown with
    :func:`span`, ``arrays`` (pytrees) with :func:`shape_of`; when they hold no numbers to
    read, the fields' shapes (:func:`structure_repr`)."""
    if not readable(reason, *numbers.values()):
        return structure_repr(obj)
    name = type(obj).__name__
    batch = np.shape(reason)
    parts = (
        [StopReason(int(reason)).text]
        if batch == ()
        else [f"batch={batch}", f"reason: {tally(reason)}"]
    )
    parts += [f"{key} {span(value)}" for key, value in numbers.items()]
    parts += [f"{key} {shape_of(value)}" for key, value in arrays.items()]
    return f"{name}({', '.join(parts)})"


#: The longest text a field shows before it is cut.
_TEXT = 60


def brief(value: Any) -> str:
    """One field's value in a few characters: arrays as their dtype and shape (one number as
    itself), numbers to 4 digits, text cut at 60 characters, short dicts and sequences item
    by item (counted when that would be longer), other objects as their own repr."""
    if isinstance(value, str):
        return repr(value if len(value) <= _TEXT else value[: _TEXT - 3] + "...")
    if isinstance(value, (bool, int, type(None))):
        return repr(value)
    if isinstance(value, float):
        return _number(value, False)
    if readable(value):
        return span(value) if np.size(value) == 1 else shape_of(value)
    if _has_shape(value):  # a tracer, a ShapeDtypeStruct
        return _leaf_shape(value)
    if isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k!r}: {brief(v)}" for k, v in value.items()) + "}"
        return text if len(text) <= _TEXT else f"{{{len(value)} items}}"
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        inner = ", ".join(brief(v) for v in value)
        text = f"[{inner}]" if isinstance(value, list) else f"({inner}{',' * (len(value) == 1)})"
        return text if len(text) <= _TEXT else f"[{len(value)} items]"
    return repr(value)


def fields_repr(obj: Any) -> str:
    """``Name(field=value, ...)`` of a dataclass, each value :func:`brief` (a short repr for
    results that hold whole curves, grids or maps)."""
    parts = [f"{f.name}={brief(getattr(obj, f.name))}" for f in dataclasses.fields(obj) if f.repr]
    return f"{type(obj).__name__}({', '.join(parts)})"
