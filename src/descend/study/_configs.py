"""A study's configurations (optimizer x hyperparameter values) and its chunks.

Configurations come in a fixed order: the optimizers as the spec lists them, and within one
optimizer

- ``grid``: the Cartesian product of its axes, the first axis varying slowest (as
  ``numpy.meshgrid(..., indexing="ij")``);
- ``random``: ``search.n`` points, coordinate ``j`` of point ``i`` being ``u[i, j]`` of
  ``numpy.random.default_rng([search.seed, k]).random((n, d))`` (``k`` the optimizer's
  index) mapped onto axis ``j`` (:meth:`Axis.draw`: log-uniform on a log range, uniform on a
  linear one, one of the values of a list);
- ``sobol``: the same with ``u`` from a scrambled Sobol' sequence
  (``scipy.stats.qmc.Sobol(d, seed=default_rng([search.seed, k]))``).

A run is a configuration and a seed; runs are numbered configuration-major. A chunk holds
``chunk_size // len(seeds)`` whole configurations of one optimizer (at least one; fewer when
the optimizer has fewer), and so ``width * len(seeds)`` runs in one program of a fixed shape:
the last chunk of an optimizer repeats its first configuration to fill the shape, and those
padded runs are dropped.
"""

from __future__ import annotations

import collections
import itertools
import warnings
from dataclasses import dataclass

import numpy as np

from descend.study._spec import Spec


@dataclass(frozen=True)
class Config:
    """One configuration: its id (its place in the order above), its optimizer's index in
    the spec, and the values of that optimizer's searched hyperparameters (the others keep
    the rule's defaults)."""

    config_id: int
    optimizer: int
    values: dict[str, float]


@dataclass(frozen=True)
class ChunkPlan:
    """Chunk ``chunk_id``: configurations ``config_lo .. config_hi - 1`` of optimizer
    ``optimizer``, run in a program ``width`` configurations wide."""

    chunk_id: int
    optimizer: int
    config_lo: int
    config_hi: int
    width: int


def _unit(kind: str, n: int, d: int, seed: int, k: int) -> np.ndarray:
    rng = np.random.default_rng([seed, k])
    if kind == "random":
        return rng.random((n, d))
    from scipy.stats import qmc

    with warnings.catch_warnings():  # n need not be a power of 2 (balance is then approximate)
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(d, scramble=True, seed=rng).random(n)


def configurations(spec: Spec) -> list[Config]:
    """Every configuration of ``spec``, in order (see the module docstring)."""
    out: list[Config] = []
    for k, opt in enumerate(spec.optimizers):
        names = [a.name for a in opt.grid]
        if spec.search.kind == "grid":
            rows = itertools.product(*(a.grid().tolist() for a in opt.grid))
        else:
            u = _unit(spec.search.kind, spec.search.n, len(opt.grid), spec.search.seed, k)
            columns = [a.draw(u[:, j]).tolist() for j, a in enumerate(opt.grid)]
            rows = zip(*columns, strict=True)
        for row in rows:
            out.append(Config(len(out), k, dict(zip(names, map(float, row), strict=True))))
    return out


def chunk_width(spec: Spec) -> int:
    """Whole configurations per chunk: ``chunk_size // len(seeds)``, at least one."""
    return max(1, spec.chunk_size // len(spec.seeds))


def plan_chunks(spec: Spec, configs: list[Config]) -> list[ChunkPlan]:
    """The chunks of ``configs`` (see the module docstring), numbered from 0."""
    counts = collections.Counter(c.optimizer for c in configs)
    return plan_counts(spec, [counts[k] for k in range(len(spec.optimizers))])


def plan_counts(spec: Spec, counts: list[int]) -> list[ChunkPlan]:
    """The chunks of ``counts[k]`` configurations of each optimizer ``k`` (optimizer
    ``k``'s numbered after those of the optimizers before it), numbered from 0."""
    per = chunk_width(spec)
    plans: list[ChunkPlan] = []
    lo = 0
    for k, n in enumerate(counts):
        if not n:
            continue
        width = min(per, n)
        for start in range(lo, lo + n, width):
            plans.append(ChunkPlan(len(plans), k, start, min(start + width, lo + n), width))
        lo += n
    return plans
