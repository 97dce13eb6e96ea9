"""Optimizers as another library defines them: its formulation, its argument names, its defaults.

``from_library("torch", "RMSprop", lr=0.01, momentum=0.9)`` is the descend transform that
follows exactly the iterates of ``torch.optim.RMSprop(params, lr=0.01, momentum=0.9)``;
``from_library("keras", "Adam")`` those of ``keras.optimizers.Adam()``. Use it to reproduce
a paper's or a colleague's setting. Each entry is a composition of descend's own rules and
transforms with the library's conventions spelled out:

=======  =========================================================================
torch    SGD, Adagrad, RMSprop, Adam, AdamW, NAdam (``maximize`` and coupled
         ``weight_decay`` as in ``torch.optim``; ``foreach``/``fused``/``capturable``/
         ``differentiable`` are accepted and ignored: they change speed, not math)
optax    sgd, adagrad, rmsprop, adam, adamw, nadam, amsgrad
keras    SGD, Adagrad, RMSprop, Adam, AdamW, Nadam (plus the base optimizer's
         ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``)
=======  =========================================================================

Learning rates (and any other numeric argument) may be schedules. A schedule for a PyTorch
optimizer is what its ``lr_scheduler`` would produce; see :mod:`descend.optim.schedules`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from descend.optim._adagrad import adagrad
from descend.optim._adam import adam, adamw
from descend.optim._base import Transform, times
from descend.optim._combine import chain
from descend.optim._nadam import nadam
from descend.optim._rmsprop import rmsprop
from descend.optim._sgd import gd, momentum
from descend.optim._transforms import (
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    decoupled_weight_decay,
    maximize,
    weight_decay,
)

_TORCH_IGNORED = ("foreach", "fused", "capturable", "differentiable")


def _given(value: Any) -> bool:
    """Whether an optional numeric argument is switched on: a schedule, a traced value, or
    a concrete value that is not zero everywhere (arrays included)."""
    if callable(value) or isinstance(value, jax.core.Tracer):
        return True
    return bool(np.any(np.asarray(value) != 0))


def _args(where: str, given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TypeError(
            f"{where} got unexpected argument(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(defaults))}"
        )
    return {**defaults, **given}


def _torch_wrap(a: dict[str, Any], rule: Transform, decoupled: bool = False) -> Transform:
    parts = [maximize()] if a["maximize"] else []
    if _given(a["weight_decay"]) and not decoupled:
        parts.append(weight_decay(a["weight_decay"]))
    parts.append(rule)
    if _given(a["weight_decay"]) and decoupled:
        parts.append(decoupled_weight_decay(times(a["lr"], a["weight_decay"])))
    return parts[0] if len(parts) == 1 else chain(*parts)


def _torch_sgd(a: dict[str, Any]) -> Transform:
    if not _given(a["momentum"]):
        if a["nesterov"]:
            raise ValueError("torch SGD: nesterov requires a momentum > 0")
        return _torch_wrap(a, gd(a["lr"]))
    rule = momentum(a["lr"], a["momentum"], dampening=a["dampening"], nesterov=a["nesterov"])
    return _torch_wrap(a, rule)


def _torch_adam(a: dict[str, Any], decoupled: bool) -> Transform:
    b1, b2 = a["betas"]
    rule = adam(a["lr"], b1, b2, a["eps"], amsgrad="raw" if a["amsgrad"] else None)
    return _torch_wrap(a, rule, decoupled)


def _torch_nadam(a: dict[str, Any]) -> Transform:
    b1, b2 = a["betas"]
    rule = nadam(a["lr"], b1, b2, a["eps"], momentum_decay=a["momentum_decay"])
    return _torch_wrap(a, rule, a["decoupled_weight_decay"])


_COMMON_TORCH = {"weight_decay": 0.0, "maximize": False}
_BETAS = {"betas": (0.9, 0.999), "eps": 1e-8}

TORCH: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], Transform]]] = {
    "sgd": (
        {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, **_COMMON_TORCH},
        _torch_sgd,
    ),
    "adagrad": (
        {
            "lr": 1e-2,
            "lr_decay": 0.0,
            "initial_accumulator_value": 0.0,
            "eps": 1e-10,
            **_COMMON_TORCH,
        },
        lambda a: _torch_wrap(
            a,
            adagrad(
                a["lr"],
                initial_accumulator_value=a["initial_accumulator_value"],
                eps=a["eps"],
                lr_decay=a["lr_decay"],
            ),
        ),
    ),
    "rmsprop": (
        {
            "lr": 1e-2,
            "alpha": 0.99,
            "eps": 1e-8,
            "momentum": 0.0,
            "centered": False,
            **_COMMON_TORCH,
        },
        lambda a: _torch_wrap(
            a,
            rmsprop(a["lr"], a["alpha"], a["eps"], centered=a["centered"], momentum=a["momentum"]),
        ),
    ),
    "adam": (
        {"lr": 1e-3, **_BETAS, "amsgrad": False, **_COMMON_TORCH},
        lambda a: _torch_adam(a, decoupled=False),
    ),
    "adamw": (
        {"lr": 1e-3, **_BETAS, "amsgrad": False, **_COMMON_TORCH, "weight_decay": 1e-2},
        lambda a: _torch_adam(a, decoupled=True),
    ),
    "nadam": (
        {
            "lr": 2e-3,
            **_BETAS,
            "momentum_decay": 4e-3,
            "decoupled_weight_decay": False,
            **_COMMON_TORCH,
        },
        _torch_nadam,
    ),
}


def _optax_sgd(a: dict[str, Any]) -> Transform:
    if a["momentum"] is None:
        if a["nesterov"]:
            raise ValueError("optax sgd: nesterov requires a momentum")
        return gd(a["learning_rate"])
    return momentum(a["learning_rate"], a["momentum"], nesterov=a["nesterov"])


def _optax_adam(a: dict[str, Any], **extra: Any) -> Transform:
    if a.get("nesterov"):
        return nadam(
            a["learning_rate"],
            a["b1"],
            a["b2"],
            a["eps"],
            momentum_schedule=False,
            eps_root=a["eps_root"],
        )
    return adam(a["learning_rate"], a["b1"], a["b2"], a["eps"], eps_root=a["eps_root"], **extra)


def _optax_adamw(a: dict[str, Any]) -> Transform:
    if a["mask"] is not None:
        raise ValueError(
            "optax adamw: mask is not supported by from_library; chain "
            "descend.adam with a masked decay instead"
        )
    if a["nesterov"]:
        return chain(
            _optax_adam(a), decoupled_weight_decay(times(a["learning_rate"], a["weight_decay"]))
        )
    return adamw(
        a["learning_rate"], a["b1"], a["b2"], a["eps"], a["weight_decay"], eps_root=a["eps_root"]
    )


_OPTAX_ADAM = {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0}

OPTAX: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], Transform]]] = {
    "sgd": ({"learning_rate": None, "momentum": None, "nesterov": False}, _optax_sgd),
    "adagrad": (
        {"learning_rate": None, "initial_accumulator_value": 0.1, "eps": 1e-7},
        lambda a: adagrad(
            a["learning_rate"],
            eps_in_sqrt=True,
            eps=a["eps"],
            initial_accumulator_value=a["initial_accumulator_value"],
        ),
    ),
    "rmsprop": (
        {
            "learning_rate": None,
            "decay": 0.9,
            "eps": 1e-8,
            "initial_scale": 0.0,
            "eps_in_sqrt": True,
            "centered": False,
            "momentum": None,
            "nesterov": False,
            "bias_correction": False,
        },
        lambda a: rmsprop(
            a["learning_rate"],
            a["decay"],
            a["eps"],
            centered=a["centered"],
            momentum=a["momentum"] or 0.0,
            nesterov=a["nesterov"],
            eps_in_sqrt=a["eps_in_sqrt"],
            lr_in_momentum=True,
            initial_scale=a["initial_scale"],
            bias_correction=a["bias_correction"],
        ),
    ),
    "adam": ({"learning_rate": None, **_OPTAX_ADAM, "nesterov": False}, _optax_adam),
    "adamw": (
        {
            "learning_rate": None,
            **_OPTAX_ADAM,
            "weight_decay": 1e-4,
            "mask": None,
            "nesterov": False,
        },
        _optax_adamw,
    ),
    "nadam": (
        {"learning_rate": None, **_OPTAX_ADAM},
        lambda a: _optax_adam({**a, "nesterov": True}),
    ),
    "amsgrad": (
        {"learning_rate": None, **_OPTAX_ADAM},
        lambda a: _optax_adam(a, amsgrad="corrected"),
    ),
}


def _keras_wrap(a: dict[str, Any], rule: Transform) -> Transform:
    parts = []
    if a["clipvalue"] is not None:
        parts.append(clip_by_value(a["clipvalue"]))
    if a["clipnorm"] is not None:
        parts.append(clip_by_norm(a["clipnorm"]))
    if a["global_clipnorm"] is not None:
        parts.append(clip_by_global_norm(a["global_clipnorm"]))
    parts.append(rule)
    if a["weight_decay"] is not None and _given(a["weight_decay"]):
        parts.append(decoupled_weight_decay(times(a["learning_rate"], a["weight_decay"])))
    return parts[0] if len(parts) == 1 else chain(*parts)


def _keras_sgd(a: dict[str, Any]) -> Transform:
    if not _given(a["momentum"]):
        return _keras_wrap(a, gd(a["learning_rate"]))
    return _keras_wrap(
        a, momentum(a["learning_rate"], a["momentum"], form="velocity", nesterov=a["nesterov"])
    )


def _keras_adam(a: dict[str, Any]) -> Transform:
    rule = adam(
        a["learning_rate"],
        a["beta_1"],
        a["beta_2"],
        a["epsilon"],
        eps_hat=True,
        amsgrad="raw" if a["amsgrad"] else None,
    )
    return _keras_wrap(a, rule)


_KERAS_BASE = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None}
_KERAS_ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

KERAS: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], Transform]]] = {
    "sgd": ({"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, **_KERAS_BASE}, _keras_sgd),
    "adagrad": (
        {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7, **_KERAS_BASE},
        lambda a: _keras_wrap(
            a,
            adagrad(
                a["learning_rate"],
                initial_accumulator_value=a["initial_accumulator_value"],
                eps=a["epsilon"],
                eps_in_sqrt=True,
            ),
        ),
    ),
    "rmsprop": (
        {
            "learning_rate": 0.001,
            "rho": 0.9,
            "momentum": 0.0,
            "epsilon": 1e-7,
            "centered": False,
            **_KERAS_BASE,
        },
        lambda a: _keras_wrap(
            a,
            rmsprop(
                a["learning_rate"],
                a["rho"],
                a["epsilon"],
                centered=a["centered"],
                momentum=a["momentum"],
                eps_in_sqrt=True,
                lr_in_momentum=True,
            ),
        ),
    ),
    "adam": ({"learning_rate": 0.001, **_KERAS_ADAM, **_KERAS_BASE}, _keras_adam),
    "adamw": (
        {"learning_rate": 0.001, **_KERAS_ADAM, **_KERAS_BASE, "weight_decay": 0.004},
        _keras_adam,
    ),
    "nadam": (
        {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, **_KERAS_BASE},
        lambda a: _keras_wrap(
            a,
            nadam(a["learning_rate"], a["beta_1"], a["beta_2"], a["epsilon"], momentum_decay=4e-3),
        ),
    ),
}

LIBRARIES = {"torch": TORCH, "optax": OPTAX, "keras": KERAS}
_ALIASES = {"pytorch": "torch", "tensorflow": "keras", "tf": "keras", "tf.keras": "keras"}


def lookup(tables: dict[str, dict[str, Any]], library: str, name: str, what: str):
    """Resolve ``library`` (aliases allowed) and ``name`` (any case) in ``tables``: returns
    ``(library, key, entry)``, or raises ValueError listing the valid choices."""
    lib = _ALIASES.get(str(library).lower(), str(library).lower())
    if lib not in tables:
        raise ValueError(
            f"library must be one of {', '.join(sorted(tables))} (or an alias "
            f"{', '.join(sorted(_ALIASES))}); got {library!r}"
        )
    key = str(name).lower()
    if key not in tables[lib]:
        raise ValueError(
            f"{lib} {what} must be one of {', '.join(sorted(tables[lib]))}; got {name!r}"
        )
    return lib, key, tables[lib][key]


def from_library(library: str, name: str, **kwargs: Any) -> Transform:
    """The descend transform equal to optimizer ``name`` of ``library`` built with ``kwargs``.

    ``library`` is "torch" (or "pytorch"), "optax" or "keras" (or "tensorflow");
    ``name`` is the optimizer's name there, in any case (``"RMSprop"``, ``"adamw"``).
    ``kwargs`` are that library's own argument names, with its defaults for the rest.
    Optax's ``learning_rate`` has no default, as in Optax.
    """
    lib, _, (defaults, build) = lookup(LIBRARIES, library, name, "optimizer")
    if lib == "torch":
        kwargs = {k: v for k, v in kwargs.items() if k not in _TORCH_IGNORED}
    args = _args(f"from_library({lib!r}, {name!r})", kwargs, defaults)
    rate_name = "lr" if lib == "torch" else "learning_rate"
    if args[rate_name] is None:
        raise TypeError(f"from_library({lib!r}, {name!r}) needs {rate_name}=...")
    return build(args)
