"""Getting a Dataset ready to train on: train/validation/test splits and standardization."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from descend import _validation as check
from descend.problems.data._dataset import Dataset

_PART_NAMES = {2: ("train", "test"), 3: ("train", "validation", "test")}


#: The automatic learning rate by model (the estimators' ``learning_rate="auto"``, ``descend
#: fit -o NAME`` without ``lr``): ``SGDRegressor``'s and ``SGDClassifier``'s ``eta0`` for the
#: linear models, ``MLPRegressor``'s and ``MLPClassifier``'s ``learning_rate_init`` for MLPs.
AUTO_RATES = {"linear": 1e-2, "logistic": 1e-2, "softmax": 1e-2, "mlp": 1e-3}
#: ``batch_size="auto"`` is ``min(MAX_AUTO_BATCH, ceil(n / MIN_STEPS_PER_EPOCH))``.
MAX_AUTO_BATCH, MIN_STEPS_PER_EPOCH = 200, 10


#: The most rows a prediction or an evaluation computes at once; more go in blocks of this many.
ROWS_AT_ONCE = 1 << 16


def row_bucket(n: int) -> int:
    """The rows a prediction of ``n`` rows computes: the next power of two (at least 16), so
    that predictions on new numbers of rows reuse a few compiled programs (each new count
    compiled its own: 30-75 ms a call); the padding rows are dropped, as every row's outputs
    depend on that row alone."""
    return max(16, 1 << (n - 1).bit_length())


def padded_rows(a: np.ndarray) -> np.ndarray:
    """``a`` with its last row repeated up to :func:`row_bucket` rows (real rows, so every
    value computed from the padding is finite)."""
    a = np.asarray(a)
    return np.concatenate([a, np.repeat(a[-1:], row_bucket(len(a)) - len(a), axis=0)])


def auto_batch(n: int) -> int:
    """The automatic batch size of ``n`` training samples, ``min(200, ceil(n / 10))``, at
    least 1 (the estimators' ``batch_size="auto"``, ``descend fit --batch-size auto``): every
    epoch takes at least ``min(n, 10)`` steps (scikit-learn's ``MLP*`` take ``min(200, n)``,
    one step an epoch on 200 samples or fewer, too few to learn in 200 epochs) and large data
    sets get ``MLP*``'s batches of 200."""
    return max(1, min(MAX_AUTO_BATCH, math.ceil(n / MIN_STEPS_PER_EPOCH)))


def _apportion(n: int, fractions: Sequence[float]) -> list[int]:
    """``n`` split in proportion to ``fractions`` by largest remainders (Hamilton's method).

    Each part gets ``floor(f_i n)``; the samples left over go one each to the parts with the
    largest fractional parts ``f_i n - floor(f_i n)`` (the earlier part on a tie).
    """
    exact = [f * n for f in fractions]
    sizes = [math.floor(e) for e in exact]
    left = n - sum(sizes)
    by_remainder = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in by_remainder[:left]:
        sizes[i] += 1
    return sizes


def split(
    data: Dataset,
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    seed: int = 0,
    stratify: bool | None = None,
) -> tuple[Dataset, ...]:
    """Shuffle ``data`` and cut it into train and test, or train, validation and test, parts.

    ``fractions`` holds 2 or 3 positive numbers summing to 1 (to within 1e-6). Part ``i`` gets
    ``floor(f_i n)`` samples plus at most one of the leftovers (largest remainders first), so
    the sizes sum to ``n`` and every sample lands in exactly one part. The parts are named
    ``"<name>:train"``, ``"<name>:validation"`` and ``"<name>:test"``.

    ``stratify=True`` keeps the class proportions in every part (classification only): the
    samples are ordered class by class, shuffled within each class, and dealt to the parts
    along an evenly interleaved sequence of part labels, so each class is cut in the given
    fractions (to within a sample or two) while the part sizes stay exactly as above.
    ``stratify=None`` (the default) stratifies classification data and not regression data;
    ``False`` never stratifies. Within each part the order is shuffled. Everything is drawn
    from ``numpy.random.default_rng(seed)``: the same seed gives the same split.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"split: data must be a Dataset; got {type(data).__name__}")
    try:
        fracs = [check.real("split: fractions", f) for f in fractions]
    except TypeError:  # not a list of numbers ("ab", [0.5, "x"], 0.5)
        raise TypeError(
            f"split: fractions must be 2 or 3 numbers summing to 1; got {fractions!r}"
        ) from None
    except ValueError:  # NaN or inf: refused below, with the sizes
        fracs = [math.nan]
    ok = len(fracs) in _PART_NAMES and all(math.isfinite(f) and f > 0 for f in fracs)
    if not ok or abs(sum(fracs) - 1.0) > 1e-6:
        raise ValueError(
            f"split: fractions must be 2 or 3 positive numbers summing to 1; got {fractions!r}"
        )
    seed = check.integer("split: seed", seed, 0)
    stratify = check.boolean("split: stratify", stratify, none=True)
    if stratify is None:
        stratify = data.task == "classification"
    elif stratify and data.task != "classification":
        raise ValueError("split: stratify=True needs a classification Dataset; got regression")

    n = data.n_samples
    sizes = _apportion(n, fracs)
    if min(sizes) < 1:
        raise ValueError(
            f"split: {n} samples are too few for fractions {tuple(fracs)}: the parts would "
            f"have {sizes} samples; every part needs at least one"
        )
    rng = np.random.default_rng(int(seed))
    if stratify:
        order = np.concatenate(
            [rng.permutation(np.flatnonzero(data.y == c)) for c in np.unique(data.y)]
        )
        # Part i's k-th slot sits at (k + 1/2) / n_i along [0, 1]; reading all slots in that
        # order interleaves the parts evenly, so any run of samples is cut in proportion.
        slots = [((k + 0.5) / size, i) for i, size in enumerate(sizes) for k in range(size)]
        labels = np.array([i for _, i in sorted(slots)])
        parts = [rng.permutation(order[labels == i]) for i in range(len(sizes))]
    else:
        order = rng.permutation(n)
        parts = np.split(order, np.cumsum(sizes)[:-1])
    names = _PART_NAMES[len(sizes)]
    prefix = f"{data.name}:" if data.name else ""
    return tuple(data.take(idx, f"{prefix}{part}") for idx, part in zip(parts, names, strict=True))


class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1: ``z = (x - mean) / std``.

    ``fit(X)`` stores the column means and population standard deviations
    (``std = sqrt(mean((x - mean)^2))``, as scikit-learn's ``StandardScaler``); a constant
    column (all values equal) gets ``std = 1``, so it maps to 0 instead of dividing by zero.
    ``inverse_transform`` undoes ``transform``: ``x = z * std + mean``. Statistics are computed
    in float64; results are float32, or float64 for float64 input. Fit on the training data
    only, then transform the validation and test data with the same statistics.
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def __repr__(self) -> str:
        if self.mean is None:
            return "Standardizer(not fitted)"
        return f"Standardizer(n_features={len(self.mean)})"

    @staticmethod
    def _matrix(method: str, X: Any) -> np.ndarray:
        if isinstance(X, Dataset):
            raise TypeError(
                f"Standardizer.{method}: X must be an array; got a Dataset (pass data.X, or use "
                "standardize(train, *others) for Datasets)"
            )
        hint = "standardize the data first, then vmap over what trains on it"
        check.untraced(f"Standardizer.{method}", X, does="computes in NumPy", hint=hint)
        X = np.asarray(X)
        if X.ndim != 2 or not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
            raise ValueError(
                f"Standardizer.{method}: X must be a 2-D numeric array (n_samples, n_features); "
                f"got shape {X.shape}, dtype {X.dtype}"
            )
        return X

    def fit(self, X: Any, sample_weight: Any = None) -> Standardizer:
        """Compute the column means and standard deviations of ``X`` (n, d); returns self.
        With ``sample_weight`` (one weight >= 0 a row, not all 0) they are weighted, as
        ``StandardScaler.fit(X, sample_weight=w)``: ``mean = sum(w x) / sum(w)``,
        ``std^2 = sum(w (x - mean)^2) / sum(w)``, and a column is constant over the rows of
        positive weight."""
        X = self._matrix("fit", X)
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X has no rows")
        X64 = X.astype(np.float64)
        if not np.all(np.isfinite(X64)):
            raise ValueError("Standardizer.fit: X holds NaN or infinite values")
        if sample_weight is None:
            self.mean, std, counted = X64.mean(axis=0), X64.std(axis=0), X64
        else:
            w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if w.shape != (len(X),) or not np.all(np.isfinite(w) & (w >= 0)) or not w.any():
                raise ValueError(
                    f"Standardizer.fit: sample_weight must be {len(X)} finite weights >= 0, "
                    f"not all 0; got shape {w.shape}"
                )
            w = w / w.max()  # only the ratios count: 1e300 weights must not overflow the sums
            self.mean = np.average(X64, axis=0, weights=w)
            std = np.sqrt(np.average((X64 - self.mean) ** 2, axis=0, weights=w))
            counted = X64[w > 0]
        constant = counted.max(axis=0) == counted.min(axis=0)
        self.std = np.where(constant, 1.0, std)
        return self

    def _fitted(self, method: str, X: Any) -> tuple[np.ndarray, Any]:
        if self.mean is None or self.std is None:
            raise ValueError(f"Standardizer.{method}: call fit(X) first")
        X = self._matrix(method, X)
        if X.shape[1] != len(self.mean):
            raise ValueError(
                f"Standardizer.{method}: X must have {len(self.mean)} columns, as when fitted; "
                f"got shape {X.shape}"
            )
        dtype = np.float64 if X.dtype == np.float64 else np.float32
        return X.astype(np.float64), dtype

    def transform(self, X: Any) -> np.ndarray:
        """``(X - mean) / std`` with the fitted statistics."""
        X64, dtype = self._fitted("transform", X)
        return ((X64 - self.mean) / self.std).astype(dtype)

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """``X * std + mean``: standardized values back in the original units."""
        X64, dtype = self._fitted("inverse_transform", X)
        return (X64 * self.std + self.mean).astype(dtype)


@check.on_the_host(
    "fits its statistics with NumPy", "standardize the data first, then vmap over what trains on it"
)
def standardize(train: Dataset, *others: Dataset, targets: bool = False) -> tuple[Dataset, ...]:
    """``train`` and ``others`` with features standardized by statistics of ``train`` alone.

    A :class:`Standardizer` is fitted on ``train.X`` and applied to every ``X``. With
    ``targets=True`` a regression target is standardized too, ``y' = (y - mean_y) / std_y``
    with the mean and standard deviation of ``train.y`` (``std_y = 1`` for a constant
    target), so that a loss like the mean squared error is in units of ``var(y)``; class
    labels are never changed. Use :func:`target_scaler` for the statistics that undo it.
    Returns ``(train, *others)`` standardized, in the order given. Fitting on the training
    part only keeps the validation and test parts unseen.
    """
    datasets = (train, *others)
    for i, d in enumerate(datasets):
        if not isinstance(d, Dataset):
            raise TypeError(f"standardize: argument {i} must be a Dataset; got {type(d).__name__}")
    scaler = Standardizer().fit(train.X)
    y_scaler = target_scaler(train) if targets else None

    def target(d: Dataset) -> np.ndarray:
        if y_scaler is None:
            return d.y
        return y_scaler.transform(np.asarray(d.y).reshape(len(d.y), -1)).reshape(np.shape(d.y))

    return tuple(
        Dataset(scaler.transform(d.X), target(d), d.task, d.name, d.feature_names, d.target_names)
        for d in datasets
    )


def target_scaler(train: Dataset) -> Standardizer | None:
    """The :class:`Standardizer` of ``train``'s regression targets (one column per target;
    ``None`` for classification): ``transform`` gives the standardized targets that
    ``standardize(..., targets=True)`` trains on, ``inverse_transform`` maps predictions back
    to the original units, ``y = y' * std_y + mean_y``."""
    if not isinstance(train, Dataset):
        raise TypeError(f"target_scaler: train must be a Dataset; got {type(train).__name__}")
    if train.task != "regression":
        return None
    y = np.asarray(train.y)
    return Standardizer().fit(y.reshape(len(y), -1))


__all__ = ["Standardizer", "split", "standardize", "target_scaler"]
