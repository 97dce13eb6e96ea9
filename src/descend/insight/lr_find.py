"""The learning-rate range test (Smith 2017; fastai's ``lr_find``, Lightning's ``lr_find``).

The learning rate grows exponentially, ``lr_i = start * (end/start)^(i/(n-1))``, one step
each, from the same start point; the loss before each step is recorded and smoothed by a
bias-corrected exponential moving average,

    a_i = beta a_{i-1} + (1 - beta) L_i,    s_i = a_i / (1 - beta^(i+1)),

and the test stops once ``s_i > stop_factor * min_{j<=i} s_j`` (the loss has blown up).
Three rules turn the curve into a suggestion:

- ``valley`` (fastai's default): the longest run of the curve that keeps decreasing (a
  longest decreasing subsequence), and the point halfway into its middle third;
- ``steep``: where the loss falls fastest per unit of ``log lr`` (fastai's ``steep``,
  Lightning's suggestion);
- ``minimum``: a tenth of the learning rate at the lowest loss (fastai's ``minimum/10``).

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

from descend.engine import fit, minimize
from descend.optim import gd, schedules
from descend.optim import validation as check

RULES = ("valley", "steep", "minimum")


@dataclass(frozen=True)
class LRFind:
    """The range test's curve and suggestions. ``lrs``, ``losses`` and ``smoothed`` hold
    the points up to the stop; ``suggestions`` maps each rule to a learning rate."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: dict[str, float]
    stopped_early: bool
    method: str
    extra: dict[str, Any] = field(default_factory=dict)

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


def suggest(lrs: np.ndarray, smoothed: np.ndarray) -> dict[str, float]:
    """The three rules applied to a (truncated) smoothed curve."""
    if len(lrs) == 0:
        return {rule: math.nan for rule in RULES}
    return {
        "valley": float(lrs[valley(smoothed)]),
        "steep": float(lrs[steep(lrs, smoothed)]),
        "minimum": float(lrs[int(np.argmin(smoothed))] / 10),
    }


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
    check.positive("start", start)
    check.positive("end", end)
    if not end > start:
        raise ValueError(f"end must be greater than start; got start={start}, end={end}")
    num_steps = check.positive_int("num_steps", num_steps)
    if num_steps < 5:
        raise ValueError(f"num_steps must be at least 5; got {num_steps}")
    check.fraction("beta", beta)
    check.in_range("stop_factor", stop_factor, 1.0, math.inf)
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
        losses = np.asarray(res.history.trimmed()["loss"], float)
    lrs = start * growth ** np.arange(len(losses))
    smoothed = smooth(np.where(np.isfinite(losses), losses, np.inf), beta)
    keep = stop_index(smoothed, stop_factor)
    return LRFind(
        lrs=lrs[:keep],
        losses=losses[:keep],
        smoothed=smoothed[:keep],
        suggestions=suggest(lrs[:keep], smoothed[:keep]),
        stopped_early=keep < num_steps,
        method="sequential",
    )


def _parallel(problem, x0, rule, start, end, num, steps, data, loss, batch_size, seed, beta,
              stop_factor, rule_kwargs) -> LRFind:  # fmt: skip
    """``num`` learning rates trained side by side for ``steps`` steps each."""
    steps = check.positive_int("steps_each", steps)
    lrs = np.geomspace(start, end, num)
    if _is_model(problem):

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
    return LRFind(
        lrs=lrs[:keep],
        losses=losses[:keep],
        smoothed=finite[:keep],
        suggestions=suggest(lrs[:keep], finite[:keep]),
        stopped_early=keep < num,
        method="parallel",
        extra={"steps_each": steps, "beta": beta},
    )
