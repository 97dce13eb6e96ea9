"""Random restarts: N start points, all run in one vmapped program, the best kept.

Starts are drawn uniformly in a box: the surface's domain (or ``domain``), or the cube of
half-width ``radius`` around ``around``. The best run is the one with the lowest best loss
(``Result.best_loss``) among the runs that did not diverge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine._cores import split_over_cores, untraced_here
from descend.engine._minimize import _surface_parts, check_runs_fit, minimize, minimize_options
from descend.engine._reprs import read_on_the_host, readable, structure_repr, traced
from descend.engine._result import Result
from descend.engine._stop import StopReason
from descend.optim._recipe import numbers_of


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Restarts:
    """``starts[i]`` and ``results[i]`` (a batched Result) for each restart; ``best_index``
    is the best non-diverged run (-1 when every run diverged). A pytree: under ``jax.vmap``
    (over a learning rate, say) every field gains the batch axis."""

    starts: np.ndarray
    results: Result
    best_index: Any

    def __repr__(self) -> str:
        """How many starts, which run is best, then the results' summary."""
        if not (isinstance(self.best_index, int) or readable(self.best_index)):
            return structure_repr(self)  # no numbers to read (traced, eval_shape, shapes)
        if np.ndim(self.best_index):
            n = np.shape(self.starts)[-2]
            return f"Restarts(batch={np.shape(self.best_index)}, {n} starts each; {self.results!r})"
        if self.best_index < 0:
            best = "every run diverged"
        else:
            loss = float(np.asarray(self.results.best_loss)[self.best_index])
            best = f"best run {self.best_index} (best_loss {loss:.4g})"
        return f"Restarts({len(self.starts)} starts, {best}; results={self.results!r})"

    @property
    def best(self) -> Result:
        """The best run (raises when every run diverged). Inside ``jax.vmap`` or ``jax.jit``,
        where the index is traced and nothing can be raised, it is the run at ``best_index``
        (run 0 when every run diverged: its ``reason`` says so)."""
        if not check.is_concrete(self.best_index):
            return self.results[jnp.maximum(self.best_index, 0)]
        if np.ndim(self.best_index):
            raise ValueError(
                f"these are {np.shape(self.best_index)} sets of restarts (from jax.vmap): "
                "take one first, e.g. jax.tree.map(lambda a: a[0], restarts).best"
            )
        if self.best_index < 0:
            raise ValueError("every restart diverged; lower the learning rate")
        return self.results[self.best_index]

    def found(self, points: Sequence[Sequence[float]], within: float = 1e-2) -> np.ndarray:
        """For each of ``points``, whether some run's best point lies within ``within``
        of it (e.g. which of Himmelblau's four minima were found)."""
        read_on_the_host("Restarts.found()", self.results)
        best = np.asarray(self.results.best_x, float)
        pts = np.asarray(points, float).reshape(len(points), -1)
        dist = np.linalg.norm(best[:, None, :] - pts[None, :, :], axis=-1)
        ok = np.asarray(self.results.reason) != StopReason.DIVERGED
        return np.any((dist <= within) & ok[:, None], axis=0)


def draw_starts(n: int, domain: Sequence[tuple[float, float]], seed: int = 0) -> np.ndarray:
    """``n`` points uniform in the box ``domain`` (a (low, high) pair per coordinate)."""
    n = check.positive_int("n", n)
    box = _box(domain)
    rng = np.random.default_rng(check.seed("seed", seed))
    return rng.uniform(box[:, 0], box[:, 1], size=(n, len(box)))


def _box(domain: Any) -> np.ndarray:
    """``domain`` as an ``(d, 2)`` float array of finite ``(low, high)`` pairs, low < high."""
    try:
        box = np.asarray(domain, float)
    except (TypeError, ValueError):
        raise TypeError(
            f"domain must be (low, high) pairs of numbers; got {check.shown(domain)}"
        ) from None
    if box.ndim != 2 or box.shape[1] != 2 or not np.all(box[:, 0] < box[:, 1]):
        raise ValueError(
            f"domain must be (low, high) pairs with low < high; got {check.shown(domain)}"
        )
    if not np.isfinite(box).all():
        raise ValueError(f"domain must be finite (low, high) pairs; got {check.shown(domain)}")
    return box


def restarts(
    f: Any,
    optimizer: Any,
    n: int = 16,
    *,
    domain: Sequence[tuple[float, float]] | None = None,
    around: Any = None,
    radius: float | None = None,
    seed: int = 0,
    **options: Any,
) -> Restarts:
    """Run ``optimizer`` from ``n`` random starts of ``f`` (a surface or a function of a
    vector) in one vmapped program (one a core, side by side, on a CPU of several cores: see
    :func:`descend.engine._cores.split_over_cores`); options go to :func:`descend.minimize`.

    Under ``jax.vmap`` or ``jax.jit`` over the optimizer's numbers (a learning rate, say) the
    starts run as one program inside the traced one, and every field of the returned
    :class:`Restarts` gains the batch axis. The starts themselves are drawn on the host:
    ``domain``, ``around``, ``radius`` and ``seed`` must be concrete."""
    check.in_order("restarts", f=f, optimizer=optimizer, n=n)
    own = ("domain", "around", "radius", "seed")
    check.options("restarts", options, minimize_options(), "minimize", own)
    check.untraced("restarts", n, around, radius, domain, seed, does="draws its starts on the host")
    n = check.positive_int("n", n)
    seed = check.seed("seed", seed)
    if around is not None:
        if radius is None:
            raise ValueError("around needs radius: the half-width of the box of starts")
        radius = check.real("radius", radius, 0.0, open_low=True)
        center = np.asarray(check.real_array("around", around)).reshape(-1)
        box = _box([(c - radius, c + radius) for c in center])
    elif domain is not None:
        box = _box(domain)
    elif hasattr(f, "domain"):
        box = _box(f.domain)
    else:
        raise ValueError("restarts needs a domain (a surface has one), or around and radius")
    advice = "use fewer restarts, a larger record_every, fewer max_records or record_path=False"
    check_runs_fit(f"{n:,} restarts", n, len(box), options, advice)
    starts = draw_starts(n, box, seed)
    fn, _ = _surface_parts(f, jnp.asarray(starts[0], jnp.result_type(float)))
    batch = jnp.asarray(starts, jnp.result_type(float))
    runs = jax.vmap(lambda s: minimize(fn, s, optimizer, **options))
    if traced((numbers_of(optimizer), options)) or not untraced_here():
        # inside jit or vmap (over a learning rate, say, or a value f closes over): one
        # program, the best found in it
        results = runs(batch)
        return Restarts(starts=starts, results=results, best_index=_best_index(results))
    results = split_over_cores(runs, batch)
    return Restarts(starts=starts, results=results, best_index=int(_best_index(results)))


def _best_index(results: Result) -> jax.Array:
    """The run with the lowest best loss among those that did not diverge; -1 if none."""
    usable = (results.reason != StopReason.DIVERGED) & jnp.isfinite(results.best_loss)
    best = jnp.argmin(jnp.where(usable, results.best_loss, jnp.inf))
    return jnp.where(jnp.any(usable), best, -1).astype(jnp.int32)
