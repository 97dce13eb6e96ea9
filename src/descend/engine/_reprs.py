"""Short reprs for what runs return (`Result`, `FitResult`, `Sweep`, `Restarts`): the stop
reason, the steps, the losses and the shapes of the batched axes, never the history arrays.

A result from ``jax.vmap`` holds an array in every field; its repr counts the reasons
(``reason: converged 12/diverged 4``) and gives each number's range (``steps 31..2000``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from descend.engine._stop import StopReason, tally


def traced(tree: Any) -> bool:
    """Whether any leaf of ``tree`` is a tracer (a repr taken inside ``jit`` or ``vmap``,
    where there are no values to show)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(tree))


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


def shape_of(tree: Any) -> str:
    """``float32[16,2]`` for one array; ``(float32[3,1], float32[1])`` for a few (up to 4)
    arrays; ``12 arrays`` for a larger pytree."""
    leaves = jax.tree.leaves(tree)
    if len(leaves) > 4:
        return f"{len(leaves)} arrays"
    shapes = []
    for leaf in leaves:
        dtype = leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype
        shapes.append(f"{dtype}[{','.join(str(d) for d in np.shape(leaf))}]")
    return shapes[0] if len(shapes) == 1 else f"({', '.join(shapes)})"


def run_repr(name: str, reason: Any, numbers: Mapping[str, Any], arrays: Mapping[str, Any]) -> str:
    """``Name(<reason>, key value, ..., key shape, ...)``: for one run the reason in words,
    for a batch ``batch=(shape)`` and the reasons counted. ``numbers`` are shown with
    :func:`span`, ``arrays`` (pytrees) with :func:`shape_of`."""
    if traced((reason, dict(numbers))):
        return f"{name}(traced, batch={np.shape(reason)})"
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
    if isinstance(value, (np.ndarray, jax.Array, np.generic)):
        return span(value) if np.size(value) == 1 else shape_of(value)
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
