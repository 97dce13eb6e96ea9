"""Maps computed by one vmapped program each: where each start ends (:func:`basin_map`) and
which hyperparameters converge (:func:`stability_map`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BasinMap:
    """Where each start of a grid over the view ends.

    ``labels[i, j]`` is the run from ``(xs[j], ys[i])``: the index of the minimum in
    ``minima`` it reached, ``DIVERGED`` (-1) or ``NOT_CONVERGED`` (-2). ``shares[k]`` is the
    share of starts that reached ``minima[k]``."""

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    minima: np.ndarray
    shares: np.ndarray
    diverged_share: float
    unconverged_share: float
    steps: np.ndarray
    known_minima: bool
    optimizer: str


DIVERGED = -1
NOT_CONVERGED = -2


def basin_map(
    surface: Any,
    optimizer: Any,
    *,
    resolution: int = 128,
    bounds: Any = None,
    max_steps: int = 1000,
    tol: float = 1e-6,
) -> BasinMap:
    """Run ``optimizer`` from every start of a ``resolution x resolution`` grid over
    ``bounds`` (``(xmin, xmax, ymin, ymax)``, default the surface's domain) as one vmapped
    program and label each start by the minimum its run reaches."""
    raise NotImplementedError("basin_map: in progress")


@dataclass(frozen=True)
class StabilityMap:
    """The outcome over a grid of two hyperparameters of one rule: ``final_loss[i, j]``,
    ``steps[i, j]`` and ``reason[i, j]`` of the run with ``x_name = x_values[j]`` and
    ``y_name = y_values[i]``; ``boundary`` is the theory's stability boundary when one is
    known (``{"x": ..., "y": ..., "label": ...}``), else None."""

    rule: str
    x_name: str
    y_name: str
    x_values: np.ndarray
    y_values: np.ndarray
    final_loss: np.ndarray
    steps: np.ndarray
    reason: np.ndarray
    boundary: dict | None


def stability_map(
    surface: Any,
    rule: str,
    *,
    x: str = "lr",
    y: str | None = None,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    resolution: int = 64,
    max_steps: int = 1000,
    tol: float = 1e-6,
    start: Any = None,
) -> StabilityMap:
    """Run ``rule`` over a ``resolution x resolution`` grid of hyperparameters ``x`` and
    ``y`` (default: its second hyperparameter) as one vmapped program."""
    raise NotImplementedError("stability_map: in progress")
