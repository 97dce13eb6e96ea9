"""What the diagnosis reads: a loss curve, with the gradient norm and the step numbers when
they are known, taken from a descend run, a training run, a dict or a plain list of losses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend import _validation as check
from descend.engine._fit import FitResult
from descend.engine._result import History, Result
from descend.engine._stop import StopReason
from descend.insight.diagnose._log_columns import held_out
from descend.insight.diagnose._logs import read_records

MIN_POINTS = 3  # fewer losses than this say nothing about the shape of a curve


@dataclass(frozen=True)
class Curve:
    """A loss curve: ``loss[i]`` was recorded at ``steps[i]`` (``unit`` says whether steps are
    optimizer steps or epochs); ``grad_norm`` is aligned with ``loss`` or None; ``diverged``
    and ``reason`` (a :class:`~descend.engine._stop.StopReason`) are the verdict of the engine
    that ran it, when there was one."""

    loss: np.ndarray
    grad_norm: np.ndarray | None
    steps: np.ndarray
    unit: str = "step"
    diverged: bool = False
    reason: StopReason | None = None
    deterministic: bool = False  # a descend.minimize run: no mini-batch noise to average out
    per_step: bool = False  # the source numbers its losses by step (a step key or column)

    @property
    def stop_reason(self) -> str | None:
        """The engine's stop reason in words (None when no engine ran the curve)."""
        return None if self.reason is None else StopReason(self.reason).text

    @property
    def engine_converged(self) -> bool:
        """The engine stopped the run because its gradient norm reached the tolerance (or
        the floor of float precision)."""
        return self.reason is not None and StopReason(self.reason).small_gradient


#: What the doctor says to a curve traced by ``jax.vmap`` or ``jax.jit``.
READS, READ_HINT = (
    "reads a finished curve on the host",
    "run the training under jax.vmap, then read each curve outside it",
)


def vector(name: str, values: Any) -> np.ndarray:
    """``values`` as a 1-D float64 array (a column or a row of one is flattened), or one line
    naming ``name`` when it is text, traced, not numbers or not 1-D."""
    check.untraced("diagnose", values, does=READS, hint=READ_HINT)
    if callable(getattr(values, "detach", None)):  # a torch tensor, perhaps with a gradient
        values = values.detach()
        values = values.cpu() if callable(getattr(values, "cpu", None)) else values
    if isinstance(values, Iterator):  # a generator of losses
        values = list(values)
    if isinstance(values, (str, bytes)):
        raise TypeError(f"diagnose: {name} must be a sequence of numbers; got a string")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"diagnose: {name} must hold numbers only; got {values!r:.80}") from None
    if array.ndim == 2 and 1 in array.shape:  # a column or a row: (n, 1), (1, n)
        array = array.reshape(-1)
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
        "reason": res.stop,
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
        "reason": res.stop,
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
    out["per_step"] = bool(source.get("per_step")) or ("step" in out and out["unit"] == "step")
    return out


def _held_log(source: Any, keys: list | None) -> dict[str, Any]:
    """A log held in memory, read as the same log saved as JSON is (see ``read_records``);
    one whose loss is a held-out one only (``val_loss``) is refused, as before: the doctor
    reads training curves."""
    read = read_records(source)
    if held_out(read["column"]):
        keys_text = ", ".join(map(repr, keys if keys is not None else [read["column"]]))
        raise ValueError(
            f"diagnose: a dict must have a 'loss' entry (or a training loss such as "
            f"'train_loss'); its keys are {keys_text}"
        )
    return _from_mapping(read)


def _records(source: Any) -> bool:
    """Whether ``source`` is a list of records (Hugging Face's ``log_history``)."""
    return (
        isinstance(source, (list, tuple))
        and bool(source)
        and all(isinstance(r, Mapping) for r in source)
    )


def as_curve(source: Any, grad_norm: Any = None, steps: Any = None) -> Curve:
    """The :class:`Curve` of ``source``: a descend ``Result`` (history, gradient norms and
    the engine's stop reason), a ``FitResult`` (the per-epoch training loss), a ``History``, a
    dict (or a pandas DataFrame) with ``"loss"`` (and optionally ``"grad_norm"`` and
    ``"step"``/``"epoch"``), any other dict, DataFrame or list of records (read as the same
    log saved as JSON: ``train_loss`` columns, Hugging Face's ``log_history``; see
    :func:`~descend.insight.diagnose.read_records`), or a 1-D sequence of losses (a column or
    a row too; a torch tensor, a generator).
    ``grad_norm`` and ``steps`` given here take precedence."""
    if isinstance(source, Curve):
        parts = {
            "loss": source.loss,
            "grad_norm": source.grad_norm,
            "step": source.steps,
            "unit": source.unit,
            "diverged": source.diverged,
            "reason": source.reason,
            "deterministic": source.deterministic,
            "per_step": source.per_step,
        }
    elif isinstance(source, Result):
        parts = _from_result(source)
    elif isinstance(source, FitResult):
        parts = _from_fit(source)
    elif isinstance(source, History):
        if np.ndim(source.count) != 0:
            raise ValueError("diagnose works on one run; index a batched history first")
        parts = _from_mapping(source.trimmed())
    elif isinstance(source, Mapping) and "loss" in source:
        parts = _from_mapping(source)
    elif isinstance(source, Mapping) or _records(source):
        parts = _held_log(source, list(source) if isinstance(source, Mapping) else None)
    elif hasattr(source, "columns") and hasattr(source, "to_dict"):  # a pandas DataFrame
        if "loss" not in source.columns:
            parts = _held_log(source, [str(c) for c in source.columns])
        else:
            parts = _from_mapping({str(c): source[c].to_numpy() for c in source.columns})
    else:
        parts = {"loss": source}
    loss = vector("the losses", parts["loss"])
    if loss.size == 0:
        raise ValueError("diagnose: the loss curve is empty")
    grad = grad_norm if grad_norm is not None else parts.get("grad_norm")
    grad = None if grad is None else vector("grad_norm", grad)
    if grad is not None and grad.shape != loss.shape:
        raise ValueError(
            f"diagnose: grad_norm must have one value per loss ({loss.size}); got {grad.size}"
        )
    step = steps if steps is not None else parts.get("step")
    step = np.arange(loss.size) if step is None else vector("steps", step)
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
        reason=parts.get("reason"),
        deterministic=bool(parts.get("deterministic", False)),
        per_step=bool(parts.get("per_step", False)),
    )


SMOOTH_ABOVE = 200  # a noisy curve longer than this is read as block means ...
SMOOTH_BLOCKS = 50  # ... of about this many blocks (an epoch-like curve)
SHORT_STEPS = 20  # a noisy log numbered by step, longer than this, is read through block ...
BLOCK_STEPS = 4  # ... means of at least this many steps (a log every k steps of a long run)
NOISY_RISES = 0.25  # noisy: at least 25% of the second half's steps rise ...
NOISY_REVERSALS = 0.3  # ... the direction reverses at least this often (not a steady climb)
START_STEPS = 5  # a noisy curve starts at its first loss or the median of its first 5 ...
START_SIGMAS = 3.0  # ... when the next 4 stay within 3 noise units of the first (a flat start)
CYCLE_ALTERNATION = 0.9  # ... but not at almost every step, like a clean two-step cycle


def spread(x: np.ndarray) -> float:
    """``std(x)``, computed as ``m * std(x / m)`` with ``m = max |x|`` so that losses near the
    largest float (a blown-up run's 1e300) do not overflow its squares (0 for no values)."""
    x = np.asarray(x, dtype=float)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return m * float(np.std(x / m)) if 0 < m < np.inf else 0.0


def _robust_sd(x: np.ndarray) -> float:
    """The standard deviation of ``x`` read from its median absolute deviation (1.4826 MAD),
    so that a few spikes do not inflate it."""
    x = np.asarray(x, dtype=float)
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if x.size else 0.0


def batch_noise(loss: np.ndarray, blocks: int = SMOOTH_BLOCKS) -> dict[str, float]:
    """The noise of a per-step curve, measured on the raw losses (absolute units):

    - ``step_noise``: the noise of one value over the last 60%, ``1.4826 * MAD(d) / sqrt(2)``
      of the successive differences ``d`` (robust: a spike does not inflate it);
    - ``start_noise``: the same over the first block (at least ``START_STEPS`` values): the
      noise of the starting loss, which is one value (an unstable run is far noisier at its
      end than at its start, so the noise of its end says nothing about that of its start);
    - ``block_noise``: the noise of one block mean, the median over the blocks of the second
      half of ``std(block) / sqrt(len(block))`` (what batch noise alone moves a block mean);
    - ``noise_growth``: the noise of one value over the last 30% over that of the 30% before
      it (robust, as above): above 1 when the steps swing wider and wider.
    """
    L = np.asarray(loss, dtype=float)
    n = len(L)
    tail = L[n - max(3, int(0.6 * n)) :]
    step = _robust_sd(np.diff(tail)) / np.sqrt(2.0)
    parts = np.array_split(L[1:], blocks)
    half = parts[len(parts) // 2 :]
    block = float(np.median([spread(b) / np.sqrt(len(b)) for b in half if len(b) > 1] or [0.0]))
    late, middle = L[n - n * 3 // 10 :], L[n - n * 6 // 10 : n - n * 3 // 10]
    before = _robust_sd(np.diff(middle))
    growth = _robust_sd(np.diff(late)) / before if before > 0 else 1.0
    first = L[: max(START_STEPS, n // blocks) + 1]
    start = _robust_sd(np.diff(first)) / np.sqrt(2.0)
    return {"step_noise": step, "start_noise": start, "block_noise": block, "noise_growth": growth}


def smooth_if_noisy(curve: Curve) -> tuple[Curve, dict[str, Any] | None]:
    """A noisy curve (per-step mini-batch losses) as the means of consecutive blocks, so that
    its trend is read instead of its noise; the curve itself when it is short, smooth or a
    clean two-step cycle (which block means would hide). Returns the curve and, when it was
    smoothed, ``{"text": a line of evidence, "block": the block length, **batch_noise}``
    (see :func:`batch_noise`; the noise of the raw steps, which tells batch noise from
    instability)."""
    from descend.insight.diagnose._statistics import block_means, noise

    n = len(curve.loss)
    short = curve.per_step and SHORT_STEPS < n <= SMOOTH_ABOVE
    if (n <= SMOOTH_ABOVE and not short) or curve.deterministic:
        return curve, None
    blocks = min(SMOOTH_BLOCKS, (n - 1) // BLOCK_STEPS)
    rises, alternation = noise(curve.loss)
    if rises < NOISY_RISES or not NOISY_REVERSALS <= alternation < CYCLE_ALTERNATION:
        return curve, None
    # the start every statistic is measured against is the first loss (the loss at the
    # initial weights) or, when the next START_STEPS - 1 losses stay within START_SIGMAS of
    # the noise of the start of the first one (a flat start: one batch's loss is as noisy as
    # any), the median of the first START_STEPS when lower (an overshoot right after the
    # first step must not raise the start); a run that falls fast in its first steps keeps
    # its first loss (the median of a fast fall is not its start)
    ends = np.cumsum([len(b) for b in np.array_split(np.arange(1, n), blocks)])
    noise_stats = batch_noise(curve.loss, blocks)
    first, head = float(curve.loss[0]), float(np.median(curve.loss[1:START_STEPS]))
    flat = abs(first - head) <= START_SIGMAS * noise_stats["start_noise"]
    start = min(first, float(np.median(curve.loss[:START_STEPS]))) if flat else first
    loss = np.concatenate([[start], block_means(curve.loss[1:], blocks)])
    grad = None
    if curve.grad_norm is not None:
        grad = np.concatenate([curve.grad_norm[:1], block_means(curve.grad_norm[1:], blocks)])
    smooth = Curve(
        loss,
        grad,
        curve.steps[np.concatenate([[0], ends])],
        curve.unit,
        curve.diverged,
        curve.reason,
        curve.deterministic,
        curve.per_step,
    )
    size = n // blocks
    what = "losses" if curve.unit == "epoch" and curve.per_step else f"{curve.unit}s"
    text = (
        f"the curve is noisy ({100 * rises:.3g}% of the {what} of its second half "
        f"rise, irregularly; threshold {100 * NOISY_RISES:g}%): read as the means of "
        f"{blocks} blocks of about {size} {what}, from "
        + (
            f"the median of its first {START_STEPS} losses (a flat start)"
            if flat
            else "its first loss"
        )
    )
    return smooth, {"text": text, "block": size, **noise_stats}
