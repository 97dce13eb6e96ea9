"""Reading a loss column from a training log written by any framework.

The readers, each in its module: tables (CSV, TSV, columns separated by spaces, fixed-width
tables, MLflow metric files: :mod:`._table_logs`), printed logs (lines that name their
numbers, boosting libraries' logs: :mod:`._printed_logs`), JSON (:mod:`._json_logs`),
TensorBoard event files (:mod:`._tfevents`) and NumPy's ``np.save``/``np.savez`` files (read
without unpickling). Any text encoding a tool writes is read
(:func:`descend._files.decode_text`), and a gzip-compressed log as the log it holds. A file
that opens with a bracket is read as JSON first, as a printed log when it is not JSON (unless
it is named ``.json``); a text whose first line names a loss as a printed log, else as a
table, else as a printed log.

The loss column is the one named by ``column``, else the one whose name is a usual name of
the training loss (``loss``, ``total_loss``, ``train_loss``, ...) holding the most numbers,
else the first numeric column whose name contains "loss" but no word val, valid, test, eval,
... (words matched whole: "valiant-dream-7 - loss" is no validation loss), else a boosting
library's training metric, else the first numeric column that is not a step, epoch, time or
learning-rate column (by its name, or by whole numbers that count up). Empty cells are
skipped (Lightning's ``metrics.csv`` leaves the training loss empty on its validation rows);
``nan`` and ``inf`` are kept (they are what a diverged run logs).

A column named step, epoch, iteration, ... gives the step numbers (an integer counter that
rises preferred), and one named grad_norm or gradient_norm the gradient norms, when they are
present on the same rows. Steps that fall back to where the run started begin another run
appended to the same file: the last is read.

TensorBoard: an event file (``events.out.tfevents.*``, from PyTorch's ``SummaryWriter``,
Keras' ``TensorBoard`` callback or ``tf.summary``), or a run folder holding them, gives one
column per scalar tag and a row per step. A folder of runs is read by its only run, or its
``train`` run, or (``SummaryWriter.add_scalars``: a parent file without scalars, a folder per
series) by all of them, a column per series; runs further down are named in the error.

What the reader leaves out or chooses among (validation lines, a repeated header, a last
line cut short, one of several runs' loss columns) is said in the ``notes`` it returns.
Everything is parsed, nothing evaluated; a file that cannot be read (binary, nested too
deep, a field too large, a column of text) raises ``ValueError`` with one line saying why.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from descend import _validation as check
from descend._files import decode_text, gunzip, is_gzip, read_bytes
from descend.insight.diagnose._json_logs import by_step, parse_json, read_json
from descend.insight.diagnose._log_columns import (
    GRAD_NAMES,
    LOSS_NAMES,
    NOT_DATA,
    NOT_LOSS,
    STEP_NAMES,
    Column,
    counts,
    from_lists,
    held_out,
)
from descend.insight.diagnose._printed_logs import (
    clean_text,
    lines,
    names_a_loss,
    read_printed,
    training_metric,
)
from descend.insight.diagnose._table_logs import NotATableError, read_fixed_width, read_table
from descend.insight.diagnose._tfevents import find_runs, is_event_file, read_scalars

__all__ = ["LOSS_NAMES", "NOT_LOSS", "STEP_NAMES", "read_log", "read_losses"]

#: Column names an error message lists, and the characters it shows of a name or a cell: a
#: hostile file's message stays a line.
MAX_LISTED, MAX_SHOWN = 20, 60
#: The largest log read (1 GiB, compressed or not): a larger one is refused before it fills
#: the memory.
MAX_BYTES = 1 << 30


def _shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_SHOWN` characters."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(_shown(c) for c in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "") or "none"


def _choose(columns: dict[str, Column], column: str | None, path: str, notes: list[str]) -> str:
    if column is not None:
        if column in columns:
            return column
        lower = {c.lower(): c for c in columns}
        if column.lower() in lower:
            return lower[column.lower()]
        raise ValueError(
            f"{path} has no column {_shown(column)}; its columns are {_listing(columns)}"
        )
    numeric = [c for c in columns if columns[c].numeric]
    if not numeric:
        raise ValueError(
            f"{path} has no numeric column to read losses from; its columns are {_listing(columns)}"
        )
    usual = [c for c in numeric if c.strip().lower() in LOSS_NAMES]
    if usual:
        # the one with the most values (Lightning's train_loss_step over train_loss_epoch;
        # Hugging Face's loss over the one train_loss of its summary), then by LOSS_NAMES
        def rank(c: str) -> tuple[int, int]:
            return columns[c].count(), -LOSS_NAMES.index(c.strip().lower())

        return max(usual, key=rank)
    losses = [c for c in numeric if "loss" in c.lower() and not held_out(c)]
    losses = [c for c in losses if not c.endswith(("__MIN", "__MAX"))] or losses  # W&B's
    if losses:
        if len(losses) > 1:
            notes.append(
                f"{len(losses)} columns name a loss ({_listing(losses)}): read the first, "
                f"{losses[0]!r}; name another to read it"
            )
        return losses[0]
    for c in numeric:
        if training_metric(c.strip().lower()):
            return c
    # a column of whole numbers that count up is a step or epoch in any language (époque)
    data = [c for c in numeric if not counts(columns[c].values[columns[c].present])]
    for c in data or numeric:
        if c.strip().lower() not in NOT_DATA:
            return c
    raise ValueError(
        f"{path} has no column of losses: its numeric columns ({_listing(numeric)}) are "
        f"steps, times or learning rates; its columns are {_listing(columns)}; name the "
        "loss column"
    )


def _find(
    columns: dict[str, Column],
    names: Sequence[str],
    rows: np.ndarray,
    finite: bool,
    rising: bool = False,
) -> str | None:
    """The column named one of ``names`` with a number (a finite one, with ``finite``) on
    each of ``rows``; with ``rising``, preferably one whose numbers rise from row to row, in
    whole numbers if there is one (Hugging Face logs a fractional ``epoch`` beside ``step``;
    Lightning's ``epoch`` stays 0 over an epoch's steps; fairseq's ``epoch 001`` over its
    updates). A log can name its steps twice: nanoGPT prints ``iter 10: loss ...`` and, at
    evaluations, ``step 10: train loss ..., val loss ...``."""
    found: list[tuple[int, str]] = []
    for c in columns:
        if c.strip().lower() not in names:
            continue
        values = columns[c].at(rows)
        if values is None or (finite and not np.all(np.isfinite(values))):
            continue
        if not rising:
            return c
        rank = 0 if counts(values) else 1 if np.all(np.diff(values) > 0) else 2
        found.append((rank, c))
    return min(found)[1] if found else None


class FolderWithoutLogError(IsADirectoryError, ValueError):
    """A folder given as a log that holds no TensorBoard event files: an ``OSError`` (it is a
    directory) and a ``ValueError`` (not a log), with a message saying what to give."""


def _event_runs(folder: str) -> list[tuple[str, str]] | None:
    """``(column prefix, file)`` of the event files a folder stands for (see the module
    docstring); None when there are none below it."""
    runs = find_runs(folder)
    if not runs:
        return None
    own = runs.pop("", None)
    direct = {r: files for r, files in runs.items() if "/" not in r}
    if own and not (direct and not any(read_scalars(_read_event(f)) for f in own)):
        return [("", f) for f in own]
    if own:  # SummaryWriter.add_scalars: a folder per series ("Loss_train", "Loss_val")
        return [(run, f) for run, files in direct.items() for f in files]
    if "train" in direct:
        return [("", f) for f in direct["train"]]
    if len(direct) == 1:
        return [("", f) for f in next(iter(direct.values()))]
    if direct:
        raise ValueError(
            f"{folder} holds several TensorBoard runs ({', '.join(direct)}); give one of them"
        )
    raise ValueError(
        f"{folder} is a folder without TensorBoard event files of its own; runs below it: "
        f"{_listing(runs)}; give one of them"
    )


def _read_event(name: str) -> bytes:
    try:
        return read_bytes(name, MAX_BYTES)
    except ValueError:
        raise
    except OSError as err:
        raise ValueError(f"{name} cannot be read: {err}") from None


def _columns_from_events(files: Iterable[tuple[str, str, bytes]], path: str) -> dict[str, Column]:
    """One row per step, one column per scalar tag, from ``(prefix, name, bytes)`` of event
    files (read one at a time: only their scalars are kept). With a prefix (a series of
    ``add_scalars``), the column is named by it."""
    scalars = []
    for prefix, name, data in files:
        try:
            read = read_scalars(data)
        except ValueError as err:
            raise ValueError(f"{name} {err}") from None
        if prefix:
            read = [(s, prefix if prefix.startswith(t.replace("/", "_")) else f"{prefix}/{t}", v)
                    for s, t, v in read]  # fmt: skip
        scalars += read
    if not scalars:
        raise ValueError(f"{path} holds no scalars (TensorBoard event file)")
    return from_lists(by_step(scalars))


_FIELDS = re.compile(r"[,;\t ]+")


def _fields(line: str) -> list[str]:
    return [f.strip("\"'") for f in _FIELDS.split(line.strip()) if f]


def _is_data_line(line: str) -> bool:
    """Whether every field of ``line`` is a number (a row of a table, not its header)."""
    try:
        [float(f) for f in _fields(line)]
    except ValueError:
        return False
    return bool(_fields(line))


def _uncommented(text: str, notes: list[str]) -> str:
    """``text`` without the comment lines (``#``) that open it: R, gnuplot and loggers of
    one's own write notes there, and ``np.savetxt(..., header="step,loss")`` writes the
    header as the last of them, which is kept as the header when the line after it is a
    row of numbers."""
    head, rest, count = "", text, 0
    while rest.lstrip(" \t").startswith("#"):
        line, _, rest = rest.lstrip(" \t").partition("\n")
        head, count = line, count + 1
    first = next((line for line in lines(rest[:10_000]) if line.strip()), "")
    if not (count and first):
        return text  # no comments, or nothing but comments (a printed log that uses #)
    header = head.lstrip("#").strip()
    named = header and not _is_data_line(header)
    if named and _is_data_line(first) and len(_fields(header)) == len(_fields(first)):
        notes.append(f"read the header from the comment line {header[:60]!r}")
        return header + "\n" + rest
    notes.append(f"left out {count} comment line(s) at the top")
    return rest


def _columns_from_text(text: str, path: str, name: str, notes: list[str]) -> dict[str, Column]:
    text = _uncommented(clean_text(text), notes)
    first = next((line for line in lines(text) if line.strip()), "")
    if names_a_loss(first[:10_000]):
        return read_printed(text, notes)
    problem = None
    columns: dict[str, Column] = {}
    table_notes: list[str] = []
    try:
        columns = read_table(text, name, table_notes)
    except csv.Error as err:
        problem = f"cannot be read as CSV ({err})"
    except NotATableError as err:
        problem = f"is not a table ({err})"
    if any(c.numeric for c in columns.values()):
        notes += table_notes
        return columns
    for read in (read_fixed_width, lambda t: read_printed(t, notes)):
        found = read(text)
        if found and any(c.numeric for c in found.values()):
            return found
    if problem is None:
        return columns
    raise ValueError(
        f"{path} {problem}, nor is it a printed log: no line names a loss (such as "
        "'loss: 0.25', or a boosting library's 'train-rmse:0.25')"
    )


#: The first bytes of NumPy's own files: ``np.save`` (``.npy``) and ``np.savez`` (``.npz``, a zip
#: of ``.npy`` files).
NPY_MAGIC, NPZ_MAGIC = b"\x93NUMPY", b"PK\x03\x04"


def _columns_from_numpy(data: bytes, path: str) -> dict[str, Column]:
    """The columns of ``np.save(losses)`` (a 1-D array: the losses; a 2-D one: a column a
    column; a structured one: a column a field) or of ``np.savez(loss=..., ...)`` (a column
    an array of one dimension). Read with ``allow_pickle=False``: nothing is unpickled."""
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            arrays = _numpy_columns(loaded)
        else:
            with loaded:
                size = sum(info.file_size for info in loaded.zip.infolist())
                if size > MAX_BYTES:  # a zip bomb: refused before it is unpacked
                    raise OSError(f"it unpacks to {size:,} bytes, over {MAX_BYTES:,}")
                arrays = {k: np.asarray(loaded[k]) for k in loaded.files}
            arrays = {k: a for k, a in arrays.items() if a.ndim == 1 and a.dtype.kind in "biuf"}
    except (ValueError, OSError, EOFError) as err:  # pickled objects, a broken or other zip
        reason = "it holds pickled Python objects" if "pickle" in str(err) else str(err)
        raise ValueError(
            f"{path} is a NumPy file that cannot be read as losses: {reason}"
        ) from None
    if not arrays:
        raise ValueError(f"{path} holds no array of numbers of one or two dimensions")
    longest = max(len(a) for a in arrays.values())
    return from_lists({k: list(a) + [None] * (longest - len(a)) for k, a in arrays.items()})


def _numpy_columns(array: np.ndarray) -> dict[str, np.ndarray]:
    """One array's columns (see :func:`_columns_from_numpy`)."""
    if array.dtype.names:
        return {n: array[n] for n in array.dtype.names if array[n].ndim == 1}
    if array.dtype.kind not in "biuf" or array.ndim not in (1, 2):
        return {}
    if array.ndim == 1:
        return {"loss": array}
    return {str(j + 1): array[:, j] for j in range(array.shape[1])}


def _columns(path: str, notes: list[str]) -> dict[str, Column]:
    """The columns of a log file (or of a folder of TensorBoard event files)."""
    if os.path.isdir(path):
        events = _event_runs(path)
        if not events:
            raise FolderWithoutLogError(
                f"{path} is a folder without TensorBoard event files (events.out.tfevents.*) "
                "in it or below it; give a log file, or a TensorBoard run's folder"
            )
        files = ((prefix, name, _read_event(name)) for prefix, name in events)
        return _columns_from_events(files, path)
    data = read_bytes(path, MAX_BYTES)  # "-": standard input
    name = os.path.basename(path)
    if is_gzip(data):
        data = gunzip(data, MAX_BYTES, path)
        name = name[:-3] if name.lower().endswith(".gz") else name
    if ".tfevents." in name or is_event_file(data[:200]):
        return _columns_from_events([("", path, data)], path)
    if data.startswith((NPY_MAGIC, NPZ_MAGIC)):
        return _columns_from_numpy(data, path)
    text = decode_text(data, path)
    del data
    if not text.strip():
        raise ValueError(f"{path} is empty")
    named_json = name.lower().endswith((".json", ".jsonl"))
    if not (named_json or text.lstrip()[:1] in "[{"):
        return _columns_from_text(text, path, name, notes)
    json_notes: list[str] = []
    try:
        columns = read_json(parse_json(text, path, json_notes), path)
        notes += json_notes
        return columns
    except ValueError as err:
        # a printed log can open with a bracket too: Hugging Face's Trainer prints
        # {'loss': 2.12, 'epoch': 0.1} a line, the PyTorch tutorial [1,  2000] loss: 2.192
        if named_json:
            raise
        columns = read_printed(clean_text(text), notes)
        if not columns:
            raise ValueError(
                f"{err}; nor is it a printed log: no line names a loss (such as "
                "'loss: 0.25', or a boosting library's 'train-rmse:0.25')"
            ) from None
        return columns


def _restart(steps: np.ndarray, others: list[np.ndarray]) -> int:
    """The row where the last run of several appended ones starts: where the steps fall
    back to (or below) where the run before started, while no other step column rises
    there (Keras' epochs under a batch counter); 0 when they never do."""
    start = 0
    for i in np.flatnonzero(np.diff(steps) < 0) + 1:
        if steps[i] <= steps[start] and not any(o[i] > o[i - 1] for o in others):
            start = int(i)
    return start


def _within_epochs(epochs: np.ndarray) -> np.ndarray | None:
    """Fractional epochs for losses logged several times an epoch: the ``k`` losses of epoch
    ``e`` become ``e, e + 1/k, ..., e + (k-1)/k`` in their order; None when no epoch repeats
    (one loss an epoch)."""
    order = np.argsort(epochs, kind="stable")
    ordered = np.asarray(epochs, dtype=float)[order]
    _, first, sizes = np.unique(ordered, return_index=True, return_counts=True)
    if len(sizes) == len(ordered):
        return None
    within = np.arange(len(ordered)) - np.repeat(first, sizes)
    out = np.empty(len(ordered))
    out[order] = ordered + within / np.repeat(sizes, sizes)
    return out


def read_log(path: str | os.PathLike, column: str | None = None) -> dict[str, Any]:
    """The loss column of a log: ``{"loss", "step", "grad_norm", "column", "unit",
    "notes"}`` with ``step``/``grad_norm`` None when the log has no such column, and
    ``notes`` what the reader left out or chose among, in words (see the module docstring
    for how the column is chosen); ``"per_step": True`` when an epoch column repeats (losses
    logged within each epoch, numbered by fractions of one).

    Raises FileNotFoundError for a missing file, ValueError for an empty file, a file with
    no numeric column, a column that is missing (the message lists the columns), or a chosen
    column holding text.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            "read_log: path must be the path of a CSV or JSON log (a str or os.PathLike); got "
            f"{check.shown(path)} ({type(path).__name__})"
        )
    path = os.fspath(path)
    if column is not None and not isinstance(column, str):
        raise TypeError(
            f"column must be the name of a column of the log (a string) or None; got "
            f"{check.shown(column)} ({type(column).__name__})"
        )
    notes: list[str] = []
    return _read_columns(_columns(path, notes), column, path, notes)


def read_records(records: Any, column: str | None = None) -> dict[str, Any]:
    """The loss column of a log held in memory, read as the same log saved as JSON would be
    (see :func:`read_log`): a dict of lists or arrays (Keras's ``History.history``), a list of
    records (Hugging Face's ``log_history``), or a pandas DataFrame (a Lightning
    ``metrics.csv`` read by ``pandas.read_csv``; its empty cells are missing values)."""
    if hasattr(records, "columns") and hasattr(records, "to_dict"):  # a pandas DataFrame
        records = records.astype(object).where(records.notna(), None).to_dict("list")
    elif isinstance(records, Mapping):
        records = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in records.items()}
    elif not isinstance(records, (list, tuple)):
        raise TypeError(
            "read_records: records must be a dict of lists, a list of records or a pandas "
            f"DataFrame; got {check.shown(records)} ({type(records).__name__})"
        )
    notes: list[str] = []
    return _read_columns(read_json(records, "the log"), column, "the log", notes)


def _read_columns(
    columns: dict[str, Column], column: str | None, path: str, notes: list[str]
) -> dict[str, Any]:
    """:func:`read_log`'s answer from the columns of a log (``path`` names it in messages)."""
    name = _choose(columns, column, path, notes)
    chosen = columns[name]
    if chosen.bad is not None:
        row, cell = chosen.bad
        raise ValueError(
            f"{path}: column {_shown(name)} holds {_shown(cell)} (row {row + 1}), not a number"
        )
    rows = np.flatnonzero(chosen.present)
    if not len(rows):
        raise ValueError(f"{path}: column {_shown(name)} holds no numbers")
    out: dict[str, Any] = {
        "loss": chosen.values[rows],
        "column": name,
        "step": None,
        "grad_norm": None,
        "unit": "step",
        "notes": notes,
    }
    step_name = _find(columns, STEP_NAMES, rows, finite=True, rising=True)
    if step_name is not None:
        steps = columns[step_name].values[rows]
        others = [
            v for c in columns if c != step_name and c.strip().lower() in STEP_NAMES
            if (v := columns[c].at(rows)) is not None
        ]  # fmt: skip
        start = _restart(steps, others)
        if start:
            runs = 1 + sum(
                1 for i in np.flatnonzero(np.diff(steps) < 0) + 1 if steps[i] <= steps[0]
            )
            notes.append(
                f"its {step_name} count starts again at value {start + 1} ({step_name} "
                f"{steps[start]:g} after {steps[start - 1]:g}): {runs} runs appended; read "
                f"the last ({len(rows) - start} values)"
            )
            rows, steps = rows[start:], steps[start:]
            out["loss"] = chosen.values[rows]
        out["step"] = steps
        out["unit"] = "epoch" if "epoch" in step_name.lower() else "step"
        within = _within_epochs(steps) if out["unit"] == "epoch" else None
        if within is not None:  # losses logged within each epoch: per step
            out["step"], out["per_step"] = within, True
    grad_name = _find(columns, GRAD_NAMES, rows, finite=False)
    if grad_name is not None:
        out["grad_norm"] = columns[grad_name].values[rows]
    return out


def read_losses(path: str | os.PathLike, column: str | None = None) -> np.ndarray:
    """The losses of a log as a 1-D float array (see :func:`read_log`)."""
    return read_log(path, column)["loss"]
