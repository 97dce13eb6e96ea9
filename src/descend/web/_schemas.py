"""The playground's JSON API as pydantic models: what each endpoint accepts and returns.

The request models check types, finiteness and the simple bounds (steps, number of
optimizers, grid size, text lengths); names (surfaces, optimizers, hyperparameters, options,
schedules) are checked against descend's registries in :mod:`descend.web._build`, which
knows what is allowed. The response models document the answers in ``/openapi.json``; the
endpoints write their JSON directly (a race holds tens of thousands of numbers, and checking
them again would cost time for nothing).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from descend import _validation as check
from descend.web._limits import (
    EXPRESSION_CHARS,
    GRID_DEFAULT,
    GRID_MAX,
    GRID_MIN,
    MAX_OPTIMIZERS,
    MAX_STEPS,
)
from descend.web._map_limits import COORD

#: A finite number: NaN, inf and overflowing literals such as 1e999 are refused.
Finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]
#: A coordinate: finite and at most ``COORD`` in size (1e308 passed JSON but overflowed
#: float32 to inf: ``/api/python`` wrote ``inf`` into its script, ``/api/inside`` answered
#: nulls and ``/api/race`` blamed the optimizer).
Coordinate = Annotated[float, Strict(), Field(allow_inf_nan=False, ge=-COORD, le=COORD)]
#: A point ``[x, y]``.
Pair = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]
Name = Annotated[str, Strict(), Field(min_length=1, max_length=64)]
Int = Annotated[int, Strict()]
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]


class _Strict(BaseModel):
    """Strict types in every field (a string is not a number, a number not a flag) and no
    unknown keys: a misspelt or misplaced one (``max_steps`` for ``steps``, an optimizer's
    ``lr`` outside its ``hyper``) is a 422 that names it and lists the fields allowed there,
    not a run with the default in its place."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    raise PydanticCustomError(
                        "unknown_field",
                        "unknown field{hint}; allowed: {allowed}",
                        {
                            "name": str(key)[:64],
                            "hint": check.did_you_mean(str(key)[:64], cls.model_fields),
                            "allowed": ", ".join(cls.model_fields),
                        },
                    )
        return data


class Problem(_Strict):
    """What is minimised: a catalogue surface or a typed expression of x and y (exactly one)."""

    surface: Name | None = Field(None, description="a 2-D catalogue surface (see /api/catalog)")
    expression: Text | None = Field(
        None, max_length=EXPRESSION_CHARS, description="a formula of x and y, e.g. x^2 + 10*y^2"
    )


class ScheduleSpec(_Strict):
    """A learning-rate schedule: its name and parameters (its initial value is the lr)."""

    name: Name
    params: dict[Name, Finite] = Field(default_factory=dict, max_length=16)


class OptimizerSpec(_Strict):
    """One optimizer of a race: a registry name, hyperparameters, options and a schedule."""

    name: Name
    hyper: dict[Name, Finite] = Field(
        default_factory=dict,
        max_length=16,
        description="values by name; one omitted runs at the race's default on the surface "
        "(the catalogue's surfaces[].defaults, as descend race), else the optimizer's own",
    )
    options: dict[Name, Flag | Annotated[str, Strict(), Field(max_length=64)] | None] = Field(
        default_factory=dict, max_length=16
    )
    schedule: ScheduleSpec | None = None


class RaceRequest(Problem):
    """A race: optimizers from one start on one problem, each a ``descend.minimize`` run."""

    start: Pair | None = Field(None, description="the start (default: the surface's own)")
    steps: Int = Field(2000, ge=1, le=MAX_STEPS)
    tol: Finite = Field(1e-6, ge=0.0)
    optimizers: list[OptimizerSpec] = Field(min_length=1, max_length=MAX_OPTIMIZERS)


class InsideRequest(RaceRequest):
    """A race and a step ``k``: each optimizer's own state after ``k`` updates."""

    step: Int = Field(ge=0, le=MAX_STEPS)


class ExpressionRequest(_Strict):
    """A typed formula to check and normalise."""

    text: Text = Field(max_length=EXPRESSION_CHARS)


class GridRequest(Problem):
    """A grid of function values for the contour map."""

    view: Annotated[list[Finite], Field(min_length=4, max_length=4)] = Field(
        description="[xlo, xhi, ylo, yhi]"
    )
    n: Int = Field(GRID_DEFAULT, ge=GRID_MIN, le=GRID_MAX)


class CurvatureRequest(Problem):
    """A point at which to take the Hessian."""

    point: Pair


# -- responses (documentation) ---------------------------------------------------------------


class ErrorDetail(BaseModel):
    field: str | None = Field(description="JSON path of the bad value, e.g. optimizers[1].hyper.lr")
    message: str
    limit: float | None = None
    column: int | None = Field(None, description="expression errors: 1-based column")


class ErrorResponse(BaseModel):
    error: ErrorDetail


#: The error answers every computing endpoint documents (``responses=`` of its route).
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (404, 408, 413, 422, 503)
}


class HyperparameterInfo(BaseModel):
    name: str
    default: float
    low: float | None
    high: float | None
    low_closed: bool
    high_closed: bool
    scale: str
    typical: tuple[float, float]
    help: str = ""


class OptionInfo(BaseModel):
    name: str
    default: Any
    choices: list[Any]
    help: str = ""


class OptimizerInfo(BaseModel):
    name: str
    description: str
    formula: str
    hyperparameters: list[HyperparameterInfo]
    options: list[OptionInfo]


class SurfaceInfo(BaseModel):
    name: str
    formula: str
    description: str
    domain: tuple[Pair, Pair]
    start: Pair
    minima: list[Pair]
    global_minima: list[Pair]
    saddles: list[Pair]
    min_value: float | None
    lr: float
    defaults: dict[str, dict[str, float]] = Field(
        description="the hyperparameters each optimizer runs with on this surface when a request "
        "omits them (those not listed keep the optimizer's own defaults)"
    )


class ScheduleParameter(BaseModel):
    name: str
    default: float


class ScheduleInfo(BaseModel):
    name: str
    parameters: list[ScheduleParameter]


class CatalogResponse(BaseModel):
    surfaces: list[SurfaceInfo]
    function_defaults: dict[str, dict[str, float]] = Field(
        description="as surfaces[].defaults, for a typed function (expression)"
    )
    optimizers: list[OptimizerInfo]
    schedules: list[ScheduleInfo]
    functions: list[str]
    limits: dict[str, int]


class ExpressionResponse(BaseModel):
    normalised: str
    formula: str


class GridResponse(BaseModel):
    x: list[float]
    y: list[float]
    z: list[list[float | None]] = Field(description="row i is y[i]; non-finite values are null")
    levels: list[float]
    zmin: float | None
    zmax: float | None


class RunResult(BaseModel):
    name: str
    label: str
    steps: int
    stop_reason: str
    short: str
    diverged_at: int | None
    step: list[int]
    path: list[tuple[float | None, float | None]]
    loss: list[float | None]
    grad_norm: list[float | None]
    lr: list[float | None]
    final_loss: float | None
    final_x: tuple[float | None, float | None]


class RaceResponse(BaseModel):
    runs: list[RunResult]
    warnings: list[str]
    seconds: float


class InsideRun(BaseModel):
    name: str
    step: int
    x: tuple[float | None, float | None] = Field(description="theta before update k")
    x_after: tuple[float | None, float | None] = Field(description="theta after update k")
    grad: tuple[float | None, float | None] = Field(description="the gradient update k used")
    state: dict[str, Any] = Field(description="the optimizer's own state after k updates")
    derived: dict[str, Any] | None = None
    update: tuple[float | None, float | None]
    formula: str


class InsideResponse(BaseModel):
    runs: list[InsideRun]


class HeavyBall(BaseModel):
    formula: str
    at_beta_0_9: float | None = Field(None, alias="at_beta_0.9")


class CurvatureResponse(BaseModel):
    hessian: tuple[tuple[float | None, float | None], tuple[float | None, float | None]]
    eigenvalues: tuple[float | None, float | None]
    condition: float | None
    gd_lr_bound: float | None
    heavy_ball_lr_bound: HeavyBall


class PythonResponse(BaseModel):
    code: str
