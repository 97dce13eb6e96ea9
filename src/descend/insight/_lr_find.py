"""The learning-rate range test (Smith 2017; fastai's ``lr_find``, Lightning's ``lr_find``).

The learning rate grows exponentially, ``lr_i = start * (end/start)^(i/(n-1))``, one step
each, from the same start point; the loss before each step is recorded and smoothed by a
bias-corrected exponential moving average,

    a_i = beta a_{i-1} + (1 - beta) L_i,    s_i = a_i / (1 - beta^(i+1)),

and the test stops once ``s_i > stop_factor * min_{j<=i} s_j`` (the loss has blown up).

The rules only look where the loss falls. With ``s_ref`` the median of the first
``k = max(2, n // 10)`` smoothed values (the level before training moves anything), ``m``
the index of the smoothed minimum and ``drop = s_ref - s_m``, the loss *starts to fall* at
the first index ``f`` from which ``s_j < s_ref - max(FALL_FRACTION * drop, 2 sd(s_0..s_k-1))``
for every ``j`` up to ``m`` (a fall of 5% of the whole drop and above the noise of the flat
start, which a mini-batch loss has). It *blows up* at the first index after ``m`` where
``s_j`` is back above ``s_ref``, or where the test stopped. Three rules turn the curve
between ``f`` and ``m`` into a suggestion:

- ``valley`` (fastai's default): the longest run of the curve that keeps decreasing (a
  longest decreasing subsequence), and the point halfway into its middle third;
- ``steep``: where the loss falls fastest per unit of ``log lr`` (fastai's ``steep``,
  Lightning's suggestion);
- ``minimum``: a tenth of the learning rate at the lowest loss (fastai's ``minimum/10``),
  but not below ``lr_f``.

Over the whole curve, as fastai and Lightning apply them, ``steep`` picks the noise of the
first mini-batches (1e-7 on a model) and ``valley`` a rate in the flat start when the curve
never blows up; no rule can now suggest a rate at which the loss has not started to fall.
When the loss never falls beyond the noise, the rules see the whole curve and
``fall_start`` is NaN.

The steps are run by the engine (:func:`descend.minimize` on a surface, :func:`descend.fit`
for a model on data), so the parameters passed in are never changed. ``method="parallel"``
instead trains ``num_steps`` learning rates side by side in one vmapped program for
``steps_each`` steps each and reads the final losses as the curve (fast on many cores).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine import fit, minimize
from descend.engine._fit import PARAMETER_COPIES, check_model_fits
from descend.engine._minimize import check_runs_fit
from descend.engine._reprs import fields_repr
from descend.optim import gd, schedules

RULES = ("valley", "steep", "minimum")

#: The share of the whole drop of the smoothed loss that counts as "started to fall".
FALL_FRACTION = 0.05


@dataclass(frozen=True)
class LRFind:
    """The range test's curve and suggestions. ``lrs``, ``losses`` and ``smoothed`` hold
    the points up to the stop; ``suggestions`` maps each rule to a learning rate, each in
    ``[fall_start, blow_up]``: the rates where the smoothed loss starts to fall and blows
    up (see the module docstring; NaN when it never falls, or never rises again; a curve
    that never falls blows up only where the test stopped)."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: dict[str, float]
    stopped_early: bool
    method: str
    extra: dict[str, Any] = field(default_factory=dict)
    fall_start: float = math.nan
    blow_up: float = math.nan

    def __repr__(self) -> str:
        return fields_repr(self)

    @property
    def suggestion(self) -> float:
        """The valley rule's learning rate (fastai's default)."""
        return self.suggestions["valley"]

    def table(self, rows: int = 12) -> list[tuple[float, float, float]]:
        """About ``rows`` evenly spaced ``(lr, loss, smoothed)`` points of the curve."""
        idx = np.unique(np.linspace(0, len(self.lrs) - 1, min(rows, len(self.lrs))).astype(int))
        return [(float(self.lrs[i]), float(self.losses[i]), float(self.smoothed[i])) for i in idx]


def smooth(losses: np.ndarray, beta: float) -> np.ndarray:
    """The bias-corrected exponential moving average of ``losses``."""
    out, avg = np.empty(len(losses)), 0.0
    for i, value in enumerate(losses):
        avg = beta * avg + (1 - beta) * value
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def stop_index(smoothed: np.ndarray, stop_factor: float) -> int:
    """How many points to keep: up to (not including) the first that is not finite or
    exceeds ``stop_factor`` times the best smoothed loss so far."""
    best = math.inf
    for i, value in enumerate(smoothed):
        if not np.isfinite(value) or (i > 0 and value > stop_factor * best):
            return i
        best = min(best, value)
    return len(smoothed)


def valley(losses: np.ndarray) -> int:
    """Index halfway into the middle third of the longest decreasing subsequence."""
    n = len(losses)
    length = np.ones(n, dtype=int)
    best_end, best_start = 0, 0
    for i in range(1, n):
        lower = losses[:i] > losses[i]
        if lower.any():
            length[i] = 1 + int(length[:i][lower].max())
        if length[i] > length[best_end]:
            best_end, best_start = i, i - int(length[i])
    third = (best_end - best_start) / 3
    return min(n - 1, max(0, best_start + int(third) + int(third / 2)))


def steep(lrs: np.ndarray, losses: np.ndarray) -> int:
    """Index of the steepest descent of the loss per unit of log(lr)."""
    if len(lrs) < 2:
        return 0
    slope = np.diff(losses) / np.diff(np.log(lrs))
    return int(np.argmin(slope)) + 1


def falling_range(smoothed: np.ndarray) -> tuple[int, int] | None:
    """``(f, m)``: the index where the smoothed loss starts to fall and the index of its
    minimum (see the module docstring); ``None`` when it never falls beyond the noise."""
    n = len(smoothed)
    if n < 2:
        return None
    start = smoothed[: max(2, n // 10)]
    ref, noise = float(np.median(start)), float(np.std(start))
    m = int(np.argmin(smoothed))
    drop = ref - float(smoothed[m])
    level = ref - max(FALL_FRACTION * drop, 2 * noise)
    if not (drop > 0 and smoothed[m] < level):
        return None
    above = np.flatnonzero(smoothed[: m + 1] >= level)
    return (int(above[-1]) + 1 if above.size else 0), m


def blow_up_index(smoothed: np.ndarray, stopped: int | None = None) -> int | None:
    """The first index after the minimum where the smoothed loss is back above its starting
    level (the median of the first ``max(2, n // 10)`` values); else ``stopped`` (where the
    test stopped, if it did)."""
    if len(smoothed) < 2:
        return stopped
    ref = float(np.median(smoothed[: max(2, len(smoothed) // 10)]))
    m = int(np.argmin(smoothed))
    back = np.flatnonzero(smoothed[m:] > ref)
    return m + int(back[0]) if back.size else stopped


def suggest(lrs: np.ndarray, smoothed: np.ndarray) -> dict[str, float]:
    """The three rules applied to a (truncated) smoothed curve, between the points where it
    starts to fall and where it is lowest (:func:`falling_range`)."""
    if len(lrs) == 0:
        return {rule: math.nan for rule in RULES}
    span = falling_range(smoothed)
    f, m = span if span is not None else (0, len(lrs) - 1)
    lrs, part = lrs[f : m + 1], smoothed[f : m + 1]
    return {
        "valley": float(lrs[valley(part)]),
        "steep": float(lrs[steep(lrs, part)]),
        "minimum": float(max(lrs[int(np.argmin(part))] / 10, lrs[0])),
    }


def _result(
    lrs: np.ndarray,
    losses: np.ndarray,
    smoothed: np.ndarray,
    keep: int,
    num: int,
    method: str,
    extra: dict[str, Any] | None = None,
) -> LRFind:
    """The :class:`LRFind` of a curve of ``num`` points cut at ``keep``: the suggestions, and
    the rates where the loss starts to fall and blows up (``lrs`` may hold the point past the
    stop: the rate where the test stopped)."""
    span = falling_range(smoothed[:keep])
    stopped = keep if keep < num else None
    up = blow_up_index(smoothed[:keep], stopped) if span is not None else stopped
    return LRFind(
        lrs=lrs[:keep],
        losses=losses[:keep],
        smoothed=smoothed[:keep],
        suggestions=suggest(lrs[:keep], smoothed[:keep]),
        stopped_early=keep < num,
        method=method,
        extra=extra or {},
        fall_start=float(lrs[span[0]]) if span is not None else math.nan,
        blow_up=float(lrs[up]) if up is not None and up < len(lrs) else math.nan,
    )


def _is_model(problem: Any) -> bool:
    return hasattr(problem, "init") and hasattr(problem, "apply")


def lr_find(
    problem: Any,
    x0: Any = None,
    rule: Callable[..., Any] = gd,
    *,
    start: float = 1e-7,
    end: float = 10.0,
    num_steps: int = 100,
    beta: float = 0.98,
    stop_factor: float = 4.0,
    method: str = "sequential",
    steps_each: int = 20,
    data: Any = None,
    loss: Any = None,
    batch_size: int | None = None,
    seed: int = 0,
    **rule_kwargs: Any,
) -> LRFind:
    """Run the range test for ``rule`` (e.g. ``descend.adam``) on a surface or function
    ``problem`` from ``x0``, or on a model (``problem`` a ``Model``) with ``data`` and
    ``loss``; other hyperparameters of the rule go in ``rule_kwargs``."""
    check.in_order("lr_find", problem=problem, x0=x0, rule=rule)
    check.untraced("lr_find", x0, start, end, beta, stop_factor, rule_kwargs, anywhere=True,
                   does="reads its runs' losses on the host and returns NumPy arrays")  # fmt: skip
    check.rule(rule)
    start = check.real("start", start, 0.0, open_low=True)
    end = check.real("end", end, 0.0, open_low=True)
    if not end > start:
        raise ValueError(f"end must be greater than start; got start={start}, end={end}")
    num_steps = check.positive_int("num_steps", num_steps)
    if num_steps < 5:
        raise ValueError(f"num_steps must be at least 5; got {num_steps}")
    # the curve's arrays and the run's history: a few float64 numbers a step
    check.fits_in_memory(f"a range test of {num_steps:,} steps", 64 * num_steps,
                         "use fewer num_steps (100 to 1,000 is usual)")  # fmt: skip
    beta = check.real("beta", beta, 0.0, 1.0, open_high=True)
    stop_factor = check.real("stop_factor", stop_factor, 1.0, open_low=True)
    check.choice("method", method, ("sequential", "parallel"))
    model = _is_model(problem)
    if model and (data is None or loss is None):
        raise ValueError("lr_find on a model needs data=... and loss=...")
    if method == "parallel":
        return _parallel(problem, x0, rule, start, end, num_steps, steps_each, data, loss,
                         batch_size, seed, beta, stop_factor, rule_kwargs)  # fmt: skip
    growth = (end / start) ** (1 / (num_steps - 1))
    lr = schedules.exponential(start, growth)
    if model:
        n = len(data.X if hasattr(data, "X") else data[0])
        per_epoch = 1 if batch_size is None else math.ceil(n / batch_size)
        res = fit(problem, loss, data, rule(lr=lr, **rule_kwargs), batch_size=batch_size,
                  epochs=math.ceil(num_steps / per_epoch), seed=seed, divergence=1e30)  # fmt: skip
        losses = np.asarray(res.curves()["step_loss"], float)[:num_steps]
    else:
        res = minimize(problem, x0, rule(lr=lr, **rule_kwargs), max_steps=num_steps - 1,
                       tol=0.0, divergence=1e30, record_path=False)  # fmt: skip
        kept = res.history.trimmed()
        losses = np.asarray(kept["loss"], float)
        # the step of each record: past max_records the history is thinned, and a record's
        # rate is that of its own step (3,000,000 steps were all read as 1e-7)
        steps = np.asarray(kept["step"], float)
    lrs = start * growth ** (np.arange(len(losses)) if model else steps)
    smoothed = smooth(np.where(np.isfinite(losses), losses, np.inf), beta)
    keep = stop_index(smoothed, stop_factor)
    return _result(lrs, losses, smoothed, keep, num_steps, "sequential")


def _parallel(problem, x0, rule, start, end, num, steps, data, loss, batch_size, seed, beta,
              stop_factor, rule_kwargs) -> LRFind:  # fmt: skip
    """``num`` learning rates trained side by side for ``steps`` steps each."""
    steps = check.positive_int("steps_each", steps)
    what, advice = f"a parallel range test of {num:,} rates", "use fewer num_steps"
    model = _is_model(problem)
    if model:
        size = check_model_fits(problem, jax.random.key(seed), num)
        n = len(data.X if hasattr(data, "X") else data[0])
        per_epoch = 1 if batch_size is None else math.ceil(n / batch_size)
        history = 4 * steps * (per_epoch + 5)  # each run's per-epoch and per-step records
        check.fits_in_memory(what, num * (4 * PARAMETER_COPIES * size + history), advice)
    else:
        point = problem.start if x0 is None and hasattr(problem, "start") else x0
        size = sum(math.prod(np.shape(a)) for a in jax.tree.leaves(point))
        options = {"max_steps": steps, "record_every": steps, "record_path": False}
        check_runs_fit(what, num, size, options, advice)
    lrs = np.geomspace(start, end, num)
    if model:

        def final(lr: jax.Array) -> jax.Array:
            res = fit(problem, loss, data, rule(lr=lr, **rule_kwargs), batch_size=batch_size,
                      epochs=steps, seed=seed, divergence=1e30)  # fmt: skip
            return res.history.loss[res.epochs - 1]
    else:

        def final(lr: jax.Array) -> jax.Array:
            res = minimize(problem, x0, rule(lr=lr, **rule_kwargs), max_steps=steps, tol=0.0,
                           divergence=1e30, record_every=steps, record_path=False)  # fmt: skip
            return res.loss

    losses = np.asarray(jax.jit(jax.vmap(final))(jnp.asarray(lrs)), float)
    finite = np.where(np.isfinite(losses), losses, np.inf)
    keep = stop_index(finite, stop_factor)
    return _result(lrs, losses, finite, keep, num, "parallel", {"steps_each": steps, "beta": beta})
