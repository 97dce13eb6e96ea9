"""Each rule's hyperparameters for a run on a surface: the one policy that the command line's
race, the playground's API and its page all read (a value given by the user always wins).

A catalogue surface carries two measured rates (:class:`descend.problems.surfaces.Surface`):
``lr``, a gradient-descent rate below the instability ``2/L``, and ``adaptive_lr``, a step for
Adam and RMSProp, whose steps are about ``lr`` in every coordinate. The rules get:

    gd                          lr
    momentum, nesterov (and     0.3 lr, beta 0.9
    lookahead-nesterov)
    adagrad                     10 adaptive_lr (its sum of squares only grows)
    rmsprop                     adaptive_lr, decay 0.9
    adam, amsgrad, nadam        adaptive_lr
    adamw                       adaptive_lr, no weight decay (a surface has no "weights")
    annealing                   lr; temperature 0.3 x the loss gap from the start to the
                                minimum; noise 2% of the domain's width; cooling 0.998

Momentum's 0.3: a GD rate may be as high as ``2/L``; Nesterov with beta = 0.9 is stable only
for ``lr L < 2(1 + beta)/(1 + 2 beta) = 1.36``, so ``0.3 * 2/L = 0.6/L`` keeps every surface
stable. Measured over the catalogue (5,000 steps): no divergence at 0.3 (Beale diverges at
0.5), and momentum still beats GD on Rosenbrock, the plateau and the ill-conditioned
quadratic. Annealing's settings are those of ``benchmarks/global_search.py``, in the
surface's units.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from descend.problems.surfaces import Surface

MOMENTUM_LR_FACTOR = 0.3


def _loss_scale(s: Surface) -> float:
    """The loss gap between the surface's start and its minimum (1 when unknown or less)."""
    start = float(s(jnp.asarray(s.start)))
    return max(1.0, abs(start - s.min_value) if s.min_value is not None else abs(start))


def _width(s: Surface) -> float:
    return float(np.mean([hi - lo for lo, hi in s.domain]))


def _momentum(s: Surface) -> dict[str, float]:
    return {"lr": MOMENTUM_LR_FACTOR * s.lr, "beta": 0.9}


#: rule name -> its hyperparameters on the surface ``s`` (those not named keep the rule's own
#: defaults): the registry's rules and the engine's strategies (lookahead, annealing).
RACE_DEFAULTS: dict[str, Callable[[Surface], dict[str, float]]] = {
    "gd": lambda s: {"lr": s.lr},
    "momentum": _momentum,
    "nesterov": _momentum,
    "lookahead-nesterov": _momentum,
    "adagrad": lambda s: {"lr": 10 * s.adaptive_lr},
    "rmsprop": lambda s: {"lr": s.adaptive_lr, "decay": 0.9},
    "adam": lambda s: {"lr": s.adaptive_lr, "b1": 0.9, "b2": 0.999},
    "amsgrad": lambda s: {"lr": s.adaptive_lr},
    "nadam": lambda s: {"lr": s.adaptive_lr},
    "adamw": lambda s: {"lr": s.adaptive_lr, "weight_decay": 0.0},
    "annealing": lambda s: {"lr": s.lr, "temperature": _loss_scale(s) * 0.3,
                            "cooling": 0.998, "noise": 0.02 * _width(s)},
}  # fmt: skip


def race_defaults(name: str, surface: Surface) -> dict[str, float]:
    """The hyperparameters the rule ``name`` runs with on ``surface`` unless the user gives
    others; ``{}`` for a rule the policy does not know (its own defaults apply)."""
    policy = RACE_DEFAULTS.get(name)
    return policy(surface) if policy is not None else {}
