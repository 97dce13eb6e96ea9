"""A handful of scale-free features of a loss curve, read by the fitted rate model
(:mod:`descend.insight.diagnose._model`).

Each feature comes from the statistics of :mod:`descend.insight.diagnose._statistics`, measured
on the curve as the doctor reads it (the block means of a noisy per-step log, else the curve
itself), where losses are in units of the starting excess ``S``. The noise unit ``sigma`` is
the noise of one point of that curve: the standard error of a block mean (``block_noise``)
when the log was read through block means, else ``robust_noise`` (from the median move of
the last 60%); it is floored at ``SIGMA_FLOOR`` so that a smooth curve stays finite. With
``z(x) = sign(x) * log10(1 + |x| / sigma)`` (a distance in noise units, compressed):

``progress_z``
    ``z(progress)``: how far the run got from its start (``progress = (L_0 - w3) / S``, the
    share of the start removed by the last window) in noise units; negative when it ended
    above its start.
``log_level``
    ``log10(level)`` (floored at ``1e-8``): where the last window sits, relative to the start.
``slope_share``
    ``gain / max(progress, 0.01)``, clipped to ``[0, 2]``: the fall still to come in a run as
    long again, relative to the progress made: a run still falling fast against what it did.
``stall``
    ``half_change`` clipped to ``[-1, 1]``: the relative fall of the loss over the last 60%.
``rebound_z``
    ``z(given_back)``: the end (the lowest value of the last tenth) above the lowest level the
    run reached, in noise units.
``rebound_share``
    ``log10(1 + given_back / max(lowest_level, 1e-8))``, clipped to ``[0, 3]``: the same,
    relative to the lowest level measured from the floor.
``spike_z``
    ``z(max_rise)``: the largest rise of one point in the second half, in noise units.
``rise_fraction``
    the share of the second half's points that rise.
``log_noise``
    ``log10(sigma / level)``, clipped to ``[-6, 1]``: the noise (oscillation amplitude)
    relative to the level the loss sits at.
``noise_growth``
    ``log10`` of the swings of the last 30% over those of the 30% before (of the raw steps
    when read through block means, else of the curve), clipped to ``[-1, 1]``: an oscillation
    that grows.
``near_start``
    the share of the curve's points that have removed less than 10% of the start: how long
    the run spent near where it began.
``log_peak``
    ``log10(max(peak, 1))``: how far above its start the loss ever went.
``rules_high``, ``rules_low``
    1 when the rules (:mod:`~descend.insight.diagnose._rules`) read the curve as too high
    (``too_high``) or too low (``too_low``, ``plateau``), else 0: the model weighs the rules'
    verdict with the features above instead of replacing it (stacking; cross-validation by
    task preferred it, ``BENCHMARKS.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

SIGMA_FLOOR = 1e-6  # the noise unit of a smooth curve, in units of the starting excess
NAMES = (
    "progress_z",
    "log_level",
    "slope_share",
    "stall",
    "rebound_z",
    "rebound_share",
    "spike_z",
    "rise_fraction",
    "log_noise",
    "noise_growth",
    "near_start",
    "log_peak",
    "rules_high",
    "rules_low",
)


def _z(x: float, sigma: float) -> float:
    return float(np.sign(x) * np.log10(1.0 + abs(x) / sigma))


def _growth(loss: np.ndarray) -> float:
    n = len(loss)
    late, middle = loss[n - n * 3 // 10 :], loss[n - n * 6 // 10 : n - n * 3 // 10]
    if len(late) < 3 or len(middle) < 3:
        return 1.0
    before = float(np.median(np.abs(np.diff(middle))))
    return float(np.median(np.abs(np.diff(late)))) / before if before > 0 else 1.0


def curve_features(loss: np.ndarray, s: dict[str, Any], rules: str) -> np.ndarray:
    """The features (in the order of :data:`NAMES`) of the curve ``loss`` as read (block
    means of a noisy log), with its statistics ``s`` and the rules' label ``rules`` (see the
    module docstring)."""
    L = np.asarray(loss, dtype=float)
    smoothed = s.get("block", 1) > 1
    sigma = s.get("block_noise", 0.0) if smoothed else s["robust_noise"]
    sigma = max(float(sigma), SIGMA_FLOOR)
    level = max(s["level"], 1e-8)
    growth = s.get("noise_growth", 1.0) if smoothed else _growth(L)
    e = (L - s["baseline"]) / s["scale"]
    return np.array(
        [
            _z(s["progress"], sigma),
            np.log10(level),
            float(np.clip(s["gain"] / max(s["progress"], 0.01), 0.0, 2.0)),
            float(np.clip(s["half_change"], -1.0, 1.0)),
            _z(max(s["given_back"], 0.0), sigma),
            float(np.clip(np.log10(1.0 + s["given_back"] / max(s["lowest_level"], 1e-8)), 0, 3)),
            _z(s["max_rise"], sigma),
            s["rise_fraction"],
            float(np.clip(np.log10(sigma / level), -6.0, 1.0)),
            float(np.clip(np.log10(max(growth, 1e-3)), -1.0, 1.0)),
            float(np.mean(e > 0.9)),
            float(np.log10(max(s["peak"], 1.0))),
            float(rules == "too_high"),
            float(rules in ("too_low", "plateau")),
        ]
    )
