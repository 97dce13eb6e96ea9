"""Loops whose cost stays linear in their steps under ``jax.vmap``.

``jax.vmap`` of a ``while_loop`` whose predicate differs between runs turns the loop into
"while any run is running", and, to keep finished runs unchanged, selects the *whole carry*
between its old and new value on every iteration. A carry that holds a history of ``S``
records then costs ``O(S)`` per step and ``O(S^2)`` per run: the history buffers are copied
on every step although each step writes one row.

The engine's loops avoid that by doing the reduction themselves: their predicate is
:func:`any_running` of the per-run flags, which reduces over the batch inside ``vmap`` (so
the predicate is the same for every run and ``vmap`` keeps the loop as it is), and each
step masks only the small per-run state (:func:`keep_if`, plain for a single run) and
writes its rows with a slice update (:func:`write_row`, :func:`update_rows`; the loop of
:func:`descend.minimize` writes its rows in windows, see :mod:`descend.engine._loop`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.custom_batching import custom_vmap


@custom_vmap
def any_running(flag: jax.Array) -> jax.Array:
    """``flag`` for one run; under ``jax.vmap``, whether any run of the batch has its flag
    set (an unbatched boolean, so a loop conditioned on it is not turned into a select of
    its whole carry). Nested ``vmap`` reduces over every level."""
    return flag


@any_running.def_vmap
def _any_running_batched(axis_size: int, in_batched: list[bool], flag: jax.Array):
    del axis_size
    (batched,) = in_batched
    reduced = jnp.any(flag, axis=0) if batched else flag
    return any_running(reduced), False


def _linear(fn: Callable[..., Any], held: int) -> Callable[..., Any]:
    """``fn`` made differentiable in forward mode by its linearity in every argument but the
    one at ``held`` (a flag or an index): its tangent is ``fn`` of the other arguments'
    tangents, leaf by leaf (a leaf without one, ``float0``, passes as it is). JAX's own JVP
    of a ``custom_vmap`` function fails under ``jax.vmap`` of ``jax.jvp`` (``jax.jacfwd``)
    when an input has no tangent, with an ``AssertionError`` from ``jax.custom_batching``."""
    differentiable = jax.custom_jvp(fn)

    @differentiable.defjvp
    def _jvp(primals: tuple, tangents: tuple) -> tuple:
        def tangent(*leaves: jax.Array) -> jax.Array:
            if leaves[0].dtype == jax.dtypes.float0:
                return leaves[0]
            return fn(*leaves[:held], primals[held], *leaves[held:])

        linear = [t for i, t in enumerate(tangents) if i != held]
        return fn(*primals), jax.tree.map(tangent, *linear)

    return differentiable


@custom_vmap
def _keep_if(active: jax.Array, new: Any, old: Any) -> Any:
    """The masked step of a loop conditioned on ``any_running(active)``: ``new`` where
    ``active``, else ``old``, leaf by leaf.

    For one run the loop body only runs while ``active`` holds, so this is ``new`` and
    costs nothing (the loop stays small enough for XLA:CPU to compile it as one function).
    Under ``jax.vmap`` it selects per run, so a finished run keeps its state."""
    del active, old
    return new


@_keep_if.def_vmap
def _keep_if_batched(axis_size: int, in_batched: Any, active: Any, new: Any, old: Any):
    active_batched, new_batched, old_batched = in_batched
    if not active_batched:  # the same flag for every run: as for one run
        return _keep_if(active, new, old), new_batched

    def select(a: jax.Array, b: jax.Array, a_batched: bool, b_batched: bool) -> jax.Array:
        a = a if a_batched else jnp.broadcast_to(a, (axis_size, *jnp.shape(a)))
        b = b if b_batched else jnp.broadcast_to(b, (axis_size, *jnp.shape(b)))
        flag = jnp.reshape(active, (axis_size,) + (1,) * (a.ndim - 1))
        return jnp.where(flag, a, b)

    out = jax.tree.map(select, new, old, new_batched, old_batched)
    return out, jax.tree.map(lambda _: True, new)


@custom_vmap
def _update_rows(buffer: jax.Array, start: jax.Array, rows: jax.Array) -> jax.Array:
    """``buffer[start : start + len(rows)] = rows`` (``start`` clamped to fit, as in
    ``lax.dynamic_update_slice``).

    ``jax.vmap`` turns a dynamic update slice into a scatter, which XLA:CPU expands into a
    read, a select and a write of the *whole* buffer. With ``start`` the same for every run
    this is one plain slice update at ``(0, start, 0, ...)`` instead, done in place."""
    return jax.lax.dynamic_update_slice_in_dim(buffer, rows.astype(buffer.dtype), start, 0)


@_update_rows.def_vmap
def _update_rows_batched(axis_size: int, in_batched: Any, buffer: Any, start: Any, rows: Any):
    buffer_batched, start_batched, rows_batched = in_batched
    if start_batched:  # a start per run: JAX's own batching (a scatter)
        axes = (0 if buffer_batched else None, 0, 0 if rows_batched else None)

        def update(b: jax.Array, s: jax.Array, r: jax.Array) -> jax.Array:
            return jax.lax.dynamic_update_slice_in_dim(b, r, s, 0)

        return jax.vmap(update, in_axes=axes)(buffer, start, rows.astype(buffer.dtype)), True
    if not buffer_batched:
        buffer = jnp.broadcast_to(buffer, (axis_size, *buffer.shape))
    if not rows_batched:
        rows = jnp.broadcast_to(rows, (axis_size, *rows.shape))
    return jax.lax.dynamic_update_slice_in_dim(buffer, rows.astype(buffer.dtype), start, 1), True


keep_if = _linear(_keep_if, held=0)
update_rows = _linear(_update_rows, held=1)


def write_row(buffer: jax.Array, index: jax.Array, active: jax.Array, value: Any) -> jax.Array:
    """``buffer[index] = value`` where ``active`` (a stopped run keeps its row). ``index``
    is the same for the whole batch, so under ``vmap`` this stays a slice update."""
    old = jax.lax.dynamic_index_in_dim(buffer, index, 0, keepdims=False)
    new = keep_if(active, jnp.asarray(value, buffer.dtype), old)
    return update_rows(buffer, index, new[None])


def grouped(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` as one conditional whose predicate is always true, so that XLA:CPU runs
    its operations as one step of the program.

    XLA:CPU runs a program that touches a buffer over 512 bytes (a history) as a dataflow
    graph, and hands work to its thread pool whenever more than 8 operations are ready at
    once; the waits for the pool's threads then cost 30-100 us a call, more than a small
    run of a thousand steps takes. The evaluation of the start is a dozen independent small
    operations, all ready at the start of the program. Grouped, they are one operation of
    the program and run in order inside it (their own graph has only small buffers)."""
    shapes = jax.eval_shape(fn, *args)

    def skipped(*_: Any) -> Any:  # never taken; XLA cannot know that the predicate holds
        return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

    always = jax.lax.optimization_barrier(jnp.bool_(True))
    return jax.lax.cond(always, fn, skipped, *args)
