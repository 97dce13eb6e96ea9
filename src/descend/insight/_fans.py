"""Seed fans: many seeds of one noisy run on a surface as one vmapped program.

Run ``s`` of the fan descends from one start ``x_0`` with Gaussian gradient noise drawn from
its own seed ``k_s``:

    g_t     = grad f(x_t) + sigma_t * n_t,   n_t ~ N(0, I) drawn from seed k_s
    sigma_t = sigma / (1 + t)^(gamma / 2)    (the variance decays as (1 + t)^-gamma)
    x_{t+1} = x_t + update(g_t)              (the optimizer, any Transform)

which is ``chain(add_noise(eta=sigma^2, gamma, seed=k_s), optimizer)`` (Neelakantan et al.
2015's annealed noise; ``gamma = 0`` keeps it constant, as minibatches of one size do). The
seeds ``k_s`` are drawn from ``numpy.random.default_rng(seed)``, so equal seeds give equal
fans, and ``sigma = 0`` gives every run the path of plain :func:`descend.minimize`.

The spread is read per record over the runs: the median and the 10% and 90% quantiles of
the loss (NumPy's ``inverted_cdf``: each is the loss of one of the runs; a run that diverged
counts as ``+inf``). A run that stopped early stays at its final point afterwards.

A run *ends at the global minimum* when plain gradient descent at the surface's own rate
(``surface.lr``, no noise) from its final point reaches within ``within`` of one of the
surface's global minima: the basin the run ended in, read off the noise-free flow. The
``global_share`` is the share of runs that do (None for a surface without known minima).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine._minimize import MAX_RECORDS, PATH_LIMIT, minimize
from descend.engine._result import Result
from descend.engine._stop import StopReason
from descend.optim import add_noise, chain, gd
from descend.optim._recipe import numbers_of

MAX_SEEDS = 1024  # runs in one fan
POLISH_STEPS = 20_000  # noise-free gradient-descent steps that find the basin of an end point
QUANTILES = (0.1, 0.5, 0.9)  # the band's low edge, the median, its high edge


@dataclass(frozen=True)
class SeedFan:
    """``paths[s]`` (surfaces) or ``losses[s]`` of seed ``s``, with the spread and the share
    of seeds that reached the global minimum (surfaces with known minima).

    ``steps[i]`` is the step of record ``i``; ``losses[s, i]`` and ``paths[s, i]`` the loss
    and point of run ``s`` there (held at its final value after it stopped; ``paths`` is
    None when all the points would pass ``PATH_LIMIT`` numbers); ``median``,
    ``low`` and ``high`` the median and the 10% and 90% quantiles of the loss over the runs
    at each record. ``final_loss[s]``/``final_x[s]``: where run ``s`` ended;
    ``run_steps[s]`` the steps it took and ``reason[s]`` its stop code; ``seed_values[s]``
    its noise seed. ``at_global[s]``: whether it ended in a global minimum's basin (None
    when the surface has no known minima); ``global_share`` the share that did.
    """

    seeds: int
    paths: Any
    losses: Any
    final_loss: Any
    global_share: float | None
    steps: Any = None
    median: Any = None
    low: Any = None
    high: Any = None
    final_x: Any = None
    run_steps: Any = None
    reason: Any = None
    at_global: Any = None
    seed_values: Any = None
    noise: float = 0.0
    decay: float = 0.0
    start: Any = None
    results: Any = None

    def __repr__(self) -> str:
        share = "-" if self.global_share is None else f"{self.global_share:.3g}"
        return (
            f"SeedFan({self.seeds} seeds, noise {self.noise:g}, {len(self.steps)} records, "
            f"global share {share})"
        )


def _check_surface(surface: Any) -> Any:
    if not all(hasattr(surface, a) for a in ("f", "dim", "domain", "minima", "start", "lr")):
        raise TypeError(
            f"surface must be a Surface (descend.surfaces.get(name)); got {type(surface).__name__}"
        )
    return surface


def _check_start(start: Any, surface: Any) -> jax.Array:
    if start is None:
        return jnp.asarray(surface.start, jnp.result_type(float))
    try:
        x0 = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"start must be {surface.dim} numbers; got {start!r}") from None
    if x0.shape != (surface.dim,):
        raise ValueError(f"start must be {surface.dim} numbers for {surface.name}; got {start!r}")
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"start must be finite; got {start!r}")
    return jnp.asarray(x0, jnp.result_type(float))


def record_every_for(max_steps: int) -> int:
    """The record interval that keeps a run of ``max_steps`` within :data:`MAX_RECORDS`
    records without thinning (every step up to 4096 steps)."""
    return -(-max_steps // (MAX_RECORDS - 1))


def held(results: Result, max_steps: int, every: int) -> tuple[np.ndarray, ...]:
    """The batched history on one step axis for all runs: ``steps[i] = min(i * every,
    max_steps)``, and each run's loss and point there (its final ones after it stopped)."""
    rows = -(-max_steps // every) + 1
    steps = np.minimum(np.arange(rows) * every, max_steps)
    count = np.asarray(results.history.count)[:, None]
    last = np.arange(rows)[None, :] >= count - 1
    loss = np.asarray(results.history.loss)[:, :rows]
    loss = np.where(last, np.asarray(results.loss)[:, None], loss)
    path = None
    if results.history.path is not None:
        path = np.asarray(results.history.path)[:, :rows]
        path = np.where(last[..., None], np.asarray(results.x)[:, None, :], path)
    return steps, loss, path


def spread(losses: np.ndarray) -> np.ndarray:
    """The 10%, 50% and 90% quantiles of ``losses[run, record]`` over the runs, per record
    (a non-finite loss counts as ``+inf``; each quantile is one run's value)."""
    values = np.where(np.isfinite(losses), losses, np.inf)
    return np.quantile(values, QUANTILES, axis=0, method="inverted_cdf")


def ends_at_global(surface: Any, points: np.ndarray, within: float) -> np.ndarray | None:
    """For each point, whether noise-free gradient descent at ``surface.lr`` from it ends
    within ``within`` of a global minimum (None when the surface has none); one vmapped
    program. A point that is not finite ends nowhere."""
    if not surface.minima:
        return None
    finite = np.all(np.isfinite(points), axis=1)
    safe = np.where(finite[:, None], points, np.asarray(surface.start)[None, :])
    starts = jnp.asarray(safe, jnp.result_type(float))
    opt = gd(surface.lr)
    ends = jax.vmap(
        lambda x: minimize(surface, x, opt, max_steps=POLISH_STEPS, record_every=POLISH_STEPS).x
    )(starts)
    minima = np.asarray(surface.minima, float)
    dist = np.linalg.norm(np.asarray(ends)[:, None, :] - minima[None, :, :], axis=-1)
    return finite & (dist.min(axis=1) <= within)


def seed_fan(
    surface: Any,
    optimizer: Any,
    *,
    seeds: int = 32,
    noise: float = 0.0,
    start: Any = None,
    max_steps: int = 1000,
    seed: int = 0,
    decay: float = 0.0,
    tol: float = 1e-6,
    within: float | None = None,
) -> SeedFan:
    """Run ``optimizer`` with gradient noise from one start under ``seeds`` seeds.

    Args:
        surface: a surface from :mod:`descend.surfaces`.
        optimizer: any Transform (``descend.gd(0.05)``, ``descend.momentum(...)``, ...).
        seeds: how many runs, 1 to 1024; they run as one vmapped program.
        noise: ``sigma``, the standard deviation of the Gaussian noise added to each
            gradient component, >= 0 (the variance ``eta`` of :func:`descend.add_noise` is
            ``sigma^2``); 0 gives every run the same path.
        start: the start point of every run (default: the surface's).
        max_steps: the steps of each run (a run also stops at ``tol`` or when it diverges).
        seed: the seed the runs' noise seeds are drawn from (equal seeds, equal fans).
        decay: ``gamma``, the noise variance's decay exponent (0: constant noise).
        tol: the gradient-norm tolerance of :func:`descend.minimize` (noise keeps a noisy
            run's gradient norm well above it).
        within: how near a global minimum the noise-free descent from a run's end must
            come for the run to count as ending there (default: 1% of the domain's mean
            width).

    Returns:
        A :class:`SeedFan` (see the module docstring for the math).
    """
    check.in_order("seed_fan", surface=surface, optimizer=optimizer)
    surface = _check_surface(surface)
    if not (
        callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))
    ):
        raise TypeError(
            "optimizer must be a Transform such as descend.gd(0.05); "
            f"got {type(optimizer).__name__}"
        )
    check.untraced("seed_fan", numbers_of(optimizer), start, noise, anywhere=True)
    seeds = check.integer("seeds", seeds, 1, MAX_SEEDS)
    noise = check.real("noise", noise, 0.0, 1e150)  # its square, the variance, is a float
    decay = check.real("decay", decay, 0.0)
    max_steps = check.positive_int("max_steps", max_steps)
    seed = check.nonnegative_int("seed", seed)
    tol = check.real("tol", tol, 0.0)
    width = float(np.mean([hi - lo for lo, hi in surface.domain]))
    within = 0.01 * width if within is None else check.real("within", within, 0.0, open_low=True)
    x0 = _check_start(start, surface)

    seed_values = np.random.default_rng(seed).integers(0, 2**31 - 1, size=seeds)
    every = record_every_for(max_steps)
    with_path = seeds * (-(-max_steps // every) + 1) * surface.dim <= PATH_LIMIT

    def one(k: jax.Array) -> Result:
        opt = chain(add_noise(noise**2, decay, seed=k), optimizer)
        return minimize(surface, x0, opt, max_steps=max_steps, tol=tol, record_every=every,
                        record_path=with_path)  # fmt: skip

    results = jax.vmap(one)(jnp.asarray(seed_values, jnp.int32))
    steps, losses, paths = held(results, max_steps, every)
    low, median, high = spread(losses)
    final_x = np.asarray(results.x)
    reason = np.asarray(results.reason)
    points = np.where((reason != StopReason.DIVERGED)[:, None], final_x, np.nan)
    at_global = ends_at_global(surface, points, within)
    return SeedFan(
        seeds=seeds,
        paths=paths,
        losses=losses,
        final_loss=np.asarray(results.loss),
        global_share=None if at_global is None else float(np.mean(at_global)),
        steps=steps,
        median=median,
        low=low,
        high=high,
        final_x=final_x,
        run_steps=np.asarray(results.steps),
        reason=reason,
        at_global=at_global,
        seed_values=seed_values,
        noise=noise,
        decay=decay,
        start=np.asarray(x0),
        results=results,
    )
