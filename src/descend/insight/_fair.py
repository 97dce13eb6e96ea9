"""A fair race: every optimizer tuned on the same budget before it races."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FairEntry:
    """One tuned optimizer: its rank, its tuned hyperparameters and its results from each
    race start."""

    rank: int
    name: str
    hyperparameters: dict
    steps: Any
    final_loss: Any
    converged: Any
    median_steps: float
    median_final_loss: float
    converged_share: float


@dataclass(frozen=True)
class FairRace:
    """The ranking (best first) and how it was made: the metric, the budget, the starts."""

    entries: list
    metric: str
    budget: int
    tuning_starts: Any
    race_starts: Any


def fair_race(
    surface: Any,
    rules: Any = ("gd", "momentum", "adam"),
    *,
    budget: int = 1000,
    starts: int = 8,
    grid: int = 32,
    tune: str = "lr",
    metric: str = "steps",
    tol: float = 1e-6,
    seed: int = 0,
) -> FairRace:
    """Tune each rule on the same budget, then race the tuned rules from the same starts."""
    raise NotImplementedError("fair_race: in progress")
