"""`minimize`: a whole optimisation as one compiled XLA program, stop rules included.

With ``L_t = f(x_t)`` and ``g_t = grad f(x_t)`` (``-f`` when maximizing), the loop is

    x_{t+1} = x_t + update(g_t)              the optimizer, any Transform
    stop at the first t where, in this order of precedence:
      diverged   L_t, x_t or g_t is not finite, or L_t - L_0 > divergence * max(|L_0|, 1)
      converged  ||g_t|| <= tol
      precision  ||g_t|| <= FLOOR_ULPS * eps * max(||g_0||, 1) and the best loss has not
                 improved for `patience` steps (rounding noise; see precision_floor)
      stalled    |L_t - L_{t-1}| / max(|L_{t-1}|, tiny) < ftol for `patience` steps in a row
      max_steps  t == max_steps

The program is compiled once per (function, optimizer structure, static options); start
points and every numeric hyperparameter are arguments of that program, so a second call
with new values does not recompile, and ``jax.vmap`` over either runs many runs at once.
Under ``vmap`` the loop costs time linear in the steps, history included (see
:mod:`descend.engine._loop`), and the history is bounded by ``max_records``.

A short run of a small problem costs what its steps cost, history included: XLA:CPU runs a
program in the caller's thread only when its cost analysis counts under 1,000 flops, and
runs its operations one after the other only when no more than 8 are ready at once (with a
buffer over 512 bytes, a history, it otherwise hands work to its thread pool). So nothing
is computed per history record after the loop (:class:`History` reads the rows lazily),
the evaluation of the start is one grouped operation (:func:`_batching.grouped`), and the
loop's constants are tied to each segment so that XLA hoists what the steps derive from them
into the segment, not to the top of the program. The compiled 1,000-step Adam run on a 2-D
surface with its history took 2.66x the time of the same run without it; now 1.04-1.08x
(``python -m benchmarks.history``, BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine import _progress as progress_bar
from descend.engine._batching import any_running, grouped
from descend.engine._forward_only import forward_only
from descend.engine._hoisting import (
    hoisted_objective,
    hoisted_schedules,
    hoisted_transform,
    traced_consts,
)
from descend.engine._loop import (
    Carry,
    Consts,
    Options,
    Run,
    block_steps,
    history_of,
    make_steps,
    row_index,
    thin,
)
from descend.engine._result import PathLayout, Result
from descend.engine._stop import StopReason
from descend.optim._adam import adam
from descend.optim._base import apply_updates, value_at
from descend.optim._combine import update_with_loss
from descend.optim._recipe import (
    GradientStep,
    closure_tracers,
    learning_rate_of,
    rebuild,
    split,
)
from descend.optim._transforms import global_norm, small_sum

PATH_LIMIT = 10_000_000  # record the path by default while it holds at most this many numbers
FLOOR_ULPS = 64  # see precision_floor
FLOOR_MOST = 1e-3  # the floor's cap relative to the start's gradient (half precision)
MAX_RECORDS = 4097  # history records kept by default; a longer run is thinned to fit
PROGRESS_REPORTS = 50  # progress-bar updates per run (each is a host round trip, ~0.1 ms)


def _all_finite(*values: Any) -> jax.Array:
    """Whether every element of every leaf is finite: one sum, which is NaN or infinite as
    soon as any term is (a finite overflow to inf only happens far past divergence)."""
    total = sum(small_sum(x) for x in jax.tree.leaves(values))
    return jnp.isfinite(total)


def records_needed(max_steps: int, record_every: int) -> int:
    """History rows a run of ``max_steps`` needs to keep every record: one every
    ``record_every`` steps (step 0 included) and the last step."""
    return -(-max_steps // record_every) + 1


def record_capacity(max_steps: int, record_every: int, max_records: int) -> int:
    """History rows a run keeps: :func:`records_needed`, at most ``max_records`` (made odd,
    so that thinning keeps rows 0, 2, 4, ... exactly); fewer than needed means thinning."""
    return min(records_needed(max_steps, record_every), max_records - (1 - max_records % 2))


def precision_floor(gn0: jax.Array) -> jax.Array:
    """``min(FLOOR_ULPS * eps, 1e-3) * max(||g_0||, 1)`` in the float type of ``gn0``: a
    gradient norm this small, with a loss that has stopped improving, is rounding noise.

    In float32 the computed gradient near a minimum that is not exactly representable is a
    difference of terms of the size of the gradient's parts, each off by ``eps``
    (Himmelblau's bottoms out at 6e-6, above the default ``tol=1e-6``), and a step
    ``lr * g`` under half an ulp of ``x`` leaves ``x`` where it is. A run whose gradient is
    under this floor and whose best loss has not improved for ``patience`` steps stops as
    ``converged (gradient norm at float precision)``. In float64 the floor is ~1e-13 and
    the rule only fires with a ``tol`` below it; ``tol=0`` turns it off with the gradient
    rule. In float16 and bfloat16 64 ulps are 6% and 50% of the start's gradient, far from
    any minimum (a float16 run stopped at x = 0.94 of 1 with its loss flat in rounding), so
    the floor is capped at a thousandth of it."""
    eps = jnp.finfo(gn0.dtype).eps
    return min(FLOOR_ULPS * float(eps), FLOOR_MOST) * jnp.maximum(gn0, 1.0)


def _closes_over_traced(key: Any) -> bool:
    """Whether an optimizer (its :func:`split` key) closes over traced values: a walk of its
    closures (20-40 us), cached per key as the compiled runs are. A key that does is not
    kept: the entry would keep the tracers, and what they hold, alive."""
    found = check.cached_call(_closure_walk, key)
    if found:
        _closure_walk.cache_clear()
    return found


@functools.lru_cache(maxsize=256)
def _closure_walk(key: Any) -> bool:
    return bool(closure_tracers(key))


@functools.lru_cache(maxsize=256)
def _runner(
    f: Callable[..., jax.Array], key: Any, options: Options, hoisted: bool = False
) -> Callable[..., Result]:
    """The compiled run of ``f`` (``f(x, closed)`` when ``hoisted``: :func:`.hoisted_objective`)."""
    sign = -1.0 if options.maximize else 1.0
    capacity = options.records
    block = block_steps(options)
    if hoisted:
        objective = lambda x, closed: sign * f(x, closed)  # noqa: E731
    else:
        objective = lambda x, closed: sign * f(x)  # noqa: E731
    value_and_grad = jax.value_and_grad(objective)

    def advance(optimizer, x, state, g, loss, closed):
        if isinstance(optimizer, GradientStep):
            return optimizer.step(lambda x: objective(x, closed), x, state)
        updates, state = update_with_loss(optimizer, g, state, x, loss)
        return apply_updates(x, updates), state

    def lr_at(leaves, t):
        lr = learning_rate_of(rebuild(key, leaves))
        return jnp.nan if lr is None else value_at(lr, t)

    def verdict(k: Consts, t, loss, x, gn, prev_loss, stall, since_best):
        finite = _all_finite(loss, gn, x)
        blown = loss - k.loss0 > k.rise
        reason = jnp.where(t >= options.max_steps, StopReason.MAX_STEPS, StopReason.RUNNING)
        if stall is not None:
            change = jnp.abs(loss - prev_loss) / jnp.maximum(jnp.abs(prev_loss), 1e-30)
            stall = jnp.where((t > 0) & (change < k.ftol), stall + 1, 0)
            reason = jnp.where(stall >= options.patience, StopReason.LOSS_TOL, reason)
        if since_best is not None:
            at_floor = (gn <= k.floor) & (since_best >= options.patience)
            reason = jnp.where(at_floor, StopReason.PRECISION, reason)
        reason = jnp.where(gn <= k.tol, StopReason.GRADIENT_TOL, reason)
        reason = jnp.where(finite & ~blown, reason, StopReason.DIVERGED)
        return reason.astype(jnp.int32), stall

    def step(c: Run, k: Consts) -> Run:
        x, state = advance(rebuild(key, k.leaves), c.x, c.state, c.grad, c.loss, k.closed)
        loss, g = value_and_grad(x, k.closed)
        t = c.t + 1
        gn = global_norm(g)
        improved = loss < c.best_loss
        since_best = None if c.since_best is None else jnp.where(improved, 0, c.since_best + 1)
        reason, stall = verdict(k, t, loss, x, gn, c.loss, c.stall, since_best)
        better = improved & (reason != StopReason.DIVERGED)
        return Run(
            t=t,
            x=x,
            state=state,
            loss=loss,
            grad=g,
            best_x=jax.tree.map(lambda b, n: jnp.where(better, n, b), c.best_x, x),
            best_loss=jnp.where(better, loss, c.best_loss),
            stall=stall,
            reason=reason,
            since_best=since_best,
        )

    def begin(x0, leaves, tol, ftol, divergence, closed) -> tuple[Run, Consts]:
        """The run at step 0: the start's loss, gradient and verdict, the optimizer's state."""
        loss0, g0 = value_and_grad(x0, closed)
        gn0 = global_norm(g0)
        rise = divergence * jnp.maximum(jnp.abs(loss0), 1.0)
        # a traced tol of 0 turns the precision stop off, as a Python 0 does (use_floor)
        floor = jnp.where(tol > 0, precision_floor(gn0), -jnp.inf)
        k = Consts(leaves, tol, ftol, loss0, rise, floor, closed)
        t0 = jnp.zeros([], jnp.int32)
        stall0 = t0 if options.use_ftol else None
        reason0, stall0 = verdict(k, t0, loss0, x0, gn0, loss0, stall0, None)
        run0 = Run(
            t=t0,
            x=x0,
            state=rebuild(key, leaves).init(x0),
            loss=loss0,
            grad=g0,
            best_x=x0,
            best_loss=jnp.where(jnp.isfinite(loss0), loss0, jnp.inf).astype(loss0.dtype),
            stall=stall0,
            reason=reason0,
            since_best=t0 if options.use_floor else None,
        )
        return run0, k

    def minimize_run(x0, leaves, tol, ftol, divergence, closed):
        # a history row is one vector: [loss, gradient norm, learning rate, the point];
        # one write a step instead of four (2.3 ns a step against 8 in benchmarks.loop_floor)
        row, layout = _packing(x0 if options.record_path else None, sign, lr_at)

        def started(*args) -> tuple[Run, Consts, jax.Array]:
            run0, k = begin(*args)
            return run0, k, row(run0, k)  # the first history row too

        run0, k, first = grouped(started, x0, leaves, tol, ftol, divergence, closed)
        log0 = jnp.full((capacity, *first.shape), jnp.nan, first.dtype).at[0].set(first)
        start = Carry(run0.t, jnp.asarray(options.record_every, jnp.int32), run0, log0)
        # with two rows (record_every >= max_steps) the second is the last step: written
        # once after the loop, so the loop records nothing
        ends_only = capacity == 2
        nothing = None
        bounded = bool(options.thinned or options.progress_every)
        # a rule closing over a traced value that was not hoisted (a hand-made gradient
        # step without a recipe): JAX batches the loop itself (no batching rule takes it)
        rule = not _closes_over_traced(key)
        rows = (lambda run, k: nothing) if ends_only else row
        inner_steps = make_steps(step, rows, bounded, batching_rule=rule)
        running = lambda c: any_running(c.run.reason == StopReason.RUNNING)  # noqa: E731

        def steps(c: Carry) -> Carry:
            written = nothing if ends_only else c.log
            # tied to the segment, the constants are computed on once a segment: XLA hoists
            # what the steps derive from them (1 - b1, log1p(-b2), -lr, ...) to here, not to
            # the top of the program, where they would be more than 8 ready at once
            per_segment = jax.lax.optimization_barrier((k, c.loops))[0]
            run, log, loops = inner_steps(c.run, per_segment, written, c.loops, c.every,
                                          c.loops + block)  # fmt: skip
            return c._replace(loops=loops, run=run, log=c.log if ends_only else log)

        def segment(c: Carry) -> Carry:
            if options.thinned:
                last = jnp.minimum(c.loops + block, options.max_steps)
                overflows = lambda c: row_index(last, c.every) >= capacity  # noqa: E731
                c = jax.lax.while_loop(overflows, thin, c)
            before = c.loops
            c = steps(c)
            if options.progress_every:
                every = options.progress_every
                crossed = (c.loops // every > before // every) | ~running(c)

                def report(c: Carry) -> Carry:
                    jax.debug.callback(progress_bar.report, c.run.t, sign * c.run.loss)
                    return c

                c = jax.lax.cond(crossed, report, lambda c: c, c)
            return c

        end = forward_only(jax.lax.while_loop(running, segment, start), "minimize")
        run = end.run
        if ends_only:  # the last step's row, unless the run stopped at its start
            last = row(run, k)
            end = end._replace(log=end.log.at[1].set(jnp.where(run.t > 0, last, end.log[1])))
        return Result(
            x=run.x,
            loss=sign * run.loss,
            best_x=run.best_x,
            best_loss=sign * run.best_loss,
            grad_norm=global_norm(run.grad),
            steps=run.t,
            reason=run.reason,
            diverged_at=jnp.where(run.reason == StopReason.DIVERGED, run.t, -1).astype(jnp.int32),
            history=history_of(end, options, layout),
        )

    return jax.jit(minimize_run)


def _packing(
    x0: Any, sign: float, lr_at: Callable[[Any, jax.Array], Any]
) -> tuple[Callable[[Run, Consts], jax.Array], PathLayout | None]:
    """``(row, layout)``: ``row(run, consts)`` is a step's history row as one vector in the
    loss's float type (the columns of :attr:`History.rows`: loss, gradient norm, learning
    rate at the step, then the point's leaves raveled when ``x0`` is given, the path being
    recorded); ``layout`` says where the point's leaves sit in it (None without a path)."""
    leaves, treedef = jax.tree.flatten(x0)
    layout = PathLayout(treedef, tuple(jnp.shape(a) for a in leaves)) if leaves else None

    def row(run: Run, k: Consts) -> jax.Array:
        parts = [sign * run.loss, global_norm(run.grad), lr_at(k.leaves, run.t)]
        parts += jax.tree.leaves(run.x) if layout else []
        return jnp.concatenate([jnp.ravel(p).astype(run.loss.dtype) for p in parts])

    return row, layout


def check_runs_fit(what: str, runs: int, size: int, options: dict[str, Any], advice: str) -> None:
    """Refuse ``runs`` vmapped runs of :func:`minimize` from points of ``size`` numbers, with
    ``options`` as given to it, when their starts and histories cannot fit in memory (or
    their count a 32-bit integer): before anything is drawn or compiled."""
    check.int32("the number of runs", runs)
    defaults = {k: p.default for k, p in inspect.signature(minimize).parameters.items()}
    given = {**defaults, **options}
    every = check.positive_int("record_every", given["record_every"])
    most = check.integer("max_records", given["max_records"], 3)
    records = record_capacity(check.positive_int("max_steps", given["max_steps"]), every, most)
    path = size if given["record_path"] is not False else 0
    # each run's start, history and loop state: the point, the best point, the gradient
    # and two moments, with a few scalars, held twice while a loop step writes the next
    state = 2 * (4 * 5 * size + 64)
    check.fits_in_memory(what, runs * (8 * size + 4 * records * (3 + path) + state), advice)


def _check_history_fits(records: int, path_size: int, x0: Any) -> None:
    """Refuse, before compiling, a history that cannot fit in memory."""
    itemsize = max((a.dtype.itemsize for a in jax.tree.leaves(x0)), default=4)  # JAX arrays
    check.fits_in_memory("the history", records * (3 + path_size) * itemsize,
                         "pass record_path=False or a smaller max_records",
                         detail=f" ({records} records of {3 + path_size} numbers)")  # fmt: skip


def _is_surface(f: Any) -> bool:
    return hasattr(f, "f") and hasattr(f, "dim") and hasattr(f, "start")


def _surface_parts(f: Any, x0: Any) -> tuple[Callable[[Any], jax.Array], Any]:
    """Unpack a Surface (anything with ``f``, ``dim`` and ``start``): its function, and its
    recommended start when ``x0`` is None; check the start's shape against its dimension."""
    if _is_surface(f):
        surface = f
        if x0 is None:  # the start, made on the device once (12 us of a 60 us call)
            x0 = _constant(surface.start)
        elif not (isinstance(x0, jax.Array) and jnp.issubdtype(x0.dtype, jnp.floating)):
            x0 = check.real_array("x0", x0)
        shape = jnp.shape(x0)
        if shape != (surface.dim,):
            raise ValueError(
                f"x0 must have shape ({surface.dim},) for surface {surface.name!r}; got {shape}"
            )
        return surface.f, x0
    if x0 is None:
        raise ValueError("x0 is required unless f is a surface (which has a start point)")
    return f, x0


@functools.lru_cache(maxsize=1024)
def _device_constant(kind: type, value: Any, x64: bool, device: Any) -> jax.Array:
    """``jnp.asarray(value)`` for a Python number or a tuple of them, made once: JAX arrays
    are immutable, so every call can share it."""
    del kind, x64, device  # in the key only: 0 and 0.0 differ, and so do the dtypes made
    with jax.ensure_compile_time_eval():  # a concrete array even when called under a trace
        return jnp.asarray(value)  # a number stays weakly typed, as the Python number is


def _constant(value: Any) -> jax.Array:
    return _device_constant(
        type(value), value, jax.config.jax_enable_x64, jax.config.jax_default_device
    )


def _on_device(value: Any) -> Any:
    """A Python number as a cached, weakly typed JAX scalar; anything else as it is. The
    compiled run then takes it as it is, where a Python number is converted and copied to
    the device on every call (13 us of the 85 that a one-step Adam run took in all)."""
    if type(value) not in (float, int):
        return value
    return _constant(value)


def _as_float_tree(x0: Any) -> Any:
    """x0 with float leaves; a flat list or tuple of numbers is taken as a vector."""
    if isinstance(x0, jax.Array) and jnp.issubdtype(x0.dtype, jnp.floating):
        return x0  # the usual case, without walking a tree
    if isinstance(x0, (list, tuple)) and x0 and all(isinstance(v, (int, float)) for v in x0):
        x0 = jnp.asarray(x0)

    def leaf(path: Any, a: Any) -> jax.Array:
        if isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jnp.floating):
            return a
        return check.real_array("x0" + jax.tree_util.keystr(path), a)

    if any(np.iscomplexobj(a) for a in jax.tree.leaves(x0)):  # astype would drop the imaginary
        raise TypeError("x0 must be real numbers; got complex ones (minimize the real and "
                        "imaginary parts as two real leaves)")  # fmt: skip
    return jax.tree_util.tree_map_with_path(leaf, x0)


def _check_finite_start(x0: Any, name: str = "x0") -> None:
    """Refuse a concrete start holding NaN or infinity (``ValueError``): every step from it
    would be NaN, and the run would only report ``diverged`` at step 0. Traced starts (under
    ``jax.vmap`` or ``jax.jit``) are the caller's."""
    for path, a in jax.tree_util.tree_leaves_with_path(x0):
        if not check.is_concrete(a):
            continue
        a = np.asarray(a)
        if a.size <= 64:  # a start point is usually small: a Python loop is the fastest test
            finite = all(map(math.isfinite, a.ravel().tolist()))
        else:
            finite = bool(np.isfinite(a).all())
        if not finite:
            bad = ~np.isfinite(a)
            first = np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape)
            raise ValueError(
                f"{name}{jax.tree_util.keystr(path)} holds {int(bad.sum())} NaN or infinite "
                "value(s), the first at index "
                f"{tuple(int(i) for i in first)}; start from finite numbers"
            )


def _check_function(f: Callable[[Any], jax.Array], x0: Any) -> bool:
    """Trace f (shapes only, nothing is computed) to catch a non-scalar or non-float result
    and a function JAX cannot differentiate, with a message instead of a deep traceback.
    Return whether f closes over values traced by an enclosing ``jit`` or ``vmap`` (see
    :mod:`descend.engine._hoisting`). The verdict is cached per function and argument shapes."""
    leaves, treedef = jax.tree.flatten(x0)
    shapes = tuple((a.shape, a.dtype) for a in leaves)  # JAX arrays (see _as_float_tree)
    traced = check.cached_call(_check_traced, f, treedef, shapes)
    if traced:  # the entry would keep the enclosing transformation's tracers (and data) alive
        _check_traced.cache_clear()
    return traced


@functools.lru_cache(maxsize=1024)
def _check_traced(f: Callable[[Any], jax.Array], treedef: Any, shapes: tuple) -> bool:
    spec = treedef.unflatten([jax.ShapeDtypeStruct(s, d) for s, d in shapes])

    def first_line(err: Exception) -> str:
        text = str(err)
        return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"

    try:
        jaxpr, out = jax.make_jaxpr(f, return_shape=True)(spec)
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
    return bool(traced_consts(jaxpr))


def _maybe_positive(value: Any) -> bool:
    """Whether a rule's threshold may be on: a traced one (``jax.vmap`` over ``tol``) may be,
    and the compiled rule then reads it (a threshold of 0 never fires)."""
    if type(value) is float:  # what check.real gives for a number: without NumPy's 2 us
        return value > 0
    return not check.is_concrete(value) or bool(np.any(np.asarray(value) > 0))


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
    max_records: int = MAX_RECORDS,
    progress: Any = False,
) -> Result:
    """Minimize (or, with ``maximize=True``, maximize) ``f`` from ``x0`` with ``optimizer``.

    Args:
        f: a JAX-differentiable function of a pytree returning a scalar, or a surface from
            :mod:`descend.surfaces` (then ``x0`` defaults to its recommended start).
        x0: the start point (an array or a pytree of arrays).
        optimizer: any Transform (descend's or optax's), or a GradientStep such as
            :func:`descend.engine.lookahead_nesterov`. By default Adam: at the surface's
            ``adaptive_lr`` for a surface, else with its own defaults (``lr=1e-3``, as
            PyTorch and Keras).
        max_steps: the most updates to apply, an integer >= 1.
        tol: stop when the gradient norm is at most ``tol`` (0 disables it unless the
            gradient is exactly zero). A run also stops, as ``converged (gradient norm at
            float precision)``, when the norm reaches :func:`precision_floor`, the level
            below which it is rounding noise (in float32 that floor can lie above ``tol``).
        ftol, patience: stop when the relative change of the loss stays below ``ftol`` for
            ``patience`` steps in a row (``ftol=0`` disables it).
        divergence: report ``diverged`` when the loss rises more than ``divergence`` times
            ``max(|L_0|, 1)`` above its start, or anything becomes non-finite.
        maximize: climb ``f`` instead (gradient ascent); losses are reported as ``f``.
        record_every: keep one history record every this many steps.
        record_path: keep the points in the history; by default when it stays small.
        max_records: the most history records kept (at least 3). A run that would need
            more is thinned as it goes: every other record is dropped and ``record_every``
            doubles, so memory and time follow the steps taken, not ``max_steps``.
        progress: show a progress bar (steps, loss) while running: True for standard
            error, or a text stream to write it to.

    Returns:
        A :class:`Result`; see its ``stop_reason``, ``history`` and ``summary()``.
    """
    check.in_order("minimize", f=f, x0=x0, optimizer=optimizer)
    if optimizer is None:
        lr = getattr(f, "adaptive_lr", None) if _is_surface(f) else None
        optimizer = adam() if lr is None else adam(lr)
    check.transform(optimizer)
    max_steps = check.positive_int("max_steps", max_steps)
    record_every = check.positive_int("record_every", record_every)
    max_records = check.integer("max_records", max_records, 3)
    patience = check.positive_int("patience", patience)
    tol = check.real("tol", tol, 0.0)
    ftol = check.real("ftol", ftol, 0.0)
    divergence = check.real("divergence", divergence, 0.0, open_low=True)
    maximize = check.boolean("maximize", maximize)
    progress = check.progress(progress)
    record_path = check.boolean("record_path", record_path, none=True)
    f, x0 = _surface_parts(f, x0)
    if not callable(f):
        raise TypeError(f"f must be a function or a surface; got {type(f).__name__}")
    x0 = _as_float_tree(x0)
    size = sum(math.prod(jnp.shape(a)) for a in jax.tree.leaves(x0))
    if size == 0:
        raise ValueError(f"x0 holds no numbers to optimise; got {x0!r:.60}")
    _check_finite_start(x0)
    hoisted = _check_function(f, x0)
    f, closed = hoisted_objective(f, x0) if hoisted else (f, ())
    records = record_capacity(max_steps, record_every, max_records)
    if record_path is None:
        record_path = size * records <= PATH_LIMIT
    _check_history_fits(records, size if record_path else 0, x0)
    every = -(-max_steps // PROGRESS_REPORTS) if progress else 0
    options = Options(
        max_steps=max_steps,
        record_every=record_every,
        records=records,
        thinned=records < records_needed(max_steps, record_every),
        record_path=bool(record_path),
        patience=patience,
        maximize=maximize,
        progress_every=every,
        use_ftol=_maybe_positive(ftol),
        use_floor=_maybe_positive(tol),
    )
    key, leaves = split(optimizer)
    closing = _closes_over_traced(key)
    if closing:
        # an optimizer closing over a traced value (optax.adam(lr), a schedule's lambda):
        # its values become leaves, so the batched loop keeps its rule (engine._hoisting);
        # a gradient step takes the objective, so only its schedules are traced
        if isinstance(optimizer, GradientStep):
            key, leaves = split(hoisted_schedules(optimizer))
        else:
            loss = f.loss if hoisted else jax.eval_shape(f, x0)
            key, leaves = split(hoisted_transform(optimizer, x0, loss))
        closing = _closes_over_traced(key)
    # a key still closing over a traced value is not cached: the entry would keep it alive;
    # a function that cannot be hashed (a dataclass with eq) cannot key the cache
    if closing:
        run = _runner.__wrapped__(f, key, options, hoisted)
    else:
        run = check.cached_call(_runner, f, key, options, hoisted)
    stream = progress if hasattr(progress, "write") else None
    with progress_bar.active(max_steps, enabled=bool(progress), stream=stream):
        result = run(x0, [_on_device(v) for v in leaves], _on_device(tol), _on_device(ftol),
                     _on_device(divergence), closed)  # fmt: skip
        if progress:  # keep the bar until the (asynchronously dispatched) run has finished
            result = jax.block_until_ready(result)
    return result


@functools.cache
def minimize_options() -> frozenset[str]:
    """The keyword options of :func:`minimize` (``max_steps``, ``tol``, ...): what
    ``restarts``, ``compare`` and ``sweep`` pass on to it."""
    return frozenset(inspect.signature(minimize).parameters) - {"f", "x0", "optimizer"}
