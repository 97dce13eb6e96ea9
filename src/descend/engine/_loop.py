"""The compiled step loop of :func:`descend.minimize`: steps in blocks, a bounded history.

A run is a loop over *segments*. Before each segment the history is thinned if its next
``block`` steps would not fit (every other row dropped, the record interval doubled); the
segment then runs up to ``block`` steps in an inner loop that writes each step's row
(loss, gradient norm, learning rate, point) into a small window, copied into the history
afterwards (the rows are the :class:`History` as returned):

    row(t) = ceil(t / every)    row i holds step i * every; the row after the last
                                multiple holds the latest step until that step overwrites it

For one run the inner loop is plain steps and stays small enough for XLA:CPU to compile it
as one function. Under ``jax.vmap`` (:func:`make_steps`' batching rule) every running run
takes step ``loops + 1`` together, so the rows they write share one index and the window is
laid out with the runs on its second axis: each step's row is one contiguous write, and
nothing history-sized is selected per step (the loops' predicates are reduced over the batch
by :func:`descend.engine._batching.any_running`). A run that stops keeps its state; only its
rows up to its last step are copied, and it is not thinned again.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.custom_batching import custom_vmap

from descend.engine._batching import any_running, keep_if, update_rows
from descend.engine._result import History, PathLayout
from descend.engine._stop import StopReason

BLOCK_STEPS = 1024  # steps per segment (see block_steps)
WINDOW_ROWS = 64  # steps per window of a vmapped segment (see make_steps)


class Options(NamedTuple):
    """The static part of a run: a change here compiles a new program."""

    max_steps: int
    record_every: int
    records: int
    thinned: bool
    record_path: bool
    patience: int
    maximize: bool
    progress_every: int
    use_ftol: bool
    use_floor: bool  # the precision stop, with the gradient rule (tol > 0)


class Run(NamedTuple):
    """The per-run state of the loop: small, and masked on every step once the run stops."""

    t: jax.Array
    x: Any
    state: Any
    loss: jax.Array
    grad: Any
    best_x: Any
    best_loss: jax.Array
    stall: jax.Array | None  # None unless the loss-stall rule is on (a smaller carry is faster)
    reason: jax.Array
    since_best: jax.Array | None  # steps since the best loss improved (with use_floor)


class Carry(NamedTuple):
    """The loop's state. ``loops`` and ``every`` are the same for every run of a vmapped
    batch (all running runs take step ``loops + 1`` together), so the history row a step
    writes has one index for the whole batch: a slice update, not a scatter."""

    loops: jax.Array
    every: jax.Array
    run: Run
    log: Any  # the history rows, one ``(records, width)`` buffer (see History.rows)


def row_index(t: jax.Array, every: jax.Array) -> jax.Array:
    return (t + every - 1) // every


def _halve(buffer: jax.Array) -> jax.Array:
    """Rows 0, 2, 4, ... moved to the front; NaN after them."""
    kept = buffer[0::2]
    pad = jnp.full_like(buffer[: buffer.shape[0] - kept.shape[0]], jnp.nan)
    return jnp.concatenate([kept, pad])


def thin(c: Carry) -> Carry:
    """Drop every other record of the running runs and double the interval (a stopped run's
    history is complete and stays as it is; :func:`every_at` recovers its interval)."""
    active = c.run.reason == StopReason.RUNNING
    return c._replace(every=c.every * 2, log=keep_if(active, jax.tree.map(_halve, c.log), c.log))


def every_at(t: jax.Array, options: Options) -> jax.Array:
    """The record interval of the block holding step ``t``. The loop thins before each
    block of steps ``n + 1 .. n + block`` (``n`` a multiple of ``block``) until its rows fit,
    so the interval is the smallest ``record_every * 2^k`` with
    ``ceil(min(n + block, max_steps) / interval) < records`` (a stopped run keeps it)."""
    if not options.thinned:
        return jnp.asarray(options.record_every, jnp.int32)
    block = block_steps(options)
    n = jnp.maximum(t - 1, 0) // block * block
    last = jnp.minimum(n + block, options.max_steps)
    candidates, e = [], options.record_every
    while e < 2 * options.max_steps:
        candidates.append(e)
        e *= 2
    intervals = jnp.asarray(candidates, jnp.int32)
    fits = row_index(last, intervals) < options.records
    return intervals[jnp.argmax(fits)]


def history_of(end: Carry, options: Options, layout: PathLayout | None) -> History:
    """The history of a finished run: its rows as the loop left them, with what the steps of
    the records follow from (no work per record, see :class:`History`)."""
    t = end.run.t
    every = every_at(t, options)
    count = row_index(t, every) + 1
    return History(rows=end.log, count=count, every=every, last=t, layout=layout)


def block_steps(options: Options) -> int:
    """Steps per segment: the thinning check and the progress report run between segments,
    so a segment's rows must fit (at most half the rows once the history is thinned) and a
    segment is at most one progress interval long."""
    if not (options.thinned or options.progress_every):
        return options.max_steps  # one segment: the step limit is the max_steps rule's
    block = BLOCK_STEPS
    if options.progress_every:
        block = min(block, options.progress_every)
    if options.thinned:
        block = min(block, (options.records - 1) // 2)
    return max(1, block)


class Consts(NamedTuple):
    """What a step needs besides the run's state: per run, and batched under vmap."""

    leaves: Any
    tol: jax.Array
    ftol: jax.Array
    loss0: jax.Array
    rise: jax.Array  # the largest rise of the loss above loss0 before the run has diverged
    floor: jax.Array
    closed: Any = ()  # the traced values the objective closes over (see minimize)


def _steps_loop(step_fn, row_fn, run, consts, consts_axes, window, loops, every, base, stop):
    """The inner loop in explicit batch form: the leaves of ``run`` (and those of ``consts``
    whose axis in ``consts_axes`` is 0) have a leading axis of runs, those of ``window`` are
    ``(rows, runs, ...)``, so the row that all
    running runs write at a step is one contiguous slice. Runs step while any is running and
    ``loops < stop``; a stopped run keeps its state (and writes it again: the caller copies
    only each run's rows up to its last step)."""
    n = jax.tree.leaves(run.reason)[0].shape[0]

    def mask(active: jax.Array, a: jax.Array) -> jax.Array:
        return jnp.reshape(active, (n,) + (1,) * (jnp.ndim(a) - 1))

    def body(c):
        loops, run, window = c
        active = run.reason == StopReason.RUNNING  # every running run takes step loops + 1
        new = jax.vmap(step_fn, in_axes=(0, consts_axes))(run, consts)
        run = jax.tree.map(lambda a, b: jnp.where(mask(active, a), a, b), new, run)
        loops = loops + 1
        index = row_index(loops, every) - base
        values = jax.vmap(row_fn, in_axes=(0, consts_axes))(run, consts)

        def put(w: jax.Array, v: jax.Array) -> jax.Array:
            return jax.lax.dynamic_update_index_in_dim(w, v.astype(w.dtype), index, 0)

        return loops, run, jax.tree.map(put, window, values)

    def cond(c):
        return any_running(jnp.any(c[1].reason == StopReason.RUNNING)) & (c[0] < stop)

    loops, run, window = jax.lax.while_loop(cond, body, (loops, run, window))
    return run, window, loops


def make_steps(step_fn, row_fn, bounded: bool = True, batching_rule: bool = True):
    """``steps(run, consts, log, loops, every, stop)``: the run steps while it is running
    and ``loops < stop``, writing each step's row into the history ``log`` at
    ``row_index(loops, every)``.

    For one run, the rows go straight into the history (nothing is masked: the loop runs
    only while the run does). Under ``jax.vmap`` the batching rule runs windows of
    ``WINDOW_ROWS`` rows (``WINDOW_ROWS - 1`` record intervals of steps) in explicit batch
    form (:func:`_steps_loop`, rows contiguous across runs) and copies each window into the
    history, keeping each run's rows only up to its own last step. With ``bounded=False``
    no segment ends before ``max_steps``, whose own stop rule ends the loop, and one run's
    loop does not test ``stop``. With ``batching_rule=False`` JAX batches the plain loop
    itself: the way for steps that close over a traced value that :mod:`._hoisting` did not
    make an operand (a hand-made gradient step without a recipe), which a batching rule
    cannot take."""

    def plain(run, consts, log, loops, every, stop):
        # one run: its step count is the loop's (a stopped run does not step)
        def body(c):
            run, log = c
            run = step_fn(run, consts)
            index = row_index(run.t, every)
            put = lambda b, v: jax.lax.dynamic_update_index_in_dim(b, v, index, 0)  # noqa: E731
            return run, jax.tree.map(put, log, row_fn(run, consts))

        def cond(c):
            running = c[0].reason == StopReason.RUNNING
            return running & (c[0].t < stop) if bounded else running

        run, log = jax.lax.while_loop(cond, body, (run, log))
        return run, log, jnp.maximum(run.t, loops)

    if not batching_rule:
        return plain
    steps = custom_vmap(plain)

    @steps.def_vmap
    def _batched(axis_size, in_batched, run, consts, log, loops, every, stop):
        run_b, consts_b, log_b, *shared_b = in_batched
        if any(shared_b):
            raise RuntimeError("descend: the step counter of a vmapped run must be shared")

        def full(a: jax.Array, batched: bool) -> jax.Array:
            return a if batched else jnp.broadcast_to(a, (axis_size, *jnp.shape(a)))

        run = jax.tree.map(full, run, run_b)
        # hyperparameters shared by all runs stay scalars (constants of the step)
        consts_axes = jax.tree.map(lambda b: 0 if b else None, consts_b)
        log = jax.tree.map(full, log, log_b)
        if not jax.tree.leaves(log):  # nothing recorded: JAX's own batching of the loop
            axes = (0, consts_axes, None, None, None, None)
            run, _, each = jax.vmap(plain, in_axes=axes)(run, consts, log, loops, every, stop)
            # the loop went on while any run did: a stopped run's counter stopped with it
            return (run, log, jnp.max(each)), (jax.tree.map(lambda _: True, run), log, False)
        capacity = jax.tree.leaves(log)[0].shape[1]
        window = min(WINDOW_ROWS, capacity)

        def one_window(c):
            loops, run, log = c
            first = row_index(loops + 1, every)
            base = jnp.minimum(first, capacity - window)
            blank = jax.tree.map(
                lambda b: jnp.zeros((window, axis_size, *b.shape[2:]), b.dtype), log
            )
            # steps whose rows fit the window: (window - 1) intervals past the first row
            end = stop if window == capacity else jnp.minimum(loops + (window - 1) * every, stop)
            new_run, rows, new_loops = _steps_loop(
                step_fn, row_fn, run, consts, consts_axes, blank, loops, every, base, end
            )
            index = base + jnp.arange(window)
            last = row_index(new_run.t, every)
            fresh = (
                (run.reason == StopReason.RUNNING)[:, None]
                & (index >= first)
                & (index <= last[:, None])
            )

            def put(history: jax.Array, rows: jax.Array) -> jax.Array:
                rows = jnp.moveaxis(rows, 0, 1)  # (runs, window, ...)
                old = jax.lax.dynamic_slice_in_dim(history, base, window, 1)
                keep = jnp.reshape(fresh, fresh.shape + (1,) * (rows.ndim - 2))
                new = jnp.where(keep, rows, old)
                return jax.vmap(lambda h, n: update_rows(h, base, n))(history, new)

            return new_loops, new_run, jax.tree.map(put, log, rows)

        def go_on(c):
            return any_running(jnp.any(c[1].reason == StopReason.RUNNING)) & (c[0] < stop)

        loops, run, log = jax.lax.while_loop(go_on, one_window, (loops, run, log))
        batched = lambda tree: jax.tree.map(lambda _: True, tree)  # noqa: E731
        return (run, log, loops), (batched(run), batched(log), False)

    # forward-mode derivatives (jax.jvp, and jax.jacfwd: vmap of jvp, which JAX cannot take
    # through a custom_vmap function with integer inputs) are those of the plain loop; the
    # values are the batched loop's, so that a vmapped run's shared step counter stays one
    differentiable = jax.custom_jvp(steps)

    @differentiable.defjvp
    def _jvp(primals: tuple, tangents: tuple) -> tuple:
        return steps(*primals), jax.jvp(plain, primals, tangents)[1]

    return differentiable
