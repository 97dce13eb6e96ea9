"""Learning-rate schedules: pure, jittable functions ``t -> value`` of the update count.

``t`` is the number of updates applied before the current one (0 on the first update), the
same step numbering as a PyTorch ``lr_scheduler`` stepped once per ``optimizer.step()``
and as Optax's schedules. Any hyperparameter of any descend rule accepts a schedule, so
``descend.adam(lr=cosine(1e-2, 1000))`` anneals Adam's learning rate and
``descend.adam(b1=one_cycle_momentum(...))`` cycles its beta1.

Every numeric argument takes any real number, NumPy scalar or 0-d array (int, uint or float
dtype), as the float of the same value (see :func:`descend.optim._recipe.checked`).

For the loss-driven "reduce on plateau" see :func:`descend.optim.reduce_on_plateau`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend._public import listing
from descend.optim._base import Schedule
from descend.optim._recipe import checked, data_numbers

__all__ = [
    "Schedule",
    "constant",
    "cosine",
    "cosine_warm_restarts",
    "exponential",
    "inverse_time",
    "join",
    "linear",
    "multistep",
    "one_cycle",
    "one_cycle_momentum",
    "polynomial",
    "power",
    "step",
    "warmup",
]
__dir__ = listing(__all__)


def _float(t: jax.Array) -> jax.Array:
    return jnp.asarray(t).astype(jnp.result_type(float))


@data_numbers("value")
@checked
def constant(value: float) -> Schedule:
    """``lr_t = value``."""
    check.nonnegative("value", value)
    return lambda t: jnp.full(jnp.shape(t), value, jnp.result_type(float))


@data_numbers("init", "decay_rate")
@checked
def inverse_time(init: float, decay_rate: float, decay_steps: int = 1, *, staircase=False):
    """``lr_t = init / (1 + decay_rate * t / decay_steps)`` (``floor(t / decay_steps)`` when
    ``staircase``). Keras ``InverseTimeDecay``; with ``decay_steps=1`` the classic 1/t decay
    ``lr0 / (1 + k t)``."""
    check.nonnegative("init", init)
    check.nonnegative("decay_rate", decay_rate)
    check.positive_int("decay_steps", decay_steps)

    def schedule(t: jax.Array) -> jax.Array:
        p = _float(t) / decay_steps
        return init / (1 + decay_rate * (jnp.floor(p) if staircase else p))

    return schedule


@data_numbers("init", "power", "offset")
@checked
def power(init: float, power: float = 0.25, offset: float = 1.0) -> Schedule:
    """``lr_t = init / (t + offset)^power``: scikit-learn's ``learning_rate="invscaling"``
    (``eta0 / t^power_t``, its ``t`` counting from 1, hence ``offset=1``)."""
    check.nonnegative("init", init)
    check.nonnegative("power", power)
    check.positive("offset", offset)
    return lambda t: init / (_float(t) + offset) ** power


@data_numbers("init", "gamma")
@checked
def step(init: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``lr_t = init * gamma^floor(t / step_size)`` (PyTorch ``StepLR``)."""
    check.nonnegative("init", init)
    check.positive_int("step_size", step_size)
    check.nonnegative("gamma", gamma)
    return lambda t: (
        init * jnp.asarray(gamma, jnp.result_type(float)) ** (jnp.asarray(t) // step_size)
    )


@data_numbers("init", "gamma")
@checked
def multistep(init: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """``lr_t = init * gamma^(number of milestones <= t)`` (PyTorch ``MultiStepLR``)."""
    check.nonnegative("init", init)
    check.nonnegative("gamma", gamma)
    marks = sorted(check.integers("milestones", milestones, 1))
    marks_arr = jnp.asarray(marks, jnp.int32)

    def schedule(t: jax.Array) -> jax.Array:
        passed = jnp.sum(jnp.asarray(t)[..., None] >= marks_arr, axis=-1)
        return init * jnp.asarray(gamma, jnp.result_type(float)) ** passed

    return schedule


@data_numbers("init", "gamma")
@checked
def exponential(init: float, gamma: float, every: int = 1, *, staircase: bool = False):
    """``lr_t = init * gamma^(t / every)`` (``floor(t / every)`` when ``staircase``).

    PyTorch ``ExponentialLR`` (``every=1``); Optax ``exponential_decay(init, every, gamma,
    staircase=...)``; Keras ``ExponentialDecay``."""
    check.nonnegative("init", init)
    check.nonnegative("gamma", gamma)
    check.positive_int("every", every)

    def schedule(t: jax.Array) -> jax.Array:
        p = _float(t) / every
        return init * jnp.asarray(gamma, p.dtype) ** (jnp.floor(p) if staircase else p)

    return schedule


@data_numbers("start", "end")
@checked
def linear(start: float, end: float, steps: int) -> Schedule:
    """Straight line from ``start`` at ``t=0`` to ``end`` at ``t=steps``, then ``end``.

    PyTorch ``LinearLR(start_factor, end_factor, total_iters)`` is
    ``linear(base*start_factor, base*end_factor, total_iters)``."""
    check.nonnegative("start", start)
    check.nonnegative("end", end)
    check.positive_int("steps", steps)
    return lambda t: start + (end - start) * jnp.minimum(_float(t), steps) / steps


@data_numbers("init", "end", "power")
@checked
def polynomial(init: float, end: float, power: float, steps: int) -> Schedule:
    """``lr_t = (init - end) * (1 - min(t, steps)/steps)^power + end``.

    PyTorch ``PolynomialLR(total_iters, power)`` (``end=0``); Optax
    ``polynomial_schedule(init_value, end_value, power, transition_steps)``, in its order and,
    as there, with every argument required (a default of ``steps=1`` decayed to ``end`` after
    one step, and a run under it never moved)."""
    check.nonnegative("init", init)
    check.nonnegative("end", end)
    check.nonnegative("power", power)
    check.positive_int("steps", steps)
    return lambda t: (init - end) * (1 - jnp.minimum(_float(t), steps) / steps) ** power + end


@data_numbers("init", "final")
@checked
def cosine(init: float, steps: int, final: float = 0.0) -> Schedule:
    """``lr_t = final + (init - final) * (1 + cos(pi * min(t, steps) / steps)) / 2``.

    PyTorch ``CosineAnnealingLR(T_max=steps, eta_min=final)`` for ``t <= steps`` (PyTorch
    keeps following the cosine back up afterwards; descend holds ``final``, as Optax's
    ``cosine_decay_schedule(init, steps, alpha=final/init)`` does)."""
    check.nonnegative("init", init)
    check.nonnegative("final", final)
    check.positive_int("steps", steps)

    def schedule(t: jax.Array) -> jax.Array:
        frac = jnp.minimum(_float(t), steps) / steps
        return final + (init - final) * (1 + jnp.cos(jnp.pi * frac)) / 2

    return schedule


@data_numbers("init", "final")
@checked
def cosine_warm_restarts(
    init: float, period: int, period_mult: int = 1, final: float = 0.0
) -> Schedule:
    """Cosine annealing restarted every cycle; cycle ``i`` lasts ``period * period_mult^i``.

    Within a cycle of length ``T_i``, at ``T_cur`` steps since its start:
    ``lr = final + (init - final) * (1 + cos(pi * T_cur / T_i)) / 2``. SGDR (Loshchilov &
    Hutter, 2017); PyTorch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)``."""
    check.nonnegative("init", init)
    check.nonnegative("final", final)
    check.positive_int("period", period)
    check.positive_int("period_mult", period_mult)
    starts, lengths, start, length = [], [], 0, period
    while start < 2**31 - 1:
        starts.append(start)
        lengths.append(min(length, 2**31 - 1))  # a cycle no run reaches the end of
        if period_mult == 1 and len(starts) > 1:
            break  # equal cycles: handled by the modulo below
        start, length = start + length, length * period_mult
    starts_arr = jnp.asarray(starts, jnp.int64 if jax.config.x64_enabled else jnp.int32)
    lengths_arr = jnp.asarray(lengths, starts_arr.dtype)

    def schedule(t: jax.Array) -> jax.Array:
        t = jnp.asarray(t)
        if period_mult == 1:
            t_cur, t_i = _float(t % period), float(period)
        else:
            n = jnp.sum(t[..., None] >= starts_arr[1:], axis=-1)
            t_cur, t_i = _float(t - starts_arr[n]), _float(lengths_arr[n])
        return final + (init - final) * (1 + jnp.cos(jnp.pi * t_cur / t_i)) / 2

    return schedule


@checked
def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]`` restarted from 0,
    and so on: at ``t >= b_i`` the value is ``schedules[i+1](t - b_i)``.

    PyTorch ``SequentialLR(schedulers, milestones)``; Optax ``join_schedules``."""
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Iterable):
        raise TypeError(
            f"join: schedules must be a list of schedules; got {check.shown(schedules)}"
        )
    schedules = list(schedules)
    marks = check.integers("boundaries", boundaries, 1)
    if len(schedules) != len(marks) + 1:
        raise ValueError(
            f"join needs one more schedule than boundaries; got {len(schedules)} schedules "
            f"and {len(marks)} boundaries"
        )
    if any(not callable(s) for s in schedules):
        raise TypeError("join: every schedule must be a function of t")
    if marks != sorted(marks):
        raise ValueError(f"boundaries must be increasing; got {marks}")

    def joined(t: jax.Array) -> jax.Array:
        t = jnp.asarray(t)
        value = schedules[0](t)
        for b, s in zip(marks, schedules[1:], strict=True):
            value = jnp.where(t >= b, s(jnp.maximum(t - b, 0)), value)
        return value

    return joined


@data_numbers("start")
@checked
def warmup(schedule: Schedule, steps: int, start: float = 0.0) -> Schedule:
    """Linear warm-up over ``steps`` updates, then ``schedule`` (restarted at 0).

    ``lr_t = start + (schedule(0) - start) * t / steps`` for ``t < steps``, then
    ``schedule(t - steps)``. PyTorch ``SequentialLR([LinearLR(start_factor, total_iters=W),
    S], milestones=[W])`` is ``warmup(S, W, base*start_factor)``; Optax
    ``warmup_cosine_decay_schedule`` is ``warmup(cosine(peak, decay_steps - W, end), W,
    init_value)``."""
    if not callable(schedule):
        raise TypeError(f"schedule must be a schedule (a function of t); got {schedule!r}")
    check.positive_int("steps", steps)
    check.nonnegative("start", start)
    top = schedule(jnp.zeros([], jnp.int32))  # a number, or traced if the schedule's are
    return join([linear(start, top, steps), schedule], [steps])


def _anneal(start: float, end: float, frac: jax.Array, how: str) -> jax.Array:
    if how == "cos":
        return end + (start - end) / 2 * (jnp.cos(jnp.pi * frac) + 1)
    return start + (end - start) * frac


def _cycle(total_steps: int, pct_start: float, three_phase: bool, values, anneal: str):
    """Piecewise annealing over phases ending at ``pct*T - 1``, (``2 pct*T - 2``), ``T - 1``,
    the phase boundaries of PyTorch's ``OneCycleLR``; ``values`` are the phase end points."""
    check.positive_int("total_steps", total_steps)
    check.in_range("pct_start", pct_start, 0.0, 1.0)
    check.choice("anneal", anneal, ("cos", "linear"))
    if three_phase:
        ends = [pct_start * total_steps - 1, 2 * pct_start * total_steps - 2, total_steps - 1]
    else:
        ends = [pct_start * total_steps - 1, total_steps - 1]
    begins = [0.0, *ends[:-1]]

    def schedule(t: jax.Array) -> jax.Array:
        x = _float(t)
        pieces = [
            _anneal(values[i], values[i + 1], (x - b) / (e - b), anneal)
            for i, (b, e) in enumerate(zip(begins, ends, strict=True))
        ]
        choose = [x <= e for e in ends[:-1]]
        return jnp.select(choose, pieces[:-1], pieces[-1]) if choose else pieces[0]

    return schedule


@checked
def one_cycle(
    peak: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    *,
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """The 1cycle learning rate (Smith & Topin, 2018), as PyTorch's ``OneCycleLR``.

    From ``peak/div_factor`` up to ``peak`` over the first ``pct_start`` of the run, then down
    to ``peak/(div_factor*final_div_factor)`` (with ``three_phase``, first back to
    ``peak/div_factor`` and then down), each phase annealed by cosine or linearly."""
    check.positive("peak", peak)
    check.positive("div_factor", div_factor)
    check.positive("final_div_factor", final_div_factor)
    low = peak / div_factor
    final = low / final_div_factor
    values = [low, peak, low, final] if three_phase else [low, peak, final]
    return _cycle(total_steps, pct_start, three_phase, values, anneal)


@checked
def one_cycle_momentum(
    total_steps: int,
    base: float = 0.85,
    high: float = 0.95,
    pct_start: float = 0.3,
    *,
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """The momentum (or Adam's beta1) that accompanies :func:`one_cycle`: from ``high`` down
    to ``base`` while the learning rate rises, then back up to ``high``. PyTorch's
    ``OneCycleLR(cycle_momentum=True, base_momentum, max_momentum)``."""
    check.fraction("base", base)
    check.fraction("high", high)
    values = [high, base, high, high] if three_phase else [high, base, high]
    return _cycle(total_steps, pct_start, three_phase, values, anneal)
