"""What the diagnosis reads: a loss curve, with the gradient norm and the step numbers when
they are known, taken from a descend run, a training run, a dict or a plain list of losses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.engine.fit import FitResult
from descend.engine.result import History, Result

MIN_POINTS = 3  # fewer losses than this say nothing about the shape of a curve


@dataclass(frozen=True)
class Curve:
    """A loss curve: ``loss[i]`` was recorded at ``steps[i]`` (``unit`` says whether steps are
    optimizer steps or epochs); ``grad_norm`` is aligned with ``loss`` or None; ``diverged``
    and ``stop_reason`` are the verdict of the engine that ran it, when there was one."""

    loss: np.ndarray
    grad_norm: np.ndarray | None
    steps: np.ndarray
    unit: str = "step"
    diverged: bool = False
    stop_reason: str | None = None
    deterministic: bool = False  # a descend.minimize run: no mini-batch noise to average out

    @property
    def engine_converged(self) -> bool:
        """The engine stopped the run because its gradient-norm tolerance was met."""
        return bool(self.stop_reason) and "gradient norm" in str(self.stop_reason)


def _vector(name: str, values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"diagnose: {name} must be a sequence of numbers; got a string")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"diagnose: {name} must hold numbers only; got {values!r:.80}") from None
    if array.ndim != 1:
        raise ValueError(
            f"diagnose: {name} must be 1-D (one value per step); got shape {array.shape}"
        )
    return array


def _from_result(res: Result) -> dict[str, Any]:
    if np.ndim(res.history.count) != 0:
        raise ValueError("diagnose works on one run; index a batched result first (results[i])")
    h = res.history.trimmed()
    return {
        "loss": h["loss"],
        "grad_norm": h["grad_norm"],
        "step": h["step"],
        "diverged": res.diverged,
        "stop_reason": res.stop_reason,
        "deterministic": True,
    }


def _from_fit(res: FitResult) -> dict[str, Any]:
    if np.ndim(res.epochs) != 0:
        raise ValueError("diagnose works on one training run; index a batched FitResult first")
    loss = res.curves()["loss"]
    return {
        "loss": loss,
        "step": np.arange(1, len(loss) + 1),
        "unit": "epoch",
        "diverged": res.diverged,
        "stop_reason": res.stop_reason,
    }


def _from_mapping(source: Mapping) -> dict[str, Any]:
    if "loss" not in source:
        keys = ", ".join(map(repr, source)) or "none"
        raise ValueError(f"diagnose: a dict must have a 'loss' entry; its keys are {keys}")
    out = {"loss": source["loss"], "grad_norm": source.get("grad_norm")}
    for key in ("step", "steps", "epoch"):
        if source.get(key) is not None:
            out["step"] = source[key]
            out["unit"] = "epoch" if key == "epoch" else "step"
            break
    if source.get("unit") in ("step", "epoch"):
        out["unit"] = source["unit"]
    return out


def as_curve(source: Any, grad_norm: Any = None, steps: Any = None) -> Curve:
    """The :class:`Curve` of ``source``: a descend ``Result`` (history, gradient norms and
    the engine's stop reason), a ``FitResult`` (the per-epoch training loss), a ``History``, a
    dict with ``"loss"`` (and optionally ``"grad_norm"`` and ``"step"``/``"epoch"``), or a
    1-D sequence of losses. ``grad_norm`` and ``steps`` given here take precedence."""
    if isinstance(source, Curve):
        parts = {
            "loss": source.loss,
            "grad_norm": source.grad_norm,
            "step": source.steps,
            "unit": source.unit,
            "diverged": source.diverged,
            "stop_reason": source.stop_reason,
            "deterministic": source.deterministic,
        }
    elif isinstance(source, Result):
        parts = _from_result(source)
    elif isinstance(source, FitResult):
        parts = _from_fit(source)
    elif isinstance(source, History):
        if np.ndim(source.count) != 0:
            raise ValueError("diagnose works on one run; index a batched history first")
        parts = _from_mapping(source.trimmed())
    elif isinstance(source, Mapping):
        parts = _from_mapping(source)
    else:
        parts = {"loss": source}
    loss = _vector("the losses", parts["loss"])
    if loss.size == 0:
        raise ValueError("diagnose: the loss curve is empty")
    grad = grad_norm if grad_norm is not None else parts.get("grad_norm")
    grad = None if grad is None else _vector("grad_norm", grad)
    if grad is not None and grad.shape != loss.shape:
        raise ValueError(
            f"diagnose: grad_norm must have one value per loss ({loss.size}); got {grad.size}"
        )
    step = steps if steps is not None else parts.get("step")
    step = np.arange(loss.size) if step is None else _vector("steps", step)
    if step.shape != loss.shape:
        raise ValueError(
            f"diagnose: steps must have one value per loss ({loss.size}); got {step.size}"
        )
    return Curve(
        loss=loss,
        grad_norm=grad,
        steps=step,
        unit=parts.get("unit", "step"),
        diverged=bool(parts.get("diverged", False)),
        stop_reason=parts.get("stop_reason"),
        deterministic=bool(parts.get("deterministic", False)),
    )


SMOOTH_ABOVE = 200  # a noisy curve longer than this is read as block means ...
SMOOTH_BLOCKS = 50  # ... of about this many blocks (an epoch-like curve)
NOISY_RISES = 0.25  # noisy: at least 25% of the second half's steps rise ...
NOISY_REVERSALS = 0.3  # ... the direction reverses at least this often (not a steady climb)
CYCLE_ALTERNATION = 0.9  # ... but not at almost every step, like a clean two-step cycle


def smooth_if_noisy(curve: Curve) -> tuple[Curve, tuple[str, int] | None]:
    """A noisy curve (per-step mini-batch losses) as the means of consecutive blocks, so that
    its trend is read instead of its noise; the curve itself when it is short, smooth or a
    clean two-step cycle (which block means would hide). Returns the curve and, when it was
    smoothed, a line of evidence and the block length."""
    from descend.insight.diagnose.statistics import block_means, noise

    n = len(curve.loss)
    if n <= SMOOTH_ABOVE or curve.deterministic:
        return curve, None
    rises, alternation = noise(curve.loss)
    if rises < NOISY_RISES or not NOISY_REVERSALS <= alternation < CYCLE_ALTERNATION:
        return curve, None
    # the first loss is kept as it is (the start every statistic is measured against), the
    # rest is averaged in blocks
    ends = np.cumsum([len(b) for b in np.array_split(np.arange(1, n), SMOOTH_BLOCKS)])
    loss = np.concatenate([curve.loss[:1], block_means(curve.loss[1:], SMOOTH_BLOCKS)])
    grad = None
    if curve.grad_norm is not None:
        grad = np.concatenate(
            [curve.grad_norm[:1], block_means(curve.grad_norm[1:], SMOOTH_BLOCKS)]
        )
    smooth = Curve(
        loss,
        grad,
        curve.steps[np.concatenate([[0], ends])],
        curve.unit,
        curve.diverged,
        curve.stop_reason,
        curve.deterministic,
    )
    size = n // SMOOTH_BLOCKS
    note = (
        f"the curve is noisy ({100 * rises:.3g}% of the {curve.unit}s of its second half "
        f"rise, irregularly; threshold {100 * NOISY_RISES:g}%): read as its first loss and "
        f"the means of {SMOOTH_BLOCKS} blocks of about {size} {curve.unit}s"
    )
    return smooth, (note, size)
