"""One chunk as one compiled program: its description as plain data (:class:`ChunkTask`, which
can be shipped to another process), and :func:`run_chunk`, which returns plain NumPy arrays
(:class:`ChunkOutput`).

The program is ``jax.jit(jax.vmap(one_run))`` over ``width * len(seeds)`` runs
(configuration-major), built on the engine's own runs:

- a surface or an expression: ``descend.minimize(surface.f, x0, rule(**values),
  max_steps=steps, tol=tol, record_every=steps, record_path=False)`` (no history beyond the
  first and last step), from the start of seed ``s``:
  ``numpy.random.default_rng(s).uniform(low, high)`` over the problem's domain, which is the
  start ``descend.restarts(surface, opt, n=1, seed=s)`` draws, cast to float32;
- data: ``descend.fit(model, loss, data, rule(**values), batch_size=..., epochs=...,
  seed=s, tol=...)``: ``s`` seeds the initialisation and the shuffles.

Hyperparameter values enter as float32 arrays (the rounding a Python float gets in a float32
program), so a run equals the same configuration run on its own. The same task gives
bit-identical outputs in any process, in any order of chunks: each run's arithmetic depends
only on its own inputs and on the program's shape, which the spec fixes.

The persistent compilation cache of JAX (:func:`enable_compilation_cache`) keeps each compiled
program on disk, so that a resumed study, a second study of the same shapes or another worker
on the machine loads it instead of compiling it again.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend._files import user_cache
from descend.engine import fit, minimize
from descend.engine._restarts import draw_starts
from descend.study import _spec
from descend.study._configs import ChunkPlan, Config
from descend.study._problem import Problem, build


@dataclass(frozen=True)
class ChunkTask:
    """A chunk as plain data: the spec's canonical JSON, the optimizer's index, the ids of
    the chunk's configurations and their hyperparameter values (float64, one entry per
    configuration), the program's width in configurations (the padding) and the attempt."""

    chunk_id: int
    spec_json: str
    optimizer: int
    config_ids: tuple[int, ...]
    values: dict[str, tuple[float, ...]]
    width: int
    attempt: int = 1


def task_of(
    chunk_id: int,
    spec_json: str,
    optimizer: int,
    configs: Sequence[tuple[int, Mapping[str, float]]],
    width: int,
    attempt: int = 1,
) -> ChunkTask:
    """The task of one chunk from its configurations, given as ``(config_id, values)`` in
    chunk order (at least one): their ids, and each hyperparameter's values gathered across
    them (the hyperparameters named by the first)."""
    names = list(configs[0][1])
    values = {k: tuple(v[k] for _, v in configs) for k in names}
    return ChunkTask(
        chunk_id, spec_json, optimizer, tuple(i for i, _ in configs), values, width, attempt
    )


def planned_task(spec_json: str, plan: ChunkPlan, configs: Sequence[Config]) -> ChunkTask:
    """The task (attempt 1) of the chunk ``plan`` of a study whose configurations are
    ``configs`` (``Study.configurations()``, all of them) and canonical spec ``spec_json``;
    what the driver hands over for that chunk of a fresh grid study."""
    chosen = configs[plan.config_lo : plan.config_hi]
    return task_of(
        plan.chunk_id, spec_json, plan.optimizer, [(c.config_id, c.values) for c in chosen],
        plan.width,
    )  # fmt: skip


@dataclass
class ChunkOutput:
    """What a chunk returns, one entry per real run (configuration-major, then seed), as
    NumPy arrays; ``seconds`` is the wall time of the program (compilation included)."""

    chunk_id: int
    config_id: np.ndarray
    seed: np.ndarray
    final_loss: np.ndarray
    best_loss: np.ndarray
    steps: np.ndarray
    reason: np.ndarray
    metric: np.ndarray
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.config_id)


def cache_dir() -> Path:
    """Where compiled programs are kept: ``$DESCEND_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/descend/jax``, else ``~/.cache/descend/jax`` (a user cache shared by
    every study of this user, so that equal shapes compile once)."""
    if os.environ.get("DESCEND_CACHE_DIR"):
        return Path(os.environ["DESCEND_CACHE_DIR"])
    return user_cache("jax")


def enable_compilation_cache() -> str | None:
    """Turn JAX's persistent compilation cache on at :func:`cache_dir`, unless a cache
    directory is set already (then it is left as it is); every chunk's program is kept there,
    however fast it compiled. Returns the directory in use (``None`` when it cannot be created)."""
    current = jax.config.jax_compilation_cache_dir
    if current:
        return current
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    return str(path)


_CACHE_SETTING = "jax_persistent_cache_min_compile_time_secs"
_cache_lock = threading.Lock()
_cache_open = 0  # blocks open now, in any thread
_cache_before = 0.0  # the setting the first of them found


@contextlib.contextmanager
def _cache_every_program() -> Iterator[None]:
    """Within the block, programs are cached however fast they compiled (JAX's default
    keeps only those that took a second or more); the setting is restored when the last
    block open in any thread ends, so the rest of the process keeps JAX's default."""
    global _cache_open, _cache_before
    with _cache_lock:
        if _cache_open == 0:
            _cache_before = getattr(jax.config, _CACHE_SETTING)
            jax.config.update(_CACHE_SETTING, 0.0)
        _cache_open += 1
    try:
        yield
    finally:
        with _cache_lock:
            _cache_open -= 1
            if _cache_open == 0:
                jax.config.update(_CACHE_SETTING, _cache_before)


@functools.lru_cache(maxsize=16)
def _spec_of(spec_json: str) -> _spec.Spec:
    return _spec.from_canonical(spec_json)


def surface_starts(problem: Problem, seeds: Any) -> np.ndarray:
    """The start of each seed (float64, one row per seed): the one start
    :func:`descend.restarts` draws with ``n=1`` and that seed (``draw_starts``)."""
    return np.stack([draw_starts(1, problem.domain, int(s))[0] for s in seeds])


@functools.lru_cache(maxsize=32)
def _program(spec_json: str, optimizer: int) -> Any:
    spec = _spec_of(spec_json)
    problem = build(spec.problem)
    opt = spec.optimizers[optimizer]

    if problem.kind == "data":
        tol = problem.tol

        def one(values: dict[str, jax.Array], seed: jax.Array) -> tuple[jax.Array, ...]:
            r = fit(
                problem.model,
                problem.loss,
                problem.dataset,
                opt.build(**values),
                batch_size=problem.batch_size,
                epochs=problem.epochs,
                seed=seed,
                tol=tol,
            )
            return r.epochs, r.steps, r.reason, r.history.loss, r.history.train_metric

    else:
        f = problem.surface.f

        def one(values: dict[str, jax.Array], x0: jax.Array) -> tuple[jax.Array, ...]:
            r = minimize(
                f,
                x0,
                opt.build(**values),
                max_steps=spec.steps,
                tol=problem.tol,
                record_every=spec.steps,
                record_path=False,
            )
            return r.loss, r.best_loss, r.steps, r.reason

    return jax.jit(jax.vmap(one))


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Run one chunk (see the module docstring) and return its real runs' outcomes."""
    enable_compilation_cache()
    start = time.perf_counter()
    spec = _spec_of(task.spec_json)
    problem = build(spec.problem)
    seeds = np.asarray(spec.seeds, np.int64)
    n_conf, n_seed = len(task.config_ids), len(seeds)
    pad = np.concatenate([np.arange(n_conf), np.zeros(task.width - n_conf, np.int64)])
    conf = np.repeat(pad, n_seed)  # configuration of each run of the program
    run_seed = np.tile(seeds, task.width)
    values = {
        k: jnp.asarray(np.asarray(v, np.float64)[conf], jnp.float32) for k, v in task.values.items()
    }
    program = _program(task.spec_json, task.optimizer)
    real = n_conf * n_seed
    if problem.kind == "data":
        with _cache_every_program():
            out = program(values, jnp.asarray(run_seed, jnp.int32))
        epochs, steps, reason, loss, train_metric = (np.asarray(a)[:real] for a in out)
        last = np.maximum(epochs - 1, 0)[:, None]
        final = np.take_along_axis(loss, last, axis=1)[:, 0]
        final = np.where(epochs > 0, final, np.nan)
        missing = np.isnan(loss)  # NaN epochs do not count; none left: NaN
        best = np.where(missing.all(axis=1), np.nan, np.where(missing, np.inf, loss).min(axis=1))
        metric = np.take_along_axis(train_metric, last, axis=1)[:, 0].astype(np.float64)
    else:
        starts = surface_starts(problem, seeds)
        x0 = jnp.asarray(np.tile(starts, (task.width, 1)), jnp.float32)
        with _cache_every_program():
            out = program(values, x0)
        final, best, steps, reason = (np.asarray(a)[:real] for a in out)
        floor = problem.surface.min_value
        metric = final.astype(np.float64) - (floor if floor is not None else 0.0)
    ids = np.asarray(task.config_ids, np.int64)
    return ChunkOutput(
        chunk_id=task.chunk_id,
        config_id=np.repeat(ids, n_seed),
        seed=np.tile(seeds, n_conf),
        final_loss=np.asarray(final, np.float64),
        best_loss=np.asarray(best, np.float64),
        steps=np.asarray(steps, np.int64),
        reason=np.asarray(reason, np.int64),
        metric=np.asarray(metric, np.float64),
        seconds=time.perf_counter() - start,
    )
