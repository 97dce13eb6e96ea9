"""JSON logs: a list of numbers; a dict of lists (Keras's ``history.history``); a dict of
series ``{"steps": [...], "values": [...]}`` (Sacred's ``metrics.json``); a list of records
(Hugging Face's ``log_history``; records without the column are skipped); a dict holding such
a list under ``"log_history"`` or ``"history"`` (``trainer_state.json``); a dict of data sets
of dicts of lists (XGBoost's ``evals_result()``, LightGBM's ``evals_result_``, CatBoost's
``get_evals_result()``), read as columns ``set-metric``, XGBoost's printed names; the TensorBoard
UI's export of one scalar, ``[[wall_time, step, value], ...]``; pandas' ``DataFrame.to_json``
in its ``columns`` (the default), ``index``, ``split`` and ``table`` orients; or JSON lines,
one record (or one number) a line (a last line cut short, without a newline after it, is left
out).

Everything is parsed, never evaluated."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from descend.insight.diagnose._log_columns import Column, from_lists, number
from descend.insight.diagnose._printed_logs import falling_metric

#: The TensorBoard UI names its downloads ``run-<run>-tag-<tag>.json``.
_EXPORT_TAG = re.compile(r"tag-(.+?)\.json$", re.I)


def _json_lines(text: str, path: str, notes: list[str]) -> list[Any]:
    """A file of JSON lines as a list of its records (or numbers)."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as err:
                if i == len(lines) - 1 and not text.endswith(("\n", "\r")) and out:
                    notes.append("left out its last line, cut short (no newline after it: a "
                                 "crash mid-write?)")  # fmt: skip
                    break
                raise ValueError(f"{path} is not valid JSON (line {i + 1}): {err}") from None
    return out


def by_step(scalars: Sequence[tuple[Any, str, Any]]) -> dict[str, list[Any]]:
    """Columns from ``(step, name, value)`` triples: a row per step (in order), a column per
    name, None where a name has no value at a step (the last value at a step wins)."""
    rows: dict[Any, dict[str, Any]] = {}
    for step, name, value in scalars:
        rows.setdefault(step, {})[name] = value
    names = list(dict.fromkeys(name for row in rows.values() for name in row))
    steps = sorted(rows)
    step_name = "step" if "step" not in names else "_step"
    return {step_name: steps, **{n: [rows[s].get(n) for s in steps] for n in names}}


def _series(data: Mapping) -> list[tuple[float, str, Any]]:
    """``(step, name, value)`` of Sacred's ``metrics.json``: ``{"train.loss": {"steps":
    [...], "values": [...], "timestamps": [...]}, ...}`` (rows whose step is not a number
    are passed over)."""
    out = []
    for name, s in data.items():
        if not (
            isinstance(s, Mapping) and all(isinstance(s.get(k), list) for k in ("steps", "values"))
        ):
            continue
        for step, value in zip(s["steps"], s["values"], strict=False):
            try:
                x = number(step)
            except (TypeError, ValueError):
                continue
            if x is not None and math.isfinite(x):
                out.append((x, str(name), value))
    return out


def _evals_result(data: Mapping) -> dict[str, list[Any]]:
    """The boosting libraries' ``{data set: {metric: [value per iteration]}}`` as columns
    ``"set-metric"``, the metrics that fall as a model learns first (an AUC is not a loss)."""
    columns = {
        f"{split}-{metric}": values
        for split, metrics in data.items()
        if isinstance(metrics, Mapping)
        for metric, values in metrics.items()
        if isinstance(values, list)
    }
    return dict(sorted(columns.items(), key=lambda c: not falling_metric(c[0].lower())))


def _position(key: Any) -> float | None:
    """A pandas index label read as a number (``"0"``, ``"12"``), or None."""
    try:
        x = number(key)
    except (TypeError, ValueError):
        return None
    return x if x is not None and math.isfinite(x) else None


def _indexed(table: Any) -> bool:
    """Whether ``table`` is ``{index label: value}`` with numeric labels and plain values."""
    return (
        isinstance(table, Mapping)
        and bool(table)
        and all(_position(k) is not None for k in table)
        and not any(isinstance(v, (list, Mapping)) for v in table.values())
    )


def _data_frame(data: Mapping) -> dict[str, list[Any]] | None:
    """pandas' ``DataFrame.to_json`` (of a Keras ``history.history``, a results table) as
    columns, rows in the order written: ``orient="columns"`` (the default: ``{column: {index:
    value}}``; a Series: ``{index: value}``), ``"index"`` (``{index: {column: value}}``),
    ``"split"`` (``{"columns": [...], "data": [[...], ...]}``) or ``"table"`` (``{"schema":
    ..., "data": [records]}``); None for anything else."""
    columns, rows = data.get("columns"), data.get("data")
    if (
        isinstance(columns, list)
        and isinstance(rows, list)
        and all(isinstance(r, list) for r in rows)
    ):
        names = [str(c) for c in columns]
        rows = [r for r in rows if len(r) == len(names)]
        return {name: [r[j] for r in rows] for j, name in enumerate(names)}
    if isinstance(data.get("schema"), Mapping) and isinstance(rows, list):  # orient="table"
        records = [r for r in rows if isinstance(r, Mapping)]
        names = list(dict.fromkeys(str(k) for r in records for k in r))
        return {name: [r.get(name) for r in records] for name in names}
    if _indexed(data):  # a Series: {index: value}
        return {"value": list(data.values())}
    if all(_indexed(column) for column in data.values()):
        index = list(dict.fromkeys(k for column in data.values() for k in column))
        return {str(name): [column.get(i) for i in index] for name, column in data.items()}
    if data and all(_position(k) is not None and isinstance(v, Mapping) for k, v in data.items()):
        records = list(data.values())
        names = list(dict.fromkeys(str(k) for r in records for k in r))
        return {name: [r.get(name) for r in records] for name in names}
    return None


def _triple(row: Any) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 3
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row)
    )


def _lists(data: Any, path: str) -> dict[str, list[Any]]:
    if isinstance(data, Mapping):
        for key in ("log_history", "history"):
            if key in data and isinstance(data[key], (list, Mapping)):
                return _lists(data[key], path)
        frame = _data_frame(data)
        if frame is not None:
            return frame
        columns = {str(k): v for k, v in data.items() if isinstance(v, list)}
        series = _series(data)
        if series and not columns:
            return by_step(series)
        columns = columns or _evals_result(data)
        if not columns:
            raise ValueError(
                f'{path}: a JSON object needs lists of values (e.g. "loss": '
                f"[...]); its keys are {', '.join(map(repr, data)) or 'none'}"
            )
        return columns
    if isinstance(data, list):
        if all(isinstance(r, Mapping) for r in data) and data:
            names: list[str] = []
            for record in data:
                names += [str(k) for k in record if str(k) not in names]
            return {name: [r.get(name) for r in data] for name in names}
        if data and all(_triple(r) for r in data):
            tag = _EXPORT_TAG.search(path)
            wall, step, value = zip(*data, strict=True)
            return {"wall_time": list(wall), "step": list(step),
                    (tag.group(1) if tag else "value"): list(value)}  # fmt: skip
        if data and all(isinstance(r, list) for r in data):
            raise ValueError(
                f"{path}: a JSON list of lists is not a log; give one list, or "
                "[wall_time, step, value] rows (TensorBoard's export)"
            )
        return {"loss": list(data)}
    raise ValueError(f"{path}: expected a JSON list or object; got {type(data).__name__}")


def parse_json(text: str, path: str, notes: list[str]) -> Any:
    """A JSON document, or JSON lines, parsed (never evaluated)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg != "Extra data":
            raise ValueError(f"{path} is not valid JSON: {err}") from None
        return _json_lines(text, path, notes)
    except RecursionError:
        raise ValueError(f"{path}: the JSON is nested too deep to be a log") from None


def read_json(data: Any, path: str) -> dict[str, Column]:
    """The columns of parsed JSON (see the module docstring)."""
    return from_lists(_lists(data, path))
