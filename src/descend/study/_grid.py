"""The search space of one ``[[optimizers]]`` entry: its rule (a name of
:mod:`descend.optim.registry`), its label, its axes (``[optimizers.grid]``: a number, a list,
``{ log = [low, high], num = n }`` or ``{ linear = [low, high], num = n }``, every value inside
the range the rule accepts) and its structural options (``[optimizers.options]``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend import _validation as check
from descend.optim import registry
from descend.study._fields import _int, _keys, _real, _text, _type

OPTIMIZER_KEYS = ("rule", "name", "grid", "options")


@dataclass(frozen=True)
class Axis:
    """One hyperparameter's values: ``values`` (a list), or ``scale`` "log"/"linear" between
    ``low`` and ``high`` (``num`` points for a grid; random and sobol draw inside)."""

    name: str
    values: tuple[float, ...] = ()
    scale: str | None = None
    low: float = math.nan
    high: float = math.nan
    num: int | None = None

    def grid(self) -> np.ndarray:
        """The grid's values (float64): the list, or ``num`` points spread on the scale
        (``geomspace`` for log, ``linspace`` for linear; both ends included)."""
        if self.scale is None:
            return np.asarray(self.values, np.float64)
        spread = np.geomspace if self.scale == "log" else np.linspace
        return spread(self.low, self.high, self.num).astype(np.float64)

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Values for uniform numbers ``u`` in [0, 1): log-uniform or uniform between low and
        high, or one of the listed values (each with probability 1/len)."""
        if self.scale is None:
            index = np.minimum((u * len(self.values)).astype(np.int64), len(self.values) - 1)
            return np.asarray(self.values, np.float64)[index]
        if self.scale == "log":
            lo, hi = math.log(self.low), math.log(self.high)
            return np.minimum(np.exp(lo + u * (hi - lo)), self.high)
        return np.minimum(self.low + u * (self.high - self.low), self.high)

    def canonical(self) -> dict[str, Any]:
        if self.scale is None:
            return {"name": self.name, "values": list(self.values)}
        return {"name": self.name, self.scale: [self.low, self.high], "num": self.num}


def _inside(field: str, value: float, h: registry.Hyperparameter, rule: str) -> float:
    if not h.contains(value):
        raise ValueError(
            f"{field}: {value!r} is outside {h.interval}, the range {rule} accepts for "
            f"{h.name} ({h.help})"
        )
    return value


def _axis(field: str, raw: Any, h: registry.Hyperparameter, rule: str, grid: bool) -> Axis:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = [raw]
    if isinstance(raw, list):
        if not raw:
            raise ValueError(f"{field}: an empty list; give at least one value")
        values = [_real(f"{field}[{i}]", v) for i, v in enumerate(raw)]
        for v in values:
            _inside(field, v, h, rule)
        return Axis(h.name, values=tuple(values))
    allowed = "a number, a list of numbers, { log = [low, high], num = n } or { linear = ... }"
    if not isinstance(raw, Mapping):
        raise _type(field, allowed, raw)
    table = _keys(field, raw, ("log", "linear", "num"))
    scales = [s for s in ("log", "linear") if s in table]
    if len(scales) != 1:
        raise ValueError(f"{field}: give exactly one of log = [low, high] or linear = [low, high]")
    scale = scales[0]
    pair = table[scale]
    if not isinstance(pair, list) or len(pair) != 2:
        raise _type(f"{field}.{scale}", "a pair [low, high]", pair)
    low, high = (_real(f"{field}.{scale}[{i}]", v) for i, v in enumerate(pair))
    if not low < high:
        raise ValueError(f"{field}.{scale}: low must be below high; got [{low!r}, {high!r}]")
    if scale == "log" and low <= 0:
        raise ValueError(f"{field}.log: a log range needs 0 < low < high; got [{low!r}, {high!r}]")
    _inside(f"{field}.{scale}[0]", low, h, rule)
    _inside(f"{field}.{scale}[1]", high, h, rule)
    num = table.get("num")
    if num is not None:
        num = _int(f"{field}.num", num, 1, 1_000_000)
    elif grid:
        raise ValueError(f"{field}.num: a grid needs the number of points, e.g. num = 16")
    return Axis(h.name, scale=scale, low=low, high=high, num=num)


@dataclass(frozen=True)
class OptimizerSpec:
    """One ``[[optimizers]]`` entry: the rule (a registry name), its label in the results
    (``name``, the rule by default), its search axes and its structural options."""

    name: str
    rule: str
    grid: tuple[Axis, ...]
    options: tuple[tuple[str, Any], ...]

    def canonical(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "grid": [a.canonical() for a in self.grid],
            "options": dict(self.options),
        }

    def build(self, **values: Any) -> Any:
        """The rule with ``values`` (numbers or traced scalars) and the options."""
        return registry.get(self.rule).build(**dict(self.options), **values)


def _optimizer(i: int, raw: Any, grid: bool) -> OptimizerSpec:
    field = f"optimizers[{i}]"
    table = _keys(field, raw, OPTIMIZER_KEYS)
    if "rule" not in table:
        raise ValueError(f"{field}.rule: missing; valid rules: {', '.join(registry.names())}")
    if not isinstance(table["rule"], str):
        raise _type(f"{field}.rule", f"one of {', '.join(registry.names())}", table["rule"])
    try:
        entry = registry.get(table["rule"])
    except ValueError as err:
        raise ValueError(f"{field}.rule: {err}") from None
    name = _text(f"{field}.name", table.get("name", entry.name))
    grid_raw = table.get("grid", {})
    if not isinstance(grid_raw, Mapping):
        raise _type(f"{field}.grid", "a table of hyperparameters", grid_raw)
    axes = []
    for key, value in grid_raw.items():
        if key not in entry.hyperparameter_names():
            raise ValueError(
                f"{field}.grid.{key}: {entry.name} has no hyperparameter {key!r}"
                f"{check.did_you_mean(key, entry.hyperparameter_names())}; "
                f"valid: {', '.join(entry.hyperparameter_names())}"
            )
        axes.append(
            _axis(f"{field}.grid.{key}", value, entry.hyperparameter(key), entry.name, grid)
        )
    options = _keys(f"{field}.options", table.get("options", {}), [o.name for o in entry.options])
    for option in entry.options:
        if option.name in options and options[option.name] not in option.choices:
            choices = ", ".join(json.dumps(c) for c in option.choices if c is not None)
            raise ValueError(
                f"{field}.options.{option.name}: {options[option.name]!r} is not allowed; "
                f"choices: {choices}"
            )
    spec = OptimizerSpec(name, entry.name, tuple(axes), tuple(sorted(options.items())))
    try:  # the constructor's own checks (cross-parameter rules included), on every value
        ends = {
            a.name: a.grid() if a.num or a.scale is None else np.array([a.low, a.high])
            for a in axes
        }
        check.validate(lambda **kw: spec.build(**kw), **ends)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{field}: {err}") from None
    return spec
