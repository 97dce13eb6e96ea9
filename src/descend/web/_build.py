"""From a request to descend's own objects: the problem (a catalogue surface or a parsed
expression), each optimizer (built by its registry entry, hyperparameters checked against the
registry's ranges) and its schedule; and the catalogue that lists what is allowed.

Every name is checked against a registry; a wrong one is an :class:`ApiError` naming the
field and listing the valid names. Nothing here computes a number of its own.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from descend._validation import finite_or_none
from descend.insight._race_defaults import race_defaults
from descend.optim import registry, schedules
from descend.problems import surfaces
from descend.problems.surfaces._expression_parser import FUNCTIONS
from descend.web._errors import ApiError, not_found, shown
from descend.web._limits import EXPRESSIONS, MAX_STEPS, PROGRAMS, published
from descend.web._schemas import OptimizerSpec, Problem

# -- the update rules as text ------------------------------------------------------------------

FORMULAS = {
    "gd": "theta <- theta - lr * g",
    "momentum": "u <- beta * u + (1 - dampening) * g;  theta <- theta - lr * u",
    "nesterov": "u <- beta * u + g;  theta <- theta - lr * (g + beta * u)",
    "adagrad": "s <- s + g^2;  theta <- theta - lr * g / (sqrt(s) + eps)",
    "rmsprop": "v <- decay * v + (1 - decay) * g^2;  theta <- theta - lr * g / (sqrt(v) + eps)",
    "adam": "m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  "
    "theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)",
    "adamw": "Adam's step, then theta <- theta - lr * weight_decay * theta",
    "amsgrad": "Adam with v_max <- max(v_max, v);  theta <- theta - lr * m_hat / "
    "(sqrt(v_max) + eps)",
    "nadam": "m, v as Adam;  theta <- theta - lr * (mu_{t+1} m_hat' + (1 - mu_t) g_hat) / "
    "(sqrt(v_hat) + eps)",
}

#: The learning-rate schedules offered: name -> (constructor, parameters after the initial
#: value, with defaults; integer parameters are marked).
SCHEDULES: dict[str, tuple[Callable[..., Any], dict[str, float], frozenset[str]]] = {
    "cosine": (schedules.cosine, {"steps": 1000, "final": 0.0}, frozenset({"steps"})),
    "exponential": (schedules.exponential, {"gamma": 0.999, "every": 1}, frozenset({"every"})),
    "step": (schedules.step, {"step_size": 500, "gamma": 0.1}, frozenset({"step_size"})),
    "inverse_time": (
        schedules.inverse_time,
        {"decay_rate": 0.01, "decay_steps": 1},
        frozenset({"decay_steps"}),
    ),
    "linear": (schedules.linear, {"end": 0.0, "steps": 1000}, frozenset({"steps"})),
    "polynomial": (
        schedules.polynomial,
        {"end": 0.0, "power": 1.0, "steps": 1000},
        frozenset({"steps"}),
    ),
    "power": (schedules.power, {"power": 0.25, "offset": 1.0}, frozenset()),
}


@functools.cache
def two_d_surfaces() -> tuple[str, ...]:
    """The catalogue's surfaces that are 2-D with their default parameters."""
    return tuple(n for n in surfaces.names() if surfaces.get(n).dim == 2)


@functools.cache
def catalog() -> dict[str, Any]:
    """The catalogue: surfaces, optimizers, schedules, functions and limits."""
    listed = []
    for name in two_d_surfaces():
        s = surfaces.get(name)
        pairs = lambda points: [list(p) for p in points]  # noqa: E731
        listed.append(
            {
                "name": name,
                "formula": s.formula,
                "description": s.description,
                "domain": pairs(s.domain),
                "start": list(s.start),
                "minima": pairs(s.minima + s.local_minima),
                "global_minima": pairs(s.minima),
                "saddles": pairs(s.saddles),
                "min_value": s.min_value,
                "lr": s.lr,
                "defaults": {n: race_defaults(n, s) for n in registry.names()},
            }
        )
    optimizers = []
    for name in registry.names():
        entry = registry.get(name)
        optimizers.append(
            {
                "name": name,
                "description": entry.description,
                "formula": FORMULAS.get(name, entry.description),
                "hyperparameters": [
                    {
                        "name": h.name,
                        "default": h.default,
                        "low": finite_or_none(h.low),
                        "high": finite_or_none(h.high),
                        "low_closed": h.low_closed,
                        "high_closed": h.high_closed,
                        "scale": h.scale,
                        "typical": list(h.typical),
                        "help": h.help,
                    }
                    for h in entry.hyperparameters
                ],
                "options": [
                    {
                        "name": o.name,
                        "default": o.default,
                        "choices": list(o.choices),
                        "help": o.help,
                    }
                    for o in entry.options
                ],
            }
        )
    # a typed function's rates are from_expression's defaults, the same for every formula
    typed = surfaces.from_expression("x^2 + y^2")
    return {
        "surfaces": listed,
        "function_defaults": {n: race_defaults(n, typed) for n in registry.names()},
        "optimizers": optimizers,
        "schedules": [
            {"name": n, "parameters": [{"name": k, "default": v} for k, v in params.items()]}
            for n, (_, params, _) in SCHEDULES.items()
        ],
        "functions": sorted(FUNCTIONS),
        "limits": published(),
    }


# -- problems ----------------------------------------------------------------------------------


class _Lru:
    """A small thread-safe LRU map: at most ``size`` entries, built on demand."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()
        self.builds = 0

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = build()
        with self.lock:
            self.builds += 1
            value = self.items.setdefault(key, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self.items)


EXPRESSION_CACHE = _Lru(EXPRESSIONS)
SCHEDULE_CACHE = _Lru(PROGRAMS)


def parse_expression(text: str, field: str = "expression") -> surfaces.Surface:
    """The surface of a typed expression (parsed once per text); 422 naming ``field``, with
    the parser's message and column, for text outside the grammar."""
    try:
        return EXPRESSION_CACHE.get(text, lambda: surfaces.from_expression(text))
    except surfaces.ExpressionError as err:
        raise ApiError(422, field, str(err), column=err.column) from None
    except (TypeError, ValueError) as err:
        raise ApiError(422, field, str(err)) from None


def problem(body: Problem) -> surfaces.Surface:
    """The surface a request names: exactly one of ``surface`` and ``expression``."""
    if (body.surface is None) == (body.expression is None):
        which = "both" if body.surface is not None else "neither"
        raise ApiError(422, "surface", f"give exactly one of surface and expression; got {which}")
    if body.expression is not None:
        return parse_expression(body.expression)
    allowed = two_d_surfaces()
    key = body.surface.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in allowed:
        raise not_found("surface", "unknown surface", body.surface, allowed)
    return surfaces.get(key)


# -- optimizers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """One optimizer of a race, built: its registry name, the transform, a label, the
    hyperparameters and options it was given (defaults filled in) and its schedule."""

    name: str
    transform: Any
    label: str
    hyper: dict[str, float]
    options: dict[str, Any]
    schedule: tuple[str, dict[str, float]] | None


def rule(name: str, field: str) -> registry.OptimizerEntry:
    """The registry entry of the optimizer ``name``; a 404 naming ``field`` and listing the
    registry's names when there is none."""
    try:
        return registry.get(name)
    except (TypeError, ValueError):
        raise not_found(field, "unknown optimizer", name, registry.names()) from None


def _schedule(spec: OptimizerSpec, where: str, lr: float) -> tuple[Any, dict[str, float]]:
    assert spec.schedule is not None
    name = spec.schedule.name
    if name not in SCHEDULES:
        raise not_found(f"{where}.schedule.name", "unknown schedule", name, SCHEDULES)
    build, defaults, integers = SCHEDULES[name]
    values = dict(defaults)
    for key, value in spec.schedule.params.items():
        field = f"{where}.schedule.params.{key}"
        if key not in defaults:
            raise not_found(field, f"schedule {name} has no parameter", key, defaults)
        if key in integers and not (value == int(value) and 1 <= value <= MAX_STEPS):
            raise ApiError(
                422, field, f"{key} must be an integer in [1, {MAX_STEPS}]; got {value!r}",
                MAX_STEPS,
            )  # fmt: skip
        values[key] = int(value) if key in integers else float(value)
    cache_key = (name, lr, tuple(sorted(values.items())))
    try:
        made = SCHEDULE_CACHE.get(cache_key, lambda: build(lr, **values))
    except (TypeError, ValueError) as err:
        raise ApiError(422, f"{where}.schedule.params", f"schedule {name}: {err}") from None
    return made, values


def hyperparameter(
    entry: registry.OptimizerEntry, name: str, field: str
) -> registry.Hyperparameter:
    """The rule's hyperparameter ``name``; a 404 naming ``field`` and listing the rule's
    hyperparameters when it has none of that name."""
    names = [h.name for h in entry.hyperparameters]
    if name not in names:
        raise not_found(field, f"optimizer {entry.name} has no hyperparameter", name, names)
    return entry.hyperparameter(name)


def check_value(
    entry: registry.OptimizerEntry, h: registry.Hyperparameter, value: float, field: str
) -> None:
    """A 422 naming ``field`` unless ``value`` lies in the hyperparameter ``h``'s interval;
    its limit is the bound passed (``None`` when that bound is infinite)."""
    if not h.contains(value):
        limit = h.high if value > h.high or (value == h.high and not h.high_closed) else h.low
        raise ApiError(
            422, field, f"{entry.name}: {h.name} must be in {h.interval}; got {value!r}",
            limit if math.isfinite(limit) else None,
        )  # fmt: skip


def optimizer(spec: OptimizerSpec, where: str, surface: surfaces.Surface | None = None) -> Built:
    """Build the optimizer at the request's field ``where`` (``optimizers[0]``,
    ``optimizer``...) with its registry entry; every name and value checked, errors naming
    fields under ``where``. A hyperparameter the request omits takes the registry's default,
    or on a ``surface`` the race's default there (:mod:`descend.insight._race_defaults`,
    the command line's and the page's too)."""
    entry = rule(spec.name, f"{where}.name")
    hyper = entry.defaults()
    if surface is not None:
        hyper.update(race_defaults(entry.name, surface))
    for key, value in spec.hyper.items():
        field = f"{where}.hyper.{key}"
        check_value(entry, hyperparameter(entry, key, field), value, field)
        hyper[key] = float(value)
    options = {o.name: o.default for o in entry.options}
    known = {o.name: o for o in entry.options}
    for key, value in spec.options.items():
        field = f"{where}.options.{key}"
        if key not in known:
            raise not_found(field, f"optimizer {entry.name} has no option", key, known)
        choices = known[key].choices
        if not any(value == c and type(value) is type(c) for c in choices):
            raise ApiError(
                422,
                field,
                f"{entry.name}: {key} must be one of {list(choices)}; got {shown(value)}",
            )
        options[key] = value
    values: dict[str, Any] = {**hyper, **options}
    schedule = None
    if spec.schedule is not None:
        values["lr"], params = _schedule(spec, where, hyper["lr"])
        schedule = (spec.schedule.name, params)
    try:
        transform = entry.build(**values)
    except (TypeError, ValueError) as err:
        raise ApiError(422, where, f"{entry.name}: {err}") from None
    return Built(entry.name, transform, repr(transform), hyper, options, schedule)


def optimizers(specs: list[OptimizerSpec], surface: surfaces.Surface) -> list[Built]:
    """A race's optimizers on ``surface``, each built by :func:`optimizer` at
    ``optimizers[i]``."""
    return [optimizer(spec, f"optimizers[{i}]", surface) for i, spec in enumerate(specs)]
