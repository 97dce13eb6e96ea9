"""The columns a log reader builds: numbers kept in arrays (a float and a presence flag a row),
never a Python object a cell, so that a log of millions of lines is read in a few times its
size; and the names that say what a column holds."""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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
#: Words that mark a held-out series (matched as whole words: "valiant" is not "val").
NOT_LOSS = ("val", "valid", "validation", "validating", "test", "testing", "eval",
            "evaluation", "evaluating")  # fmt: skip
#: Columns passed over when no name says which is the loss: steps, times, learning rates.
NOT_DATA = (*STEP_NAMES, *TIME_NAMES, *LR_NAMES)

#: The words of a name: split on anything but letters and at lower-to-upper case changes.
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def words(name: str) -> list[str]:
    """The words of a name, lower case: ``"valLoss"`` and ``"val_loss"`` give val, loss."""
    return [w.lower() for w in _WORDS.findall(name)]


def held_out(name: str) -> bool:
    """Whether a name marks a validation, test or evaluation series by one of its words."""
    return any(w in NOT_LOSS for w in words(name))


#: A number with thousands separators: groups of exactly three digits after each comma.
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def number(cell: Any) -> float | None:
    """A cell as a float; None for an empty cell; raises ValueError for text (parsed with
    ``float``, never evaluated; ``1,235,412.22`` is read with its thousands separators)."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    text = str(cell).strip()
    if not text:
        return None
    try:
        return float(text)  # accepts nan, inf, -inf, 1e-3, ...
    except ValueError:
        if _THOUSANDS.fullmatch(text):
            return float(text.replace(",", ""))
        raise


@dataclass
class Column:
    """A column of a log: ``values[i]`` is row i's number when ``present[i]`` (else it is
    empty there); ``bad`` is the first cell that is text, ``(row, cell)``, None when all are
    numbers (or empty)."""

    values: np.ndarray
    present: np.ndarray
    bad: tuple[int, Any] | None = None

    @property
    def numeric(self) -> bool:
        return self.bad is None and bool(self.present.any())

    def count(self) -> int:
        return int(self.present.sum())

    def at(self, rows: np.ndarray) -> np.ndarray | None:
        """The numbers on ``rows``; None when one of them is empty or the column holds text."""
        if self.bad is not None or not self.present[rows].all():
            return None
        return self.values[rows]


def counts(values: np.ndarray, strictly: bool = True) -> bool:
    """Whether the numbers are whole and increase (a step or epoch); with ``strictly=False``,
    whether they never decrease."""
    if not len(values) or not np.all(np.isfinite(values)):
        return False
    steps = np.diff(values)
    rises = bool(np.all(steps > 0 if strictly else steps >= 0))
    return rises and bool(np.all(values == np.round(values)))


def from_cells(cells: Sequence[Any]) -> Column:
    """The column of a list of cells (JSON values, event file scalars, ...)."""
    values = np.full(len(cells), math.nan)
    present = np.zeros(len(cells), dtype=bool)
    bad = None
    for i, cell in enumerate(cells):
        try:
            x = number(cell)
        except (TypeError, ValueError):
            bad = bad or (i, cell)
            continue
        if x is not None:
            values[i], present[i] = x, True
    return Column(values, present, bad)


def from_lists(lists: dict[str, Sequence[Any]]) -> dict[str, Column]:
    return {name: from_cells(cells) for name, cells in lists.items()}


class Table:
    """Columns built a row at a time: each column is an ``array('d')`` of its numbers and a
    ``bytearray`` saying which rows hold one, padded as rows pass it by."""

    def __init__(self) -> None:
        self.rows = 0
        self.values: dict[str, array] = {}
        self.present: dict[str, bytearray] = {}
        self.bad: dict[str, tuple[int, Any]] = {}

    def _put(self, name: str, row: int, x: float) -> None:
        values = self.values.get(name)
        if values is None:
            values = self.values[name] = array("d")
            self.present[name] = bytearray()
        present = self.present[name]
        gap = row - len(values)
        if gap > 0:
            values.extend([math.nan] * gap)
            present.extend(bytes(gap))
        if gap < 0:
            values[row], present[row] = x, 1
        else:
            values.append(x)
            present.append(1)

    def set(self, name: str, row: int, cell: Any) -> None:
        """Row ``row``'s cell of a column: a number (or a numeric string), empty, or text."""
        try:
            x = float(cell)
        except (TypeError, ValueError):
            self._other(name, row, cell)
            return
        values = self.values.get(name)
        if values is not None and len(values) == row:  # the usual case: the next row
            values.append(x)
            self.present[name].append(1)
        else:
            self._put(name, row, x)

    def _other(self, name: str, row: int, cell: Any) -> None:
        """A cell that ``float`` does not read: empty, thousands separators, or text."""
        try:
            x = number(cell)
        except (TypeError, ValueError):
            x = None
            if name not in self.bad:
                self.bad[name] = (row, cell)
        if x is not None:
            self._put(name, row, x)
        else:
            self.values.setdefault(name, array("d"))
            self.present.setdefault(name, bytearray())

    def add(self, cells: Iterable[tuple[str, Any]]) -> None:
        """A new row."""
        row = self.rows
        self.rows += 1
        for name, cell in cells:
            self.set(name, row, cell)

    def update_last(self, cells: Iterable[tuple[str, Any]]) -> None:
        """More cells for the last row (a new row when there is none)."""
        if not self.rows:
            self.add(cells)
            return
        for name, cell in cells:
            self.set(name, self.rows - 1, cell)

    def drop_last(self) -> None:
        """Forget the last row."""
        self.rows -= 1
        for name, values in self.values.items():
            del values[self.rows :]
            del self.present[name][self.rows :]
        self.bad = {n: b for n, b in self.bad.items() if b[0] < self.rows}

    def columns(self) -> dict[str, Column]:
        out = {}
        for name, values in self.values.items():
            array_ = np.full(self.rows, math.nan)
            present = np.zeros(self.rows, dtype=bool)
            array_[: len(values)] = np.frombuffer(values, dtype=float) if values else []
            present[: len(values)] = np.frombuffer(self.present[name], dtype=bool)
            out[name] = Column(array_, present, self.bad.get(name))
        return out
