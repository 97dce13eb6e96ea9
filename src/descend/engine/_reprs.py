"""Short reprs for what runs return (`Result`, `FitResult`, `Sweep`, `Restarts`): the stop
reason, the steps, the losses and the shapes of the batched axes, never the history arrays.

A result from ``jax.vmap`` holds an array in every field; its repr counts the reasons
(``reason: converged 12/diverged 4``) and gives each number's range (``steps 31..2000``).
"""

from __future__ import annotations

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
