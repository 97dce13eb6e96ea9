"""Schedules as PyTorch, Optax and Keras name and parametrise them.

``schedule_from_library("torch", "CosineAnnealingLR", 0.1, T_max=100)`` is the descend
schedule whose value at update ``t`` is the learning rate that
``torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)`` gives the ``t``-th
``optimizer.step()`` of an optimizer built with ``lr=0.1``. For Optax and Keras, ``base`` is
ignored (pass None): their schedules carry their own initial value.

torch: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
PolynomialLR, LinearLR, OneCycleLR (``which="momentum"`` gives the momentum / beta1 it
cycles), SequentialLR (``schedulers=[{"name": ..., "kwargs": ...}, ...], milestones=[...]``).
ReduceLROnPlateau is driven by the loss: see :func:`descend.optim.reduce_on_plateau`.
optax: constant_schedule, linear_schedule, exponential_decay, cosine_decay_schedule,
polynomial_schedule, warmup_cosine_decay_schedule.
keras: ExponentialDecay, InverseTimeDecay, CosineDecay, PolynomialDecay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descend.optim import schedules as S
from descend.optim._base import Schedule
from descend.optim._library import _args, lookup

_REQUIRED = object()


def _one_cycle(base: float, a: dict[str, Any], which: str) -> Schedule:
    common = {
        "pct_start": a["pct_start"],
        "anneal": a["anneal_strategy"],
        "three_phase": a["three_phase"],
    }
    if which == "momentum":
        return S.one_cycle_momentum(
            a["total_steps"], a["base_momentum"], a["max_momentum"], **common
        )
    return S.one_cycle(
        a["max_lr"],
        a["total_steps"],
        div_factor=a["div_factor"],
        final_div_factor=a["final_div_factor"],
        **common,
    )


def _sequential(base: float, a: dict[str, Any]) -> Schedule:
    parts = [
        schedule_from_library("torch", p["name"], base, **p.get("kwargs", {}))
        for p in a["schedulers"]
    ]
    return S.join(parts, a["milestones"])


Builder = Callable[[float, dict[str, Any]], Schedule]


def _decay(schedule: Callable[..., Schedule], init: str, steps: str):
    """An entry for a decay that Optax and Keras both parametrise as (initial value,
    ``decay_rate``, steps, ``staircase``), under their own names for the value and steps."""
    defaults = {init: _REQUIRED, steps: _REQUIRED, "decay_rate": _REQUIRED, "staircase": False}
    return defaults, lambda b, a: schedule(
        a[init], a["decay_rate"], a[steps], staircase=a["staircase"]
    )


def _cosine(init: str):
    """An entry for a cosine decay to ``alpha`` times the initial value (Optax, Keras)."""
    return (
        {init: _REQUIRED, "decay_steps": _REQUIRED, "alpha": 0.0},
        lambda b, a: S.cosine(a[init], a["decay_steps"], a[init] * a["alpha"]),
    )


TORCH: dict[str, tuple[dict[str, Any], Builder]] = {
    "steplr": (
        {"step_size": _REQUIRED, "gamma": 0.1},
        lambda b, a: S.step(b, a["step_size"], a["gamma"]),
    ),
    "multisteplr": (
        {"milestones": _REQUIRED, "gamma": 0.1},
        lambda b, a: S.multistep(b, a["milestones"], a["gamma"]),
    ),
    "exponentiallr": ({"gamma": _REQUIRED}, lambda b, a: S.exponential(b, a["gamma"])),
    "cosineannealinglr": (
        {"T_max": _REQUIRED, "eta_min": 0.0},
        lambda b, a: S.cosine(b, a["T_max"], a["eta_min"]),
    ),
    "cosineannealingwarmrestarts": (
        {"T_0": _REQUIRED, "T_mult": 1, "eta_min": 0.0},
        lambda b, a: S.cosine_warm_restarts(b, a["T_0"], a["T_mult"], a["eta_min"]),
    ),
    "polynomiallr": (
        {"total_iters": 5, "power": 1.0},
        lambda b, a: S.polynomial(b, 0.0, a["power"], a["total_iters"]),
    ),
    "linearlr": (
        {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5},
        lambda b, a: S.linear(b * a["start_factor"], b * a["end_factor"], a["total_iters"]),
    ),
    "onecyclelr": (
        {
            "max_lr": _REQUIRED,
            "total_steps": _REQUIRED,
            "pct_start": 0.3,
            "anneal_strategy": "cos",
            "cycle_momentum": True,
            "base_momentum": 0.85,
            "max_momentum": 0.95,
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "three_phase": False,
        },
        lambda b, a: _one_cycle(b, a, "lr"),
    ),
    "sequentiallr": ({"schedulers": _REQUIRED, "milestones": _REQUIRED}, _sequential),
}

OPTAX: dict[str, tuple[dict[str, Any], Builder]] = {
    "constant_schedule": ({"value": _REQUIRED}, lambda b, a: S.constant(a["value"])),
    "linear_schedule": (
        {"init_value": _REQUIRED, "end_value": _REQUIRED, "transition_steps": _REQUIRED},
        lambda b, a: S.linear(a["init_value"], a["end_value"], a["transition_steps"]),
    ),
    "exponential_decay": _decay(S.exponential, "init_value", "transition_steps"),
    "cosine_decay_schedule": _cosine("init_value"),
    "polynomial_schedule": (
        {
            "init_value": _REQUIRED,
            "end_value": _REQUIRED,
            "power": _REQUIRED,
            "transition_steps": _REQUIRED,
        },
        lambda b, a: S.polynomial(
            a["init_value"], a["end_value"], a["power"], a["transition_steps"]
        ),
    ),
    "warmup_cosine_decay_schedule": (
        {
            "init_value": _REQUIRED,
            "peak_value": _REQUIRED,
            "warmup_steps": _REQUIRED,
            "decay_steps": _REQUIRED,
            "end_value": 0.0,
        },
        lambda b, a: S.warmup(
            S.cosine(a["peak_value"], a["decay_steps"] - a["warmup_steps"], a["end_value"]),
            a["warmup_steps"],
            a["init_value"],
        ),
    ),
}

KERAS: dict[str, tuple[dict[str, Any], Builder]] = {
    "exponentialdecay": _decay(S.exponential, "initial_learning_rate", "decay_steps"),
    "inversetimedecay": _decay(S.inverse_time, "initial_learning_rate", "decay_steps"),
    "cosinedecay": _cosine("initial_learning_rate"),
    "polynomialdecay": (
        {
            "initial_learning_rate": _REQUIRED,
            "decay_steps": _REQUIRED,
            "end_learning_rate": 1e-4,
            "power": 1.0,
        },
        lambda b, a: S.polynomial(
            a["initial_learning_rate"], a["end_learning_rate"], a["power"], a["decay_steps"]
        ),
    ),
}

SCHEDULE_LIBRARIES = {"torch": TORCH, "optax": OPTAX, "keras": KERAS}


def schedule_from_library(
    library: str, name: str, base: float | None = None, *, which: str = "lr", **kwargs: Any
) -> Schedule:
    """The descend schedule equal to ``library``'s schedule ``name`` built with ``kwargs``.

    ``base`` is the optimizer's learning rate (PyTorch schedulers multiply it); ``which``
    is "lr", or "momentum" for the momentum that PyTorch's ``OneCycleLR`` cycles.
    """
    lib, key, (defaults, build) = lookup(SCHEDULE_LIBRARIES, library, name, "schedule")
    args = _args(f"schedule_from_library({lib!r}, {name!r})", kwargs, defaults)
    missing = sorted(k for k, v in args.items() if v is _REQUIRED)
    if missing:
        raise TypeError(f"schedule_from_library({lib!r}, {name!r}) needs {', '.join(missing)}")
    if lib == "torch" and base is None:
        raise TypeError(f"schedule_from_library('torch', {name!r}) needs base (the optimizer lr)")
    if which not in ("lr", "momentum") or (which == "momentum" and key != "onecyclelr"):
        raise ValueError(f"which='momentum' is only for torch OneCycleLR; got which={which!r}")
    if key == "onecyclelr":
        return _one_cycle(base, args, which)
    return build(base, args)
