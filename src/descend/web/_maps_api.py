"""The maps view's endpoints: basin and stability maps, the fair race and seed fans.

Each endpoint turns its request into descend's own objects (``_build.problem``,
``_build.optimizer``), calls the library function (``ds.insight.basin_map``,
``stability_map``, ``fair_race``, ``seed_fan``) and writes its numbers compactly: grids as
flat row-major lists, floats to :data:`~descend.web._map_limits.DIGITS` significant digits,
``null`` for non-finite values. Every answer carries ``python``: the ``ds.insight`` call that
reproduces it ("Copy as Python"). Nothing here computes a number of its own beyond
rounding, thinning and the spread of a fan's losses.

Compiled programs are bounded as the race's are (see :class:`~descend.web._runs.
RunnerBudget`: each holds a few MiB, so a server that sees many typed functions would
otherwise grow without end). The maps compile one program per (function, rule, options,
steps, tol) in the library's own LRUs, counted by :data:`PROGRAMS_SEEN`, which clears those
LRUs past the bound; the fair race and the fans run ``minimize`` under ``vmap`` and so live
in the engine's program cache, counted by the race's own budget ``_runs.RUNNERS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi import FastAPI

import descend as ds
from descend.engine._stop import StopReason
from descend.optim import registry
from descend.optim._recipe import split
from descend.problems import surfaces
from descend.web import _build, _runs
from descend.web._errors import ApiError, shown
from descend.web._limits import PROGRAMS
from descend.web._map_limits import COORD, DIGITS, FAN_POINTS, WORK, published
from descend.web._map_schemas import (
    BasinRequest,
    BasinResponse,
    FairRequest,
    FairResponse,
    FanRequest,
    FanResponse,
    MapLimits,
    StabilityRequest,
    StabilityResponse,
)
from descend.web._schemas import ERRORS, OptimizerSpec


class _ProgramBudget(_runs.RunnerBudget):
    """A bound on the maps' compiled programs. The library keeps its jitted programs in LRUs
    keyed by (function, rule, options, steps, tol), each compiled again per grid shape; the
    budget counts the distinct (kind, function, structure, steps, tol, shape) the server has
    run, and past ``size`` clears those LRUs (a program in use keeps running; later calls
    compile again)."""

    def clear_programs(self) -> None:
        """Clear the map modules' LRUs (:func:`_library_caches`)."""
        for program in _library_caches():
            program.cache_clear()


#: The library modules whose LRUs hold the maps' compiled programs.
MAP_MODULES = ("descend.insight._maps", "descend.insight._stability")


def _library_caches() -> list[Any]:
    """The LRUs the map modules define (found by their ``cache_clear``, so a renamed or new
    program cache is found too; an imported one is left alone)."""
    import importlib

    found = []
    for name in MAP_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and (
                getattr(value, "__module__", None) == name
            ):
                found.append(value)
    return found


#: The maps' compiled programs the server has caused since the last clear.
PROGRAMS_SEEN = _ProgramBudget(PROGRAMS)


# -- numbers -----------------------------------------------------------------------------------


def rounded(value: Any) -> float | None:
    """One float to :data:`DIGITS` significant digits, ``None`` when not finite."""
    v = float(value)
    if not math.isfinite(v):
        return None
    return float(f"{v:.{DIGITS}g}")


def floats(values: Any) -> list[Any]:
    """An array as a flat list of rounded floats (``None`` where not finite)."""
    return [rounded(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def nested(values: Any) -> list[Any]:
    """An array as a nested list of rounded floats (``None`` where not finite)."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 0:
        return rounded(a)  # type: ignore[return-value]
    return [nested(row) for row in a]


def ints(values: Any) -> list[int]:
    """An integer array as a flat list."""
    return np.asarray(values).astype(np.int64).ravel().tolist()


# -- requests to descend objects -----------------------------------------------------------------


def _bounds(bounds: list[float] | None, field: str = "bounds") -> tuple[float, ...] | None:
    if bounds is None:
        return None
    xlo, xhi, ylo, yhi = bounds
    if not (xlo < xhi and ylo < yhi):
        raise ApiError(422, field, f"{field} must be [xmin, xmax, ymin, ymax] with xmin < xmax "
                       f"and ymin < ymax; got {bounds}")  # fmt: skip
    if max(abs(v) for v in bounds) > COORD:
        raise ApiError(422, field, f"{field} coordinates must be at most {COORD:g} in size; got "
                       f"{bounds}", COORD)  # fmt: skip
    return (float(xlo), float(xhi), float(ylo), float(yhi))


def _start(start: list[float] | None) -> list[float] | None:
    if start is None:
        return None
    if max(abs(v) for v in start) > COORD:
        raise ApiError(422, "start", f"start coordinates must be at most {COORD:g} in size; got "
                       f"{start}", COORD)  # fmt: skip
    return [float(v) for v in start]


def _hyper_range(
    entry: registry.OptimizerEntry, name: str, span: list[float] | None, field: str
) -> tuple[float, float] | None:
    """Check a stability map's axis: a hyperparameter of the rule and a range inside it."""
    h = _build.hyperparameter(entry, name, field)
    if span is None:
        return None
    lo, hi = span
    where = f"{field}_range"
    if not lo < hi:
        raise ApiError(422, where, f"{where} must be [low, high] with low < high; got {span}")
    for value in (lo, hi):
        _build.check_value(entry, h, value, where)
    if h.scale == "log" and lo <= 0:
        raise ApiError(422, where, f"{name} is on a log scale: its range must be above 0; got "
                       f"{span}", 0.0)  # fmt: skip
    return (float(lo), float(hi))


def _script(body: Any, surface: surfaces.Surface, call: str, report: list[str]) -> str:
    make = _runs.surface_code(body, surface)
    return "\n".join(["import descend as ds", "", f"surface = {make}", call, *report, ""])


def _guard(fn: Callable[[], Any], field: str | None) -> Any:
    """Call the library; its refusal of a value (ValueError, TypeError) is a 422."""
    try:
        return fn()
    except (TypeError, ValueError) as err:
        raise ApiError(422, field, str(err)) from None


# -- the four maps -----------------------------------------------------------------------------


def basins(body: BasinRequest) -> dict[str, Any]:
    """``POST /api/basins``."""
    clock = time.perf_counter()
    surface = _build.problem(body)
    built = _build.optimizer(body.optimizer, "optimizer", surface)
    bounds = _bounds(body.bounds)
    PROGRAMS_SEEN.note(
        ("basins", surface.f, split(built.transform)[0], body.steps, body.resolution)
    )
    m = _guard(
        lambda: ds.insight.basin_map(
            surface, built.transform, resolution=body.resolution, bounds=bounds,
            max_steps=body.steps, tol=body.tol,
        ),
        "optimizer",
    )  # fmt: skip
    minima = np.asarray(m.minima, dtype=np.float64).reshape(-1, 2)
    args = (
        f"resolution={body.resolution}, bounds={bounds!r}, max_steps={body.steps}, tol={body.tol!r}"
    )
    code = _script(
        body,
        surface,
        f"m = ds.insight.basin_map(surface, {_runs._call(built)}, {args})",
        [
            "for k, (point, share) in enumerate(zip(m.minima, m.shares)):",
            "    print(f'minimum {k} at {point}: {share:.1%} of the starts')",
            "print(f'diverged: {m.diverged_share:.1%}, not converged: {m.unconverged_share:.1%}')",
        ],
    )
    return {
        "xs": floats(m.xs),
        "ys": floats(m.ys),
        "labels": ints(m.labels),
        "minima": nested(minima),
        "shares": floats(m.shares),
        "diverged_share": rounded(m.diverged_share),
        "unconverged_share": rounded(m.unconverged_share),
        "known_minima": bool(m.known_minima),
        "kinds": list(m.kinds),
        "minima_loss": floats(m.minima_loss if m.minima_loss is not None else []),
        "global_minima": _global_minima(m.kinds, m.minima_loss),
        "radius": rounded(m.radius),
        "optimizer": m.optimizer,
        "python": code,
        "seconds": time.perf_counter() - clock,
    }


def _global_minima(kinds: tuple[str, ...], minima_loss: Any) -> list[int]:
    """Which minima are global: the surface's known global ones, else (minima found by
    clustering) those of the least value."""
    if "global" in kinds:
        return [k for k, kind in enumerate(kinds) if kind == "global"]
    values = np.asarray(minima_loss if minima_loss is not None else [], dtype=np.float64)
    if not np.isfinite(values).any():
        return []
    best = float(np.nanmin(np.where(np.isfinite(values), values, np.nan)))
    return [
        k for k, v in enumerate(values) if math.isfinite(v) and v <= best + 1e-6 * (1 + abs(best))
    ]


def _fixed(rule: str, fixed: dict[str, Any], axes: tuple[str | None, ...]) -> dict[str, Any]:
    """A stability map's other hyperparameters and options, checked by the registry (errors
    name ``fixed.<key>``); the map's own axes may not be among them."""
    for key in fixed:
        if key in axes:
            raise ApiError(422, f"fixed.{key}", f"fixed must not set the map's axis {key}")
    hyper = {
        k: v for k, v in fixed.items() if isinstance(v, float | int) and not isinstance(v, bool)
    }
    options = {k: v for k, v in fixed.items() if k not in hyper}
    numeric = set(registry.get(rule).hyperparameter_names())
    for key, value in options.items():
        if key in numeric:
            raise ApiError(422, f"fixed.{key}", f"{rule}: {key} must be a number; got "
                           f"{shown(value)}")  # fmt: skip
    try:
        built = _build.optimizer(OptimizerSpec(name=rule, hyper=hyper, options=options), "fixed")
    except ApiError as err:
        if err.field is not None:
            rest = err.field[len("fixed") :].split(".", 2)
            err.field = "fixed" + ("." + rest[-1] if len(rest) == 3 else "")
        raise
    values = {k: built.hyper[k] for k in hyper}
    values.update({k: built.options[k] for k in options})
    return values


def stability(body: StabilityRequest) -> dict[str, Any]:
    """``POST /api/stability``."""
    clock = time.perf_counter()
    surface = _build.problem(body)
    entry = _build.rule(body.rule, "rule")
    x_range = _hyper_range(entry, body.x, body.x_range, "x")
    y_range = _hyper_range(entry, body.y, body.y_range, "y") if body.y is not None else None
    if body.y is None and body.y_range is not None:
        raise ApiError(422, "y_range", "y_range needs y (the hyperparameter it ranges over)")
    if body.y is not None and body.y == body.x:
        raise ApiError(422, "y", f"x and y must be two different hyperparameters; got {body.y!r}")
    names = entry.hyperparameter_names()
    y = body.y
    if y is None and body.x == names[0] and len(names) > 1:
        y = names[1]  # the library's default, named so that fixed may not clash with it
    fixed = _fixed(entry.name, body.fixed, (body.x, y))
    start = _start(body.start)
    key = (entry.name, body.x, y, tuple(sorted(fixed.items())), body.steps, body.tol)
    PROGRAMS_SEEN.note(("stability", surface.f, *key, body.resolution))
    kwargs: dict[str, Any] = {
        "x": body.x,
        "y": body.y,
        "x_range": x_range,
        "y_range": y_range,
        "resolution": body.resolution,
        "max_steps": body.steps,
        "tol": body.tol,
        "start": start,
        "fixed": fixed,
    }
    m = _guard(lambda: ds.insight.stability_map(surface, entry.name, **kwargs), "rule")
    codes = np.asarray(m.reason).ravel().astype(np.int64)
    kinds = sorted({StopReason(int(c)).short for c in np.unique(codes)})
    index = {int(c): kinds.index(StopReason(int(c)).short) for c in np.unique(codes)}
    boundary = None
    if m.boundary is not None:
        by = m.boundary.get("y")
        boundary = {
            "x": floats(m.boundary["x"]),
            "y": None if by is None else floats(by),
            "label": str(m.boundary["label"]),
            "exact": bool(m.boundary.get("exact", False)),
            "L": rounded(m.boundary["L"]) if "L" in m.boundary else None,
        }
    args = _runs.keywords(kwargs)
    code = _script(
        body,
        surface,
        f"m = ds.insight.stability_map(surface, {entry.name!r}, {args})",
        [
            "# m.final_loss[i, j]: f - f* of the run with x = m.x_values[j], y = m.y_values[i]",
            "print(f'converged: {m.converged.mean():.1%}, diverged: {m.diverged.mean():.1%}')",
            "print(m.boundary['label'] if m.boundary else 'no theory boundary for this map')",
        ],
    )
    return {
        "rule": m.rule,
        "x_name": m.x_name,
        "y_name": m.y_name,
        "x_values": floats(m.x_values),
        "y_values": floats(m.y_values),
        "x_scale": m.x_scale,
        "y_scale": m.y_scale,
        "loss_offset": rounded(m.loss_offset),
        "fixed": dict(m.fixed or {}),
        "final_loss": floats(m.final_loss),
        "steps": ints(m.steps),
        "reason": [index[c] for c in codes.tolist()],
        "reason_names": kinds,
        "boundary": boundary,
        "python": code,
        "seconds": time.perf_counter() - clock,
    }


METRIC_TEXT = {
    "steps": "median steps to tolerance (the step at which the gradient norm reaches tol) over "
    "the race starts; a run that does not reach it within the budget counts as budget + 1",
    "loss": "median final loss above the minimum, f(x_end) - f*, at the budget over the race "
    "starts; a diverged run counts as +inf",
}
SECOND_GRID = 6  # fair_race's default: values of the second hyperparameter with tune="all"


def fair(body: FairRequest) -> dict[str, Any]:
    """``POST /api/fair``."""
    clock = time.perf_counter()
    surface = _build.problem(body)
    names = [_build.rule(name, f"rules[{i}]").name for i, name in enumerate(body.rules)]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ApiError(422, f"rules[{i}]", f"rule {name} is listed twice")
    if body.metric == "loss" and surface.min_value is None:
        raise ApiError(422, "metric", "metric 'loss' needs a known minimum value; this function "
                       "has none (use metric 'steps')")  # fmt: skip
    configs = body.grid * (SECOND_GRID if body.tune == "all" else 1)
    work = len(names) * configs * body.starts * body.budget
    if work > WORK:
        raise ApiError(
            422, "budget", f"rules x configurations x starts x budget = {len(names)} x {configs} "
            f"x {body.starts} x {body.budget} = {work} steps, more than {WORK}; use fewer",
            WORK,
        )  # fmt: skip
    shape = (body.budget, body.grid, body.starts, body.tune, body.tol > 0)
    _runs.RUNNERS.note(("fair", surface.f, tuple(names), *shape))
    kwargs: dict[str, Any] = {
        "budget": body.budget,
        "starts": body.starts,
        "grid": body.grid,
        "tune": body.tune,
        "metric": body.metric,
        "tol": body.tol,
        "seed": body.seed,
    }
    race = _guard(lambda: ds.insight.fair_race(surface, tuple(names), **kwargs), "rules")
    entries = [
        {
            "rank": int(e.rank),
            "name": e.name,
            "hyperparameters": {k: rounded(v) for k, v in e.hyperparameters.items()},
            "tuned": list(getattr(e, "tuned", ())),
            "at_edge": list(getattr(e, "at_edge", ())),
            "steps": ints(e.steps),
            "final_loss": floats(e.final_loss),
            "converged": [bool(c) for c in np.asarray(e.converged).ravel()],
            "median_steps": rounded(e.median_steps),
            "median_final_loss": rounded(e.median_final_loss),
            "converged_share": rounded(e.converged_share),
        }
        for e in race.entries
    ]
    args = _runs.keywords(kwargs)
    code = _script(
        body,
        surface,
        f"race = ds.insight.fair_race(surface, {tuple(names)!r}, {args})",
        [
            "for e in race.entries:",
            "    print(e.rank, e.name, e.hyperparameters, e.median_steps, e.median_final_loss,",
            "          e.converged_share)",
        ],
    )
    return {
        "entries": entries,
        "metric": race.metric,
        "metric_text": METRIC_TEXT.get(race.metric, race.metric),
        "budget": int(race.budget),
        "tune": body.tune,
        "grid": body.grid,
        "second_grid": SECOND_GRID,
        "lr_span": floats(getattr(race, "lr_span", ())),
        "tol": body.tol,
        "tuning_starts": nested(race.tuning_starts),
        "race_starts": nested(race.race_starts),
        "python": code,
        "seconds": time.perf_counter() - clock,
    }


def fan(body: FanRequest) -> dict[str, Any]:
    """``POST /api/fan``."""
    clock = time.perf_counter()
    surface = _build.problem(body)
    built = _build.optimizer(body.optimizer, "optimizer", surface)
    start = _start(body.start)
    structure = split(built.transform)[0]
    _runs.RUNNERS.note(("fan", surface.f, structure, body.steps, body.seeds, body.tol > 0))
    kwargs: dict[str, Any] = {
        "seeds": body.seeds,
        "noise": body.noise,
        "start": start,
        "max_steps": body.steps,
        "seed": body.seed,
        "decay": body.decay,
        "tol": body.tol,
    }
    f = _guard(lambda: ds.insight.seed_fan(surface, built.transform, **kwargs), "optimizer")
    paths = np.asarray(f.paths, dtype=np.float64)
    losses = np.asarray(f.losses, dtype=np.float64)
    keep = _runs.thin(losses.shape[1], FAN_POINTS)
    args = _runs.keywords(kwargs)
    report = (
        "print(f'{fan.global_share:.1%} of the seeds reached the global minimum')"
        if surface.minima
        else "print('median final loss:', fan.median[-1])"
    )
    code = _script(
        body, surface, f"fan = ds.insight.seed_fan(surface, {_runs._call(built)}, {args})", [report]
    )
    at_global = None if f.at_global is None else [bool(v) for v in f.at_global]
    return {
        "seeds": int(f.seeds),
        "step": ints(np.asarray(f.steps)[keep]),
        "paths": [nested(p[keep]) for p in paths],
        "losses": [floats(row[keep]) for row in losses],
        "final_loss": floats(f.final_loss),
        "final_x": nested(f.final_x),
        "run_steps": ints(f.run_steps),
        "reason": [StopReason(int(r)).short for r in np.asarray(f.reason).ravel()],
        "spread": {
            "low": floats(np.asarray(f.low)[keep]),
            "median": floats(np.asarray(f.median)[keep]),
            "high": floats(np.asarray(f.high)[keep]),
        },
        "at_global": at_global,
        "global_share": None if f.global_share is None else rounded(f.global_share),
        "start": nested(f.start),
        "python": code,
        "seconds": time.perf_counter() - clock,
    }


def register(app: FastAPI, compute: Callable[..., Any]) -> None:
    """Add the maps endpoints to ``app``; ``compute(fn, *args)`` runs ``fn`` in a worker
    thread under the server's time limit and answers its JSON."""

    @app.get("/api/maps/limits", response_model=MapLimits)
    async def map_limits() -> Any:
        """The bounds of the maps endpoints (grid resolution, steps, seeds, rules...)."""
        return await compute(lambda: {"limits": published()})

    @app.post("/api/basins", response_model=BasinResponse, responses=ERRORS)
    async def basin_endpoint(body: BasinRequest) -> Any:
        """Every start of a resolution x resolution grid over the bounds, run by the optimizer
        as one vmapped program (``ds.insight.basin_map``): each start's minimum (-1 diverged,
        -2 not converged) and each basin's share of the starts."""
        return await compute(basins, body)

    @app.post("/api/stability", response_model=StabilityResponse, responses=ERRORS)
    async def stability_endpoint(body: StabilityRequest) -> Any:
        """A rule over a grid of two hyperparameters (``ds.insight.stability_map``): each
        run's final loss, steps and stop reason, and the theory's boundary where known."""
        return await compute(stability, body)

    @app.post("/api/fair", response_model=FairResponse, responses=ERRORS)
    async def fair_endpoint(body: FairRequest) -> Any:
        """Each rule tuned on the same budget, then raced from the same starts and ranked
        by the stated metric (``ds.insight.fair_race``)."""
        return await compute(fair, body)

    @app.post("/api/fan", response_model=FanResponse, responses=ERRORS)
    async def fan_endpoint(body: FanRequest) -> Any:
        """``seeds`` noisy runs from one start (``ds.insight.seed_fan``): the paths and loss
        curves (thinned), their spread and the share that reached the global minimum."""
        return await compute(fan, body)
