"""What a run returns: `Result` and its `History`, both pytrees of arrays (so they vmap).

The stop reason is an integer code inside the compiled run (a
:class:`~descend.engine._stop.StopReason`); :attr:`Result.stop_reason` names it. A run never
reports success after a divergence: ``diverged`` is its own reason, with the step where it
happened, and the history up to that point is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from descend.engine._reprs import (
    read_on_the_host,
    readable,
    run_repr,
    shape_of,
    span,
    structure_repr,
)
from descend.engine._stop import Stopped, tally


class PathLayout(NamedTuple):
    """Where a point sits in a history row: the pytree structure of the start and the shape
    of each of its leaves, raveled one after the other from column ``FIRST_COORDINATE``."""

    treedef: Any
    shapes: tuple[tuple[int, ...], ...]


#: The columns of :attr:`History.rows` before the point's coordinates.
LOSS, GRAD_NORM, LR, FIRST_COORDINATE = 0, 1, 2, 3


def _namespace(a: Any) -> Any:
    """NumPy for host arrays (a history after ``jax.device_get``), else ``jax.numpy``."""
    return np if isinstance(a, np.ndarray) else jnp


@jax.tree_util.register_dataclass
@dataclass(frozen=True, repr=False)
class History:
    """Records taken every ``record_every`` steps (and at step 0); a run longer than
    ``max_records`` records is thinned (every other record dropped, the interval doubled).

    ``step[i]`` is the step of record ``i``; ``loss``, ``grad_norm`` and ``lr`` are the loss
    and gradient norm at that step's point and the learning rate of the update taken from it;
    ``path`` holds the points (``None`` when not recorded). Only the first ``count`` records
    are filled (the others hold NaN, and step -1); :meth:`trimmed` returns just those.

    The records are stored as the run wrote them, one block ``rows`` of shape
    ``(..., records, 3 + n)`` (columns: loss, gradient norm, learning rate, then the point's
    ``n`` coordinates), and the attributes above read its columns. The steps follow from
    ``count``, the final record interval ``every`` and the last step ``last``:

        step[i] = i * every   for i < count - 1;   step[count - 1] = last;   -1 after.

    So the compiled run does no work per record after its loop (see
    :func:`descend.engine._minimize.minimize` on why that matters for small runs).
    """

    rows: jax.Array
    count: jax.Array
    every: jax.Array
    last: jax.Array
    layout: PathLayout | None = field(default=None, metadata={"static": True})

    @property
    def step(self) -> jax.Array:
        xp = _namespace(self.rows)
        i = xp.arange(self.rows.shape[-2], dtype=np.int32)
        count = xp.asarray(self.count)[..., None]
        every = xp.asarray(self.every, np.int32)[..., None]
        last = xp.asarray(self.last, np.int32)[..., None]
        step = xp.where(i == count - 1, last, i * every)
        return xp.where(i < count, step, -1).astype(np.int32)

    @property
    def loss(self) -> jax.Array:
        return self.rows[..., LOSS]

    @property
    def grad_norm(self) -> jax.Array:
        return self.rows[..., GRAD_NORM]

    @property
    def lr(self) -> jax.Array:
        return self.rows[..., LR]

    @property
    def path(self) -> Any:
        if self.layout is None:
            return None
        lead = self.rows.shape[:-1]  # (..., records)
        leaves, start = [], FIRST_COORDINATE
        for shape in self.layout.shapes:
            size = math.prod(shape)
            leaves.append(self.rows[..., start : start + size].reshape(*lead, *shape))
            start += size
        return jax.tree.unflatten(self.layout.treedef, leaves)

    def trimmed(self) -> dict[str, Any]:
        """The filled records as NumPy arrays (``path`` as a pytree of arrays, or None)."""
        read_on_the_host("History.trimmed()", self)
        if np.ndim(self.count) != 0:
            raise ValueError("trimmed() works on one run; index a batched history first")
        host = jax.device_get(self)
        n = int(host.count)
        cut = lambda a: np.asarray(a)[:n]  # noqa: E731
        return {
            "step": cut(host.step),
            "loss": cut(host.loss),
            "grad_norm": cut(host.grad_norm),
            "lr": cut(host.lr),
            "path": None if host.layout is None else jax.tree.map(cut, host.path),
        }

    def __repr__(self) -> str:
        if not readable(self.count, self.rows):
            return structure_repr(self)
        batch = np.shape(self.count)
        head = f"batch={batch}, " if batch else ""
        path = "None" if self.layout is None else shape_of(self.path)
        return f"History({head}records {span(self.count)}, path {path})"


SUMMARY_RUNS = 10  # runs of a batch that Result.summary() gives a line each


@jax.tree_util.register_dataclass
@dataclass(frozen=True, repr=False)
class Result(Stopped):
    """The outcome of :func:`descend.minimize`.

    ``x``/``loss``: the final point and its objective value; ``best_x``/``best_loss``: the
    best finite point seen (the highest objective when maximizing); ``steps``: updates
    applied; ``reason``: the stop code, a :class:`~descend.engine._stop.StopReason` (in words:
    :attr:`stop_reason`); ``diverged_at``: the step where divergence was detected (-1 if it
    was not); ``grad_norm``: at the final point. Its repr is a summary (reason, steps,
    losses, shapes), also of a batch of runs from ``jax.vmap``.
    """

    x: Any
    loss: jax.Array
    best_x: Any
    best_loss: jax.Array
    grad_norm: jax.Array
    steps: jax.Array
    reason: jax.Array
    diverged_at: jax.Array
    history: History

    def __getitem__(self, index: Any) -> Result:
        """One run (or a slice) of a batched result: ``results[3]``."""
        return jax.tree.map(lambda a: a[index], self)

    def summary(self) -> str:
        """A one-line account of the run; for a batch of runs (from ``jax.vmap``) a line
        that tallies the stop reasons, then one line a run for the first ten."""
        read_on_the_host("Result.summary()", self)
        shape = np.shape(self.steps)
        if shape:
            runs = list(np.ndindex(shape))
            lines = [f"{len(runs)} runs (batch {shape}): {tally(self.reason)}"]
            for index in runs[:SUMMARY_RUNS]:
                at = ",".join(str(i) for i in index)
                lines.append(f"  [{at}] {self[index].summary()}")
            if len(runs) > SUMMARY_RUNS:
                lines.append(f"  ... and {len(runs) - SUMMARY_RUNS} more")
            return "\n".join(lines)
        where = f" at step {int(self.diverged_at)}" if self.diverged else ""
        return (
            f"{self.stop_reason}{where} after {int(self.steps)} steps: loss "
            f"{float(self.loss):.6g} (best {float(self.best_loss):.6g}), gradient norm "
            f"{float(self.grad_norm):.3g}"
        )

    def __repr__(self) -> str:
        numbers = {
            "steps": self.steps,
            "loss": self.loss,
            "best_loss": self.best_loss,
            "grad_norm": self.grad_norm,
            "records": self.history.count,
        }
        return run_repr(self, self.reason, numbers, {"x": self.x})
