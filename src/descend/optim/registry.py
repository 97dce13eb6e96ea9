"""The update rules by name: ``names()`` and ``get(name)``, with what every face needs to
know about each rule's hyperparameters.

::

    from descend.optim import registry
    registry.names()                      # ['gd', 'momentum', ..., 'nadam'], simple to elaborate
    entry = registry.get("adam")          # an OptimizerEntry
    entry.defaults()                      # {'lr': 0.001, 'b1': 0.9, 'b2': 0.999, ...}
    entry.hyperparameter("lr").scale      # 'log': a slider or a search spreads it in decades
    opt = entry.build(lr=0.01)            # the same as descend.adam(lr=0.01)

Each entry holds the rule's constructor, a one-line description, its numeric
hyperparameters (default, the range the constructor accepts, open or closed at each end, the
scale on which values are spread, and a typical span for a slider or a search) and its
structural options (switches and convention names, which select a different program and so
cannot be swept). The ranges are the constructors' own checks written as data; the tests
hold the two together. The command line, the scikit-learn estimators and the playground read
this table; none keeps a list of its own.

The names are deliberately not re-exported by ``import descend`` (``ds.get`` would say
nothing); reach them as ``descend.optim.registry.names()`` or ``ds.optim.registry.get(...)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from descend import _validation as check
from descend._public import listing
from descend.optim._adagrad import adagrad
from descend.optim._adam import adam, adamw, amsgrad
from descend.optim._base import Transform
from descend.optim._nadam import nadam
from descend.optim._rmsprop import rmsprop
from descend.optim._sgd import gd, momentum, nesterov

INF = math.inf
SCALES = ("log", "linear")


@dataclass(frozen=True)
class Hyperparameter:
    """A numeric hyperparameter: a Python number, a JAX scalar (so ``jax.vmap`` can sweep
    it) or, for most, a schedule ``step -> value``.

    ``low``/``high`` bound what the constructor accepts (``low_closed``: ``low`` itself is
    allowed; likewise ``high_closed``); ``scale`` is ``"log"`` when values matter in decades
    (learning rates, epsilons, decay rates) and ``"linear"`` otherwise (betas, dampening);
    ``typical`` is the span a slider or a random search covers by default (a log-scale
    parameter whose default is 0 is off by default, and its slider starts at 0)."""

    name: str
    default: float
    low: float
    high: float
    low_closed: bool
    high_closed: bool
    scale: str
    typical: tuple[float, float]
    help: str

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"Hyperparameter.scale must be one of {SCALES}; got {self.scale!r}")
        lo, hi = self.typical
        if not (self.contains(lo) and self.contains(hi) and lo < hi):
            raise ValueError(f"{self.name}: typical {self.typical} is not inside {self.interval}")
        if self.scale == "log" and lo <= 0:
            raise ValueError(f"{self.name}: a log-scale typical span must start above 0")

    @property
    def interval(self) -> str:
        """The allowed range in interval notation, e.g. ``[0, 1)`` or ``(0, inf)``."""
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def __repr__(self) -> str:
        """``lr=0.001 in [0, inf), log``: the default, the range and the scale."""
        return f"{self.name}={self.default:g} in {self.interval}, {self.scale}"

    def contains(self, value: float) -> bool:
        """Whether the number ``value`` is in the allowed range (NaN is not)."""
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return bool(above and below and math.isfinite(value))


@dataclass(frozen=True)
class Option:
    """A structural switch or convention name: one of ``choices``, fixed at construction."""

    name: str
    default: Any
    choices: tuple[Any, ...]
    help: str


@dataclass(frozen=True)
class OptimizerEntry:
    """One update rule: its name, constructor, a one-line description, its numeric
    hyperparameters (in the constructor's order) and its structural options."""

    name: str
    constructor: Callable[..., Transform]
    description: str
    hyperparameters: tuple[Hyperparameter, ...]
    options: tuple[Option, ...] = ()

    def __repr__(self) -> str:
        """The name, the hyperparameters with their defaults and ranges, the options with
        their defaults: what a user needs to call the constructor."""
        hyper = "; ".join(map(repr, self.hyperparameters))
        options = ", ".join(f"{o.name}={o.default!r}" for o in self.options)
        return f"OptimizerEntry({self.name}: {hyper}" + (
            f"; options {options})" if options else ")"
        )

    def hyperparameter(self, name: str) -> Hyperparameter:
        """The hyperparameter called ``name``; ``ValueError`` listing them if none is."""
        for h in self.hyperparameters:
            if h.name == name:
                return h
        raise ValueError(
            f"optimizer {self.name} has no hyperparameter {name!r}"
            f"{check.did_you_mean(name, self.hyperparameter_names())}; "
            f"valid: {', '.join(self.hyperparameter_names())}"
        )

    def hyperparameter_names(self) -> list[str]:
        """The numeric hyperparameters' names, in the constructor's order."""
        return [h.name for h in self.hyperparameters]

    def defaults(self) -> dict[str, float]:
        """Every numeric hyperparameter at its default (the constructor's own)."""
        return {h.name: h.default for h in self.hyperparameters}

    def build(self, **values: Any) -> Transform:
        """The rule with ``values`` (numbers, JAX scalars, schedules or options) over its
        defaults. A name the rule does not take is a ``TypeError`` listing the ones it does;
        values are checked by the constructor (``ValueError`` out of range)."""
        known = {*self.hyperparameter_names(), *(o.name for o in self.options)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TypeError(
                f"optimizer {self.name}: unknown hyperparameter(s) "
                f"{', '.join(check.cut(k) for k in unknown)}"
                f"{check.did_you_mean(unknown[0], sorted(known))}; "
                f"valid: {', '.join(self.hyperparameter_names())}"
                + (f"; options: {', '.join(o.name for o in self.options)}" if self.options else "")
            )
        return self.constructor(**values)


# -- the hyperparameters, as the constructors check them -------------------------------------


def _lr(default: float) -> Hyperparameter:
    return Hyperparameter("lr", default, 0.0, INF, True, False, "log", (1e-5, 1.0),
                          "learning rate: the step is lr times the update direction")  # fmt: skip


def _fraction(name: str, default: float, typical: tuple[float, float], text: str,
              closed: bool = False) -> Hyperparameter:  # fmt: skip
    return Hyperparameter(name, default, 0.0, 1.0, True, closed, "linear", typical, text)


def _eps(default: float) -> Hyperparameter:
    return Hyperparameter("eps", default, 0.0, INF, False, False, "log", (1e-12, 1e-3),
                          "added to the denominator so that it never vanishes")  # fmt: skip


def _nonnegative(name: str, default: float, scale: str, typical: tuple[float, float],
                 text: str) -> Hyperparameter:  # fmt: skip
    return Hyperparameter(name, default, 0.0, INF, True, False, scale, typical, text)


_BETA = _fraction("beta", 0.9, (0.0, 0.999), "momentum: the share of the last step kept")
_B1 = _fraction("b1", 0.9, (0.0, 0.999), "decay of the first-moment (mean) estimate")
_B2 = _fraction("b2", 0.999, (0.9, 0.9999), "decay of the second-moment estimate")
_EPS_ROOT = _nonnegative("eps_root", 0.0, "log", (1e-16, 1e-4),
                         "added inside the square root (Optax's eps_root)")  # fmt: skip
_ADAM_OPTIONS = (Option("eps_hat", False, (False, True), "eps as Keras/TF1's epsilon-hat"),)
_AMSGRAD = Option(
    "amsgrad",
    None,
    (None, "raw", "corrected"),
    "keep the maximum second moment (AMSGrad), of the raw or corrected one",
)
_ADAM = (_B1, _B2, _eps(1e-8), _EPS_ROOT)

# fmt: off
_ENTRIES = (
    OptimizerEntry("gd", gd, "gradient descent: theta <- theta - lr * g", (_lr(0.01),)),
    OptimizerEntry(
        "momentum",
        momentum,
        "heavy ball: a running sum of past gradients, u <- beta*u + g",
        (_lr(0.01), _BETA, _fraction("dampening", 0.0, (0.0, 0.9),
                                     "share of the new gradient left out of u", closed=True)),
        (Option("form", "sum", ("sum", "ema", "velocity"), "where lr lives in the buffer"),
         Option("nesterov", False, (False, True), "apply the buffer twice (Nesterov)")),
    ),
    OptimizerEntry(
        "nesterov",
        nesterov,
        "Nesterov momentum: the heavy ball's step taken from the look-ahead point",
        (_lr(0.01), _BETA),
        (Option("form", "sum", ("sum", "ema", "velocity"), "where lr lives in the buffer"),),
    ),
    OptimizerEntry(
        "adagrad",
        adagrad,
        "Adagrad: each coordinate's step divided by the root of its summed squared gradients",
        (_lr(0.01),
         _nonnegative("initial_accumulator_value", 0.0, "linear", (0.0, 1.0),
                      "starting value of the sum of squared gradients"),
         _eps(1e-10),
         _nonnegative("lr_decay", 0.0, "log", (1e-6, 1e-1),
                      "lr / (1 + (t - 1) lr_decay) at step t (PyTorch)")),
        (Option("eps_in_sqrt", False, (False, True), "eps inside the square root (Optax)"),),
    ),
    OptimizerEntry(
        "rmsprop",
        rmsprop,
        "RMSprop: each coordinate's step divided by the root of a running mean of g^2",
        (_lr(0.01),
         _fraction("decay", 0.99, (0.5, 0.999), "decay of the running mean of g^2"),
         _eps(1e-8),
         _fraction("momentum", 0.0, (0.0, 0.99), "momentum on the scaled step"),
         _nonnegative("initial_scale", 0.0, "linear", (0.0, 1.0),
                      "starting value of the running mean (0 PyTorch, 1 TF1)")),
        tuple(Option(n, False, (False, True), text) for n, text in (
            ("centered", "divide by the running variance rather than the mean square"),
            ("nesterov", "Nesterov momentum on the scaled step"),
            ("eps_in_sqrt", "eps inside the square root (Optax)"),
            ("lr_in_momentum", "lr inside the momentum buffer (Keras, Optax)"),
            ("bias_correction", "correct the running mean's bias towards its start")))
    ),
    OptimizerEntry(
        "adam",
        adam,
        "Adam: bias-corrected running mean of g over the root of that of g^2",
        (_lr(0.001), *_ADAM),
        (*_ADAM_OPTIONS, _AMSGRAD),
    ),
    OptimizerEntry(
        "adamw",
        adamw,
        "AdamW: Adam with weight decay decoupled from the gradient",
        (_lr(0.001), *_ADAM[:3],
         _nonnegative("weight_decay", 0.01, "log", (1e-5, 1e-1),
                      "decoupled decay: theta <- theta - lr * weight_decay * theta"),
         _nonnegative("schedule", 1.0, "linear", (0.0, 1.0),
                      "multiplier of the whole step (Loshchilov and Hutter's eta_t)"),
         _EPS_ROOT),
        (Option("coupling", "lr", ("lr", "schedule"), "what scales the decay: lr or schedule"),
         *_ADAM_OPTIONS, _AMSGRAD),
    ),
    OptimizerEntry(
        "amsgrad",
        amsgrad,
        "AMSGrad: Adam dividing by the largest second moment seen, never a smaller one",
        (_lr(0.001), *_ADAM),
        (Option("max_of", "raw", ("raw", "corrected"), "the maximum of which estimate"),
         *_ADAM_OPTIONS),
    ),
    OptimizerEntry(
        "nadam",
        nadam,
        "NAdam: Adam with Nesterov momentum (Dozat 2016)",
        (_lr(0.002), *_ADAM[:3],
         _nonnegative("momentum_decay", 0.004, "log", (1e-4, 1e-1),
                      "psi of the momentum schedule mu_t = b1 (1 - 0.5 * 0.96^(t psi))"),
         _EPS_ROOT),
        (Option("momentum_schedule", True, (False, True), "Dozat's schedule of b1 (PyTorch)"),),
    ),
)
# fmt: on

_REGISTRY: dict[str, OptimizerEntry] = {e.name: e for e in _ENTRIES}


def names() -> list[str]:
    """The registered update rules, from the simplest to the most elaborate (not sorted: the
    order a reader meets them in)."""
    return list(_REGISTRY)


def get(name: str | Callable[..., Transform]) -> OptimizerEntry:
    """The entry of the rule called ``name`` (case-insensitive; ``-``, ``_`` and spaces are
    ignored, so ``"AdamW"`` and ``"adam_w"`` name the same), or of the rule whose constructor
    ``name`` is (``descend.adam``). ``TypeError`` for anything else; ``ValueError`` for an
    unknown name or a constructor the registry does not hold, listing the valid names."""
    if callable(name):
        entry = next((e for e in _ENTRIES if e.constructor is name), None)
        if entry is None:
            what = getattr(name, "__name__", type(name).__name__)
            raise ValueError(
                f"{what!r} is not one of the registry's update rules; valid names: "
                f"{', '.join(names())}"
            )
        return entry
    if not isinstance(name, str):
        built = (
            ": pass the constructor (descend.adam), not an optimizer it built"
            if hasattr(name, "init")
            else ""
        )
        raise TypeError(
            f"an update rule must be a registry name ('adam') or its constructor "
            f"(descend.adam); got {check.shown(name)} ({type(name).__name__}){built}"
        )
    key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if key not in _REGISTRY:
        raise ValueError(
            f"unknown optimizer {check.shown(name)}{check.did_you_mean(name, names())}; "
            f"valid names: {', '.join(names())}"
        )
    return _REGISTRY[key]


__all__ = ["Hyperparameter", "OptimizerEntry", "Option", "get", "names"]
__dir__ = listing(__all__)
