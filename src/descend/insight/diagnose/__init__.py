"""Loss-curve diagnosis: is the learning rate too high, too low, or right?

``diagnose(source)`` reads one loss curve (a descend ``Result`` or ``FitResult``, a dict with
``"loss"``, or a plain list of losses from any framework) and returns a :class:`Diagnosis`:
one label, the evidence for it (which statistic, its value, the threshold and the steps
involved) and advice in plain words. The labels:

- ``diverged``: the loss became NaN or infinite, or blew up (``1e4`` times its start);
- ``too_high``: the loss oscillates, spikes or rises (NaN or not): the steps overshoot;
- ``plateau``: the loss has stalled although the gradient is not small (or stalled right
  where it started): a flat region crossed in steps too small to leave it;
- ``too_low``: the loss is still falling steadily at the end, far from converged;
- ``converged``: the loss has levelled off at a minimum (small gradient, or near its floor);
- ``healthy``: the loss is falling and levelling off; the rate looks right.

A noisy curve (per-step mini-batch losses) is read through block means, so that its trend
is judged rather than its noise: a curve of over 200 values, or over 20 when its values are
numbered by step (a log every k steps of a long run; plain numbers may be epochs, whose
wobble is read as it is). The statistics are in
:mod:`~descend.insight.diagnose._statistics`, the rules, their order and their thresholds in
:mod:`~descend.insight.diagnose._rules`; :func:`read_losses` reads a loss column from a CSV or
JSON log (``descend diagnose FILE`` on the command line). ``benchmarks/diagnosis_corpus.py``
measures the labels against learning-rate sweeps whose best rate is known.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from descend import _validation as check
from descend._public import listing
from descend.engine._reprs import fields_repr
from descend.insight.diagnose._curve import (
    MIN_POINTS,
    READ_HINT,
    READS,
    Curve,
    as_curve,
    smooth_if_noisy,
)
from descend.insight.diagnose._features import curve_features
from descend.insight.diagnose._logs import read_log, read_losses, read_records
from descend.insight.diagnose._rules import (
    ADVICE,
    decide,
    decide_short,
    first_nonfinite,
    nonfinite_evidence,
)
from descend.insight.diagnose._statistics import curve_statistics
from descend.insight.diagnose._verdict import model_reads, model_verdict

LABELS = ("diverged", "too_high", "too_low", "plateau", "converged", "healthy")
OK_LABELS = ("converged", "healthy")


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on one loss curve.

    ``label`` is one of :data:`LABELS`; ``evidence`` lists the facts behind it, each naming a
    statistic, its value, its threshold and the steps involved; ``advice`` says what to do;
    ``statistics`` holds every number computed (see
    :mod:`descend.insight.diagnose._statistics`). ``ok`` is True for ``converged`` and
    ``healthy``.
    """

    label: str
    evidence: list[str]
    advice: str
    statistics: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return fields_repr(self)

    @property
    def ok(self) -> bool:
        return self.label in OK_LABELS

    def to_dict(self) -> dict[str, Any]:
        """The diagnosis as JSON-ready data."""
        return {
            "label": self.label,
            "ok": self.ok,
            "evidence": list(self.evidence),
            "advice": self.advice,
            "statistics": dict(self.statistics),
        }

    def __str__(self) -> str:
        lines = [f"label: {self.label}", "evidence:"]
        lines += [f"  - {line}" for line in self.evidence]
        lines.append(f"advice: {self.advice}")
        return "\n".join(lines)


def diagnose(source: Any, *, grad_norm: Any = None, steps: Any = None) -> Diagnosis:
    """Diagnose one loss curve: label, evidence and advice (see the module docstring).

    Args:
        source: a :class:`descend.Result` (its history of losses and gradient norms and the
            engine's stop reason are used), a :class:`descend.FitResult` (its per-epoch
            training loss), a ``History``, a dict with ``"loss"`` and optionally
            ``"grad_norm"`` and ``"step"`` (or ``"epoch"``), a 1-D sequence of losses (a
            torch tensor too), a log held in memory (Keras's ``History.history``, Hugging
            Face's ``log_history``, a pandas DataFrame: read by :func:`read_records` as the
            same log saved as JSON), or the path (a string or ``os.PathLike``) of a log
            written by any framework, read by :func:`read_log` as ``descend diagnose`` reads
            it.
        grad_norm: the gradient norm at each recorded loss, when ``source`` lacks it; it
            tells a plateau (stalled, gradient not small) from a minimum (gradient small).
        steps: the step (or epoch) number of each loss, used in the evidence.

    Raises:
        ValueError: for a curve that is empty, not 1-D, not numeric, shorter than 3 values
            (unless it is non-finite or the engine judged it), or whose ``grad_norm`` or
            ``steps`` do not match it in length, or a log that cannot be read (see
            :func:`read_log`); TypeError for a string that names no file.
    """
    if isinstance(source, str) and not os.path.exists(source):
        raise TypeError(
            f"diagnose: got the string {source[:80]!r}, which is neither a log file that "
            "exists nor a sequence of numbers; give a log's path or the losses"
        )
    if isinstance(source, (str, os.PathLike)):
        source = read_log(source)
    check.untraced("diagnose", source, grad_norm, steps, does=READS, hint=READ_HINT)
    read = _read(source, grad_norm, steps)
    if isinstance(read, Diagnosis):
        return read
    curve, stats, notes = read
    label, evidence, advice = decide(curve, stats)
    if model_reads(curve):
        label, evidence, advice = model_verdict(curve, stats, label, evidence, advice)
    return Diagnosis(label, notes + evidence, advice, stats)


#: Losses beyond this size (about 1e289) are read in units of a power of two that brings them
#: under it: their sums and differences would overflow a float (every statistic is a ratio).
LARGEST = 2.0**960

#: A log's NaN or infinite losses are steps the run skipped, not a divergence, when they are
#: at most this share of its losses and its last tenth (at least 3 losses) is finite: a loop
#: that skips a bad batch (``if not torch.isfinite(loss): continue``) or a mixed-precision
#: step that overflowed logs one and goes on.
SKIPPED_SHARE = 0.02


def _skipped_steps(curve: Curve) -> tuple[Curve, str | None]:
    """The curve without non-finite losses the run went on after (see :data:`SKIPPED_SHARE`),
    and a line of evidence saying so; the curve as it is otherwise (None)."""
    bad = ~np.isfinite(curve.loss)
    n = len(curve.loss)
    tail = max(3, n // 10)
    if curve.diverged or not bad.any() or bad.sum() > SKIPPED_SHARE * n or bad[-tail:].any():
        return curve, None
    first = int(np.argmax(bad))
    text = (
        f"left out {int(bad.sum())} non-finite loss(es) ({curve.loss[first]} at "
        f"{curve.unit} {curve.steps[first]:g} first): the run went on with finite losses "
        "after them, as when a loop skips a bad batch or a mixed-precision step overflows"
    )
    keep = ~bad
    grad = None if curve.grad_norm is None else curve.grad_norm[keep]
    return replace(curve, loss=curve.loss[keep], grad_norm=grad, steps=curve.steps[keep]), text


def _read(source: Any, grad_norm: Any, steps: Any) -> Diagnosis | tuple[Curve, dict, list[str]]:
    """The hard verdicts (non-finite, stopped as diverged, too short) as a Diagnosis; else
    the curve as read (without the steps it skipped, block means of a noisy log), its
    statistics and the lines that say how it was read."""
    curve, skipped = _skipped_steps(as_curve(source, grad_norm, steps))
    notes = [] if skipped is None else [skipped]
    bad = first_nonfinite(curve.loss)
    if bad >= 0:
        stats = {"n": len(curve.loss), "first_nonfinite": bad}
        return Diagnosis("diverged", nonfinite_evidence(curve, bad), ADVICE["diverged"], stats)
    if curve.diverged:
        stats = {"n": len(curve.loss)}
        evidence = [
            f"the run was stopped as diverged at {curve.unit} "
            f"{curve.steps[-1]:g} (the engine's rule: the loss rose 1e4 times above its "
            f"start, or a value became non-finite)"
        ]
        return Diagnosis("diverged", evidence, ADVICE["diverged"], stats)
    if len(curve.loss) < MIN_POINTS:
        verdict = decide_short(curve)
        if verdict is None:
            raise ValueError(
                f"diagnose needs at least {MIN_POINTS} losses to read the shape of "
                f"a curve; got {len(curve.loss)}"
            )
        return Diagnosis(*verdict, {"n": len(curve.loss)})
    top = float(np.max(np.abs(curve.loss)))
    if top > LARGEST:
        k = int(np.ceil(np.log2(top / LARGEST)))
        curve = replace(curve, loss=np.ldexp(curve.loss, -k))
        notes.append(
            f"its losses reach {top:.3g}, next to the largest float: read in units of 2^{k} "
            f"({2.0**k:.3g}) so that their sums and differences do not overflow"
        )
    curve, note = smooth_if_noisy(curve)
    stats = curve_statistics(curve.loss, curve.grad_norm)
    stats["block"] = note["block"] if note else 1
    if note:  # the noise of the raw steps, in the units of the other statistics
        for key in ("step_noise", "start_noise", "block_noise"):
            stats[key] = note[key] / stats["scale"]
        stats["noise_growth"] = note["noise_growth"]
        notes.append(note["text"])
    return curve, stats, notes


def features(source: Any, *, grad_norm: Any = None, steps: Any = None) -> np.ndarray | None:
    """The features of the rate model (:mod:`~descend.insight.diagnose._features`) of one
    curve, or None when a hard rule decides it (non-finite, diverged, too short)."""
    read = _read(source, grad_norm, steps)
    if isinstance(read, Diagnosis):
        return None
    curve, stats, _ = read
    return curve_features(curve.loss, stats, decide(curve, stats)[0])


__all__ = [
    "LABELS",
    "OK_LABELS",
    "Curve",
    "Diagnosis",
    "as_curve",
    "curve_statistics",
    "diagnose",
    "features",
    "read_log",
    "read_losses",
    "read_records",
]
__dir__ = listing(__all__)
