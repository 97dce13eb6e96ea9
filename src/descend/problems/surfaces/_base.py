"""The :class:`Surface` type and the registry behind :func:`names` and :func:`get`.

A surface is a pure JAX function of one point ``x`` of shape ``(dim,)`` together with the facts
a lesson or a benchmark needs about it: its formula, a box to plot and restart in, its known
minima and saddles, a recommended start and learning rates that were measured from that start.

Catalogue modules register a builder per surface with :func:`register`; :func:`get` checks the
parameters, and builds each distinct (name, parameters) once: the same call returns the same
object, so that ``surface.f`` keeps its identity (the engine caches compiled programs by it).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check

Point = tuple[float, ...]


def _points(name: str, points: Iterable[Sequence[float]], dim: int) -> tuple[Point, ...]:
    out = tuple(tuple(float(v) for v in p) for p in points)
    for p in out:
        if len(p) != dim:
            raise ValueError(f"Surface.{name}: every point must have {dim} coordinates; got {p}")
    return out


@dataclass(frozen=True)
class Surface:
    """A test function ``f: R^dim -> R`` and what is known about it.

    ``f`` takes an array of shape ``(dim,)`` and returns a scalar; it is written in ``jax.numpy``
    only, so it works under ``jit``, ``grad`` and ``vmap``, in float32 and float64 (its output
    has the dtype of its input). ``minima`` holds every global minimum, with ``f = min_value``
    there; both are empty (``()`` and ``None``) for a surface unbounded below. ``local_minima``
    and ``saddles`` hold the non-global stationary points that are known (not necessarily all).

    ``lr`` is a good learning rate for plain gradient descent ``x <- x - lr * grad f(x)`` from
    ``start``; ``lr_range`` is the sensible range for it (the low end crawls, the high end is
    near instability); ``adaptive_lr`` is a good step size for Adam or RMSProp, whose steps are
    roughly ``lr`` in parameter units. All three were measured by running the optimizers from
    ``start``; the comment beside each catalogue entry says how.
    """

    name: str
    f: Callable[[jax.Array], jax.Array] = field(repr=False)
    dim: int
    formula: str
    domain: tuple[tuple[float, float], ...]
    minima: tuple[Point, ...]
    min_value: float | None
    start: Point
    lr: float
    lr_range: tuple[float, float]
    adaptive_lr: float
    local_minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    description: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        dim = check.integer("Surface.dim", self.dim, 1)
        object.__setattr__(self, "dim", dim)
        domain = tuple((float(lo), float(hi)) for lo, hi in self.domain)
        if len(domain) != dim or any(not lo < hi for lo, hi in domain):
            raise ValueError(
                f"Surface.domain must be {dim} (low, high) pairs with low < high; got {domain}"
            )
        object.__setattr__(self, "domain", domain)
        for name in ("minima", "local_minima", "saddles"):
            object.__setattr__(self, name, _points(name, getattr(self, name), dim))
        object.__setattr__(self, "start", _points("start", [self.start], dim)[0])
        if (self.min_value is None) != (len(self.minima) == 0):
            raise ValueError(
                "Surface.minima and Surface.min_value must both be empty/None (unbounded "
                f"below) or both be given; got minima={self.minima}, "
                f"min_value={self.min_value!r}"
            )
        if self.min_value is not None:
            object.__setattr__(self, "min_value", float(self.min_value))
        low, high = (float(v) for v in self.lr_range)
        if not 0 < low <= float(self.lr) <= high:
            raise ValueError(
                f"Surface.lr must lie in lr_range with 0 < low; got lr={self.lr!r}, "
                f"lr_range={self.lr_range!r}"
            )
        object.__setattr__(self, "lr_range", (low, high))
        object.__setattr__(self, "lr", float(self.lr))
        if not float(self.adaptive_lr) > 0:
            raise ValueError(f"Surface.adaptive_lr must be > 0; got {self.adaptive_lr!r}")
        object.__setattr__(self, "adaptive_lr", float(self.adaptive_lr))

    def __call__(self, x: Any) -> jax.Array:
        """``f(x)`` for anything array-like of shape ``(dim,)``; for a batch of points, shape
        ``(..., dim)``, the values of shape ``(...)``. Another last axis is refused: ``f``
        itself would read a ``(2, 2)`` array as one point, or a 3-vector as a 2-D point."""
        x = check.real_array(f"surface {self.name!r}: x", x)
        shape = np.shape(x)
        if not shape or shape[-1] != self.dim:
            raise ValueError(
                f"surface {self.name!r} takes points of {self.dim} coordinates: shape "
                f"({self.dim},), or (..., {self.dim}) for a batch; got shape {shape}"
            )
        if len(shape) == 1:
            return self.f(x)
        return jax.vmap(self.f)(x.reshape(-1, self.dim)).reshape(shape[:-1])

    @property
    def bounded_below(self) -> bool:
        """Whether the surface has a global minimum (False for the saddles)."""
        return self.min_value is not None

    def distance_to_minimum(self, x: Any, include_local: bool = True) -> Any:
        """Euclidean distance from ``x`` to the nearest known minimum, ``min_i |x - m_i|``.

        The global minima are always considered; the local ones too when ``include_local``.
        Returns ``nan`` when no minimum is known (a surface unbounded below). A float for a
        concrete ``x`` (computed in float64); a JAX scalar for a traced one, so that it runs
        under ``jax.vmap`` and ``jax.jit``.
        """
        point = check.real_array("distance_to_minimum: x", x).reshape(-1)
        if point.shape != (self.dim,):
            raise ValueError(
                f"distance_to_minimum: x must have {self.dim} coordinates; got shape {np.shape(x)}"
            )
        targets = self.minima + (self.local_minima if include_local else ())
        if not check.is_concrete(point):
            if not targets:
                return jnp.full((), jnp.nan, point.dtype)
            gaps = jnp.asarray(targets, point.dtype) - point
            return jnp.min(jnp.linalg.norm(gaps, axis=1))
        if not targets:
            return math.nan
        point = np.asarray(x, dtype=np.float64).reshape(-1)
        return float(np.min(np.linalg.norm(np.asarray(targets) - point, axis=1)))


# ---------------------------------------------------------------------------------------------
# Parameters and the registry


@dataclass(frozen=True)
class Param:
    """A surface parameter: its default and a check that returns the normalised value.

    ``check(where, value)`` raises ``TypeError`` (a value of the wrong type) or ``ValueError``
    (out of range) naming ``where`` (e.g. ``"rastrigin: dim"``), the value received and what
    is allowed: :func:`integer`, :func:`number` and :func:`boolean` below.
    """

    default: Any
    check: Callable[[str, Any], Any]


def integer(low: int, high: int | None = None) -> Callable[[str, Any], int]:
    """The check of an integer parameter in ``[low, high]`` (see
    :func:`descend._validation.integer`)."""
    return functools.partial(check.integer, low=low, high=high)


def number(low: float) -> Callable[[str, Any], float]:
    """The check of a finite real parameter ``>= low`` (see :func:`descend._validation.real`):
    a Python value, since a surface is built on the host (its minima, ranges and formula
    follow from it), so a value traced by ``jax.vmap`` is refused in one line."""
    return functools.partial(check.real, low=low, traced=False)


#: The check of a ``True``/``False`` parameter (see :func:`descend._validation.boolean`).
boolean = check.boolean

_REGISTRY: dict[str, tuple[Callable[..., Surface], dict[str, Param]]] = {}


def register(name: str, **params: Param) -> Callable[[Callable[..., Surface]], Callable]:
    """Register ``builder(**params) -> Surface`` under ``name`` (a decorator)."""

    def decorate(builder: Callable[..., Surface]) -> Callable[..., Surface]:
        key = check.normalise(name)
        if key in _REGISTRY:
            raise ValueError(f"surface {key!r} is registered twice")
        _REGISTRY[key] = (builder, params)
        return builder

    return decorate


def names() -> list[str]:
    """The registered surface names, sorted."""
    return sorted(_REGISTRY)


def get(name: str, **params: Any) -> Surface:
    """The surface called ``name``, built with ``params`` (see each surface for its own).

    ``name`` is case-insensitive and ``-``, ``_`` and spaces are the same, so
    ``get("Six-Hump-Camel")`` is ``get("six_hump_camel")``. The same name and parameters
    (after defaults are filled in) always return the same object.

    Raises ``ValueError`` for an unknown name (listing the valid ones) or a parameter value
    out of range, and ``TypeError`` for a name that is not a string, a parameter the surface
    does not take or a value of the wrong type.
    """
    key = check.registry_key("surface", name, _REGISTRY)
    _builder, spec = _REGISTRY[key]
    unknown = sorted(set(params) - set(spec))
    if unknown:
        allowed = ", ".join(spec) if spec else "none (it takes no parameters)"
        raise TypeError(
            f"surface {key!r} got unknown parameter(s) {', '.join(map(repr, unknown))}"
            f"{check.did_you_mean(unknown[0], spec)}; "
            f"allowed: {allowed}"
        )
    values = {p: spec[p].check(f"{key}: {p}", params.get(p, spec[p].default)) for p in sorted(spec)}
    return _build(key, tuple(values.items()))


@functools.cache
def _build(key: str, items: tuple[tuple[str, Any], ...]) -> Surface:
    builder, _ = _REGISTRY[key]
    return builder(**dict(items))


# ---------------------------------------------------------------------------------------------
# Helpers for the catalogues


def bisect_root(g: Callable[[float], float], low: float, high: float) -> float:
    """A root of ``g`` in ``[low, high]`` (``g`` changes sign there), to full float64 precision."""
    g_low = g(low)
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        g_mid = g(mid)
        if (g_mid > 0) == (g_low > 0):
            low, g_low = mid, g_mid
        else:
            high = mid
    return 0.5 * (low + high)
