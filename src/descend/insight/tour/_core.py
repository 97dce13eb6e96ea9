"""The pieces every claim of the tour shares: the :class:`Claim` record, the run
:class:`Context` (how large the runs are), the :func:`claim` decorator that turns a
measurement into a judged claim, and small measurements of a run's history."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

HOLDS, FAILS, DEPENDS, NOT_MEASURED = "holds", "does not hold", "depends", "not yet measured"


@dataclass
class Claim:
    """One claim of the texts, measured: the numbers (by machine key, which the verdict
    functions read), the verdict computed from them by the claim's verdict function, what
    decided it (``explanation``), a figure (or None) and each number's plain-word label with
    its unit (``labels``, by the same keys), which the page shows."""

    number: int
    title: str
    claim: str
    measurements: dict[str, float] = field(default_factory=dict)
    verdict: str = NOT_MEASURED
    explanation: str = ""
    figure: Any = None
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, key: str) -> str:
        """The measurement ``key`` in plain words with its unit (the key if it has none)."""
        return self.labels.get(key, key)


@dataclass(frozen=True)
class Context:
    """How much to run: ``quick`` shrinks step budgets and grids (for tests)."""

    quick: bool = False

    def budget(self, full: int, quick: int) -> int:
        """A step budget: ``full`` normally, ``quick`` under ``--quick``."""
        return quick if self.quick else full


#: What a claim's measurement returns: the numbers (by name) and a figure (or None).
Measured = tuple[Mapping[str, Any], Any]
#: A claim's rule: the numbers in, ``(verdict, explanation)`` out (see :mod:`.verdicts`).
Verdict = Callable[[Mapping[str, float]], tuple[str, str]]


#: The plain name of each update rule the claims run side by side, as their labels write it.
RULE_NAMES = {
    "gd": "gradient descent",
    "momentum": "momentum",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}


def rules(*keys: str) -> dict[str, str]:
    """The update rules ``keys`` (keys of :data:`RULE_NAMES`) with their plain names."""
    return {key: RULE_NAMES[key] for key in keys}


def run_labels(runs: Mapping[str, str], **measurements: tuple[str, str]) -> dict[str, str]:
    """The labels of measurements taken of each of several runs, ``runs`` giving each run's
    key and plain name: each ``key=(words, unit)`` labels the measurement ``{run}_{key}`` of
    every run ``"{words}, {the run's name} ({unit})"``. So ``run_labels(rules("gd", "adam"),
    steps=("steps taken", "count"))`` labels ``gd_steps`` "steps taken, gradient descent
    (count)" and ``adam_steps`` "steps taken, Adam (count)"."""
    return {
        f"{run}_{key}": f"{words}, {name} ({unit})"
        for key, (words, unit) in measurements.items()
        for run, name in runs.items()
    }


def claim(
    number: int, title: str, text: str, verdict: Verdict, labels: Mapping[str, str]
) -> Callable[[Callable[[Context], Measured]], Callable[[Context], Claim]]:
    """Decorate ``measure(ctx) -> (numbers, figure)`` into the claim ``ctx -> Claim``: the
    numbers as floats, judged by ``verdict`` (a pure function of them), with the claim's
    ``number``, ``title``, ``text`` (the texts' words) and ``labels``: every key the
    measurement may return, in plain words with its unit. A returned key without a label is
    an error (``KeyError``), so no variable name reaches the page. The claim function keeps
    its labels as ``.labels``."""
    labels = dict(labels)

    def wrap(measure: Callable[[Context], Measured]) -> Callable[[Context], Claim]:
        @functools.wraps(measure)
        def run(ctx: Context) -> Claim:
            numbers, figure = measure(ctx)
            m = {k: float(x) for k, x in numbers.items()}
            missing = sorted(set(m) - set(labels))
            if missing:
                raise KeyError(f"claim {number}: measurements without a label: {missing}")
            judged, why = verdict(m)
            return Claim(number, title, text, m, judged, why, figure, {k: labels[k] for k in m})

        run.labels = labels  # type: ignore[attr-defined]
        return run

    return wrap


def history(result: Any) -> dict[str, Any]:
    """The filled history of one run as NumPy arrays."""
    return result.history.trimmed()


def path_of(result: Any) -> np.ndarray:
    """The ``(n, d)`` path of one run recorded with its path."""
    return np.asarray(history(result)["path"], dtype=float)


def first_step_below(result: Any, level: float) -> int:
    """The first recorded step where the loss is at most ``level``; the steps taken plus one
    when it never is (so a run that never gets there counts as slower than any that did)."""
    h = history(result)
    hit = np.nonzero(np.asarray(h["loss"]) <= level)[0]
    return int(h["step"][hit[0]]) if hit.size else int(result.steps) + 1


def sign_flip_share(steps: np.ndarray) -> float:
    """The share of consecutive steps (of one coordinate) whose signs differ: 1 for a pure
    zig-zag, 0 for a monotone walk. Steps of exactly zero are left out."""
    s = np.sign(np.asarray(steps, dtype=float))
    s = s[s != 0]
    if s.size < 2:
        return 0.0
    return float(np.mean(s[1:] * s[:-1] < 0))


def path_ratio(path: np.ndarray) -> float:
    """The length of a path over the straight distance from its first to its last point
    (1 for a straight line; large for a zig-zag)."""
    d = np.diff(np.asarray(path, dtype=float), axis=0)
    length = float(np.sum(np.linalg.norm(d, axis=1)))
    dist = float(np.linalg.norm(path[-1] - path[0]))
    return length / max(dist, 1e-12)


def loss_rises(result: Any, rel: float = 1e-6) -> int:
    """How many steps raised the loss by more than ``rel`` (relative, plus a tiny absolute
    floor so float32 round-off at the minimum does not count)."""
    loss = np.asarray(history(result)["loss"], dtype=float)
    loss = loss[np.isfinite(loss)]
    if loss.size < 2:
        return 0
    rise = np.diff(loss)
    return int(np.sum(rise > rel * np.abs(loss[:-1]) + 1e-12))
