"""`minimize`: a whole optimisation as one compiled XLA program, stop rules included.

With ``L_t = f(x_t)`` and ``g_t = grad f(x_t)`` (``-f`` when maximizing), the loop is

    x_{t+1} = x_t + update(g_t)              the optimizer, any Transform
    stop at the first t where, in this order of precedence:
      diverged   L_t, x_t or g_t is not finite, or L_t - L_0 > divergence * max(|L_0|, 1)
      converged  ||g_t|| <= tol
      stalled    |L_t - L_{t-1}| / max(|L_{t-1}|, tiny) < ftol for `patience` steps in a row
      max_steps  t == max_steps

The program is compiled once per (function, optimizer structure, static options); start
points and every numeric hyperparameter are arguments of that program, so a second call
with new values does not recompile, and ``jax.vmap`` over either runs many runs at once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend.engine import progress as progress_bar
from descend.engine.result import (
    DIVERGED,
    GRADIENT_TOL,
    LOSS_TOL,
    MAX_STEPS,
    RUNNING,
    History,
    Result,
)
from descend.optim import validation as check
from descend.optim.base import apply_updates, value_at
from descend.optim.recipe import GradientStep, learning_rate_of, rebuild, split
from descend.optim.transforms import global_norm, small_sum

PATH_LIMIT = 10_000_000  # record the path by default while it holds at most this many numbers
PROGRESS_REPORTS = 50  # progress-bar updates per run (each is a host round trip, ~0.1 ms)


class Options(NamedTuple):
    """The static part of a run: a change here compiles a new program."""

    max_steps: int
    record_every: int
    record_path: bool
    patience: int
    maximize: bool
    progress_every: int
    use_ftol: bool


def _all_finite(*values: Any) -> jax.Array:
    """Whether every element of every leaf is finite: one sum, which is NaN or infinite as
    soon as any term is (a finite overflow to inf only happens far past divergence)."""
    total = sum(small_sum(x) for x in jax.tree.leaves(values))
    return jnp.isfinite(total)


def _write(buffer: Any, index: jax.Array, value: Any) -> Any:
    return jax.tree.map(
        lambda b, v: jax.lax.dynamic_update_index_in_dim(b, jnp.asarray(v, b.dtype), index, 0),
        buffer,
        value,
    )


def _records(options: Options) -> int:
    return -(-options.max_steps // options.record_every) + 1


class _Carry(NamedTuple):
    t: jax.Array
    x: Any
    state: Any
    loss: jax.Array
    grad: Any
    best_x: Any
    best_loss: jax.Array
    stall: jax.Array | None  # None unless the loss-stall rule is on (a smaller carry is faster)
    reason: jax.Array
    records: jax.Array
    path: Any


def _history(end: _Carry, options: Options) -> History:
    count = (end.t + options.record_every - 1) // options.record_every + 1
    n = end.records.shape[0]
    step = jnp.arange(n, dtype=jnp.int32) * options.record_every
    step = jnp.where(jnp.arange(n) == count - 1, end.t, step)
    step = jnp.where(jnp.arange(n) < count, step, -1)  # -1 marks the unfilled records
    return History(
        step=step,
        loss=end.records[:, 0],
        grad_norm=end.records[:, 1],
        lr=end.records[:, 2],
        path=end.path,
        count=count.astype(jnp.int32),
    )


@functools.lru_cache(maxsize=256)
def _runner(f: Callable[[Any], jax.Array], key: Any, options: Options) -> Callable[..., Result]:
    sign = -1.0 if options.maximize else 1.0
    n_records = _records(options)

    def minimize_run(x0, leaves, tol, ftol, divergence):
        optimizer = rebuild(key, leaves)
        lr = learning_rate_of(optimizer)
        objective = lambda x: sign * f(x)  # noqa: E731
        value_and_grad = jax.value_and_grad(objective)

        if isinstance(optimizer, GradientStep):

            def advance(x, state, g):
                return optimizer.step(objective, x, state)
        else:

            def advance(x, state, g):
                updates, state = optimizer.update(g, state, x)
                return apply_updates(x, updates), state

        def lr_at(t):
            return jnp.nan if lr is None else value_at(lr, t)

        def verdict(t, loss, x, gn, prev_loss, stall, loss0):
            finite = _all_finite(loss, gn, x)
            blown = loss - loss0 > divergence * jnp.maximum(jnp.abs(loss0), 1.0)
            reason = jnp.where(t >= options.max_steps, MAX_STEPS, RUNNING)
            if stall is not None:
                change = jnp.abs(loss - prev_loss) / jnp.maximum(jnp.abs(prev_loss), 1e-30)
                stall = jnp.where((t > 0) & (change < ftol), stall + 1, 0)
                reason = jnp.where(stall >= options.patience, LOSS_TOL, reason)
            reason = jnp.where(gn <= tol, GRADIENT_TOL, reason)
            reason = jnp.where(finite & ~blown, reason, DIVERGED)
            return reason.astype(jnp.int32), stall

        def record(records, path, t, x, loss, gn):
            """Write record ceil(t / record_every): exact on multiples of record_every; in
            between, the slot of the next multiple holds the latest step (so the final state
            is always recorded) until that step overwrites it."""
            every = options.record_every
            index = t if every == 1 else (t + every - 1) // every
            row = jnp.stack([sign * loss, gn, jnp.asarray(lr_at(t), loss.dtype)])
            records = jax.lax.dynamic_update_index_in_dim(records, row, index, 0)
            if options.record_path:
                path = _write(path, index, x)
            return records, path

        loss0, g0 = value_and_grad(x0)
        float_type = jnp.result_type(loss0)
        gn0 = global_norm(g0)
        records0 = jnp.full((n_records, 3), jnp.nan, float_type)
        path0 = (
            jax.tree.map(lambda a: jnp.full((n_records, *a.shape), jnp.nan, a.dtype), x0)
            if options.record_path
            else None
        )
        t0 = jnp.zeros([], jnp.int32)
        stall0 = t0 if options.use_ftol else None
        reason0, stall0 = verdict(t0, loss0, x0, gn0, loss0, stall0, loss0)
        records, path = record(records0, path0, t0, x0, loss0, gn0)
        start = _Carry(
            t=t0,
            x=x0,
            state=optimizer.init(x0),
            loss=loss0,
            grad=g0,
            best_x=x0,
            best_loss=jnp.where(jnp.isfinite(loss0), loss0, jnp.inf).astype(float_type),
            stall=stall0,
            reason=reason0,
            records=records,
            path=path,
        )

        def body(c: _Carry) -> _Carry:
            x, state = advance(c.x, c.state, c.grad)
            loss, g = value_and_grad(x)
            t = c.t + 1
            gn = global_norm(g)
            reason, stall = verdict(t, loss, x, gn, c.loss, c.stall, loss0)
            better = (loss < c.best_loss) & (reason != DIVERGED)
            records, path = record(c.records, c.path, t, x, loss, gn)
            return _Carry(
                t=t,
                x=x,
                state=state,
                loss=loss,
                grad=g,
                best_x=jax.tree.map(lambda b, n: jnp.where(better, n, b), c.best_x, x),
                best_loss=jnp.where(better, loss, c.best_loss),
                stall=stall,
                reason=reason,
                records=records,
                path=path,
            )

        running = lambda c: c.reason == RUNNING  # noqa: E731
        if options.progress_every:
            # a host callback inside the step loop slows every step; report between chunks
            # of `progress_every` steps instead, each chunk a tight loop of its own
            def chunk(c: _Carry) -> _Carry:
                stop = c.t + options.progress_every
                c = jax.lax.while_loop(lambda c: running(c) & (c.t < stop), body, c)
                jax.debug.callback(progress_bar.report, c.t, sign * c.loss)
                return c

            end = jax.lax.while_loop(running, chunk, start)
        else:
            end = jax.lax.while_loop(running, body, start)
        return Result(
            x=end.x,
            loss=sign * end.loss,
            best_x=end.best_x,
            best_loss=sign * end.best_loss,
            grad_norm=global_norm(end.grad),
            steps=end.t,
            reason=end.reason,
            diverged_at=jnp.where(end.reason == DIVERGED, end.t, -1).astype(jnp.int32),
            history=_history(end, options),
        )

    return jax.jit(minimize_run)


def _surface_parts(f: Any, x0: Any) -> tuple[Callable[[Any], jax.Array], Any]:
    """Unpack a Surface (anything with ``f``, ``dim`` and ``start``): its function, and its
    recommended start when ``x0`` is None; check the start's shape against its dimension."""
    if hasattr(f, "f") and hasattr(f, "dim") and hasattr(f, "start"):
        surface = f
        x0 = jnp.asarray(surface.start) if x0 is None else x0
        shape = jnp.shape(x0)
        if shape != (surface.dim,):
            raise ValueError(
                f"x0 must have shape ({surface.dim},) for surface {surface.name!r}; got {shape}"
            )
        return surface.f, x0
    if x0 is None:
        raise ValueError("x0 is required unless f is a surface (which has a start point)")
    return f, x0


def _as_float_tree(x0: Any) -> Any:
    """x0 with float leaves; a flat list or tuple of numbers is taken as a vector."""
    if isinstance(x0, (list, tuple)) and x0 and all(isinstance(v, (int, float)) for v in x0):
        x0 = jnp.asarray(x0)

    def leaf(a: Any) -> jax.Array:
        if isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jnp.floating):
            return a
        a = jnp.asarray(a)
        if not jnp.issubdtype(a.dtype, jnp.floating):
            a = a.astype(jnp.result_type(float))
        return a

    try:
        return jax.tree.map(leaf, x0)
    except TypeError as err:
        raise TypeError(f"x0 must be an array or a pytree of arrays; got {x0!r}") from err


def _check_function(f: Callable[[Any], jax.Array], x0: Any) -> None:
    """Trace f (shapes only, nothing is computed) to catch a non-scalar or non-float result
    and a function JAX cannot differentiate, with a message instead of a deep traceback.
    The verdict is cached per function and argument shapes."""
    leaves, treedef = jax.tree.flatten(x0)
    shapes = tuple((jnp.shape(a), jnp.result_type(a)) for a in leaves)
    _check_traced(f, treedef, shapes)


@functools.lru_cache(maxsize=1024)
def _check_traced(f: Callable[[Any], jax.Array], treedef: Any, shapes: tuple) -> None:
    spec = treedef.unflatten([jax.ShapeDtypeStruct(s, d) for s, d in shapes])

    def first_line(err: Exception) -> str:
        text = str(err)
        return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"

    try:
        out = jax.eval_shape(f, spec)
    except Exception as err:  # the user's function failed under tracing
        raise ValueError(f"f could not be evaluated at x0 with JAX: {first_line(err)}") from err
    if not hasattr(out, "shape") or out.shape != ():
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"f must return a scalar; it returned {shape}")
    if not jnp.issubdtype(out.dtype, jnp.floating):
        raise ValueError(f"f must return a real floating-point scalar; it returned {out.dtype}")
    try:
        jax.eval_shape(jax.grad(f), spec)
    except Exception as err:
        raise ValueError(f"f is not differentiable with JAX at x0: {first_line(err)}") from err


def minimize(
    f: Any,
    x0: Any = None,
    optimizer: Any = None,
    *,
    max_steps: int = 10_000,
    tol: float = 1e-6,
    ftol: float = 0.0,
    patience: int = 10,
    divergence: float = 1e4,
    maximize: bool = False,
    record_every: int = 1,
    record_path: bool | None = None,
    progress: Any = False,
) -> Result:
    """Minimize (or, with ``maximize=True``, maximize) ``f`` from ``x0`` with ``optimizer``.

    Args:
        f: a JAX-differentiable function of a pytree returning a scalar, or a surface from
            :mod:`descend.surfaces` (then ``x0`` defaults to its recommended start).
        x0: the start point (an array or a pytree of arrays).
        optimizer: any Transform (descend's or optax's), or a GradientStep such as
            :func:`descend.engine.lookahead_nesterov`.
        max_steps: the most updates to apply, an integer >= 1.
        tol: stop when the gradient norm is at most ``tol`` (0 disables it unless the
            gradient is exactly zero).
        ftol, patience: stop when the relative change of the loss stays below ``ftol`` for
            ``patience`` steps in a row (``ftol=0`` disables it).
        divergence: report ``diverged`` when the loss rises more than ``divergence`` times
            ``max(|L_0|, 1)`` above its start, or anything becomes non-finite.
        maximize: climb ``f`` instead (gradient ascent); losses are reported as ``f``.
        record_every: keep one history record every this many steps (bounds memory).
        record_path: keep the points in the history; by default when it stays small.
        progress: show a progress bar (steps, loss) while running: True for standard
            error, or a text stream to write it to.

    Returns:
        A :class:`Result`; see its ``stop_reason``, ``history`` and ``summary()``.
    """
    if optimizer is None:
        raise TypeError("minimize needs an optimizer, e.g. descend.adam(1e-2)")
    if not (
        hasattr(optimizer, "init") and (hasattr(optimizer, "update") or hasattr(optimizer, "step"))
    ):
        raise TypeError(
            f"optimizer must be a Transform (such as descend.adam(1e-2) or an optax "
            f"optimizer); got {type(optimizer).__name__}"
        )
    max_steps = check.positive_int("max_steps", max_steps)
    record_every = check.positive_int("record_every", record_every)
    patience = check.positive_int("patience", patience)
    check.nonnegative("tol", tol)
    check.nonnegative("ftol", ftol)
    check.positive("divergence", divergence)
    f, x0 = _surface_parts(f, x0)
    if not callable(f):
        raise TypeError(f"f must be a function or a surface; got {type(f).__name__}")
    x0 = _as_float_tree(x0)
    _check_function(f, x0)
    n_records = -(-max_steps // record_every) + 1
    if record_path is None:
        size = sum(math.prod(jnp.shape(a)) for a in jax.tree.leaves(x0))
        record_path = size * n_records <= PATH_LIMIT
    every = -(-max_steps // PROGRESS_REPORTS) if progress else 0
    options = Options(
        max_steps, record_every, bool(record_path), patience, bool(maximize), every, ftol > 0
    )
    key, leaves = split(optimizer)
    run = _runner(f, key, options)
    stream = progress if hasattr(progress, "write") else None
    with progress_bar.active(max_steps, enabled=bool(progress), stream=stream):
        result = run(x0, leaves, tol, ftol, divergence)
        if progress:  # keep the bar until the (asynchronously dispatched) run has finished
            result = jax.block_until_ready(result)
    return result
