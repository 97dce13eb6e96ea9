"""A study's spec: what is run (problem x optimizers x search space x seeds x budget), read from
TOML or built in Python, checked name by name before anything runs.

::

    name = "adam-vs-momentum"
    steps = 2000          # budget per run (a data problem may give epochs instead)
    seeds = 8             # 8 (the seeds 0..7) or a list of seeds >= 0
    chunk_size = 4096     # runs per compiled program (optional; whole configurations)
    [problem]
    surface = "rosenbrock"          # params = { dim = 4 }, domain = [[-2, 2], [-1, 3]], tol
    # or expression = "x^2 + 10*y^2"  (domain, minima, tol)
    # or data = "digits", model = "mlp", hidden = [32], activation = "relu",
    #    loss = "softmax_cross_entropy", batch_size = 32, epochs = 20, standardize = true, tol
    [[optimizers]]
    rule = "adam"         # a name of descend.optim.registry; name = "..." tells two apart
    [optimizers.grid]     # each value: a number, a list, { log = [lo, hi], num = n }
    lr = { log = [1e-4, 1e-1], num = 64 }      #   or { linear = [lo, hi], num = n }
    b1 = [0.8, 0.9, 0.95, 0.99]
    [optimizers.options]  # structural options of the rule (amsgrad = "raw", ...)
    [search]              # kind = "grid" (default) | "random" | "sobol" (n, seed)
                          #      | "optuna" (sampler = "tpe" | "cmaes" | "gp", trials, seed)

Every problem is reported as ``field: what is wrong; what is allowed`` in a ``ValueError``
(a value out of range, an unknown name) or ``TypeError`` (a value of the wrong type), e.g.
``optimizers[1].grid.beta: 1.2 is outside [0, 1), the range momentum accepts``. The
canonical form (:meth:`Spec.canonical_json`) is compact JSON with every default filled in and
keys in a fixed order; its SHA-256 is the spec's identity (:attr:`Spec.hash`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

from descend import _validation as check
from descend.optim import registry

FORMAT = 1  # the canonical form's version
DEFAULT_CHUNK = 4096
MAX_CHUNK = 1 << 20
SEARCH_KINDS = ("grid", "random", "sobol", "optuna")
#: search kinds this version runs; the others are validated, then refused (see _refuse)
AVAILABLE_KINDS = ("grid", "random", "sobol", "optuna")
SAMPLERS = ("tpe", "cmaes", "gp")
TOP_KEYS = ("name", "steps", "seeds", "chunk_size", "problem", "optimizers", "search")
OPTIMIZER_KEYS = ("rule", "name", "grid", "options")
SEARCH_KEYS = ("kind", "n", "seed", "sampler", "trials")


def _type(field: str, allowed: str, value: Any) -> TypeError:
    return TypeError(f"{field}: expected {allowed}; got {value!r} ({type(value).__name__})")


def _keys(field: str, table: Any, allowed: Sequence[str]) -> dict[str, Any]:
    """``table`` as a dict whose keys are all in ``allowed`` (an unknown key names them)."""
    if not isinstance(table, Mapping):
        raise _type(field, "a table", table)
    unknown = [k for k in table if k not in allowed]
    if unknown:
        where = f"{field}." if field else ""
        raise ValueError(f"{where}{unknown[0]}: unknown key; allowed keys: {', '.join(allowed)}")
    return dict(table)


def _int(field: str, value: Any, low: int, high: int | None = None) -> int:
    try:
        return check.integer(field, value, low, high)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{field}: {str(err).removeprefix(field + ' ')}") from None


def _real(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type(field, "a number", value)
    if not math.isfinite(value):
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return float(value)


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _type(field, "a non-empty string", value)
    return value.strip()


# -- the grid of one optimizer ------------------------------------------------------------------


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
                f"{field}.grid.{key}: {entry.name} has no hyperparameter {key!r}; "
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


# -- the search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """How configurations are chosen: the full ``grid``, ``n`` ``random`` or ``sobol`` points
    per optimizer (drawn from ``seed``), or ``optuna`` with a ``sampler`` for ``trials``."""

    kind: str = "grid"
    n: int | None = None
    seed: int = 0
    sampler: str | None = None
    trials: int | None = None

    def canonical(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "n": self.n,
            "seed": self.seed,
            "sampler": self.sampler,
            "trials": self.trials,
        }


def _search(raw: Any) -> Search:
    table = _keys("search", raw, SEARCH_KEYS)
    kind = table.get("kind", "grid")
    if not isinstance(kind, str):
        raise _type("search.kind", f"one of {', '.join(SEARCH_KINDS)}", kind)
    if kind not in SEARCH_KINDS:
        raise ValueError(f"search.kind: unknown kind {kind!r}; valid: {', '.join(SEARCH_KINDS)}")
    seed = _int("search.seed", table.get("seed", 0), 0)
    own = {"grid": (), "random": ("n",), "sobol": ("n",), "optuna": ("sampler", "trials")}[kind]
    for key in ("n", "sampler", "trials"):
        if key in table and key not in own:
            raise ValueError(
                f"search.{key}: not used by kind = {kind!r}; it takes seed"
                + "".join(f", {k}" for k in own)
            )
        if key not in table and key in own and key != "sampler":
            raise ValueError(f"search.{key}: kind = {kind!r} needs {key} (a whole number >= 1)")
    n = _int("search.n", table["n"], 1, 10_000_000) if "n" in table else None
    trials = _int("search.trials", table["trials"], 1, 10_000_000) if "trials" in table else None
    sampler = None
    if kind == "optuna":
        sampler = table.get("sampler", "tpe")
        if sampler not in SAMPLERS:
            raise ValueError(
                f"search.sampler: {sampler!r} is not a sampler; valid: {', '.join(SAMPLERS)}"
            )
    return Search(kind, n, seed, sampler, trials)


# -- the spec -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A validated study spec. Build it with :func:`parse` (a dict, as TOML gives) or
    :func:`from_toml`; ``problem`` is the canonical problem table (see
    :mod:`descend.study._problem`)."""

    name: str
    steps: int | None
    seeds: tuple[int, ...]
    chunk_size: int
    problem: dict[str, Any]
    optimizers: tuple[OptimizerSpec, ...]
    search: Search

    def canonical(self) -> dict[str, Any]:
        """Every field with its defaults, in a fixed order (JSON types only)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "steps": self.steps,
            "seeds": list(self.seeds),
            "chunk_size": self.chunk_size,
            "problem": self.problem,
            "optimizers": [o.canonical() for o in self.optimizers],
            "search": self.search.canonical(),
        }

    def canonical_json(self) -> str:
        """The canonical form as compact JSON (floats written exactly: ``repr``)."""
        return json.dumps(self.canonical(), separators=(",", ":"), allow_nan=False)

    @property
    def hash(self) -> str:
        """SHA-256 of :meth:`canonical_json`, in hex: equal specs, equal hashes."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def hyperparameter_names(self) -> list[str]:
        """The searched hyperparameters of every optimizer, each once, in order of appearance
        (the results' columns)."""
        names: list[str] = []
        for o in self.optimizers:
            names += [a.name for a in o.grid if a.name not in names]
        return names


def parse(data: Mapping[str, Any]) -> Spec:
    """Check every field of ``data`` (a dict shaped like the TOML) and return the
    :class:`Spec`; the canonical form parses back to an equal spec."""
    from descend.study._problem import canonical_problem

    table = _keys("", data, (*TOP_KEYS, "format"))
    if "format" in table and table["format"] != FORMAT:
        raise ValueError(f"format: this descend reads format {FORMAT}; got {table['format']!r}")
    for key in ("name", "seeds", "problem", "optimizers"):
        if key not in table:
            raise ValueError(
                f"{key}: missing; a study needs name, steps, seeds, problem and optimizers"
            )
    name = _text("name", table["name"])
    if len(name) > 200:
        raise ValueError(f"name: at most 200 characters; got {len(name)}")
    steps = table.get("steps")
    if steps is not None:
        steps = _int("steps", steps, 1, 100_000_000)
    seeds_raw = table["seeds"]
    if isinstance(seeds_raw, list):
        if not seeds_raw:
            raise ValueError("seeds: an empty list; give a count (seeds = 8) or seeds >= 0")
        seeds = tuple(_int(f"seeds[{i}]", s, 0, 2**31 - 1) for i, s in enumerate(seeds_raw))
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds: each seed once; got {list(seeds)}")
    else:
        seeds = tuple(range(_int("seeds", seeds_raw, 1, 1_000_000)))
    chunk_size = _int("chunk_size", table.get("chunk_size", DEFAULT_CHUNK), 1, MAX_CHUNK)
    search = _search(table.get("search", {}))
    problem = canonical_problem(table["problem"], steps)
    optimizers_raw = table["optimizers"]
    if not isinstance(optimizers_raw, list) or not optimizers_raw:
        raise _type("optimizers", "a non-empty list of tables ([[optimizers]])", optimizers_raw)
    optimizers = tuple(
        _optimizer(i, o, search.kind == "grid") for i, o in enumerate(optimizers_raw)
    )
    labels = [o.name for o in optimizers]
    for i, label in enumerate(labels):
        if label in labels[:i]:
            raise ValueError(
                f"optimizers[{i}].name: {label!r} is taken by optimizers[{labels.index(label)}]; "
                "give each entry of the same rule its own name = ..."
            )
    if search.kind in ("random", "sobol", "optuna"):
        for i, o in enumerate(optimizers):
            if not o.grid:
                raise ValueError(
                    f"optimizers[{i}].grid: the {search.kind} search needs at least "
                    "one hyperparameter to draw"
                )
    spec = Spec(name, steps, seeds, chunk_size, problem, optimizers, search)
    _refuse(spec)
    return spec


def _refuse(spec: Spec) -> None:
    """A valid spec this version cannot run yet."""
    if spec.search.kind not in AVAILABLE_KINDS:
        raise ValueError(
            f"search.kind: {spec.search.kind!r} is not available yet: descend's Optuna search "
            f"(batched trials told back to the sampler) has not landed; use "
            f"{', '.join(repr(k) for k in AVAILABLE_KINDS)}"
        )


def from_canonical(text: str) -> Spec:
    """The spec of a canonical JSON text (as the store keeps it)."""
    data = json.loads(text)
    data["optimizers"] = [
        {
            "rule": o["rule"],
            "name": o["name"],
            "options": o["options"],
            "grid": {
                a["name"]: (
                    a["values"]
                    if "values" in a
                    else {k: v for k, v in a.items() if k != "name" and v is not None}
                )
                for a in o["grid"]
            },
        }
        for o in data["optimizers"]
    ]
    data["search"] = {k: v for k, v in data["search"].items() if v is not None}
    data["problem"] = {k: v for k, v in data["problem"].items() if k != "kind" and v is not None}
    if data["steps"] is None:
        del data["steps"]
    return parse(data)


def from_toml(source: str | Path) -> Spec:
    """A spec from a TOML file (a ``Path``, or a string naming an existing ``.toml`` file) or
    from TOML text. A syntax error is a ``ValueError`` naming the line."""
    text = source
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith(".toml")
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"cannot read {str(path)!r}: {err.strerror or err}") from None
    if not isinstance(text, str):
        raise _type("spec", "TOML text or a path to a .toml file", source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"the spec is not valid TOML: {err}") from None
    return parse(data)
