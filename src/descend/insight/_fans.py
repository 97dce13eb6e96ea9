"""Seed fans: many seeds of one noisy run as one vmapped program."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SeedFan:
    """``paths[s]`` (surfaces) or ``losses[s]`` of seed ``s``, with the spread and the share
    of seeds that reached the global minimum (surfaces with known minima)."""

    seeds: int
    paths: Any
    losses: Any
    final_loss: Any
    global_share: float | None


def seed_fan(
    surface: Any,
    optimizer: Any,
    *,
    seeds: int = 32,
    noise: float = 0.0,
    start: Any = None,
    max_steps: int = 1000,
    seed: int = 0,
) -> SeedFan:
    """Run ``optimizer`` with gradient noise from one start under ``seeds`` seeds."""
    raise NotImplementedError("seed_fan: in progress")
