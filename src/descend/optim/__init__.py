"""Update rules, schedules, gradient transforms and the `Transform` protocol.

Everything here is a pure function returning a :class:`Transform` (optax-compatible), over
any pytree of arrays. See each rule's docstring for its math and the library conventions it
can reproduce, and :func:`from_library` to build an optimizer the way PyTorch, Optax or
Keras defines it.
"""

from descend._validation import validate
from descend.optim import registry as registry  # names() and get(name); kept out of __all__
from descend.optim import schedules
from descend.optim._adagrad import adagrad
from descend.optim._adam import adam, adamw, amsgrad
from descend.optim._base import HyperParam, Schedule, Transform, apply_updates, value_at
from descend.optim._combine import chain, identity
from descend.optim._library import from_library
from descend.optim._library_schedules import schedule_from_library
from descend.optim._nadam import nadam
from descend.optim._noise import add_noise
from descend.optim._plateau import reduce_on_plateau
from descend.optim._rmsprop import rmsprop
from descend.optim._sgd import gd, momentum, nesterov
from descend.optim._transforms import (
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    decoupled_weight_decay,
    global_norm,
    maximize,
    scale,
    scale_by_learning_rate,
    scale_by_schedule,
    weight_decay,
)

__all__ = [
    "HyperParam",
    "Schedule",
    "Transform",
    "adagrad",
    "adam",
    "adamw",
    "add_noise",
    "amsgrad",
    "apply_updates",
    "chain",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "decoupled_weight_decay",
    "from_library",
    "gd",
    "global_norm",
    "identity",
    "maximize",
    "momentum",
    "nadam",
    "nesterov",
    "reduce_on_plateau",
    "rmsprop",
    "scale",
    "scale_by_learning_rate",
    "scale_by_schedule",
    "schedule_from_library",
    "schedules",
    "validate",
    "value_at",
    "weight_decay",
]
