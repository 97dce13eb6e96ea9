"""Reading a loss column from a training log written by any framework.

CSV (or TSV, or a plain file with one loss per line): a header row names the columns; the
loss column is the one named by ``column``, else the one whose name is a usual name of the
training loss (``loss``, ``total_loss``, ``train_loss``, ...) holding the most numbers, else
the first numeric column whose name contains "loss" but not val/test/eval, else the first
numeric column that is not a step, epoch, time or learning-rate column (by its name, or by
whole numbers that count up). Empty cells are skipped (PyTorch Lightning's ``metrics.csv``
leaves the training loss empty on its validation rows); ``nan`` and ``inf`` are kept (they
are what a diverged run logs). A file whose first row is all numbers has no header: its
columns are named "1", "2", ..., except that when its first column counts up in whole
numbers (a step or epoch) the first two are "step" and "loss". Columns separated by spaces
work too (``np.savetxt`` of ``[step, loss]`` rows, ``step loss`` tables). Where cells are
not separated by commas a decimal comma is read as a point (``epoch;loss`` / ``3;0,25``, a
spreadsheet's CSV in most of Europe). An MLflow metric file (``mlruns/.../metrics/<name>``:
``timestamp value step`` a line, the timestamp in milliseconds) is read as such: the values
are the column named after the file, the third column gives the steps.

Any text encoding a tool writes is read (:func:`descend._files.decode_text`): UTF-8, UTF-16
(PowerShell's ``>``), UTF-32, and Windows-1252.

Printed logs: a file whose lines name their numbers, as training scripts print them
(``epoch 3 loss 0.25``, ``Epoch 3/10, Loss: 0.2500``, ``step=30 loss=0.25 lr=0.1``, Hugging
Face's ``{'loss': 0.25, 'epoch': 0.1}``, the PyTorch tutorial's ``[1,  2000] loss: 2.192``),
is read as one row per line that names a loss, each ``name number`` pair a column (``3/10``
is read as 3). Lines without such pairs are skipped. A line that names no step of its own
right after one that does adds to that step's row (Caffe prints each iteration's loss twice).
Boosting libraries' logs are read by their training metric, when it is one that falls (not
AUC): XGBoost's ``[10]  train-rmse:0.25``, LightGBM's ``[10]  training's l2: 0.25``, CatBoost's
``10:  learn: 0.25``, the opening number being the iteration; without a training metric, by
the first that falls (XGBoost's scikit-learn API prints ``validation_0-rmse``). A file that
opens with a bracket is read as JSON first, as a printed log when it is not JSON (unless it
is named ``.json``).

JSON: a list of numbers; a dict of lists (Keras's ``history.history``); a dict of series
``{"steps": [...], "values": [...]}`` (Sacred's ``metrics.json``); a list of records
(Hugging Face's ``log_history``; records without the column are skipped); or a dict holding
such a list under ``"log_history"`` or ``"history"`` (``trainer_state.json``); or JSON
lines, one record (or one number) a line.

Everything is parsed, nothing evaluated; a file that cannot be read as any of these (binary,
nested too deep, a field too large, a column of text) raises ``ValueError`` with one line
saying why.

TensorBoard: an event file (``events.out.tfevents.*``, from PyTorch's ``SummaryWriter``,
Keras' ``TensorBoard`` callback or ``tf.summary``), or a run folder holding them, gives one
column per scalar tag and a row per step (:mod:`._tfevents`).

A column named step, epoch, iteration, ... gives the step numbers, and one named grad_norm or
gradient_norm the gradient norms, when they are present on the same rows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from descend._files import decode_text, point_decimal, read_bytes
from descend.insight.diagnose._tfevents import is_event_file, read_scalars

LOSS_NAMES = (
    "loss",
    "total_loss",
    "train_loss",
    "training_loss",
    "train/loss",
    "loss/train",
    "train/total_loss",
    "loss_total",
    "train_loss_epoch",
    "train_loss_step",
    "trainloss",
    "objective",
    "cost",
)
STEP_NAMES = ("step", "steps", "global_step", "epoch", "epochs", "iteration", "iter", "it",
              "num_updates")  # fmt: skip
GRAD_NAMES = ("grad_norm", "gradient_norm", "grad-norm", "gradnorm")
TIME_NAMES = ("time", "wall time", "wall_time", "timestamp")
LR_NAMES = ("lr", "learning_rate", "learning rate")
NOT_LOSS = ("val", "valid", "test", "eval")
#: Columns passed over when no name says which is the loss: steps, times, learning rates.
NOT_DATA = (*STEP_NAMES, *TIME_NAMES, *LR_NAMES)


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


_NUMBER = r"[-+]?(?:nan|inf(?:inity)?|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_PAIR = re.compile(
    r"([A-Za-z_][\w./-]*?)['\"]?\s*[:=]?\s*(" + _NUMBER + r")(?:/\d+)?(?![\w.-])", re.IGNORECASE
)
#: ``train loss 0.25`` / ``val loss 0.3`` (nanoGPT) read as ``train_loss`` / ``val_loss``.
_QUALIFIED_LOSS = re.compile(r"\b(train(?:ing)?|val(?:id(?:ation)?)?|test|eval)\s+(loss)\b", re.I)
#: LightGBM's ``training's l2: 0.25`` (the data set's name, then the metric's).
_SPLIT_PAIR = re.compile(r"([A-Za-z_]\w*'s\s+[\w@.-]+):\s*(" + _NUMBER + r")(?![\w.])")
#: The iteration that opens a boosting library's line: XGBoost and LightGBM ``[10]``,
#: CatBoost ``10:``.
_LEADING_STEP = re.compile(r"^\s*(?:\[(\d+)\]|(\d+):)\s")
#: Metrics that fall as a model learns, as boosting libraries name them.
_FALLING_METRICS = ("loss", "rmse", "mse", "mae", "mape", "error", "l1", "l2", "deviance",
                    "huber", "poisson", "gamma", "tweedie", "quantile", "entropy")  # fmt: skip


def _falling_metric(name: str, splits: tuple[str, ...] | None = None) -> bool:
    """Whether a printed name is a boosting library's metric that falls as a model learns
    (not AUC): XGBoost's ``train-rmse``, LightGBM's ``training's l2``, on the data sets
    named ``splits`` (any data set when None: the scikit-learn API of XGBoost names them
    ``validation_0``, ...)."""
    split, _, metric = name.partition("'s ") if "'s " in name else name.partition("-")
    if not (split and metric) or (splits is not None and split not in splits):
        return False
    return any(m in metric for m in _FALLING_METRICS)


def _training_metric(name: str) -> bool:
    """Whether a printed name is a boosting library's training loss: CatBoost's ``learn``,
    XGBoost's ``train-rmse``, LightGBM's ``training's l2`` (a metric that falls, not AUC)."""
    return name == "learn" or _falling_metric(name, ("train", "training"))


def _rows(text: str) -> list[list[str]]:
    """The rows of a delimited text: comma, semicolon or tab (sniffed), else whitespace when
    every line splits into the same number of fields (two or more). Where the cells are not
    separated by commas, a decimal comma is read as a point (``0,25``: a spreadsheet's CSV
    in most of Europe)."""
    lines = [line for line in text.splitlines() if line.strip()]
    sample = "\n".join(lines[:50])
    dialect: Any = None
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        widths = {len(line.split()) for line in lines}
        if len(widths) == 1 and widths.pop() > 1:
            return [[point_decimal(c) for c in line.split()] for line in lines]
        dialect = csv.excel
    try:
        rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    except csv.Error as err:
        raise ValueError(f"cannot be read as CSV: {err}") from None
    if dialect.delimiter == ",":
        return rows
    return [[point_decimal(c) for c in row] for row in rows]


def _counts(cells: Any, strictly: bool = True) -> bool:
    """Whether the cells are whole numbers that increase (a step or epoch column); with
    ``strictly=False``, that never decrease."""
    try:
        values = [float(c) for c in cells]
    except ValueError:
        return False
    rises = (b > a if strictly else b >= a for a, b in itertools.pairwise(values))
    return all(v.is_integer() for v in values) and all(rises)


#: Milliseconds since 1970 of 1973-03-03: an MLflow timestamp is larger.
_MS_TIMESTAMP = 1e11


def _mlflow_metric(rows: list[list[str]]) -> bool:
    """Whether headerless rows are an MLflow metric file: ``timestamp value step``, the
    timestamps in milliseconds and never decreasing, the steps whole numbers."""
    if any(len(r) != 3 for r in rows) or not _counts((r[0] for r in rows), strictly=False):
        return False
    return _counts((r[2] for r in rows), strictly=False) and float(rows[0][0]) >= _MS_TIMESTAMP


def _columns_from_printed(text: str) -> dict[str, list[Any]]:
    """Columns from lines that name their numbers (``epoch 3 loss 0.25``): one row per line
    holding a pair whose name contains "loss" (or is a usual loss name). A step or epoch
    named on a line of its own (Keras prints ``Epoch 3/10`` above the epoch's losses) holds
    for the loss lines after it that do not name their own."""
    records: list[dict[str, str]] = []
    context: dict[str, str] = {}
    stepped = False  # whether the last record named its own step
    for line in text.splitlines():
        line = _QUALIFIED_LOSS.sub(r"\1_\2", line[:10_000])
        split_pairs = _SPLIT_PAIR.findall(line)
        rest = _SPLIT_PAIR.sub(" ", line) if split_pairs else line
        pairs = {name.lower(): value for name, value in [*split_pairs, *_PAIR.findall(rest)]}
        lead = _LEADING_STEP.match(line)
        if any(
            "loss" in name or name in LOSS_NAMES or _training_metric(name) for name in pairs
        ) or (lead and any(_falling_metric(name) for name in pairs)):
            if lead and not any(k in STEP_NAMES for k in pairs):
                pairs = {"iteration": lead.group(1) or lead.group(2), **pairs}
            own_step = any(k in STEP_NAMES for k in pairs)
            if not own_step and stepped:
                # Caffe follows "Iteration 100, loss = 0.9" with "Train net output #0:
                # loss = 0.9": the same step's loss again, not a step of its own
                records[-1].update(pairs)
            else:
                records.append({**context, **pairs})
            stepped = own_step
        else:
            context.update({k: v for k, v in pairs.items() if k in STEP_NAMES})
    names: list[str] = []
    for record in records:
        names += [n for n in record if n not in names]
    return {name: [r.get(name) for r in records] for name in names}


def _columns_from_csv(text: str, path: str) -> dict[str, list[Any]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if any("loss" in name.lower() for name, _ in _PAIR.findall(first_line[:10_000])):
        return _columns_from_printed(text)
    try:
        rows = _rows(text)
    except ValueError as err:
        raise ValueError(f"{path} {err}") from None
    if not rows:
        raise ValueError(f"{path} has no rows")
    first = rows[0]
    if _numeric(first) and all(c.strip() for c in first):
        names = [str(i + 1) for i in range(len(first))]
        body = rows
        if _mlflow_metric(rows):
            value = os.path.basename(path).strip() or "loss"
            names = ["timestamp", "loss" if value in ("timestamp", "step") else value, "step"]
        elif len(first) >= 2 and _counts(r[0] if r else "" for r in rows):
            names[:2] = ["step", "loss"]
    else:
        names = [c.strip() for c in first]
        body = rows[1:]
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for row in body:
        for i, name in enumerate(names):
            columns[name].append(row[i] if i < len(row) else "")
    if not any(_numeric(v) for v in columns.values()):
        printed = _columns_from_printed(text)
        if printed:
            return printed
    return columns


def _json_lines(text: str, path: str) -> Any:
    """A file of JSON lines as a list of its records (or numbers)."""
    out = []
    for i, line in enumerate(text.splitlines()):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path} is not valid JSON (line {i + 1}): {err}") from None
    return out


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
                x = _number(step)
            except (TypeError, ValueError):
                continue
            if x is not None and math.isfinite(x):
                out.append((x, str(name), value))
    return out


def _columns_from_json(data: Any, path: str) -> dict[str, list[Any]]:
    if isinstance(data, Mapping):
        for key in ("log_history", "history"):
            if key in data and isinstance(data[key], (list, Mapping)):
                return _columns_from_json(data[key], path)
        columns = {str(k): v for k, v in data.items() if isinstance(v, list)}
        series = _series(data)
        if series and not columns:
            return _by_step(series)
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


#: Column names an error message lists, and the characters it shows of a name or a cell: a
#: hostile file's message stays a line.
MAX_LISTED, MAX_SHOWN = 20, 60


def _shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_SHOWN` characters."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _choose(columns: dict[str, list[Any]], column: str | None, path: str) -> str:
    names = [_shown(c) for c in list(columns)[:MAX_LISTED]]
    more = len(columns) - MAX_LISTED
    listing = ", ".join(names) + (f" and {more} more" if more > 0 else "") or "none"
    if column is not None:
        if column in columns:
            return column
        lower = {c.lower(): c for c in columns}
        if column.lower() in lower:
            return lower[column.lower()]
        raise ValueError(f"{path} has no column {_shown(column)}; its columns are {listing}")
    numeric = [c for c in columns if _numeric(columns[c])]
    if not numeric:
        raise ValueError(
            f"{path} has no numeric column to read losses from; its columns are {listing}"
        )
    usual = [c for c in numeric if c.strip().lower() in LOSS_NAMES]
    if usual:
        # the one with the most values (Lightning's train_loss_step over train_loss_epoch;
        # Hugging Face's loss over the one train_loss of its summary), then by LOSS_NAMES
        def rank(c: str) -> tuple[int, int]:
            values = sum(_safe(columns, c, i) is not None for i in range(len(columns[c])))
            return values, -LOSS_NAMES.index(c.strip().lower())

        return max(usual, key=rank)
    for c in numeric:
        low = c.lower()
        if "loss" in low and not any(word in low for word in NOT_LOSS):
            return c
    for c in numeric:
        if _training_metric(c.strip().lower()):
            return c
    # a column of whole numbers that count up is a step or epoch in any language (époque)
    data = [c for c in numeric if not _counts(v for v in columns[c] if _number(v) is not None)]
    for c in data or numeric:
        if c.strip().lower() not in NOT_DATA:
            return c
    return (data or numeric)[0]


def _find(
    columns: dict[str, list[Any]],
    names: Sequence[str],
    rows: Sequence[int],
    finite: bool,
    rising: bool = False,
) -> str | None:
    """The first column named one of ``names`` with a number (a finite one, with ``finite``)
    on each of ``rows``; with ``rising``, the first whose numbers also rise from row to row
    if there is one (Lightning's ``epoch`` stays 0 over an epoch's steps; fairseq's ``epoch
    001`` over its updates). A log can name its steps twice: nanoGPT prints ``iter 10: loss
    ...`` and, at evaluations, ``step 10: train loss ..., val loss ...``."""
    found = []
    for c in columns:
        if c.strip().lower() in names:
            values = [_safe(columns, c, i) for i in rows]
            if all(v is not None and (math.isfinite(v) or not finite) for v in values):
                if not rising or all(b > a for a, b in itertools.pairwise(values)):
                    return c
                found.append(c)
    return found[0] if found else None


def _parse_json(text: str, path: str) -> Any:
    """A JSON document, or JSON lines, parsed (never evaluated)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg != "Extra data":
            raise ValueError(f"{path} is not valid JSON: {err}") from None
        data = _json_lines(text, path)
    except RecursionError:
        raise ValueError(f"{path}: the JSON is nested too deep to be a log") from None
    if isinstance(data, list) and all(isinstance(r, list) for r in data) and data:
        raise ValueError(f"{path}: a JSON list of lists is not a log; give one list")
    return data


#: The largest log read (1 GiB): a larger one is refused before it fills the memory.
MAX_BYTES = 1 << 30


def _event_files(folder: str) -> list[str]:
    """The TensorBoard event files of a run folder, oldest first (as their names sort).

    A folder without any holds its runs one level down: Keras writes ``logs/train`` and
    ``logs/validation``, Lightning ``lightning_logs/version_0``. The only run there is read,
    or the one named ``train``; several others are refused, naming them."""

    def files(where: str) -> list[str]:
        names = sorted(n for n in os.listdir(where) if ".tfevents." in n)
        return [os.path.join(where, n) for n in names if os.path.isfile(os.path.join(where, n))]

    if found := files(folder):
        return found
    subfolders = [n for n in sorted(os.listdir(folder)) if os.path.isdir(os.path.join(folder, n))]
    runs = {n: found for n in subfolders if (found := files(os.path.join(folder, n)))}
    if len(runs) > 1 and "train" not in runs:
        raise ValueError(
            f"{folder} holds several TensorBoard runs ({', '.join(runs)}); give one of them"
        )
    return runs.get("train") or next(iter(runs.values()), [])


def _by_step(scalars: Sequence[tuple[Any, str, Any]]) -> dict[str, list[Any]]:
    """Columns from ``(step, name, value)`` triples: a row per step (in order), a column per
    name, None where a name has no value at a step (the last value at a step wins)."""
    rows: dict[Any, dict[str, Any]] = {}
    for step, name, value in scalars:
        rows.setdefault(step, {})[name] = value
    names = list(dict.fromkeys(name for row in rows.values() for name in row))
    steps = sorted(rows)
    step_name = "step" if "step" not in names else "_step"
    return {step_name: steps, **{n: [rows[s].get(n) for s in steps] for n in names}}


def _columns_from_events(files: Iterable[tuple[str, bytes]], path: str) -> dict[str, list[Any]]:
    """One row per step, one column per scalar tag, from ``(name, bytes)`` of event files
    (read one at a time: only their scalars are kept)."""
    scalars = []
    for name, data in files:
        try:
            scalars += read_scalars(data)
        except ValueError as err:
            raise ValueError(f"{name} {err}") from None
    if not scalars:
        raise ValueError(f"{path} holds no scalars (TensorBoard event file)")
    return _by_step(scalars)


def _columns(path: str) -> dict[str, list[Any]]:
    """The columns of a log file (or of a folder of TensorBoard event files)."""
    if os.path.isdir(path) and (events := _event_files(path)):
        files = ((name, read_bytes(name, MAX_BYTES)) for name in events)
        return _columns_from_events(files, path)
    data = read_bytes(path, MAX_BYTES)  # "-": standard input
    if ".tfevents." in os.path.basename(path) or is_event_file(data[:200]):
        return _columns_from_events([(path, data)], path)
    text = decode_text(data, path)
    if not text.strip():
        raise ValueError(f"{path} is empty")
    named_json = path.lower().endswith((".json", ".jsonl"))
    if not (named_json or text.lstrip()[:1] in "[{"):
        return _columns_from_csv(text, path)
    try:
        return _columns_from_json(_parse_json(text, path), path)
    except ValueError as err:
        # a printed log can open with a bracket too: Hugging Face's Trainer prints
        # {'loss': 2.12, 'epoch': 0.1} a line, the PyTorch tutorial [1,  2000] loss: 2.192
        if named_json:
            raise
        columns = _columns_from_printed(text)
        if not columns:
            raise ValueError(
                f"{err}; nor is it a printed log: no line names a loss (such as "
                "'loss: 0.25', or a boosting library's 'train-rmse:0.25')"
            ) from None
        return columns


def read_log(path: str | os.PathLike, column: str | None = None) -> dict[str, Any]:
    """The loss column of a CSV or JSON log: ``{"loss", "step", "grad_norm", "column",
    "unit"}`` with ``step``/``grad_norm`` None when the log has no such column (see the
    module docstring for how the column is chosen).

    Raises FileNotFoundError for a missing file, ValueError for an empty file, a file with
    no numeric column, a column that is missing (the message lists the columns), or a chosen
    column holding text.
    """
    path = os.fspath(path)
    columns = _columns(path)
    name = _choose(columns, column, path)
    loss, rows = [], []
    for i, cell in enumerate(columns[name]):
        try:
            value = _number(cell)
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: column {_shown(name)} holds {_shown(cell)} (row {i + 1}), not a number"
            ) from None
        if value is not None:
            loss.append(value)
            rows.append(i)
    if not loss:
        raise ValueError(f"{path}: column {_shown(name)} holds no numbers")
    out: dict[str, Any] = {
        "loss": np.asarray(loss, dtype=float),
        "column": name,
        "step": None,
        "grad_norm": None,
        "unit": "step",
    }
    step_name = _find(columns, STEP_NAMES, rows, finite=True, rising=True)
    if step_name is not None:
        out["step"] = np.asarray([_safe(columns, step_name, i) for i in rows], dtype=float)
        out["unit"] = "epoch" if "epoch" in step_name.lower() else "step"
    grad_name = _find(columns, GRAD_NAMES, rows, finite=False)
    if grad_name is not None:
        out["grad_norm"] = np.asarray([_safe(columns, grad_name, i) for i in rows], dtype=float)
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
