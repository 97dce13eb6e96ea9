"""Seed fans of training: many seeds of one stochastic or mini-batch fit as one vmapped
program."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FitFan:
    """``train_loss[s, e]`` (and ``val_loss``) of seed ``s`` after epoch ``e``, with the
    spread over the seeds."""

    seeds: int
    train_loss: Any
    val_loss: Any


def fit_fan(
    model: Any,
    loss: Any,
    data: Any,
    optimizer: Any,
    *,
    seeds: int = 16,
    batch_size: int | None = 1,
    epochs: int = 20,
    validation: Any = None,
    seed: int = 0,
) -> FitFan:
    """Train ``model`` under ``seeds`` seeds (initialisation and shuffling) in one program."""
    raise NotImplementedError("fit_fan: in progress")
