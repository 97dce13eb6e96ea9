"""Basin maps: where each start of a grid over the view ends, computed by one vmapped
program (:func:`basin_map`); the stability maps are in :mod:`descend.insight._stability`.

The runs are :func:`descend.minimize` under ``jax.vmap`` with no history
(``record_every=max_steps, record_path=False``): one compiled program per (function, rule,
options), cached, so a second map with other starts or other values does not recompile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine._cores import split_over_cores
from descend.engine._minimize import minimize
from descend.engine._reprs import fields_repr
from descend.engine._stop import StopReason, converged_mask
from descend.optim import registry
from descend.optim._recipe import call_text, numbers_of, rebuild, recipe_of, split

DIVERGED = -1  # the labels of runs that reached no minimum (also BasinMap.DIVERGED, ...)
NOT_CONVERGED = -2
MAX_RESOLUTION = 512
RADIUS_SHARE = 0.02  # a run ends "at" a minimum within this share of the view's larger side


@dataclass(frozen=True)
class BasinMap:
    """Where each start of a grid over the view ends.

    ``labels[i, j]`` is the run from ``(xs[j], ys[i])``: the index of the minimum in
    ``minima`` it reached, ``DIVERGED`` (-1) or ``NOT_CONVERGED`` (-2). ``shares[k]`` is the
    share of starts that reached ``minima[k]``; with ``diverged_share`` and
    ``unconverged_share`` they sum to 1. ``kinds[k]`` says where ``minima[k]`` comes from:
    ``"global"`` or ``"local"`` (the surface's known minima) or ``"found"`` (a cluster of
    converged end points, for a function whose minima are not all known), and
    ``minima_loss[k]`` is ``f`` there. ``steps`` and ``loss`` are each run's steps and
    final loss; ``radius`` is the distance within which an end point is at a minimum.
    ``BasinMap.DIVERGED`` and ``BasinMap.NOT_CONVERGED`` name the two negative labels."""

    DIVERGED: ClassVar[int] = -1
    NOT_CONVERGED: ClassVar[int] = -2
    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    minima: np.ndarray
    shares: np.ndarray
    diverged_share: float
    unconverged_share: float
    steps: np.ndarray
    known_minima: bool
    optimizer: str
    kinds: tuple[str, ...] = ()
    minima_loss: np.ndarray | None = None
    loss: np.ndarray | None = None
    radius: float = 0.0
    max_steps: int = 0
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def __repr__(self) -> str:
        return fields_repr(self)


# -- shared checks ---------------------------------------------------------------------------


def _function(surface: Any) -> tuple[Callable[[jax.Array], jax.Array], Any]:
    """``(f, surface or None)``: a Surface's function, or a plain callable of a 2-vector."""
    if hasattr(surface, "f") and hasattr(surface, "dim") and hasattr(surface, "domain"):
        return surface.f, surface
    if callable(surface):
        return surface, None
    raise TypeError(f"surface must be a Surface or a function of a point; got {surface!r}")


def _bounds(bounds: Any, surface: Any) -> tuple[float, float, float, float]:
    if bounds is None:
        if surface is None:
            raise ValueError(
                "bounds are required for a plain function (it has no domain): pass "
                "bounds=(xmin, xmax, ymin, ymax)"
            )
        (x0, x1), (y0, y1) = surface.domain
        return float(x0), float(x1), float(y0), float(y1)
    try:
        values = np.asarray(bounds, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(
            f"bounds must be four numbers (xmin, xmax, ymin, ymax); got {bounds!r}"
        ) from None
    if values.size != 4:
        raise ValueError(f"bounds must be four numbers (xmin, xmax, ymin, ymax); got {bounds!r}")
    xmin, xmax, ymin, ymax = (float(v) for v in values)
    if not (np.all(np.isfinite(values)) and xmin < xmax and ymin < ymax):
        raise ValueError(
            "bounds must be finite with xmin < xmax and ymin < ymax; got "
            f"({xmin:g}, {xmax:g}, {ymin:g}, {ymax:g})"
        )
    return xmin, xmax, ymin, ymax


def _lean(max_steps: int, tol: float) -> dict[str, Any]:
    """minimize's options for a map: no history."""
    return {"max_steps": max_steps, "tol": tol, "record_every": max_steps, "record_path": False}


# -- basin map -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _basin_program(f: Callable, key: Any, max_steps: int, tol: float) -> Callable:
    """One jitted program: every start of a batch run with the optimizer ``key``."""

    def one(x0: jax.Array, leaves: list[Any]) -> tuple[jax.Array, ...]:
        r = minimize(f, x0, rebuild(key, leaves), **_lean(max_steps, tol))
        return r.x, r.loss, r.steps, r.reason

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def _optimizer(optimizer: Any) -> Any:
    if isinstance(optimizer, str):
        return registry.get(optimizer).build()
    if not (
        hasattr(optimizer, "init") and (hasattr(optimizer, "update") or hasattr(optimizer, "step"))
    ):
        raise TypeError(
            "optimizer must be a Transform (such as descend.gd(0.01)) or a rule's name "
            f"(such as 'adam'); got {type(optimizer).__name__}"
        )
    return optimizer


def _clusters(points: np.ndarray, loss: np.ndarray, radius: float) -> np.ndarray:
    """Centres of the clusters of ``points``, lowest loss first: in order of (loss, x, y)
    each point starts a new cluster unless it lies within ``radius`` of an earlier centre.
    Deterministic; points are first pooled on a grid of cells of ``radius / 2`` (each cell
    represented by its lowest-loss point), so the greedy pass runs over cells, not starts."""
    if not len(points):
        return np.empty((0, 2))
    order = np.lexsort((points[:, 1], points[:, 0], loss))
    points, loss = points[order], loss[order]
    cells = np.floor(points / (radius / 2)).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    reps = points[np.sort(first)]  # sorted index: still in (loss, x, y) order
    centres: list[np.ndarray] = []
    for p in reps:
        if not centres or np.min(np.linalg.norm(np.asarray(centres) - p, axis=1)) > radius:
            centres.append(p)
    return np.asarray(centres)


def _nearest(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest centre of each point (inf where none or where
    the point is not finite). Squared distances, one coordinate at a time: an ``(n, k)``
    array, never ``(n, k, 2)``."""
    if not len(centres):
        return np.zeros(len(points), int), np.full(len(points), np.inf)
    d2 = sum((points[:, c, None] - centres[None, :, c]) ** 2 for c in range(points.shape[1]))
    d2 = np.where(np.isfinite(d2), d2, np.inf)
    index = np.argmin(d2, axis=1)
    return index, np.sqrt(np.take_along_axis(d2, index[:, None], axis=1)[:, 0])


@functools.lru_cache(maxsize=64)
def _hessians(f: Callable) -> Callable:
    return jax.jit(jax.vmap(jax.hessian(f)))


def _is_minimum(f: Callable, points: np.ndarray) -> np.ndarray:
    """Whether the Hessian of ``f`` at each (stationary) point has no negative eigenvalue,
    up to float32 rounding (``>= -1e-4`` times its largest magnitude, at least 1): a
    minimum, possibly a flat one, rather than a saddle or a maximum."""
    hessians = check.cached_call(_hessians, f)
    h = np.asarray(hessians(jnp.asarray(points, jnp.float32)), dtype=np.float64)
    eig = np.linalg.eigvalsh(0.5 * (h + np.swapaxes(h, 1, 2)))
    scale = np.maximum(np.max(np.abs(eig), axis=1), 1.0)
    return ~(eig[:, 0] < -1e-4 * scale)  # NaN (a Hessian that cannot be computed): kept


def _label(
    ends: np.ndarray,
    loss: np.ndarray,
    reason: np.ndarray,
    known: np.ndarray,
    radius: float,
    is_minimum: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, found)``: each run's minimum (known ones first, then the found clusters),
    DIVERGED or NOT_CONVERGED, and the found clusters' centres.

    A run that did not diverge is labelled by the nearest known minimum within ``radius``;
    the converged ones left over are clustered (:func:`_clusters`), and the clusters that
    ``is_minimum`` rejects (saddles, maxima) dropped; a run near none of these is
    NOT_CONVERGED."""
    diverged = (reason == StopReason.DIVERGED) | ~np.all(np.isfinite(ends), axis=1)
    labels = np.full(len(ends), NOT_CONVERGED, dtype=np.int32)
    index, dist = _nearest(ends, known)
    at_known = ~diverged & (dist <= radius)
    labels[at_known] = index[at_known]
    rest = ~diverged & ~at_known
    pool = rest & converged_mask(reason)
    found = _clusters(ends[pool], loss[pool], radius)
    index, dist = _nearest(ends, found)
    at_found = rest & (dist <= radius)
    if len(found) and is_minimum is not None:  # a saddle's runs reached no minimum
        keep = is_minimum(found)
        at_found &= keep[index]
        index, found = (np.cumsum(keep) - 1)[index], found[keep]
    labels[at_found] = len(known) + index[at_found]
    labels[diverged] = DIVERGED
    return labels, found


def basin_map(
    surface: Any,
    optimizer: Any,
    *,
    resolution: int = 128,
    bounds: Any = None,
    max_steps: int = 1000,
    tol: float = 1e-6,
    radius: float | None = None,
) -> BasinMap:
    """Run ``optimizer`` from every start of a ``resolution x resolution`` grid over
    ``bounds`` (``(xmin, xmax, ymin, ymax)``, default the surface's domain) as one vmapped
    program and label each start by the minimum its run reaches.

    Args:
        surface: a 2-D Surface, or a plain function of a 2-vector (then ``bounds`` is
            required, and every minimum is found by clustering).
        optimizer: a Transform (``descend.gd(0.01)``) or a rule's name (its defaults).
        resolution: starts per side, an integer in [2, 512].
        bounds: the view ``(xmin, xmax, ymin, ymax)``.
        max_steps, tol: each run's budget and gradient tolerance (see ``minimize``).
        radius: an end point within this distance of a minimum is at it; default 2% of the
            view's larger side.

    The starts are ``xs = linspace(xmin, xmax, resolution)`` by ``ys`` likewise (float32).
    A run is labelled by the nearest known minimum (global or local) within ``radius`` of
    its end point; converged runs ending elsewhere are clustered into ``"found"`` minima
    (lowest loss first), a cluster whose Hessian has a negative eigenvalue (a saddle or a
    maximum, where a run that starts on a ridge stops) being no minimum; a diverged run is
    DIVERGED and any other NOT_CONVERGED (a run that ends at a saddle among them).
    """
    check.in_order("basin_map", surface=surface, optimizer=optimizer)
    opt = _optimizer(optimizer)
    key, leaves = split(opt)
    check.untraced("basin_map", numbers_of(opt), bounds, tol, radius, anywhere=True)
    resolution = check.integer("resolution", resolution, 2, MAX_RESOLUTION)
    max_steps = check.positive_int("max_steps", max_steps)
    tol = check.real("tol", tol, 0.0)
    f, surf = _function(surface)
    if surf is not None and surf.dim != 2:
        raise ValueError(f"basin_map needs a 2-D surface; {surf.name} has dim {surf.dim}")
    xmin, xmax, ymin, ymax = _bounds(bounds, surf)
    if radius is None:
        radius = RADIUS_SHARE * max(xmax - xmin, ymax - ymin)
    radius = check.real("radius", radius, 0.0, open_low=True)
    xs = np.linspace(xmin, xmax, resolution)
    ys = np.linspace(ymin, ymax, resolution)
    gx, gy = np.meshgrid(xs, ys)  # [i, j] = (xs[j], ys[i])
    starts = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], axis=1), jnp.float32)
    program = check.cached_call(_basin_program, f, key, max_steps, float(tol))
    ends, loss, steps, reason = split_over_cores(lambda part: program(part, leaves), starts)
    ends = np.asarray(ends, dtype=np.float64)
    loss, reason = np.asarray(loss, dtype=np.float64), np.asarray(reason)
    global_ = list(surf.minima) if surf is not None else []
    local = list(surf.local_minima) if surf is not None else []
    known = np.asarray(global_ + local, dtype=np.float64).reshape(-1, 2)
    labels, found = _label(ends, loss, reason, known, radius, functools.partial(_is_minimum, f))
    n = labels.size
    counts = np.bincount(labels[labels >= 0], minlength=len(known) + len(found))
    # the known minima inside the view, and any outside it that a run reached
    inside = (known[:, 0] >= xmin) & (known[:, 0] <= xmax) & (known[:, 1] >= ymin)
    inside &= known[:, 1] <= ymax
    keep = np.concatenate([inside | (counts[: len(known)] > 0), np.ones(len(found), bool)])
    new_index = np.append(np.cumsum(keep) - 1, 0)  # a spare entry: labels < 0 index it
    labels = np.where(labels >= 0, new_index[np.maximum(labels, 0)], labels).astype(np.int32)
    minima = np.concatenate([known, found.reshape(-1, 2)])[keep]
    kinds = tuple(np.asarray(["global"] * len(global_) + ["local"] * len(local)
                             + ["found"] * len(found))[keep])  # fmt: skip
    minima_loss = (
        np.asarray(jax.vmap(f)(jnp.asarray(minima, jnp.float32)), dtype=np.float64)
        if len(minima)
        else np.empty(0)
    )
    recipe = recipe_of(opt)
    return BasinMap(
        xs=xs,
        ys=ys,
        labels=labels.reshape(resolution, resolution),
        minima=minima,
        shares=counts[keep] / n,
        diverged_share=float(np.mean(labels == DIVERGED)),
        unconverged_share=float(np.mean(labels == NOT_CONVERGED)),
        steps=np.asarray(steps).reshape(resolution, resolution),
        known_minima=bool(len(known)),
        optimizer=call_text(recipe) if recipe is not None else type(opt).__name__,
        kinds=tuple(str(k) for k in kinds),
        minima_loss=minima_loss,
        loss=loss.reshape(resolution, resolution),
        radius=float(radius),
        max_steps=max_steps,
        bounds=(xmin, xmax, ymin, ymax),
    )
