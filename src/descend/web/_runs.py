"""Races: each optimizer one ``descend.minimize`` run, and a script that repeats them.

``minimize`` compiles one program per (function, optimizer structure, static options) and
takes the start, ``tol`` and every numeric hyperparameter as data, so a slider that changes a
learning rate reruns the compiled program. The step budget is static in the engine, so the
server buckets it (:func:`bucket`: 1, 2, 3, 4, 6, 8, 12, ... steps) and keeps every step's
record; a run that goes past the requested count is cut there, which is exactly the run the
engine makes with ``max_steps`` set to that count (its steps are the same computations; at the
cut the stop rule would say ``max_steps``, since no other rule fired there).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import descend as ds
from descend.engine import _minimize as engine
from descend.engine._stop import StopReason
from descend.optim._recipe import split
from descend.problems import surfaces
from descend.web import _build
from descend.web._build import Built
from descend.web._errors import ApiError
from descend.web._limits import HISTORY_POINTS, PROGRAMS
from descend.web._probe import curvature, nums
from descend.web._schemas import Problem, RaceRequest


def bucket(steps: int) -> int:
    """The compiled step budget for ``steps``: the least of 1, 2, 3, 4, 6, 8, 12, 16, ...
    (powers of two and 1.5 times them) that is at least ``steps``."""
    power = 1
    while power < steps:
        power *= 2
    three_quarters = 3 * power // 4
    return three_quarters if power >= 4 and three_quarters >= steps else power


def num(value: Any) -> float | None:
    """One number, ``None`` when it is not finite."""
    v = float(value)
    return v if math.isfinite(v) else None


def thin(n: int, most: int = HISTORY_POINTS) -> np.ndarray:
    """At most ``most`` row indices of ``n``, evenly spread, always the first and the last."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(np.int64))


def start_of(body: RaceRequest, surface: surfaces.Surface) -> jax.Array:
    """The start point as a float32 array (the request's, or the surface's own)."""
    return jnp.asarray(surface.start if body.start is None else body.start, dtype=jnp.float32)


class RunnerBudget:
    """A bound on the engine's compiled runs that the server causes.

    ``minimize`` keeps its compiled programs in an LRU of 256 (``engine._minimize._runner``),
    and on the CPU each holds about 4 MiB, so a server that sees many typed functions,
    optimizer structures and step buckets would grow to about 1 GiB. The budget counts the
    distinct (function, optimizer structure, steps bucket, tol > 0) the server has run since
    the last clear; when a new one would pass ``size``, the engine's program cache is
    cleared (a program in use keeps running; later calls compile again)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.seen: set[Any] = set()
        self.lock = threading.Lock()
        self.clears = 0

    def note(self, key: Any) -> None:
        """Count the program ``key`` (hashable) before it is run."""
        with self.lock:
            if key in self.seen:
                return
            if len(self.seen) >= self.size:
                self.clear_programs()
                self.seen.clear()
                self.clears += 1
            self.seen.add(key)

    def clear_programs(self) -> None:
        """Drop the compiled programs this budget bounds: here the engine's runner cache."""
        engine._runner.cache_clear()


RUNNERS = RunnerBudget(PROGRAMS)


def run_one(
    surface: surfaces.Surface, x0: jax.Array, built: Built, steps: int, tol: float, where: str
) -> dict[str, Any]:
    """One optimizer's run, as the race answers it."""
    cap = bucket(steps)
    records = cap + 1 if cap % 2 == 0 else cap + 2  # odd and enough: no thinning in the engine
    try:
        RUNNERS.note((surface.f, split(built.transform)[0], cap, tol > 0))
        result = ds.minimize(
            surface.f,
            x0,
            built.transform,
            max_steps=cap,
            tol=tol,
            record_path=True,
            max_records=records,
        )
    except (TypeError, ValueError) as err:
        raise ApiError(422, where, f"{built.name}: {err}") from None
    r = jax.device_get(result)
    h = r.history
    taken = int(r.steps)
    if taken > steps:  # past the requested budget: cut at it (row i is step i)
        n, reason, diverged_at = steps + 1, StopReason.MAX_STEPS, None
        final_x, final_loss = h.path[steps], h.loss[steps]
    else:
        n, reason = int(h.count), StopReason(int(r.reason))
        diverged_at = int(r.diverged_at) if reason == StopReason.DIVERGED else None
        final_x, final_loss = r.x, r.loss
    keep = thin(n)
    return {
        "name": built.name,
        "label": built.label,
        "steps": min(taken, steps),
        "stop_reason": reason.text,
        "short": reason.short,
        "diverged_at": diverged_at,
        "step": np.asarray(h.step)[keep].tolist(),
        "path": nums(np.asarray(h.path)[keep]),
        "loss": nums(np.asarray(h.loss)[keep]),
        "grad_norm": nums(np.asarray(h.grad_norm)[keep]),
        "lr": nums(np.asarray(h.lr)[keep]),
        "final_loss": num(final_loss),
        "final_x": nums(final_x),
    }


def warnings_for(
    surface: surfaces.Surface, x0: jax.Array, builts: list[Built]
) -> list[tuple[int, str]]:
    """Stability warnings from the Hessian at the start, with the optimizer's index: gradient
    descent diverges on a quadratic when ``lr > 2 / lambda_max``, the heavy ball when
    ``lr > 2 (1 + beta) / lambda_max``. Elsewhere the bound is local: the curvature can fall
    along the path (:func:`race` says what the run then did)."""
    plain = [
        (i, b)
        for i, b in enumerate(builts)
        if b.schedule is None
        and (
            b.name == "gd"
            or (
                b.name == "momentum"
                and b.options.get("form") == "sum"
                and not b.options.get("nesterov")
                and b.hyper.get("dampening") == 0.0
            )
        )
    ]
    if not plain:
        return []
    top = curvature(surface, np.asarray(x0))["eigenvalues"][-1]
    if top is None or top <= 0:
        return []
    out = []
    for i, b in plain:
        lr = b.hyper["lr"]
        if b.name == "gd":
            bound, text = 2.0 / top, "2/lambda_max"
        else:
            bound, text = 2.0 * (1.0 + b.hyper["beta"]) / top, "2(1 + beta)/lambda_max"
        if lr > bound:
            out.append((i, f"{b.name}: lr {lr:g} is above {text} = {bound:.4g} at the start"))
    return out


def _outcome(warning: str, run: dict[str, Any]) -> str:
    """A start-point warning with what the run then did: the divergence it predicted, or a
    run that got through because the curvature is lower along its path."""
    if run["short"] == "diverged":
        return f"{warning}: it diverged at step {run['diverged_at']}, as the bound predicts"
    return (f"{warning}: unstable there, yet this run did not diverge ({run['short']} after "
            f"{run['steps']} steps): the curvature is lower along its path")  # fmt: skip


def race(body: RaceRequest) -> dict[str, Any]:
    """``POST /api/race``: every optimizer's run, the warnings and the time taken."""
    clock = time.perf_counter()
    surface = _build.problem(body)
    builts = _build.optimizers(body.optimizers, surface)
    x0 = start_of(body, surface)
    warned = warnings_for(surface, x0, builts)
    runs = [
        run_one(surface, x0, b, body.steps, body.tol, f"optimizers[{i}]")
        for i, b in enumerate(builts)
    ]
    warnings = [_outcome(text, runs[i]) for i, text in warned]
    return {"runs": runs, "warnings": warnings, "seconds": time.perf_counter() - clock}


# -- the same race as a script -----------------------------------------------------------------


def keywords(values: Mapping[str, Any]) -> str:
    """``{"lr": 0.01, "b1": 0.9}`` -> ``"lr=0.01, b1=0.9"``: keyword arguments as Python
    source (each value's ``repr``), in ``values``' order; ``""`` when empty."""
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _call(built: Built) -> str:
    """``ds.adam(lr=0.01, b1=0.9, ...)``: the optimizer as descend code."""
    args = {k: repr(v) for k, v in built.hyper.items()}
    if built.schedule is not None:
        name, params = built.schedule
        inner = ", ".join(filter(None, [repr(built.hyper["lr"]), keywords(params)]))
        args["lr"] = f"ds.schedules.{name}({inner})"
    args.update({k: repr(v) for k, v in built.options.items()})
    return f"ds.{built.name}({', '.join(f'{k}={v}' for k, v in args.items())})"


def surface_code(body: Problem, surface: surfaces.Surface) -> str:
    """The descend call that makes the request's surface (a catalogue name or an expression)."""
    if body.expression is not None:
        return f"ds.surfaces.from_expression({surface.formula!r})"
    return f"ds.surfaces.get({surface.name!r})"


def python(body: RaceRequest) -> dict[str, str]:
    """``POST /api/python``: a descend script that reproduces the race."""
    surface = _build.problem(body)
    builts = _build.optimizers(body.optimizers, surface)
    x0 = [float(v) for v in np.asarray(start_of(body, surface))]
    lines = [
        "import jax.numpy as jnp",
        "import descend as ds",
        "",
        f"surface = {surface_code(body, surface)}",
        f"x0 = jnp.asarray({x0!r})",
        "optimizers = [",
        *(f"    {_call(b)}," for b in builts),
        "]",
        "results = []",
        "for opt in optimizers:",
        f"    res = ds.minimize(surface, x0, opt, max_steps={body.steps}, tol={body.tol!r},",
        "                      record_path=True)",
        "    results.append(res)",
        "    print(f'{opt!r}: {res.summary()}')",
        "",
    ]
    return {"code": "\n".join(lines)}
