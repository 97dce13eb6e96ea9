"""The maps view's JSON API as pydantic models: basin and stability maps, the fair race and
seed fans.

The request models check types, finiteness and the bounds of :mod:`descend.web._map_limits`;
names (surfaces, optimizers, rules, hyperparameters) are checked against descend's registries
by :mod:`descend.web._maps_api`. The response models document the answers in
``/openapi.json``; grids are written row-major as flat lists (row ``i`` is ``ys[i]``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from descend.web._map_limits import (
    BASIN_RES_DEFAULT,
    DECAY,
    MAP_STEPS,
    NOISE,
    RES_MAX,
    RES_MIN,
    RULES,
    SEED,
    SEEDS,
    STABILITY_RES_DEFAULT,
    STARTS,
    TUNE_GRID,
)
from descend.web._schemas import Finite, Flag, Int, Name, OptimizerSpec, Pair, Problem

Bounds = Annotated[list[Finite], Field(min_length=4, max_length=4)]
Resolution = Annotated[Int, Field(ge=RES_MIN, le=RES_MAX)]
Steps = Annotated[Int, Field(ge=1, le=MAP_STEPS)]
Tol = Annotated[Finite, Field(ge=0.0)]
Seed = Annotated[Int, Field(ge=0, le=SEED)]


class BasinRequest(Problem):
    """Every start of a grid over ``bounds`` run by one optimizer (one vmapped program)."""

    optimizer: OptimizerSpec
    resolution: Resolution = BASIN_RES_DEFAULT
    steps: Steps = 1000
    tol: Tol = 1e-6
    bounds: Bounds | None = Field(
        None, description="[xmin, xmax, ymin, ymax] (default: the surface's domain)"
    )


class StabilityRequest(Problem):
    """One update rule over a grid of two of its hyperparameters (one vmapped program)."""

    rule: Name = Field(description="a registry optimizer, e.g. momentum")
    x: Name = "lr"
    y: Name | None = Field(None, description="default: the rule's second hyperparameter")
    x_range: Pair | None = None
    y_range: Pair | None = None
    fixed: dict[Name, Finite | Flag | Annotated[str, Strict(), Field(max_length=64)] | None] = (
        Field(
            default_factory=dict,
            max_length=16,
            description='the rule\'s other hyperparameters and options, e.g. {"form": "ema"}',
        )
    )
    resolution: Resolution = STABILITY_RES_DEFAULT
    steps: Steps = 1000
    tol: Tol = 1e-6
    start: Pair | None = None


class FairRequest(Problem):
    """Each rule tuned on the same budget, then raced from the same starts."""

    rules: list[Name] = Field(
        default_factory=lambda: ["gd", "momentum", "adam"], min_length=1, max_length=RULES
    )
    budget: Steps = 1000
    starts: Annotated[Int, Field(ge=1, le=STARTS)] = 8
    grid: Annotated[Int, Field(ge=2, le=TUNE_GRID)] = 32
    tune: Literal["lr", "all"] = "lr"
    metric: Literal["steps", "loss"] = "steps"
    tol: Tol = 1e-6
    seed: Seed = 0


class FanRequest(Problem):
    """``seeds`` noisy runs of one optimizer from one start (one vmapped program)."""

    optimizer: OptimizerSpec
    seeds: Annotated[Int, Field(ge=1, le=SEEDS)] = 32
    noise: Annotated[Finite, Field(ge=0.0, le=NOISE)] = 0.0
    start: Pair | None = None
    steps: Steps = 1000
    seed: Seed = 0
    decay: Annotated[Finite, Field(ge=0.0, le=DECAY)] = 0.0
    tol: Tol = 1e-6


# -- responses (documentation) ---------------------------------------------------------------


class BasinResponse(BaseModel):
    xs: list[float]
    ys: list[float]
    labels: list[int] = Field(
        description="row-major, resolution**2: labels[i * n + j] is the start (xs[j], ys[i]): "
        "the index of its minimum, -1 diverged, -2 not converged"
    )
    minima: list[Pair]
    shares: list[float]
    diverged_share: float
    unconverged_share: float
    known_minima: bool
    kinds: list[str] = Field(description="per minimum: global, local (known) or found")
    minima_loss: list[float | None] = Field(description="f at each minimum")
    global_minima: list[int] = Field(description="indices into minima of the global ones")
    radius: float | None = Field(description="an end point this close to a minimum is at it")
    optimizer: str
    python: str
    seconds: float


class Boundary(BaseModel):
    x: list[float | None]
    y: list[float | None] | None = Field(description="None for a one-row map (x: the lr limit)")
    label: str
    exact: bool = Field(description="true on a quadratic; else the local boundary at a minimum")
    L: float | None = Field(description="the largest Hessian eigenvalue it uses")


class StabilityResponse(BaseModel):
    rule: str
    x_name: str
    y_name: str | None = Field(description="None: a one-row map over x (y_values is [null])")
    x_values: list[float]
    y_values: list[float | None]
    x_scale: str
    y_scale: str
    loss_offset: float = Field(description="f*, subtracted from each final loss (0: unknown)")
    fixed: dict[str, float | bool | str | None]
    final_loss: list[float | None] = Field(
        description="row-major: f - f* of the run with x = x_values[j], y = y_values[i]; null "
        "where not finite"
    )
    steps: list[int]
    reason: list[int] = Field(
        description="row-major: each run's stop reason, an index into reason_names"
    )
    reason_names: list[str] = Field(description="the stop reasons in words: converged, ...")
    boundary: Boundary | None
    python: str
    seconds: float


class FairEntryOut(BaseModel):
    rank: int
    name: str
    hyperparameters: dict[str, float]
    steps: list[int]
    final_loss: list[float | None]
    converged: list[bool]
    median_steps: float | None
    median_final_loss: float | None
    converged_share: float
    tuned: list[str] = Field(description="the hyperparameters that were tuned")
    at_edge: list[str] = Field(description="tuned values at an end of their grid")


class FairResponse(BaseModel):
    entries: list[FairEntryOut]
    metric: str
    metric_text: str
    budget: int
    tune: str
    grid: int
    second_grid: int
    lr_span: list[float | None]
    tol: float
    tuning_starts: list[Pair]
    race_starts: list[Pair]
    python: str
    seconds: float


class FanResponse(BaseModel):
    seeds: int
    step: list[int] = Field(description="the steps kept of every path and loss curve")
    paths: list[list[tuple[float | None, float | None]]]
    losses: list[list[float | None]]
    final_loss: list[float | None]
    final_x: list[tuple[float | None, float | None]]
    run_steps: list[int]
    reason: list[str]
    spread: dict[str, list[float | None]] = Field(
        description="low, median and high: the 10%, 50% and 90% quantiles of the loss per step"
    )
    at_global: list[bool] | None = Field(description="per seed: ended at a global minimum")
    global_share: float | None
    start: Pair
    python: str
    seconds: float


class MapLimits(BaseModel):
    limits: dict[str, float]
