"""Data sets from outside: scikit-learn's bundled sets (:func:`load`) and CSV files."""

from __future__ import annotations

import csv
import io
import math
import os
import stat
from importlib import metadata
from pathlib import Path

import numpy as np

from descend import _validation as check
from descend._files import (
    decode_text,
    input_kind,
    point_decimal,
    read_bytes,
    user_cache,
    written_whole,
)
from descend.problems.data._dataset import TASKS, Dataset

#: A target column of integers with at most this many distinct values is read as class labels.
MAX_INFERRED_CLASSES = 20

_BUNDLED = {
    "iris": ("load_iris", "classification"),
    "wine": ("load_wine", "classification"),
    "breast_cancer": ("load_breast_cancer", "classification"),
    "digits": ("load_digits", "classification"),
    "diabetes": ("load_diabetes", "regression"),
}

_SHOWN = 5  # offending cells named per column in an error message
#: The largest CSV read (1 GiB of text): a larger one is refused before it fills the memory.
MAX_CSV_BYTES = 1 << 30


def names() -> list[str]:
    """The names :func:`load` accepts, sorted."""
    return sorted(_BUNDLED)


def load(name: str) -> Dataset:
    """One of the small data sets that ship inside scikit-learn (no network needed).

    ======================  ==========  ========  ==============
    name                    samples     features  task
    ======================  ==========  ========  ==============
    ``"iris"``              150         4         3 classes
    ``"wine"``              178         13        3 classes
    ``"breast_cancer"``     569         30        2 classes
    ``"digits"``            1797        64        10 classes (8x8 images, pixels 0..16)
    ``"diabetes"``          442         10        regression
    ======================  ==========  ========  ==============

    The values are scikit-learn's, unscaled except for diabetes, whose features scikit-learn
    centres and scales already (see ``sklearn.datasets.load_diabetes``); standardize the others
    (:func:`descend.problems.data.standardize`) before gradient descent. ``feature_names`` and
    ``target_names`` come from scikit-learn too.

    scikit-learn is an optional dependency, imported here: without it this raises
    ``ImportError`` (``pip install descend[sklearn]``). An unknown ``name`` raises
    ``ValueError`` listing the valid ones. A set read once is kept in a file for the next
    process (``$DESCEND_DATA_CACHE``, else ``~/.cache/descend/data``;
    ``DESCEND_DATA_CACHE=off`` keeps nothing), named by scikit-learn's version, so that
    loading it again does not import scikit-learn (about a second).
    """
    key = check.registry_key("data set", name, _BUNDLED, where="load: ")
    kept = _kept_path(key)
    if kept is not None:
        try:
            return _read_kept(kept, key)
        except Exception:  # not kept yet, or unreadable (a file cut short, another version's)
            pass  # read from scikit-learn, and kept again
    try:
        from sklearn import datasets
    except ImportError as err:
        raise ImportError(
            "descend.problems.data.load needs scikit-learn, an optional dependency; install it "
            "with: pip install descend[sklearn]  (or: pip install scikit-learn)"
        ) from err
    loader, task = _BUNDLED[key]
    bunch = getattr(datasets, loader)()
    target_names: tuple[str, ...] = ()
    y = np.asarray(bunch.target, dtype=np.float32)
    if task == "classification":
        target_names = tuple(str(t) for t in bunch.target_names)
        y = np.asarray(bunch.target, dtype=np.int32)
    data = Dataset(
        X=np.asarray(bunch.data, dtype=np.float32),
        y=y,
        task=task,
        name=key,
        feature_names=tuple(str(f) for f in bunch.feature_names),
        target_names=target_names,
    )
    if kept is not None:
        _keep(kept, data)
    return data


#: Where :func:`load` keeps the sets it has read, so that the next process skips importing
#: scikit-learn (about a second): a folder, or "off" (default: the user's cache).
CACHE_VARIABLE = "DESCEND_DATA_CACHE"


def _kept_path(key: str) -> Path | None:
    """The file that keeps the set ``key`` as this scikit-learn gives it (its version in the
    name), in ``$DESCEND_DATA_CACHE``, else the user's cache; None when keeping is off or
    scikit-learn's version is unknown."""
    folder = os.environ.get(CACHE_VARIABLE) or str(user_cache("data"))
    if folder == "off":
        return None
    try:
        sklearn_version = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return None
    return Path(folder) / f"{key}-sklearn-{sklearn_version}.npz"


def _read_kept(path: Path, key: str) -> Dataset:
    with np.load(path, allow_pickle=False) as kept:
        return Dataset(
            X=kept["X"],
            y=kept["y"],
            task=str(kept["task"]),
            name=key,
            feature_names=tuple(str(f) for f in kept["feature_names"]),
            target_names=tuple(str(t) for t in kept["target_names"]),
        )


def _keep(path: Path, data: Dataset) -> None:
    """Write ``data`` to ``path`` whole or not at all; a folder that cannot be written only
    means that the next process reads scikit-learn again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with written_whole(path, per_process=True) as partial:
            np.savez_compressed(
                partial,
                X=data.X,
                y=data.y,
                task=np.array(data.task),
                feature_names=np.array(data.feature_names, dtype=str),
                target_names=np.array(data.target_names, dtype=str),
            )
    except OSError:
        pass


def _parse(cell: str) -> float | None:
    """A cell as a float; ``nan`` for an empty or NaN cell; ``None`` if it is not a number."""
    text = cell.strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _cells(offenders: list[tuple[int, str]]) -> str:
    shown = ", ".join(f"line {line}: {value!r}" for line, value in offenders[:_SHOWN])
    more = len(offenders) - _SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


def _delimiter(handle: io.StringIO) -> str:
    """The header's delimiter (a comma, else a semicolon, else a tab); ``handle`` is left
    where it was."""
    start = handle.tell()
    header = handle.readline()
    while header and not header.strip():
        header = handle.readline()
    handle.seek(start)
    return next((d for d in (",", ";", "\t") if d in header), ",")


def _csv_text(path: str | os.PathLike[str]) -> io.StringIO:
    """The decoded text of a CSV file; ``FileNotFoundError`` naming the path for one that is
    missing, a folder or a device (a pipe is read: ``<(cut -d, -f2- data.csv)``)."""
    file = Path(path)
    kind = input_kind(file)
    if kind != "file":
        what = {"missing": "no such file", "folder": "is a directory, not a file"}.get(
            kind, "is a device, not a file"
        )
        raise FileNotFoundError(f"read_csv: {what}: {str(path)!r}")
    where = f"read_csv({str(path)!r})"
    return io.StringIO(decode_text(read_bytes(file, MAX_CSV_BYTES), where), newline="")


def csv_columns(path: str | os.PathLike[str]) -> list[str]:
    """The column names in a CSV file's first non-blank row, read as :func:`read_csv` reads
    them (its ``FileNotFoundError``, or ``OSError`` or ``ValueError`` when the file cannot be
    read)."""
    handle = _csv_text(path)
    for cells in csv.reader(handle, delimiter=_delimiter(handle)):
        if any(c.strip() for c in cells):
            return [c.strip() for c in cells]
    return []


def read_csv(
    path: str | os.PathLike[str],
    target: str,
    *,
    delimiter: str | None = None,
    task: str | None = None,
) -> Dataset:
    """A data set from a CSV file whose first row names the columns.

    ``target`` names the column that holds the targets; every other column is a feature, in
    file order (``feature_names``). Cells are read with Python's ``csv`` module; surrounding
    spaces are ignored and blank lines skipped. ``delimiter`` separates the cells; by default
    the header decides: a comma, else a semicolon (as spreadsheets write CSV where the decimal
    mark is a comma, and then ``0,25`` is read as 0.25), else a tab. The text may be UTF-8,
    UTF-16 or UTF-32 with a byte-order mark, or Windows-1252 (``decode_text``).

    ``task`` is ``"regression"``, ``"classification"`` or ``None``, to infer it: classification
    when every target is an integer (``3`` or ``3.0``) and there are at most
    ``MAX_INFERRED_CLASSES = 20`` distinct values, or when no target is a number at all (text
    labels such as ``setosa``); regression otherwise. Pass ``task`` when the rule guesses
    wrong (a regression target that counts something, for instance). For classification the
    distinct labels, sorted (as numbers, or as text), become ``0 .. k - 1`` and their original
    spellings ``target_names``; labels that are ``0 .. k - 1`` already keep their values.

    Raises ``FileNotFoundError`` naming the path when there is no such file, and ``ValueError``
    for an empty file, a header without data rows, a duplicated column name, a missing
    ``target`` column (listing the columns), a row with the wrong number of cells, non-numeric
    features (naming each column and its first offending lines with their values), empty, NaN
    or infinite cells (naming their lines and columns), or non-integer labels when ``task`` is
    ``"classification"``. Lines are numbered as in an editor: the header is line 1.
    """
    check.choice("read_csv: task", task, (*TASKS, None))
    if not isinstance(target, str):
        raise TypeError(f"read_csv: target must be a column name (a string); got {target!r}")
    file = Path(path)
    handle = _csv_text(path)
    where = f"read_csv({str(path)!r})"
    # a pipe (<(...), /dev/fd/63) has no name worth showing as the data set's
    name = "pipe" if stat.S_ISFIFO(os.stat(file).st_mode) else file.stem
    if delimiter is None:
        delimiter = _delimiter(handle)
    reader = csv.reader(handle, delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
            else:
                rows.append((reader.line_num, cells))
    except csv.Error as err:
        raise ValueError(f"{where}: line {reader.line_num}: {err}") from None
    if delimiter != ",":
        rows = [(line, [point_decimal(c) for c in cells]) for line, cells in rows]
    if header is None:
        raise ValueError(f"{where}: the file is empty (expected a header row of column names)")
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ValueError(f"{where}: duplicated column names {duplicates}; columns: {header}")
    if target not in header:
        numbers = all(_parse(c) is not None for c in header)  # data, not names
        hint = "; the first row holds numbers: add a header row of column names" if numbers else ""
        raise ValueError(f"{where}: no target column {target!r}; the columns are {header}{hint}")
    if len(header) < 2:
        raise ValueError(f"{where}: no feature columns besides the target {target!r}")
    if not rows:
        raise ValueError(f"{where}: the file has a header ({header}) but no data rows")
    ragged = [(line, len(cells)) for line, cells in rows if len(cells) != len(header)]
    if ragged:
        listed = ", ".join(f"line {line} has {k}" for line, k in ragged[:_SHOWN])
        more = f" (and {len(ragged) - _SHOWN} more)" if len(ragged) > _SHOWN else ""
        raise ValueError(
            f"{where}: every row must have {len(header)} cells like the header; {listed}{more}"
        )

    t = header.index(target)
    lines = [line for line, _ in rows]
    columns = list(zip(*(cells for _, cells in rows), strict=True))
    labels_as_text = task != "regression" and all(
        _parse(v) is None for v in columns[t] if v.strip()
    )
    values = np.empty((len(rows), len(header)), dtype=np.float64)
    non_numeric: list[str] = []
    for j, column in enumerate(columns):
        if j == t and labels_as_text:
            values[:, j] = [0.0 if v.strip() else math.nan for v in column]
            continue
        parsed = [_parse(v) for v in column]
        offenders = [(lines[i], v) for i, v in enumerate(column) if parsed[i] is None]
        if offenders:
            non_numeric.append(f"column {header[j]!r} ({_cells(offenders)})")
        else:
            values[:, j] = parsed
    if non_numeric:
        raise ValueError(f"{where}: non-numeric values in " + "; ".join(non_numeric))
    missing = []
    for j in range(len(header)):
        bad = np.flatnonzero(~np.isfinite(values[:, j]))
        if bad.size:
            listed = ", ".join(str(lines[i]) for i in bad[:_SHOWN])
            more = f" (and {bad.size - _SHOWN} more)" if bad.size > _SHOWN else ""
            missing.append(f"column {header[j]!r} at line(s) {listed}{more}")
    if missing:
        raise ValueError(f"{where}: empty, NaN or infinite cells: " + "; ".join(missing))

    X = np.delete(values, t, axis=1).astype(np.float32)
    feature_names = tuple(c for j, c in enumerate(header) if j != t)
    if labels_as_text:
        text = [v.strip() for v in columns[t]]
        classes = sorted(set(text))
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[v] for v in text], dtype=np.int32)
        return Dataset(X, y, "classification", name, feature_names, tuple(classes))
    y_raw = values[:, t]
    integral = bool(np.all(y_raw == np.round(y_raw)))
    distinct = np.unique(y_raw)
    if task is None:
        task = (
            "classification" if integral and len(distinct) <= MAX_INFERRED_CLASSES else "regression"
        )
    if task == "regression":
        return Dataset(X, y_raw.astype(np.float32), task, name, feature_names)
    if not integral:
        bad = [(lines[i], columns[t][i]) for i in np.flatnonzero(y_raw != np.round(y_raw))]
        raise ValueError(
            f"{where}: task='classification' needs integer labels in column {target!r}; "
            f"got {_cells(bad)}"
        )
    y = np.searchsorted(distinct, y_raw).astype(np.int32)
    classes = tuple(str(int(v)) for v in distinct)
    return Dataset(X, y, task, name, feature_names, classes)


__all__ = ["MAX_INFERRED_CLASSES", "load", "names", "read_csv"]
