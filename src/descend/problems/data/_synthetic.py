"""Generated data sets for lessons and tests: blobs, moons, circles, XOR, spirals, regressions.

Every generator draws from ``numpy.random.default_rng(seed)`` only, so equal arguments give
equal data. The classification sets have balanced classes (class sizes differ by at most one,
the first classes taking the remainder) and their rows are shuffled, so that any prefix of the
data mixes the classes. Points are computed in float64 and stored as float32.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from descend import _validation as check
from descend.problems.data._dataset import Dataset

#: The bias of :func:`linear_regression`; its weights are ``np.arange(1, n_features + 1)``.
LINEAR_REGRESSION_BIAS = 0.5


_TRACED_HINT = "draw the data sets first, then vmap over what trains on them"


#: Refuse traced arguments (``jax.vmap`` over a seed or a noise level) in one message: the
#: generators draw with NumPy.
_on_the_host = check.on_the_host("draws with NumPy", _TRACED_HINT)


def _rng(where: str, seed: Any) -> np.random.Generator:
    return np.random.default_rng(check.integer(f"{where}: seed", seed, 0))


#: Bytes a generator holds at once for each number of its data (float64 draws and their
#: float32 copy, with room for the shuffle's).
BYTES_PER_VALUE = 32


def _samples(where: str, n_samples: Any, low: int, features: int) -> int:
    """``n_samples`` as an int of at least ``low``, refused (``ValueError``) before anything
    is drawn when ``features`` columns of it would not fit in memory."""
    n = check.integer(f"{where}: n_samples", n_samples, low)
    check.fits_in_memory(f"{where}: {n:,} samples of {features:,} features",
                         BYTES_PER_VALUE * n * (features + 1), "ask for fewer samples")  # fmt: skip
    return n


def _counts(where: str, n_samples: Any, k: int, features: int = 2) -> list[int]:
    """``n_samples`` split into ``k`` balanced class sizes (at least one sample per class)."""
    n = _samples(where, n_samples, k, features)
    return [n // k + (j < n % k) for j in range(k)]


def _classes(name: str, rng: np.random.Generator, X: np.ndarray, y: np.ndarray, k: int) -> Dataset:
    """A shuffled classification Dataset with classes named ``"0" .. "k-1"``."""
    order = rng.permutation(len(y))
    features = tuple(f"x{j + 1}" for j in range(X.shape[1]))
    return Dataset(
        X[order].astype(np.float32),
        y[order],
        "classification",
        name,
        features,
        tuple(str(j) for j in range(k)),
    )


@_on_the_host
def blobs(
    n_samples: int = 300,
    centers: int | Any = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    seed: int = 0,
) -> Dataset:
    """Isotropic Gaussian clusters, one class each: ``x = c_j + cluster_std * N(0, I)``.

    ``centers`` is a number of clusters, whose centres are drawn uniformly from the box
    ``[-10, 10]^n_features`` (as scikit-learn's ``make_blobs``), or an array of shape
    ``(k, n_features)`` of centres.
    """
    rng = _rng("blobs", seed)
    d = check.integer("blobs: n_features", n_features, 1)
    _samples("blobs", n_samples, 1, d)  # before the centres are drawn: d may be huge
    std = check.real("blobs: cluster_std", cluster_std, 0.0)
    if isinstance(centers, (numbers.Integral, np.bool_)):  # a count (a bool: TypeError)
        k = check.integer("blobs: centers", centers, 1)
        middles = rng.uniform(-10.0, 10.0, size=(k, d))
    else:
        allowed = f"a number of clusters or a finite array of shape (k, n_features={d})"
        try:
            middles = np.asarray(centers, dtype=np.float64)
        except (TypeError, ValueError):
            middles = None
        if middles is None or middles.ndim == 0:  # a string, a float, a ragged list
            raise TypeError(f"blobs: centers must be {allowed}; got {centers!r}")
        bad = middles.ndim != 2 or middles.shape[0] < 1 or middles.shape[1] != d
        if bad or not np.all(np.isfinite(middles)):
            raise ValueError(f"blobs: centers must be {allowed}; got {centers!r}")
        k = len(middles)
    counts = _counts("blobs", n_samples, k, d)
    y = np.repeat(np.arange(k), counts)
    X = middles[y] + std * rng.normal(size=(len(y), d))
    return _classes("blobs", rng, X, y, k)


@_on_the_host
def moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles (scikit-learn's ``make_moons``), plus Gaussian noise.

    Class 0: ``(cos t, sin t)``; class 1: ``(1 - cos t, 1/2 - sin t)``; ``t`` evenly spaced in
    ``[0, pi]``; then ``N(0, noise^2)`` added to each coordinate.
    """
    rng = _rng("moons", seed)
    n0, n1 = _counts("moons", n_samples, 2)
    sigma = check.real("moons: noise", noise, 0.0)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)]
    )
    X = X + sigma * rng.normal(size=X.shape)
    return _classes("moons", rng, X, np.repeat([0, 1], [n0, n1]), 2)


@_on_the_host
def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> Dataset:
    """Two concentric circles (scikit-learn's ``make_circles``), plus Gaussian noise.

    Class 0 lies on the unit circle and class 1 on the circle of radius ``factor`` (in
    ``(0, 1)``), at evenly spaced angles; then ``N(0, noise^2)`` is added to each coordinate.
    """
    rng = _rng("circles", seed)
    n0, n1 = _counts("circles", n_samples, 2)
    sigma = check.real("circles: noise", noise, 0.0)
    factor = check.real("circles: factor", factor, 0, 1, open_low=True, open_high=True)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), factor * np.stack([np.cos(t1), np.sin(t1)], 1)]
    )
    X = X + sigma * rng.normal(size=X.shape)
    return _classes("circles", rng, X, np.repeat([0, 1], [n0, n1]), 2)


@_on_the_host
def xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """The XOR problem: Gaussian clouds around the corners of ``[-1, 1]^2``.

    Class 0 around ``(1, 1)`` and ``(-1, -1)``, class 1 around ``(1, -1)`` and ``(-1, 1)`` (the
    label is the XOR of the two signs), each point a corner plus ``N(0, noise^2)`` per
    coordinate. No single linear boundary separates the classes: the classic case (Minsky and
    Papert, 1969) for a hidden layer.
    """
    rng = _rng("xor", seed)
    n0, n1 = _counts("xor", n_samples, 2)
    sigma = check.real("xor: noise", noise, 0.0)
    corners = {0: np.array([[1.0, 1.0], [-1.0, -1.0]]), 1: np.array([[1.0, -1.0], [-1.0, 1.0]])}
    X = np.concatenate([corners[c][np.arange(n) % 2] for c, n in ((0, n0), (1, n1))])
    X = X + sigma * rng.normal(size=X.shape)
    return _classes("xor", rng, X, np.repeat([0, 1], [n0, n1]), 2)


@_on_the_host
def spiral(n_samples: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Interleaved spiral arms, one per class (the CS231n "neural networks case study").

    For class ``j`` with ``m`` points: radius ``r`` evenly spaced in ``[0, 1]``, angle
    ``t = 4j + 4 r + noise * N(0, 1)`` radians, point ``(r sin t, r cos t)``. ``noise`` jitters
    the angle, not the coordinates.
    """
    rng = _rng("spiral", seed)
    k = check.integer("spiral: classes", classes, 2)
    counts = _counts("spiral", n_samples, k)
    sigma = check.real("spiral: noise", noise, 0.0)
    parts = []
    for j, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), m) + sigma * rng.normal(size=m)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
    return _classes("spiral", rng, np.concatenate(parts), np.repeat(np.arange(k), counts), k)


@_on_the_host
def linear_regression(
    n_samples: int = 100, n_features: int = 1, noise: float = 0.1, seed: int = 0
) -> Dataset:
    """``y = X w + b + noise * N(0, 1)`` with ``X ~ N(0, I)``, ``w = (1, 2, ..., n_features)``
    and ``b = LINEAR_REGRESSION_BIAS = 0.5``.

    The true parameters are fixed so that a lesson can compare a fit with them: ``w`` is
    ``np.arange(1, n_features + 1)``. With standard normal features the mean squared error's
    Hessian is close to ``2 I``, a well-conditioned problem.
    """
    rng = _rng("linear_regression", seed)
    d = check.integer("linear_regression: n_features", n_features, 1)
    n = _samples("linear_regression", n_samples, 1, d)
    sigma = check.real("linear_regression: noise", noise, 0.0)
    X = rng.normal(size=(n, d))
    y = X @ np.arange(1.0, d + 1) + LINEAR_REGRESSION_BIAS + sigma * rng.normal(size=n)
    features = tuple(f"x{j + 1}" for j in range(d))
    return Dataset(X.astype(np.float32), y.astype(np.float32), "regression", "linear", features)


@_on_the_host
def polynomial_regression(
    n_samples: int = 100, degree: int = 3, noise: float = 0.1, seed: int = 0
) -> Dataset:
    """``y = T_degree(x) + noise * N(0, 1)``, ``x ~ U(-1, 1)``, ``X`` of shape ``(n, 1)``.

    ``T_degree`` is the Chebyshev polynomial of the first kind (``T_1 = x``, ``T_2 = 2x^2 - 1``,
    ``T_3 = 4x^3 - 3x``, ``T_{k+1} = 2x T_k - T_{k-1}``): it wiggles ``degree - 1`` times
    between -1 and 1 on ``[-1, 1]``, so the degree shows in the plot. ``X`` holds ``x`` only;
    build the powers ``x^j`` as features yourself, or fit an MLP.
    """
    rng = _rng("polynomial_regression", seed)
    n = _samples("polynomial_regression", n_samples, 1, 1)
    k = check.integer("polynomial_regression: degree", degree, 1)
    sigma = check.real("polynomial_regression: noise", noise, 0.0)
    x = rng.uniform(-1.0, 1.0, size=n)
    y = np.polynomial.chebyshev.chebval(x, [0.0] * k + [1.0]) + sigma * rng.normal(size=n)
    return Dataset(
        x[:, None].astype(np.float32), y.astype(np.float32), "regression", "polynomial", ("x",)
    )


def sigmoid_neuron_data() -> Dataset:
    """The teaching texts' two points for one sigmoid neuron: x = (0.5, 2.5), y = (0.2, 0.9).

    A regression Dataset with ``X`` of shape ``(2, 1)``; the same numbers as
    ``descend.problems.surfaces.SIGMOID_NEURON_X`` and ``SIGMOID_NEURON_Y``, whose squared
    error under :func:`descend.problems.models.sigmoid_neuron` is the ``sigmoid_neuron``
    surface (fitted exactly at ``w = log 6``, ``b = log(1/4) - log(6)/2``).
    """
    from descend.problems.surfaces import SIGMOID_NEURON_X, SIGMOID_NEURON_Y

    X = np.asarray(SIGMOID_NEURON_X, dtype=np.float32)[:, None]
    y = np.asarray(SIGMOID_NEURON_Y, dtype=np.float32)
    return Dataset(X, y, "regression", "sigmoid_neuron", ("x",))


__all__ = [
    "LINEAR_REGRESSION_BIAS",
    "blobs",
    "circles",
    "linear_regression",
    "moons",
    "polynomial_regression",
    "sigmoid_neuron_data",
    "spiral",
    "xor",
]
