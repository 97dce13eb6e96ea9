"""A study's results as rows (one per run), its status, and the files they are written to.

Columns, in order: ``config_id``, ``optimizer`` (the entry's name), each searched
hyperparameter by name (the value the run used: the rule's default where the entry does not
search it; empty where the rule has no such hyperparameter), ``seed``, ``final_loss``,
``best_loss``, ``steps`` (taken), ``stop_reason`` (the :class:`~descend.StopReason`'s name in
lower case: ``gradient_tol``, ``max_steps``, ``diverged``, ...) and the problem's metric
(``gap``, ``loss``, ``accuracy`` or ``r2``; see :mod:`descend.study._problem`).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, TextIO

from descend._files import written_whole
from descend.engine import StopReason
from descend.optim import registry
from descend.study._problem import build
from descend.study._spec import Spec
from descend.study._store import Store, StudyError

INT_COLUMNS = ("config_id", "seed", "steps")


def columns(spec: Spec) -> list[str]:
    """The results' columns for ``spec`` (see the module docstring)."""
    metric = build(spec.problem).metric.name
    return [
        "config_id",
        "optimizer",
        *spec.hyperparameter_names(),
        "seed",
        "final_loss",
        "best_loss",
        "steps",
        "stop_reason",
        metric,
    ]


def rows(store: Store, spec: Spec, best: str | None = None) -> list[list[Any]]:
    """Every run done, ordered by configuration then seed, as lists in :func:`columns`'s
    order (with ``best`` "min" or "max": only the best run; see :meth:`Store.results`)."""
    names = spec.hyperparameter_names()
    defaults = []
    for o in spec.optimizers:
        entry = registry.get(o.rule)
        have = set(entry.hyperparameter_names())
        defaults.append(
            {n: (entry.hyperparameter(n).default if n in have else math.nan) for n in names}
        )
    index = {o.name: k for k, o in enumerate(spec.optimizers)}
    out = []
    found = store.results(best)
    for config_id, name, values, seed, final, best_loss, steps, reason, metric in found:
        hyper = {**defaults[index[name]], **values}
        out.append(
            [
                config_id,
                name,
                *(hyper[n] for n in names),
                seed,
                final,
                best_loss,
                steps,
                str(StopReason(reason)),
                metric,
            ]
        )
    return out


def best_run(cols: list[str], table: list[list[Any]]) -> dict[str, Any] | None:
    """The best run as a dict by column, from ``table`` = ``rows(store, spec, best=goal)``
    (SQLite has already chosen it: the best finite metric among runs that did not diverge,
    the first by configuration and seed among equals); None if there is none."""
    return {c: _plain(v) for c, v in zip(cols, table[0], strict=True)} if table else None


def _plain(value: Any) -> Any:
    """NaN as None (JSON's null); everything else as it is."""
    return None if isinstance(value, float) and math.isnan(value) else value


def write_csv(cols: list[str], table: list[list[Any]], stream: TextIO) -> None:
    """CSV with a header; floats in Python's shortest exact form, NaN as an empty cell."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(cols)
    for r in table:
        writer.writerow(["" if _plain(v) is None else v for v in r])


def write_json(cols: list[str], table: list[list[Any]], stream: TextIO) -> None:
    """A JSON list of objects, one per run (NaN as null)."""
    json.dump(
        [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in table],
        stream,
        allow_nan=False,
    )
    stream.write("\n")


def write_parquet(cols: list[str], table: list[list[Any]], path: str | Path) -> None:
    """A Parquet file through pyarrow (``pip install 'descend[study]'``)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise StudyError("--format parquet needs pyarrow: pip install 'descend[study]'") from None
    data = {c: [r[i] for r in table] for i, c in enumerate(cols)}
    kinds = {
        c: pa.int64()
        if c in INT_COLUMNS
        else pa.string()
        if c in ("optimizer", "stop_reason")
        else pa.float64()
        for c in cols
    }
    arrow = pa.table({c: pa.array(v, type=kinds[c]) for c, v in data.items()})
    with written_whole(path) as partial:
        pq.write_table(arrow, str(partial))
