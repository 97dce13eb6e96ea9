"""How the fitted rate model (:mod:`~descend.insight.diagnose._model`) and the rules
(:mod:`~descend.insight.diagnose._rules`) share the verdict.

The rules decide every curve first and give their evidence. On a curve that carries nothing
better than its losses (no gradient norms, no engine that judged it: a log of another
framework, a ``FitResult``, a plain list), the model then reads the curve's features and
decides the rate verdict (too high, too low, right); ``diverged`` and "never left its start"
(the rules' first test, which tells a run that never got going from one that stalled) stay
with the rules. When the model agrees with the rules, or its verdict has a probability below
``CONFIDENT``, the rules' label stands (the model's probabilities are in the statistics,
``"model"``); otherwise its verdict wins, the evidence says which features moved
it most, and the rules' sub-label is kept where it applies: a run read as too low is a
``plateau`` when its smooth curve visibly stopped near its start (the rules' test), else
``too_low``; a run read as right is ``converged`` when it stalled or sits near its floor, else
``healthy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.insight.diagnose import _model as model
from descend.insight.diagnose._curve import Curve
from descend.insight.diagnose._features import NAMES, curve_features
from descend.insight.diagnose._rules import ADVICE, LEVEL_DONE, PLATEAU_PROGRESS, STALL

CONFIDENT = 0.75  # the model overrules the rules only at odds of 3:1 or more
AS_RATE = {
    "too_high": "too_high",
    "too_low": "too_low",
    "plateau": "too_low",
    "converged": "ok",
    "healthy": "ok",
}


def model_reads(curve: Curve) -> bool:
    """The model reads curves with no gradient norms and no engine verdict (a fitted table
    only)."""
    fitted = bool(np.any(model.WEIGHTS))
    judged = curve.deterministic or curve.engine_converged or curve.grad_norm is not None
    return fitted and not judged


def _why(x: np.ndarray, chosen: int, other: int) -> str:
    """The three features that moved the model most from ``other`` towards ``chosen``."""
    z = (x - model.MEAN) / model.SCALE
    push = (model.WEIGHTS[chosen] - model.WEIGHTS[other]) * z
    top = np.argsort(-push)[:3]
    return ", ".join(f"{NAMES[j]} = {x[j]:.3g}" for j in top if push[j] > 0)


def model_verdict(
    curve: Curve, s: dict[str, Any], label: str, evidence: list[str], advice: str
) -> tuple[str, list[str], str]:
    """The verdict once the model has read the curve (see the module docstring)."""
    if label not in AS_RATE:
        return label, evidence, advice
    x = curve_features(curve.loss, s, label)
    p = model.probabilities(x)
    s["model"] = {c: float(v) for c, v in zip(model.CLASSES, p, strict=True)}
    k = int(np.argmax(p))
    said = model.CLASSES[k]
    odds = ", ".join(f"{c} {v:.2f}" for c, v in zip(model.CLASSES, p, strict=True))
    rules_rate = AS_RATE[label]
    never_left = any("never left its start" in line for line in evidence)
    if said == rules_rate or never_left or p[k] < CONFIDENT:
        return label, evidence, advice
    why = _why(x, k, model.CLASSES.index(rules_rate))
    evidence.append(
        f"the fitted rate model reads the curve as {said.replace('_', ' ')} "
        f"(probabilities: {odds}), overruling the rules' {label}; most of all from {why}"
    )
    if said == "too_high":
        return "too_high", evidence, ADVICE["too_high"].format(how="the loss does not settle")
    if said == "too_low":
        smooth = s.get("block", 1) == 1 and s["noise"] <= STALL * s["level"]
        if smooth and s["half_change"] < STALL and s["progress"] < PLATEAU_PROGRESS:
            return "plateau", evidence, ADVICE["plateau"]
        return "too_low", evidence, ADVICE["too_low"]
    if s["half_change"] < STALL or s["level"] <= LEVEL_DONE:
        where = f" at {100 * s['level']:.3g}% of its starting value"
        return "converged", evidence, ADVICE["converged"].format(where=where)
    return "healthy", evidence, ADVICE["healthy"]
