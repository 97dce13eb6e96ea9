"""The :class:`Dataset` type: a feature matrix, its targets and what they mean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend import _validation as check

TASKS = ("regression", "classification")


def _float_array(name: str, value: Any) -> np.ndarray:
    """``value`` as float32, or float64 if it is float64 already (float64 on request)."""
    try:
        arr = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise ValueError(f"Dataset: {name} must be a numeric array; got {value!r:.80}") from err
    if arr.dtype == np.float64:
        return arr.copy()
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) or np.iscomplexobj(arr):
        raise TypeError(f"Dataset: {name} must be a real numeric array; got dtype {arr.dtype}")
    return arr.astype(np.float32)


def _listing(items: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" (and {len(items) - limit} more)" if len(items) > limit else "")


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A data set for supervised learning: ``X`` of shape ``(n, d)`` and targets ``y`` of ``(n,)``.

    ``X`` is stored as float32 (float64 is kept if given, for work in 64 bits). For
    ``task="regression"`` ``y`` is float32 (or float64) too; for ``task="classification"`` it
    holds integer class labels ``0 .. n_classes - 1`` as int32 (float labels with integer values
    are converted). ``feature_names`` name the columns of ``X`` and ``target_names`` the
    classes (label ``j`` is ``target_names[j]``) when known. Both arrays are read-only copies,
    so a Dataset never changes after it is made.

    Raises ``ValueError`` when ``X`` is not 2-D, ``y`` not 1-D of the same length, ``X`` or
    ``y`` holds NaN or infinity (naming the rows and columns), a class label is not an integer
    in range, ``task`` is unknown, or the names do not match the shapes.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    name: str = ""
    feature_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check.untraced("Dataset", self.X, self.y, does="holds NumPy copies of its arrays",
                       hint="give fit the pair (X, y), which it vmaps over")  # fmt: skip
        check.choice("Dataset: task", self.task, TASKS)
        X = _float_array("X", self.X)
        if X.ndim != 2:
            raise ValueError(f"Dataset: X must be 2-D (n_samples, n_features); got shape {X.shape}")
        bad_rows, bad_cols = np.nonzero(~np.isfinite(X))
        if bad_rows.size:
            rows = np.unique(bad_rows).tolist()
            cols = np.unique(bad_cols).tolist()
            raise ValueError(
                f"Dataset: X must hold no NaN or infinite values; found {bad_rows.size} in "
                f"rows {_listing(rows)} and columns {_listing(cols)}"
            )
        y = self._targets(np.asarray(self.y), len(X))
        X.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "name", str(self.name))
        for field, size in (("feature_names", X.shape[1]), ("target_names", None)):
            value = getattr(self, field)
            if isinstance(value, str):
                raise ValueError(f"Dataset: {field} must be a sequence of strings; got {value!r}")
            names = tuple(str(v) for v in value)
            if names and size is not None and len(names) != size:
                raise ValueError(
                    f"Dataset: {field} must have one name per column ({size}); got {len(names)}"
                )
            object.__setattr__(self, field, names)
        if self.target_names:
            if self.task != "classification":
                raise ValueError("Dataset: target_names are for classification only")
            if y.size and int(y.max()) >= len(self.target_names):
                raise ValueError(
                    f"Dataset: label {int(y.max())} has no name; target_names holds "
                    f"{len(self.target_names)}: {self.target_names}"
                )

    def _targets(self, y: np.ndarray, n: int) -> np.ndarray:
        if y.ndim != 1 or len(y) != n:
            raise ValueError(
                f"Dataset: y must be 1-D with one target per row of X ({n}); got shape {y.shape}"
            )
        if self.task == "regression":
            y = _float_array("y", y)
            bad = np.flatnonzero(~np.isfinite(y)).tolist()
            if bad:
                raise ValueError(
                    f"Dataset: y must hold no NaN or infinite values; found at rows {_listing(bad)}"
                )
            return y
        if np.issubdtype(y.dtype, np.integer):
            labels = y.astype(np.int64)
        else:
            yf = _float_array("y", y).astype(np.float64)
            bad = np.flatnonzero(~(np.isfinite(yf) & (yf == np.round(yf)))).tolist()
            if bad:
                raise ValueError(
                    "Dataset: classification labels must be integers; got "
                    + _listing([f"row {i}: {y[i]!r}" for i in bad])
                )
            labels = yf.astype(np.int64)
        bad = np.flatnonzero(labels < 0).tolist()
        if bad:
            raise ValueError(
                "Dataset: classification labels must be >= 0 (0 .. n_classes - 1); got "
                + _listing([f"row {i}: {labels[i]}" for i in bad])
            )
        return labels.astype(np.int32)

    @property
    def n_samples(self) -> int:
        """The number of rows of ``X``."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """The number of columns of ``X``."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """The number of classes: ``len(target_names)`` if named, else ``max(y) + 1``.

        Raises ``ValueError`` for a regression data set.
        """
        if self.task != "classification":
            raise ValueError(f"Dataset {self.name!r}: n_classes is for classification only")
        if self.target_names:
            return len(self.target_names)
        return int(self.y.max()) + 1 if self.y.size else 0

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        classes = f", n_classes={self.n_classes}" if self.task == "classification" else ""
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, n_samples={self.n_samples}, "
            f"n_features={self.n_features}{classes}, dtype={self.X.dtype})"
        )

    def take(self, indices: Any, name: str | None = None) -> Dataset:
        """The rows ``indices`` (an integer array or a boolean mask) as a new Dataset."""
        idx = np.asarray(indices)
        return Dataset(
            self.X[idx],
            self.y[idx],
            self.task,
            self.name if name is None else name,
            self.feature_names,
            self.target_names,
        )


__all__ = ["TASKS", "Dataset"]
