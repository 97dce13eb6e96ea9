"""The numbers the diagnosis reads off a loss curve ``L_0, ..., L_{n-1}``.

Every statistic is scale-free: losses are measured from a baseline ``b``, 0 for the usual
non-negative losses, in units of the starting excess ``S = L_0 - b``, so a curve and the same
curve times 1000 get the same statistics. For a curve that goes below zero the floor is
unknown: ``b`` is the tail extrapolated (``w3`` less the fall still to come if the falls go on
shrinking by ``decay``; see below), at most a whole fall ``L_0 - L_min`` below the lowest
loss ``L_min`` and at least ``L_min``. With ``e_t = (L_t - b) / S``:

- ``peak`` = ``max_t e_t`` at ``peak_index``: how far above the start the loss ever went.
- ``end_level`` = ``min`` of ``e_t`` over the last tenth of the curve: where it ended (the
  minimum, so that one late dip of a descending curve or one bump of a noisy one does not
  decide it).
- ``rebound`` = ``(end - L_min) / (L_0 - L_min)`` with ``end`` that minimum and ``L_min`` the
  lowest loss of the curve (at ``lowest_index``): the share of its best progress the run gave
  back by the end (0 when it ends at its best); ``given_back = (end - L_min) / S`` and
  ``lowest_level = (L_min - b) / S``, so ``given_back / lowest_level`` is how far above the
  lowest level it reached the run ends, measured from its floor.
- Over the second half, successive differences ``d_t = L_t - L_{t-1}``: a *rise* is a
  ``d_t`` above the float noise ``NOISE * |L_t|``; ``rise_fraction`` is the share of steps
  that rise, ``max_rise`` the largest rise and ``typical_rise`` the median rise (both in units
  of ``S``), ``max_rise_index`` where the largest one happened.
- ``alternation``: the share of consecutive moves of the second half that reverse direction
  (1 for a clean two-step cycle, about 2/3 for random noise on a trend; see :func:`noise`).
- ``first_drop = e_0 / e_1``: how many times lower the second value is than the first;
  ``max_jump`` the largest ``e_t / e_{t-1}`` over the second half (values above the
  baseline), at ``max_jump_index``: the most the loss multiplied by from one point to the
  next.
- The last 60% of the curve in three consecutive windows with means ``w1, w2, w3``:
  ``level = (w3 - b) / S``; ``half_change = (w1 - w3) / (w3 - b)``, the relative fall of the
  loss over the second half (the stall statistic); ``decay = (w2 - w3) / (w1 - w2)``, the
  ratio of the last two falls (1 for a straight line, small when the curve levels off). A
  fall smaller than ``NOISE_FALLS`` standard errors of the difference of two window means
  counts as no fall; the noise of one value, ``noise``, is ``std(d) / sqrt(2)`` over the
  successive differences ``d`` of the last 60% (0 for a smooth curve), in units of ``S``;
  ``robust_noise`` is the same read from their median absolute deviation
  (``1.4826 * MAD(d) / sqrt(2)``), which a few spikes do not inflate.
- ``gain``: the fall still to come if the run went on as long again, in units of ``S``: the
  last fall ``w2 - w3`` continued geometrically with ratio ``decay`` for five more windows
  when ``decay < 1`` (Aitken's extrapolation of a geometric tail), else the mean fall
  ``(w1 - w3) / 2`` continued in a straight line (never faster).
- ``progress = (L_0 - w3) / S``: the share of the starting excess removed.
- With gradient norms ``g_t``: ``grad_ratio = g_{n-1} / max_t g_t``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.insight.diagnose._curve import spread, vector

NOISE = 1e-6  # a rise smaller than this share of the loss is float32 rounding, not a rise
TINY = 1e-300
FLOOR_RATIO = 1e-250  # a start this small a share of the curve's largest excess is its floor
HORIZON_WINDOWS = 5  # "as long again": the last 60% is three windows, a whole run is five
NOISE_FALLS = 2.0  # a fall between windows must exceed 2 standard errors to count


def noise(loss: np.ndarray) -> tuple[float, float]:
    """``(rise_fraction, alternation)`` of the second half: the share of steps that rise
    (above float noise) and the share of consecutive moves that reverse direction (1 for a
    clean two-step cycle, about 2/3 for random noise on a trend)."""
    L = np.asarray(loss, dtype=float)
    d = np.diff(L[len(L) // 2 :])
    if d.size < 2:
        return 0.0, 0.0
    scale = max(float(np.max(np.abs(L))), TINY)
    gate = NOISE * np.maximum(np.abs(L[len(L) // 2 + 1 :]), 1e-12 * scale)
    moving = np.abs(d) > gate
    sign = np.sign(d)
    pairs = moving[1:] & moving[:-1]
    flips = float(np.mean(sign[1:][pairs] != sign[:-1][pairs])) if pairs.any() else 0.0
    return float(np.mean(d > gate)), flips


def block_means(values: np.ndarray, blocks: int) -> np.ndarray:
    """Means of ``blocks`` consecutive blocks of nearly equal length (lengths differ by at
    most one)."""
    return np.array([float(np.mean(b)) for b in np.array_split(np.asarray(values, float), blocks)])


def windows(loss: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The last 60% of the curve (at least 3 points) cut into three consecutive windows."""
    n = len(loss)
    m = min(n, max(3, int(np.ceil(0.6 * n))))
    a, b, c = np.array_split(loss[n - m :], 3)
    return a, b, c


def _falls(L: np.ndarray) -> dict[str, Any]:
    """The three tail windows, their noise-gated falls, their ``decay`` and the fall still to
    come in absolute units (``inf`` for a straight line or faster)."""
    a, b, c = windows(L)
    w1, w2, w3 = float(np.mean(a)), float(np.mean(b)), float(np.mean(c))
    fall1, fall2 = w1 - w2, w2 - w3
    # a fall smaller than NOISE_FALLS standard errors of the difference of two window means
    # is noise (the noise of one value from successive differences: std(d) / sqrt(2))
    sigma = spread(np.diff(np.concatenate([a, b, c]))) / np.sqrt(2.0)
    if fall1 <= NOISE_FALLS * sigma * np.sqrt(1 / len(a) + 1 / len(b)):
        fall1 = 0.0
    if fall2 <= NOISE_FALLS * sigma * np.sqrt(1 / len(b) + 1 / len(c)):
        fall2 = 0.0
    decay = fall2 / fall1 if fall1 > 0 else float(fall2 > 0)  # no earlier fall: a straight line
    if fall2 <= 0:
        remaining = 0.0
    elif decay < 1:
        remaining = fall2 * decay / (1 - decay)
    else:
        remaining = np.inf
    return {"w": (w1, w2, w3), "sizes": (len(a), len(b), len(c)), "fall2": fall2,
            "decay": decay, "sigma": sigma, "remaining": remaining}  # fmt: skip


def curve_statistics(loss: np.ndarray, grad_norm: np.ndarray | None = None) -> dict[str, Any]:
    """The statistics of a finite loss curve of at least 3 points (see the module docstring).
    Called on losses near the largest float (which ``diagnose`` first reads in smaller units,
    ``LARGEST``), a sum that overflows is infinite, without numpy's warning."""
    with np.errstate(over="ignore"):
        return _curve_statistics(loss, grad_norm)


def _curve_statistics(loss: np.ndarray, grad_norm: np.ndarray | None) -> dict[str, Any]:
    L = vector("the losses", loss)
    if L.size < 3 or not np.all(np.isfinite(L)):
        raise ValueError(
            "curve_statistics: the losses must be a finite curve of at least 3 points; got "
            f"{L.size} points, {int(np.sum(~np.isfinite(L)))} of them NaN or infinite"
        )
    n = len(L)
    lowest_index = int(np.argmin(L))
    lowest = float(L[lowest_index])
    tail_falls = _falls(L)
    w1, _, w3 = tail_falls["w"]
    if lowest >= 0:
        baseline = 0.0
    else:  # below zero the floor is unknown: the tail extrapolated, at most a whole fall down
        whole = max(float(L[0]) - lowest, 0.0)
        baseline = min(lowest, w3 - min(tail_falls["remaining"], whole))
    scale = float(L[0]) - baseline
    top = float(np.max(L)) - baseline
    # a start of 0 or below, or one so close to it that ratios to it overflow a float
    from_floor = not (scale > 0 and scale >= FLOOR_RATIO * top)
    if from_floor:  # the curve starts at its lowest point (or next to it, on its scale)
        scale = top
    scale = scale if scale > 0 else 1.0
    e = (L - baseline) / scale
    stats: dict[str, Any] = {
        "n": n,
        "start": float(L[0]),
        "final": float(L[-1]),
        "baseline": baseline,
        "scale": scale,
        # measured against the curve's range, not its start (there is no way down from it)
        "from_floor": from_floor,
        "lowest": lowest,
        "lowest_index": lowest_index,
    }
    stats["peak_index"] = int(np.argmax(e))
    stats["peak"] = float(e[stats["peak_index"]])
    tail = L[n - max(1, n // 10) :]
    end = float(np.min(tail))
    stats["end_level"] = (end - baseline) / scale
    gained = float(L[0]) - lowest
    stats["rebound"] = (end - lowest) / gained if gained > 1e-9 * scale else 0.0
    stats["given_back"] = (end - lowest) / scale
    stats["lowest_level"] = (lowest - baseline) / scale

    half = n // 2
    d = np.diff(L[half:])
    gate = NOISE * np.maximum(np.abs(L[half + 1 :]), np.abs(L[half:-1])) + 1e-12 * scale
    rises = d > gate
    stats["rise_fraction"] = float(np.mean(rises)) if d.size else 0.0
    stats["alternation"] = noise(L)[1]
    stats["max_rise"] = float(np.max(d[rises]) / scale) if rises.any() else 0.0
    stats["typical_rise"] = float(np.median(d[rises]) / scale) if rises.any() else 0.0
    stats["max_rise_index"] = (
        half + 1 + int(np.argmax(np.where(rises, d, -np.inf))) if rises.any() else -1
    )
    stats["second_half_from"] = half
    stats["first_drop"] = float(e[0] / e[1]) if e[1] > 0 else 0.0
    before, after = e[half:-1], e[half + 1 :]
    jumps = np.where(before > 0, after / np.where(before > 0, before, 1.0), 0.0)
    stats["max_jump_index"] = half + 1 + int(np.argmax(jumps)) if jumps.size else -1
    stats["max_jump"] = float(np.max(jumps)) if jumps.size else 0.0

    stats["window_from"] = n - sum(tail_falls["sizes"])
    level = w3 - baseline
    stats["level"] = level / scale
    floor = max(level, TINY * scale)  # relative to the curve's own scale, whatever it is
    stats["half_change"] = (w1 - w3) / floor if floor > 0 else 0.0
    stats["noise"] = tail_falls["sigma"] / scale
    d_tail = np.diff(L[stats["window_from"] :])
    mad = float(np.median(np.abs(d_tail - np.median(d_tail)))) if d_tail.size else 0.0
    stats["robust_noise"] = 1.4826 * mad / np.sqrt(2.0) / scale
    decay, fall2 = tail_falls["decay"], tail_falls["fall2"]
    stats["decay"] = decay
    if fall2 <= 0:
        stats["gain"] = 0.0
    elif decay < 1:  # levelling off: the falls shrink geometrically
        factor = sum(decay**k for k in range(1, HORIZON_WINDOWS + 1))
        stats["gain"] = min(fall2 * factor, level) / scale
    else:  # a straight line, or faster: the mean fall of the last 60%, continued
        step = max(w1 - w3, 0.0) / 2
        stats["gain"] = min(step * HORIZON_WINDOWS, level) / scale
    stats["progress"] = (float(L[0]) - w3) / scale

    if grad_norm is not None:
        g = vector("grad_norm", grad_norm)
        if g.size and np.all(np.isfinite(g)):
            top = float(np.max(g))
            stats["grad_start"], stats["grad_end"], stats["grad_max"] = (
                float(g[0]),
                float(g[-1]),
                top,
            )
            stats["grad_ratio"] = float(g[-1]) / top if top > 0 else 0.0
    return stats
