"""Data sets: the :class:`Dataset` type, where data comes from, and getting it ready.

::

    from descend.problems import data

    iris = data.load("iris")                        # scikit-learn's bundled sets, no network
    mine = data.read_csv("houses.csv", target="price")
    moons = data.moons(n_samples=200, noise=0.1, seed=0)
    train, val, test = data.split(iris, (0.7, 0.15, 0.15), seed=0)
    train, val, test = data.standardize(train, val, test)   # statistics of train only

A :class:`Dataset` holds ``X`` (n, d) float32, ``y`` (n,) (float32 targets for regression,
int32 labels ``0 .. k-1`` for classification), its task and names. Randomness comes only from
the ``seed`` arguments. Mini-batching is the training loop's job, not this module's.
"""

from descend.problems.data._dataset import TASKS, Dataset
from descend.problems.data._prepare import Standardizer, split, standardize
from descend.problems.data._sources import MAX_INFERRED_CLASSES, load, names, read_csv
from descend.problems.data._synthetic import (
    LINEAR_REGRESSION_BIAS,
    blobs,
    circles,
    linear_regression,
    moons,
    polynomial_regression,
    sigmoid_neuron_data,
    spiral,
    xor,
)

__all__ = [
    "LINEAR_REGRESSION_BIAS",
    "MAX_INFERRED_CLASSES",
    "TASKS",
    "Dataset",
    "Standardizer",
    "blobs",
    "circles",
    "linear_regression",
    "load",
    "moons",
    "names",
    "polynomial_regression",
    "read_csv",
    "sigmoid_neuron_data",
    "spiral",
    "split",
    "standardize",
    "xor",
]
