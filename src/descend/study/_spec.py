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

Limits: a study makes at most :data:`MAX_RUNS` (10 million) runs, configurations x seeds,
counted before any configuration is listed; names (``name``, ``optimizers[i].name``) hold
no control characters or bidirectional overrides; a spec file is a regular file, never a
FIFO (which would wait for a writer forever).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from descend._files import read_bytes
from descend._validation import did_you_mean
from descend.study._fields import _int, _keys, _text, _type
from descend.study._grid import OptimizerSpec, _optimizer

FORMAT = 1  # the canonical form's version
DEFAULT_CHUNK = 4096
MAX_CHUNK = 1 << 20
SEARCH_KINDS = ("grid", "random", "sobol", "optuna")
SAMPLERS = ("tpe", "cmaes", "gp")
TOP_KEYS = ("name", "steps", "seeds", "chunk_size", "problem", "optimizers", "search")
SEARCH_KEYS = ("kind", "n", "seed", "sampler", "trials")
#: The most runs (configurations x seeds) a study may hold: its configurations are listed in
#: memory (~0.5 KB each) and stored one row a run, so a grid whose axes multiply past this
#: (three axes of 3,000 values: 2.7e10) is refused before anything is built.
MAX_RUNS = 10_000_000
#: Characters a name may not hold: it is printed in tables, reports and file listings, where
#: a control character (NUL, a newline, an escape) or a bidirectional override (U+202E) would
#: garble or disguise what is shown.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def check_name(field: str, name: str) -> str:
    """``name`` (already stripped, non-empty) without control characters or bidirectional
    overrides; a ``ValueError`` naming the first one otherwise."""
    for i, c in enumerate(name):
        if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS:
            kind = "control character" if c not in BIDI_CONTROLS else "bidirectional control"
            raise ValueError(
                f"{field}: a name may not hold control characters or bidirectional overrides; "
                f"got the {kind} U+{ord(c):04X} at position {i}"
            )
    return name


def count_runs(optimizers: tuple[OptimizerSpec, ...], search: Search, seeds: int) -> int:
    """How many runs a spec makes: its configurations (per optimizer, the product of the grid
    axes' sizes, or the search's n or trials) times the seeds; computed, never listed."""
    configs = 0
    for o in optimizers:
        if search.kind == "grid":
            configs += math.prod(len(a.values) if a.scale is None else a.num or 1 for a in o.grid)
        else:
            configs += (search.n if search.kind in ("random", "sobol") else search.trials) or 0
    return configs * seeds


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
        hint = did_you_mean(kind, SEARCH_KINDS)
        raise ValueError(
            f"search.kind: unknown kind {kind!r}{hint}; valid: {', '.join(SEARCH_KINDS)}"
        )
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
    name = check_name("name", _text("name", table["name"]))
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
    for i, o in enumerate(optimizers):
        check_name(f"optimizers[{i}].name", o.name)
    runs = count_runs(optimizers, search, len(seeds))
    if runs > MAX_RUNS:
        raise ValueError(
            f"the study would make {runs:,} runs ({runs // len(seeds):,} configurations x "
            f"{len(seeds):,} seed{'s' if len(seeds) > 1 else ''}); a study makes at most "
            f"{MAX_RUNS:,}: give fewer values (num), points (n), trials or seeds"
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
    return Spec(name, steps, seeds, chunk_size, problem, optimizers, search)


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


#: The largest spec file read: a study's spec is a page of TOML, never megabytes.
SPEC_BYTES = 1 << 20


def _regular_file(path: Path) -> None:
    """A spec is a file (symbolic links followed): a FIFO would wait for a writer forever,
    and a socket cannot be read. A missing path, a folder and a device are left to the
    reader, which names each."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket"
        raise ValueError(
            f"cannot read {str(path)!r}: it is {kind}, not a regular file; give a .toml file"
        )


def from_toml(source: str | Path) -> Spec:
    """A spec from a TOML file (a ``Path``, or a string naming an existing ``.toml`` file) or
    from TOML text. A syntax error is a ``ValueError`` naming the line."""
    text = source
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith(".toml")
    ):
        path = Path(source)
        _regular_file(path)
        try:
            text = read_bytes(path, SPEC_BYTES).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"cannot read {str(path)!r}: it is not UTF-8 text") from None
        except OSError as err:
            raise ValueError(f"cannot read {str(path)!r}: {err.strerror or err}") from None
        except ValueError as err:
            raise ValueError(f"cannot read {str(path)!r}: {err}") from None
    if not isinstance(text, str):
        raise _type("spec", "TOML text or a path to a .toml file", source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"the spec is not valid TOML: {err}") from None
    return parse(data)
