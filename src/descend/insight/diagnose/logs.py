"""Reading a loss column from a training log written by any framework.

CSV (or TSV, or a plain file with one loss per line): a header row names the columns; the
loss column is the one named by ``column``, else the first whose name is a usual name of the
training loss (``loss``, ``train_loss``, ``training_loss``, ...), else the first numeric
column whose name contains "loss" but not val/test/eval, else the first numeric column that
is not a step, epoch, time or learning-rate column. Empty cells are skipped (PyTorch
Lightning's ``metrics.csv`` leaves the training loss empty on its validation rows); ``nan``
and ``inf`` are kept (they are what a diverged run logs). A file whose first row is all
numbers has no header (its columns are named "1", "2", ...).

JSON: a list of numbers; a dict of lists (Keras's ``history.history``); a list of records
(Hugging Face's ``log_history``; records without the column are skipped); or a dict holding
such a list under ``"log_history"`` or ``"history"`` (``trainer_state.json``).

A column named step, epoch, iteration, ... gives the step numbers, and one named grad_norm or
gradient_norm the gradient norms, when they are present on the same rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

LOSS_NAMES = (
    "loss",
    "train_loss",
    "training_loss",
    "train/loss",
    "loss/train",
    "train_loss_epoch",
    "train_loss_step",
    "trainloss",
    "objective",
    "cost",
)
STEP_NAMES = ("step", "steps", "global_step", "epoch", "epochs", "iteration", "iter", "it")
GRAD_NAMES = ("grad_norm", "gradient_norm", "grad-norm", "gradnorm")
NOT_LOSS = ("val", "valid", "test", "eval")
NOT_DATA = (
    *STEP_NAMES,
    "time",
    "wall time",
    "wall_time",
    "timestamp",
    "lr",
    "learning_rate",
    "learning rate",
)


def _number(cell: Any) -> float | None:
    """A cell as a float; None for an empty cell; raises ValueError for text."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    text = str(cell).strip()
    if not text:
        return None
    return float(text)  # accepts nan, inf, -inf, 1e-3, ...


def _numeric(values: Sequence[Any]) -> bool:
    seen = False
    for v in values:
        try:
            x = _number(v)
        except (TypeError, ValueError):
            return False
        seen = seen or x is not None
    return seen


def _columns_from_csv(text: str, path: str) -> dict[str, list[Any]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{path} has no rows")
    first = rows[0]
    if _numeric(first) and all(c.strip() for c in first):
        names = [str(i + 1) for i in range(len(first))]
        body = rows
    else:
        names = [c.strip() for c in first]
        body = rows[1:]
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for row in body:
        for i, name in enumerate(names):
            columns[name].append(row[i] if i < len(row) else "")
    return columns


def _columns_from_json(data: Any, path: str) -> dict[str, list[Any]]:
    if isinstance(data, Mapping):
        for key in ("log_history", "history"):
            if key in data and isinstance(data[key], (list, Mapping)):
                return _columns_from_json(data[key], path)
        columns = {str(k): v for k, v in data.items() if isinstance(v, list)}
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
        return {"loss": list(data)}
    raise ValueError(f"{path}: expected a JSON list or object; got {type(data).__name__}")


def _choose(columns: dict[str, list[Any]], column: str | None, path: str) -> str:
    listing = ", ".join(repr(c) for c in columns) or "none"
    if column is not None:
        if column in columns:
            return column
        lower = {c.lower(): c for c in columns}
        if column.lower() in lower:
            return lower[column.lower()]
        raise ValueError(f"{path} has no column {column!r}; its columns are {listing}")
    numeric = [c for c in columns if _numeric(columns[c])]
    if not numeric:
        raise ValueError(
            f"{path} has no numeric column to read losses from; its columns are {listing}"
        )
    by_lower = {c.strip().lower(): c for c in numeric}
    for name in LOSS_NAMES:
        if name in by_lower:
            return by_lower[name]
    for c in numeric:
        low = c.lower()
        if "loss" in low and not any(word in low for word in NOT_LOSS):
            return c
    for c in numeric:
        if c.strip().lower() not in NOT_DATA:
            return c
    return numeric[0]


def _find(columns: dict[str, list[Any]], names: Sequence[str]) -> str | None:
    for c in columns:
        if c.strip().lower() in names and _numeric(columns[c]):
            return c
    return None


def read_log(path: str | os.PathLike, column: str | None = None) -> dict[str, Any]:
    """The loss column of a CSV or JSON log: ``{"loss", "step", "grad_norm", "column",
    "unit"}`` with ``step``/``grad_norm`` None when the log has no such column (see the
    module docstring for how the column is chosen).

    Raises FileNotFoundError for a missing file, ValueError for an empty file, a file with
    no numeric column, a column that is missing (the message lists the columns), or a chosen
    column holding text.
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8-sig") as fh:
        text = fh.read()
    if not text.strip():
        raise ValueError(f"{path} is empty")
    stripped = text.lstrip()
    if path.lower().endswith(".json") or stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not valid JSON: {err}") from None
        columns = _columns_from_json(data, path)
    else:
        columns = _columns_from_csv(text, path)
    name = _choose(columns, column, path)
    step_name = _find(columns, STEP_NAMES)
    grad_name = _find(columns, GRAD_NAMES)
    loss, steps, grads = [], [], []
    for i, cell in enumerate(columns[name]):
        try:
            value = _number(cell)
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: column {name!r} holds {cell!r} (row {i + 1}), not a number"
            ) from None
        if value is None:
            continue
        loss.append(value)
        steps.append(_safe(columns, step_name, i))
        grads.append(_safe(columns, grad_name, i))
    if not loss:
        raise ValueError(f"{path}: column {name!r} holds no numbers")
    out: dict[str, Any] = {
        "loss": np.asarray(loss, dtype=float),
        "column": name,
        "step": None,
        "grad_norm": None,
        "unit": "step",
    }
    if step_name is not None and all(v is not None and math.isfinite(v) for v in steps):
        out["step"] = np.asarray(steps, dtype=float)
        out["unit"] = "epoch" if "epoch" in step_name.lower() else "step"
    if grad_name is not None and all(v is not None for v in grads):
        out["grad_norm"] = np.asarray(grads, dtype=float)
    return out


def _safe(columns: dict[str, list[Any]], name: str | None, i: int) -> float | None:
    if name is None:
        return None
    try:
        return _number(columns[name][i])
    except (TypeError, ValueError, IndexError):
        return None


def read_losses(path: str | os.PathLike, column: str | None = None) -> np.ndarray:
    """The losses of a CSV or JSON log as a 1-D float array (see :func:`read_log`)."""
    return read_log(path, column)["loss"]
