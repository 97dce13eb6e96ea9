"""Tables: CSV (or TSV, or semicolons), columns separated by spaces, fixed-width tables whose
names hold spaces (scikit-learn's ``Iter  Train Loss  OOB Improve``, spaCy's ``E  #  LOSS
TOK2VEC  LOSS NER``), and a plain file with one loss per line.

A header row names the columns, unless all its cells are numbers: then there is none, and the
columns are named "1", "2", ..., except that when the first counts up in whole numbers (a
step or epoch) the first two are "step" and "loss", and that an MLflow metric file
(``timestamp value step`` a line, the timestamp in milliseconds) names its values after the
file. Where cells are not separated by commas a decimal comma is read as a point; a quoted
cell ``"1,235,412.22"`` is read with its thousands separators. A header repeated further down
(runs appended with ``>>``) starts the table again: the last run is read. A last line cut
short (a crash mid-write, no newline after it) is left out. What was left out is said in
the reader's notes."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from descend._files import point_decimal
from descend.insight.diagnose._log_columns import Column, Table, counts, number
from descend.insight.diagnose._printed_logs import lines

#: Milliseconds since 1970 of 1973-03-03: an MLflow timestamp is larger.
_MS_TIMESTAMP = 1e11
_SAMPLE = 50
_CELLS_BY_SPACES = re.compile(r"\s{2,}")
_RULE = re.compile(r"[-=\s]+")  # a header's underline: "---  ------"


class NotATableError(ValueError):
    """The text is not a table of one shape (a printed log, perhaps)."""


def _last_line_cut(text: str) -> bool:
    """Whether the text ends without a newline: its last line may have been cut short."""
    return not text.endswith(("\n", "\r"))


def _is_number(cell: str) -> bool:
    try:
        return number(cell) is not None
    except ValueError:
        return False


def _dialect(sample: list[str], cut: bool) -> Any:
    """The sniffed CSV dialect, ``"spaces"`` when every line splits on whitespace into the
    same number (two or more) of fields, or None (one column, or no shape at all)."""
    try:
        return csv.Sniffer().sniff("\n".join(sample), delimiters=",;\t")
    except csv.Error:
        pass
    shaped = sample[:-1] if cut and len(sample) < _SAMPLE else sample
    widths = {len(line.split()) for line in shaped}
    if len(widths) == 1 and widths.pop() > 1:
        return "spaces"
    return None


def _rows(text: str, dialect: Any) -> Iterator[list[str]]:
    if dialect == "spaces":
        for line in lines(text):
            cells = line.split()
            if cells:
                yield [point_decimal(c) if "," in c else c for c in cells]
        return
    comma = dialect.delimiter == ","
    for row in csv.reader(lines(text, keepends=True), dialect):
        if any(c.strip() for c in row):
            yield row if comma else [point_decimal(c) if "," in c else c for c in row]


def read_table(text: str, name: str, notes: list[str]) -> dict[str, Column]:
    """The columns of a delimited text (``name``: the file's, which an MLflow metric file's
    values are named after). Raises ``csv.Error`` for a text that is not CSV, and
    :class:`NotATableError` for lines of several shapes."""
    sample = [line for line, _ in zip(_nonblank(text), range(_SAMPLE), strict=False)]
    cut = _last_line_cut(text)
    dialect = _dialect(sample, cut)
    if dialect is None:
        dialect = csv.excel
        if len({len(line.split()) for line in sample}) > 1:
            raise NotATableError("lines of several shapes")
    rows = _rows(text, dialect)
    first = next(rows, None)
    if first is None:
        return {}
    header = None if _all_numbers(first) else [c.strip() for c in first]
    names = header or [str(i + 1) for i in range(len(first))]
    table, runs, restart, last_width = Table(), 1, 0, len(first)
    if header is None:
        table.add(zip(names, first, strict=False))
    misshapen = False  # a row of spaces-separated cells that is not as wide as the header
    for i, row in enumerate(rows, start=2):
        if header is not None and [c.strip() for c in row] == header:
            table, runs, restart = Table(), runs + 1, i
            continue
        if misshapen:
            raise NotATableError("lines of several shapes")
        if dialect == "spaces" and len(row) != len(names):
            if not cut:
                raise NotATableError("lines of several shapes")
            misshapen = True  # unless it is the last line, cut short
        table.add(zip(names, row, strict=False))
        last_width = len(row)
    if cut and table.rows > 1:
        text_at_end = any(bad[0] == table.rows - 1 for bad in table.bad.values())
        if last_width != len(names) or text_at_end:
            table.drop_last()
            notes.append("left out its last line, cut short (no newline after it: a crash "
                         "mid-write?)")  # fmt: skip
    if runs > 1:
        notes.append(
            f"holds {runs} runs (its header repeats, last at row {restart}): read the last"
        )
    columns = table.columns()
    for n in names:  # a column named in the header but never filled
        columns.setdefault(n, Column(np.full(table.rows, np.nan), np.zeros(table.rows, bool)))
    columns = {n: columns[n] for n in dict.fromkeys(names)}
    return _name_headerless(columns, name) if header is None else columns


def _nonblank(text: str) -> Iterator[str]:
    return (line for line in lines(text) if line.strip())


def _all_numbers(row: list[str]) -> bool:
    """Whether a first row is data: all its cells that are not empty are numbers."""
    cells = [c for c in row if c.strip()]
    return bool(cells) and all(_is_number(c) for c in cells)


def _name_headerless(columns: dict[str, Column], name: str) -> dict[str, Column]:
    """Names for the columns of a file without a header: MLflow's ``timestamp value step``,
    else ``step, loss`` when the first counts up, else "1", "2", ..."""
    cols = list(columns.values())
    whole = [c.present.all() and c.bad is None for c in cols]
    if len(cols) == 3 and all(whole):
        stamps, steps = cols[0].values, cols[2].values
        if (
            counts(stamps, strictly=False)
            and counts(steps, strictly=False)
            and stamps[0] >= _MS_TIMESTAMP
        ):
            value = name.strip() or "loss"
            value = "loss" if value in ("timestamp", "step") else value
            return dict(zip(["timestamp", value, "step"], cols, strict=True))
    if len(cols) >= 2 and whole[0] and counts(cols[0].values):
        return dict(zip(["step", "loss", *list(columns)[2:]], cols, strict=True))
    return columns


def read_fixed_width(text: str) -> dict[str, Column]:
    """The first fixed-width table of a text: a header whose names are two or more spaces
    apart (``Iter       Train Loss      OOB Improve``), perhaps underlined, then the rows
    below it that split on whitespace into as many cells (lines before and after, such as
    spaCy's banners, are passed over). An empty dict when there is no such table."""
    header: list[str] | None = None
    table = Table()
    for line in lines(text):
        if not line.strip():
            continue
        cells = line.split()
        if table.rows and header is not None:
            if len(cells) != len(header):
                break
            table.add(zip(header, cells, strict=True))
            continue
        if header is not None and _RULE.fullmatch(line):
            continue
        if header is not None and len(cells) == len(header) and any(map(_is_number, cells)):
            table.add(zip(header, cells, strict=True))
            continue
        names = _CELLS_BY_SPACES.split(line.strip())
        fits = len(names) >= 2 and not any(map(_is_number, names))
        header = names if fits else None
    return table.columns() if table.rows >= 2 else {}  # one row: a banner, not a table
