"""A batch of runs split across the CPU's cores.

XLA:CPU runs a vmapped batch of a few thousand runs on one core: each kernel of a step (the
step's arithmetic over every run, some tens of kilobytes) is too small for it to split
across threads, and it does not run independent loops of one program side by side. Two
programs called from two threads do run side by side. :func:`split_over_cores` therefore
cuts a batch into equal parts, one a core, runs each part in a thread of its own, and joins
the outputs on the host: joining NumPy arrays is a memory copy, where ``jnp.concatenate``
is an XLA program on one core several times slower (65 MB of history: 8 ms against 45 ms).

Each run's arithmetic depends only on its own inputs, but not quite on nothing else: XLA:CPU
computes the last runs of a batch whose size is not a multiple of its vector width in a
scalar tail loop, whose rounding can differ in the last bit from the vector body's. Every
part is therefore padded to a multiple of :data:`ALIGN` runs (the last run repeated, the
padding dropped afterwards), so that every real run is computed by the vector body whatever
the number of parts: a batch gives the same runs, bit for bit, on one core or on eight
(tested). Nothing is padded or split under a trace (``jax.jit`` or ``jax.vmap`` around the
caller) or off the CPU; nothing is split on one core, inside a thread of this pool, or when
a part would hold fewer than :data:`MIN_PART` runs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jax
import numpy as np

from descend._validation import is_concrete

try:  # whether anything traces the caller (jax.jit, jax.vmap, jax.grad around it)
    from jax._src.core import trace_state_clean as untraced_here
except ImportError:  # a JAX without it: as if traced (never split, never kept)

    def untraced_here() -> bool:
        return False


#: The fewest runs worth a part of their own (below it a batch is run whole).
MIN_PART = 64
#: Every part is padded to a multiple of this many runs (a multiple of any vector width).
ALIGN = 64

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_inside = threading.local()  # set in the pool's threads: a nested split runs whole


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parts_for(n: int) -> int:
    """How many parts a batch of ``n`` runs on the CPU is cut into here: one a core, each of
    at least :data:`MIN_PART` runs, and 1 inside a part already."""
    if getattr(_inside, "part", False):
        return 1
    return max(1, min(cores(), n // MIN_PART))


def _forget_pool_in_child() -> None:
    """A forked child has none of its parent's threads: it starts a pool of its own."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(cores(), thread_name_prefix="descend-part")
        return _pool


def _run_part(run: Callable[[Any], Any], part: Any) -> Any:
    outer = getattr(_inside, "part", False)
    _inside.part = True
    try:
        return jax.block_until_ready(run(part))
    finally:
        _inside.part = outer


def split_over_cores(run: Callable[[Any], Any], batch: Any) -> Any:
    """``run(batch)``, a function vmapped over the leading axis of every leaf of ``batch``,
    computed in :func:`parts_for` parts side by side (see the module docstring).

    Untraced on the CPU, the batch is padded to equal parts of a multiple of :data:`ALIGN`
    runs each (the last run repeated: one shape, one compiled program), and the outputs are
    joined along their leading axis as NumPy arrays, the padding dropped (each part's thread
    copies its own rows). Otherwise this is ``run(batch)`` as it is.
    """
    leaves = jax.tree.leaves(batch)
    concrete = leaves and all(is_concrete(a) for a in leaves) and untraced_here()
    if not concrete or jax.default_backend() != "cpu":
        return run(batch)
    n = int(np.shape(leaves[0])[0])
    parts = parts_for(n)
    per_part = -(-n // parts)  # ceilings
    size = -(-per_part // ALIGN) * ALIGN

    def padded(a: Any) -> np.ndarray:
        a = np.asarray(a)
        return np.concatenate([a, np.repeat(a[-1:], size * parts - n, axis=0)])

    whole = jax.tree.map(padded, batch)
    if parts == 1:
        out = _run_part(run, whole)
        return jax.tree.map(lambda a: np.asarray(a)[:n], out)
    joined: dict[str, Any] = {}
    lock = threading.Lock()

    def part(lo: int) -> None:
        """Run the part starting at ``lo`` and copy its real runs into the joined outputs
        (allocated by the first part to finish: each thread copies its own rows)."""
        piece = jax.tree.map(lambda a: a[lo : lo + size], whole)
        leaves, treedef = jax.tree.flatten(_run_part(run, piece))
        with lock:
            if not joined:
                joined["treedef"] = treedef
                joined["leaves"] = [np.empty((n, *np.shape(a)[1:]), a.dtype) for a in leaves]
        hi = min(lo + size, n)
        for into, a in zip(joined["leaves"], leaves, strict=True):
            into[lo:hi] = np.asarray(a)[: hi - lo]

    list(_thread_pool().map(part, [lo for lo in range(0, size * parts, size) if lo < n]))
    return jax.tree.unflatten(joined["treedef"], joined["leaves"])
