"""The data view's JSON API as pydantic models, and its limits.

A request names a generated 2-D data set (or a 1-D regression), a model, a loss, the
flavour of gradient descent (batch, stochastic or mini-batch), an optimizer with its schedule
(:class:`~descend.web._schemas.OptimizerSpec`, built by :func:`descend.web._build.optimizer`)
and the training's length. The models check types, finiteness and the numeric bounds below;
names (data sets, models, activations, losses, flavours) and the fit between them (a
classification loss on a regression set) are checked in :mod:`descend.web._data_api`. Every
refusal is a 4xx JSON error naming the field and the limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from descend.web._schemas import Finite, Flag, Int, Name, OptimizerSpec, _Strict

#: Samples of a generated data set (before the validation split).
MIN_SAMPLES, MAX_SAMPLES = 10, 1000
#: The noise of a generator (its standard deviation; blobs: the clusters' spread).
MAX_NOISE = 5.0
#: Classes of spiral and blobs.
MAX_CLASSES = 5
#: Degree of the polynomial regression.
MAX_DEGREE = 7
#: Epochs of one training run.
MAX_EPOCHS = 1000
#: Hidden layers of an MLP and units in each.
MAX_LAYERS, MAX_UNITS = 4, 64
#: Seeds of one fan.
MIN_SEEDS, MAX_SEEDS = 2, 64
#: Snapshots of the decision boundary (or regression curve) after the start.
MAX_SNAPSHOTS = 50
#: The boundary's grid: n x n points over the data's box.
GRID_MIN, GRID_MAX = 8, 64
#: The largest validation fraction.
MAX_VALIDATION = 0.5
#: Gradient steps of one training run (epochs x steps per epoch), per flavour.
MAX_TRAIN_STEPS = 200_000
#: Gradient steps of the three flavours together (each is run twice: to compile, then timed).
MAX_FLAVOUR_STEPS = 150_000
#: Gradient steps of a fan, summed over its seeds.
MAX_FAN_STEPS = 300_000
#: The largest seed.
MAX_SEED = 2**31 - 1 - MAX_SEEDS
#: Compiled programs of the data view's own kept (models and their prediction functions).
DATA_PROGRAMS = 32

DATASETS = {
    "moons": "classification",
    "circles": "classification",
    "xor": "classification",
    "spiral": "classification",
    "blobs": "classification",
    "linear": "regression",
    "polynomial": "regression",
}
MODELS = ("logistic", "mlp", "linear")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")
FLAVOURS = ("batch", "stochastic", "minibatch")
#: The catalogue's losses by task: binary losses need two classes; softmax cross-entropy
#: takes any number of classes (the model then has one output per class).
LOSSES = {
    "regression": ("mse", "mae", "huber"),
    "binary": ("binary_cross_entropy", "hinge", "squared_hinge", "focal",
               "softmax_cross_entropy"),
    "multiclass": ("softmax_cross_entropy",),
}  # fmt: skip

Units = Annotated[int, Field(ge=1, le=MAX_UNITS, strict=True)]


def published() -> dict[str, Any]:
    """The limits and names the page offers (``GET /api/data-catalog``)."""
    return {
        "datasets": DATASETS,
        "models": list(MODELS),
        "activations": list(ACTIVATIONS),
        "flavours": list(FLAVOURS),
        "losses": {k: list(v) for k, v in LOSSES.items()},
        "limits": {
            "samples": [MIN_SAMPLES, MAX_SAMPLES],
            "noise": MAX_NOISE,
            "classes": MAX_CLASSES,
            "degree": MAX_DEGREE,
            "epochs": MAX_EPOCHS,
            "layers": MAX_LAYERS,
            "units": MAX_UNITS,
            "seeds": [MIN_SEEDS, MAX_SEEDS],
            "snapshots": MAX_SNAPSHOTS,
            "grid": [GRID_MIN, GRID_MAX],
            "validation": MAX_VALIDATION,
            "train_steps": MAX_TRAIN_STEPS,
            "flavour_steps": MAX_FLAVOUR_STEPS,
            "fan_steps": MAX_FAN_STEPS,
        },
    }


class DataSpec(_Strict):
    """A generated data set: ``ds.data.<generator>(n_samples, noise, seed, ...)``."""

    name: Name = Field(description="moons, circles, xor, spiral, blobs, linear or polynomial")
    samples: Int = Field(200, ge=MIN_SAMPLES, le=MAX_SAMPLES)
    noise: Finite = Field(0.2, ge=0.0, le=MAX_NOISE)
    seed: Int = Field(0, ge=0, le=MAX_SEED)
    classes: Int = Field(3, ge=2, le=MAX_CLASSES, description="spiral and blobs")
    degree: Int = Field(3, ge=1, le=MAX_DEGREE, description="polynomial")


class ModelSpec(_Strict):
    """``logistic`` (classification), ``linear`` (regression) or an ``mlp`` with hidden layers."""

    name: Name = "mlp"
    hidden: list[Units] = Field(default_factory=lambda: [8], max_length=MAX_LAYERS)
    activation: Name = "tanh"


class TrainingSpec(_Strict):
    """What every data endpoint trains: data, model, loss, optimizer and the run's length."""

    data: DataSpec
    model: ModelSpec = Field(default_factory=ModelSpec)
    loss: Name = Field(description="a catalogue loss that suits the task")
    loss_params: dict[Name, Finite] = Field(default_factory=dict, max_length=4)
    optimizer: OptimizerSpec
    batch_size: Int = Field(16, ge=1, le=MAX_SAMPLES, description="the mini-batch size")
    epochs: Int = Field(50, ge=1, le=MAX_EPOCHS)
    validation: Finite = Field(0.2, ge=0.0, le=MAX_VALIDATION)
    seed: Int = Field(0, ge=0, le=MAX_SEED, description="initialisation and shuffling")
    standardize: Flag = Field(False, description="scale the features by the training set's")


class TrainRequest(TrainingSpec):
    """One training run with snapshots of its boundary or curve."""

    flavour: Name = "minibatch"
    snapshots: Int = Field(20, ge=1, le=MAX_SNAPSHOTS)
    grid: Int = Field(40, ge=GRID_MIN, le=GRID_MAX)


class FlavoursRequest(TrainingSpec):
    """Batch, stochastic and mini-batch (``batch_size``) on the same data and model."""


class FanRequest(TrainingSpec):
    """``seeds`` seeds of one stochastic or mini-batch run."""

    flavour: Name = "stochastic"
    seeds: Int = Field(16, ge=MIN_SEEDS, le=MAX_SEEDS)


# -- responses (documentation) ---------------------------------------------------------------


class Points(BaseModel):
    X: list[list[float]]
    y: list[float]


class Snapshot(BaseModel):
    epoch: int
    values: list[float | None] = Field(
        description="binary: P(class 1) on the grid (row-major, y outer); multiclass: the "
        "predicted class; regression: the curve at curve_x"
    )
    confidence: list[float | None] | None = None


class TrainResponse(BaseModel):
    task: str
    classes: int
    train: Points
    validation: Points
    box: list[float]
    grid: int | None
    curve_x: list[float] | None
    epochs: list[int]
    train_loss: list[float | None]
    val_loss: list[float | None]
    train_metric: list[float | None]
    val_metric: list[float | None]
    snapshots: list[Snapshot]
    chunks: list[int]
    stop: str
    steps_per_epoch: int
    seconds: float
    python: str


class FlavourRun(BaseModel):
    flavour: str
    batch_size: int
    steps_per_epoch: int
    epochs: list[int]
    train_loss: list[float | None]
    val_loss: list[float | None]
    seconds: list[float]
    run_seconds: float
    compile_seconds: float
    stop: str


class FlavoursResponse(BaseModel):
    runs: list[FlavourRun]
    python: str


class FanResponse(BaseModel):
    seeds: list[int]
    epochs: list[int]
    train_loss: list[list[float | None]]
    val_loss: list[list[float | None]] | None
    median: list[float | None]
    low: list[float | None]
    high: list[float | None]
    val_median: list[float | None] | None
    band: list[float]
    steps_per_epoch: int
    final_loss: list[float | None]
    seconds: float
    python: str


class DataCatalog(BaseModel):
    datasets: dict[str, str]
    models: list[str]
    activations: list[str]
    flavours: list[str]
    losses: dict[str, list[str]]
    limits: dict[str, Any]
