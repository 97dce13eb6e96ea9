"""Stability maps: the outcome of one rule over a grid of two of its hyperparameters, one
vmapped program (:func:`stability_map`), with the theory's stability boundary where it is
known.

The stability boundary of the heavy ball on a quadratic. On an eigendirection with curvature
``h`` the rule ``u <- beta u + g, x <- x - lr u`` (descend's ``form="sum"``, PyTorch) is the
linear recurrence with characteristic polynomial ``z^2 - (1 + beta - lr h) z + beta``; its
roots lie inside the unit circle iff ``0 < lr h < 2 (1 + beta)`` (Jury's test; the root that
leaves first is ``z = -1``). With ``beta = 0`` this is gradient descent's ``lr < 2/L``, and
the largest curvature ``L`` decides. The other forms move the factor: dampening ``d`` scales
the gradient by ``1 - d`` (``lr (1 - d) h < 2 (1 + beta)``), ``form="ema"`` by ``1 - beta``;
``form="velocity"`` gives the same iterates as ``"sum"``. Nesterov's form
(``u <- beta u + g, x <- x - lr (g + beta u)``) has polynomial
``z^2 - (1 + beta)(1 - lr h) z + beta (1 - lr h)``, stable iff
``lr h < 2 (1 + beta) / (1 + 2 beta)``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine._cores import split_over_cores
from descend.engine._minimize import minimize
from descend.engine._reprs import fields_repr
from descend.engine._stop import StopReason, converged_mask
from descend.insight._maps import MAX_RESOLUTION, _function, _lean
from descend.optim import registry


@dataclass(frozen=True)
class StabilityMap:
    """The outcome over a grid of two hyperparameters of one rule: ``final_loss[i, j]``,
    ``steps[i, j]`` and ``reason[i, j]`` of the run with ``x_name = x_values[j]`` and
    ``y_name = y_values[i]``; ``boundary`` is the theory's stability boundary when one is
    known (``{"x": ..., "y": ..., "label": ...}``), else None.

    ``final_loss`` is ``f - f*`` when the minimum value ``f*`` is known (then ``gap`` is
    True and ``loss_offset`` holds ``f*``), else ``f`` (``loss_offset`` 0). With ``y_name``
    None the map has one row (``y_values`` is ``[nan]``). ``x_scale``/``y_scale`` are the
    registry's scales ("log" or "linear"); ``fixed`` the rule's other arguments; ``start``
    the start point of every run.

    ``boundary`` holds ``x`` and ``y`` (the curve in the map's axes; ``y`` None for a
    one-row map, where ``x`` is the single largest stable ``lr``), ``label`` (in words),
    ``exact`` (True on a quadratic, whose Hessian is constant; False for the local boundary
    at a minimum), ``L`` (the largest Hessian eigenvalue) and ``at`` (the minimum)."""

    rule: str
    x_name: str
    y_name: str | None
    x_values: np.ndarray
    y_values: np.ndarray
    final_loss: np.ndarray
    steps: np.ndarray
    reason: np.ndarray
    boundary: dict | None
    x_scale: str = "linear"
    y_scale: str = "linear"
    loss_offset: float = 0.0
    gap: bool = False
    fixed: dict | None = None
    start: tuple[float, ...] = ()
    max_steps: int = 0
    tol: float = 0.0

    def __repr__(self) -> str:
        return fields_repr(self)

    @property
    def converged(self) -> np.ndarray:
        """Whether each run converged (a tolerance stopped it)."""
        return converged_mask(self.reason)

    @property
    def diverged(self) -> np.ndarray:
        """Whether each run diverged."""
        return self.reason == StopReason.DIVERGED

    @property
    def steps_to_tol(self) -> np.ndarray:
        """Steps each run took to converge (float; NaN where it did not)."""
        return np.where(self.converged, self.steps.astype(float), np.nan)


@functools.lru_cache(maxsize=64)
def _stability_program(
    f: Callable, rule: str, names: tuple[str, ...], fixed: tuple, max_steps: int, tol: float
) -> Callable:
    entry = registry.get(rule)

    def one(values: tuple[jax.Array, ...], x0: jax.Array) -> tuple[jax.Array, ...]:
        opt = entry.build(**dict(fixed), **dict(zip(names, values, strict=True)))
        r = minimize(f, x0, opt, **_lean(max_steps, tol))
        return r.loss, r.steps, r.reason

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


@functools.lru_cache(maxsize=64)
def _hessian(f: Callable) -> Callable:
    """The jitted Hessian of ``f``, built once per function (a map per call would recompile)."""
    return jax.jit(jax.hessian(f))


def _curvature(f: Callable, surface: Any, start: np.ndarray) -> tuple[float, tuple, bool] | None:
    """``(L, minimum, exact)``: the largest Hessian eigenvalue at the known minimum nearest to
    ``start``, and whether the Hessian is the same at the start and elsewhere (a quadratic,
    where the boundary is exact). None without a known minimum or with ``L <= 0``."""
    if surface is None or not (surface.minima or surface.local_minima):
        return None
    known = np.asarray(list(surface.minima) + list(surface.local_minima), dtype=np.float64)
    if known.shape[1] != start.size:
        return None
    at = known[np.argmin(np.linalg.norm(known - start, axis=1))]
    hessian = check.cached_call(_hessian, f)
    h_min = np.asarray(hessian(jnp.asarray(at, jnp.float32)), dtype=np.float64)
    eig = np.linalg.eigvalsh(0.5 * (h_min + h_min.T))
    big = float(eig[-1])
    if not (np.isfinite(big) and big > 0):
        return None
    others = [start, 0.5 * (start + at) + 0.37 * (np.abs(start - at).max() + 1.0)]
    exact = all(
        np.allclose(
            np.asarray(hessian(jnp.asarray(p, jnp.float32))), h_min, rtol=1e-4, atol=1e-5 * big
        )
        for p in others
    )
    return big, tuple(float(v) for v in at), exact


def _lr_limit(rule: str, values: dict[str, Any], big: float) -> tuple[Any, str] | None:
    """The largest stable ``lr`` of ``rule`` on a quadratic whose largest curvature is
    ``big``, given its other hyperparameters and options (arrays allowed), and the formula
    in words; None where no theory is written here (see the module docstring)."""
    if rule == "gd":
        return np.asarray(2.0 / big), "lr < 2/L"
    if rule not in ("momentum", "nesterov"):
        return None
    beta = np.asarray(values.get("beta", 0.9), dtype=float)
    form = values.get("form", "sum")
    look_ahead = rule == "nesterov" or bool(values.get("nesterov", False))
    scale = np.asarray(1.0 - np.asarray(values.get("dampening", 0.0), dtype=float))
    if form == "ema":
        scale = 1.0 - beta
    top, text = 2.0 * (1.0 + beta), "2(1 + beta)"
    if look_ahead:
        top, text = top / (1.0 + 2.0 * beta), "2(1 + beta)/(1 + 2 beta)"
    if form == "ema":
        text = f"{text}/(1 - beta)"
    elif "dampening" in values:
        text = f"{text}/(1 - dampening)"
    with np.errstate(divide="ignore"):
        return top / (scale * big), f"lr < {text}/L"


def _axis(entry: Any, name: str, given: Any, what: str) -> tuple[Any, str]:
    """The hyperparameter ``name`` of ``entry`` and its range: ``given`` checked, or the
    registry's typical span."""
    h = entry.hyperparameter(name)
    if given is None:
        return h.typical, h.scale
    try:
        low, high = (float(v) for v in given)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be two numbers (low, high); got {given!r}") from None
    if not (h.contains(low) and h.contains(high) and low < high):
        raise ValueError(
            f"{what} must be two values of {name} in {h.interval} with low < high; got {given!r}"
        )
    if h.scale == "log" and low <= 0:
        raise ValueError(f"{what}: {name} is spread on a log scale, so low must be > 0; got {low}")
    return (low, high), h.scale


def _spread(span: tuple[float, float], scale: str, n: int) -> np.ndarray:
    return np.geomspace(*span, n) if scale == "log" else np.linspace(*span, n)


def stability_map(
    surface: Any,
    rule: str | Callable[..., Any],
    *,
    x: str = "lr",
    y: str | None = None,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    resolution: int = 64,
    max_steps: int = 1000,
    tol: float = 1e-6,
    start: Any = None,
    fixed: dict[str, Any] | None = None,
) -> StabilityMap:
    """Run ``rule`` over a ``resolution x resolution`` grid of hyperparameters ``x`` and
    ``y`` (default: its second hyperparameter) as one vmapped program.

    Args:
        surface: a Surface (any dimension) or a plain function (then ``start`` is required).
        rule: a registry name (``descend.optim.registry.names()``): "gd", "momentum", ...,
            or its constructor (``descend.momentum``).
        x, y: two of its numeric hyperparameters. ``y`` defaults to the second one (beta for
            momentum, b1 for Adam); a rule with one (gd) gives a one-row map over ``x``.
        x_range, y_range: ``(low, high)``; by default the registry's typical span, widened
            for ``lr`` to twice the largest theoretical limit when there is one. Values are
            spaced on the registry's scale (geometric for "log", even for "linear").
        resolution: values per axis, an integer in [2, 512].
        max_steps, tol: each run's budget and gradient tolerance.
        start: the start of every run; default the surface's.
        fixed: the rule's other arguments (``{"form": "ema"}``, ``{"b2": 0.99}``).

    The boundary (see the module docstring) is drawn for gd, momentum and nesterov when an
    axis is ``lr``: exact on a quadratic (constant Hessian), else the local boundary at the
    known minimum nearest the start, ``L`` being the largest eigenvalue of ``jax.hessian``
    there.
    """
    check.in_order("stability_map", surface=surface, rule=rule)
    check.untraced("stability_map", x_range, y_range, tol, start, fixed, anywhere=True)
    entry = registry.get(rule)
    rule = entry.name  # a constructor (descend.momentum) is named as its entry
    names = entry.hyperparameter_names()
    if y is None and x == names[0] and len(names) > 1:
        y = names[1]
    for what, name in (("x", x), ("y", y)):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{what} must be a hyperparameter's name; got {name!r}")
        if name is not None and name not in names:
            hint = check.did_you_mean(name, names)
            raise ValueError(
                f"{rule} has no hyperparameter {name!r} ({what}){hint}; valid: {', '.join(names)}"
            )
    if x == y:
        raise ValueError(f"x and y must be two different hyperparameters; both are {x!r}")
    fixed = check.mapping("fixed", fixed)
    clash = sorted({x, y} & set(fixed))
    if clash:
        raise ValueError(f"fixed must not set the map's axes; got {', '.join(clash)}")
    resolution = check.integer("resolution", resolution, 2, MAX_RESOLUTION)
    max_steps = check.positive_int("max_steps", max_steps)
    tol = check.real("tol", tol, 0.0)
    f, surf = _function(surface)
    if start is None:
        if surf is None:
            raise ValueError("start is required for a plain function (it has no start point)")
        start = surf.start
    start_np = np.asarray(start, dtype=np.float64).reshape(-1)
    if surf is not None and start_np.size != surf.dim:
        raise ValueError(f"start must have {surf.dim} coordinates; got {start_np.size}")
    x_span, x_scale = _axis(entry, x, x_range, "x_range")
    y_span, y_scale = _axis(entry, y, y_range, "y_range") if y else ((math.nan,) * 2, "linear")
    y_values = _spread(y_span, y_scale, resolution) if y else np.asarray([math.nan])
    # the theory, on a map over lr: the largest curvature at the minimum, and the limit on lr
    curvature = _curvature(f, surf, start_np) if "lr" in (x, y) else None
    limit = None
    if curvature is not None:
        other = y if x == "lr" else x
        sample = np.linspace(*(y_span if other == y else x_span), 201) if other else None
        values = {**fixed, **({other: sample} if other else {})}
        limit = _lr_limit(rule, values, curvature[0])
    if limit is not None and x == "lr" and x_range is None:
        x_span = (x_span[0], max(x_span[1], 2.0 * float(np.max(limit[0]))))
    if limit is not None and y == "lr" and y_range is None:
        y_span = (y_span[0], max(y_span[1], 2.0 * float(np.max(limit[0]))))
        y_values = _spread(y_span, y_scale, resolution)
    x_values = _spread(x_span, x_scale, resolution)
    gx, gy = np.meshgrid(x_values, y_values)  # [i, j] = (x_values[j], y_values[i])
    grid = {x: gx.ravel(), **({y: gy.ravel()} if y else {})}
    try:
        check.validate(lambda **kw: entry.build(**fixed, **kw), **grid)
    except TypeError as err:
        raise TypeError(f"fixed: {err}") from None
    axes = tuple(grid)
    program = check.cached_call(_stability_program, f, rule, axes, tuple(sorted(fixed.items())),
                                max_steps, float(tol))  # fmt: skip
    values = tuple(jnp.asarray(grid[a], jnp.float32) for a in axes)
    x0 = jnp.asarray(start_np, jnp.float32)
    loss, steps, reason = split_over_cores(lambda part: program(part, x0), values)
    offset = float(surf.min_value) if surf is not None and surf.min_value is not None else 0.0
    shape = (len(y_values), resolution)
    boundary = None
    if limit is not None:
        lr_max, formula = limit
        big, at, exact = curvature
        where = "quadratic, exact" if exact else "local, at the minimum " + _point(at)
        other = y if x == "lr" else x
        curve = np.broadcast_to(lr_max, sample.shape) if other else np.atleast_1d(lr_max)
        boundary = {
            "x": np.asarray(curve if x == "lr" else sample, dtype=float),
            "y": None if not other else np.asarray(sample if x == "lr" else curve, dtype=float),
            "label": f"theory ({where}): {formula}, L = {big:.4g}",
            "exact": exact,
            "L": big,
            "at": at,
        }
    return StabilityMap(
        rule=rule,
        x_name=x,
        y_name=y,
        x_values=x_values,
        y_values=y_values,
        final_loss=np.asarray(loss, dtype=np.float64).reshape(shape) - offset,
        steps=np.asarray(steps).reshape(shape),
        reason=np.asarray(reason).reshape(shape),
        boundary=boundary,
        x_scale=x_scale,
        y_scale=y_scale,
        loss_offset=offset,
        gap=surf is not None and surf.min_value is not None,
        fixed=fixed,
        start=tuple(float(v) for v in start_np),
        max_steps=max_steps,
        tol=float(tol),
    )


def _point(p: tuple) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in p) + ")"
