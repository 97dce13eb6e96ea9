"""Many runs in one call: a grid of hyperparameters (and start points) as one vmapped
program, and a list of optimizers from one start."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from descend import _validation as check
from descend._validation import validate
from descend.engine._cores import split_over_cores
from descend.engine._minimize import (
    _check_finite_start,
    _is_surface,
    _surface_parts,
    check_runs_fit,
    minimize,
    minimize_options,
)
from descend.engine._reprs import read_on_the_host, readable, span, structure_repr
from descend.engine._result import Result
from descend.engine._stop import StopReason
from descend.optim._recipe import recipe_of, seed_parameters


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Sweep:
    """A grid sweep: ``grid[name][i]`` is the value of hyperparameter ``name`` in
    configuration ``i``; ``results`` is a batched :class:`Result` whose leading axis is the
    configuration (and whose second axis is the start point when several were given). A
    pytree, so a function that returns one can itself run under ``jax.jit`` or ``jax.vmap``
    (over start points, say); its arrays then gain the outer axes first."""

    grid: dict[str, np.ndarray]
    results: Result

    def __len__(self) -> int:
        return len(next(iter(self.grid.values())))

    def __repr__(self) -> str:
        """The grid's size and ranges, then the results' summary (never every array)."""
        if not readable(*self.grid.values()):
            return structure_repr(self)  # no numbers to read (traced, eval_shape, shapes)
        grid = ", ".join(f"{name} {span(values)}" for name, values in self.grid.items())
        n = len(self)
        return f"Sweep({n} configuration{'s' * (n != 1)}: {grid}; results={self.results!r})"

    def best(self) -> tuple[dict[str, float | int], Result]:
        """The configuration (and run) with the lowest final loss among runs that did not
        diverge. With several starts, a configuration's score is its median final loss.
        Raises ``ValueError`` when every run diverged (there is no best to return)."""
        read_on_the_host("Sweep.best()", self.results)
        loss = np.asarray(self.results.loss, dtype=float)
        ok = np.asarray(self.results.reason) != StopReason.DIVERGED
        score = np.where(ok & np.isfinite(loss), loss, np.inf)
        if score.ndim == 2:
            score = np.median(score, axis=1)
        if not np.isfinite(score).any():
            raise ValueError(
                f"every one of the {score.size} configurations diverged (or ended non-finite): "
                "there is no best; try smaller learning rates"
            )
        i = int(np.argmin(score))
        return {k: v[i].item() for k, v in self.grid.items()}, self.results[i]


def sweep(
    f: Any,
    x0: Any,
    rule: Callable[..., Any],
    *,
    starts: Any = None,
    fixed: Mapping[str, Any] | None = None,
    **options_and_grid: Any,
) -> Sweep:
    """Run ``rule`` over the full grid of the hyperparameter values given, in one program.

    ``sweep(f, x0, descend.adam, lr=[1e-3, 1e-2, 1e-1], b1=[0.8, 0.9])`` runs the 6
    combinations; ``starts`` (an array whose first axis lists start points) runs each
    configuration from each start (``x0`` may then be None). ``fixed`` holds other arguments
    of ``rule`` (``fixed={"form": "ema"}``). Keyword arguments that :func:`minimize` takes
    (``max_steps``, ``tol``, ...) go to it; the rest are the grid. The grid is checked with
    the rule's own validation before anything runs. A random seed is a hyperparameter like
    the others: ``sweep(f, None, descend.annealing, seed=range(16))`` runs 16 walks in one
    program (a parameter annotated ``Seed``, or named ``seed``, takes integers).

    On a CPU of several cores the configurations are cut into one part a core, run side by
    side (:func:`descend.engine._cores.split_over_cores`: the same runs, bit for bit); on
    the CPU, outside ``jax.jit``, the results' arrays are NumPy arrays.
    """
    check.in_order("sweep", f=f, x0=x0, rule=rule)
    check.rule(rule)
    passed_on = minimize_options()
    options = {k: v for k, v in options_and_grid.items() if k in passed_on}
    grid = {k: v for k, v in options_and_grid.items() if k not in passed_on}
    if not grid:
        raise ValueError("sweep needs at least one hyperparameter with a list of values")
    taken = _parameters(rule)
    if taken and all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in taken):
        # (a rule taking any name, or one whose signature cannot be read, says it itself)
        rule_name = getattr(rule, "__name__", "the rule")
        check.options("sweep", grid, passed_on, "minimize", [p.name for p in taken],
                      f"the hyperparameters of {rule_name} are")  # fmt: skip
    fixed = check.mapping("fixed", fixed)
    axes = {}
    for name, values in grid.items():
        try:
            axes[name] = np.atleast_1d(np.asarray(values, dtype=np.float64))
        except (TypeError, ValueError):
            raise TypeError(f"{name}: give a list of numbers; got {values!r}") from None
    for name, values in axes.items():
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"{name}: give a non-empty list of values; got shape {values.shape}")
    seed_names = _seed_parameters(rule)
    seeds = {name: _seeds(name, grid[name]) for name in axes if name in seed_names}
    axes.update(seeds)
    first_seeds = {name: int(values[0]) for name, values in seeds.items()}
    numbers = {k: v for k, v in axes.items() if k not in seeds}
    validate(lambda **kw: rule(**fixed, **first_seeds, **kw), **numbers)
    if starts is not None:
        starts = check.real_array("starts", starts)
        _check_finite_start(starts, "starts")
        if x0 is None and not _is_surface(f):
            x0 = starts[0]  # the starts give the shape
    f, x0 = _surface_parts(f, x0)
    runs = math.prod(v.size for v in axes.values()) * (1 if starts is None else len(starts))
    size = sum(math.prod(np.shape(a)) for a in jax.tree.leaves(x0))
    check_runs_fit(f"a sweep of {runs:,} runs", runs, size, options, "give fewer values")
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    flat = {k: m.ravel() for k, m in zip(axes, mesh, strict=True)}

    def one(values: dict[str, jax.Array], start: Any) -> Result:
        return minimize(f, start, rule(**fixed, **values), **options)

    if starts is None:
        results = split_over_cores(jax.vmap(lambda v: one(v, x0)), flat)
    else:
        results = split_over_cores(jax.vmap(lambda v: jax.vmap(lambda s: one(v, s))(starts)), flat)
    return Sweep(grid=flat, results=results)


def _parameters(rule: Callable[..., Any]) -> list[inspect.Parameter]:
    """The parameters of ``rule``; none when its signature cannot be read."""
    try:
        return list(inspect.signature(rule).parameters.values())
    except (TypeError, ValueError):
        return []


def _seed_parameters(rule: Callable[..., Any]) -> set[str]:
    """The parameters of ``rule`` that are random seeds: annotated :class:`Seed` (those of
    ``annealing`` and ``add_noise``), or named ``seed`` (a rule written as a lambda)."""
    parameters = _parameters(rule)
    if not parameters:  # no signature to read
        return set()
    return ({"seed"} & {p.name for p in parameters}) | set(seed_parameters(rule))


def _seeds(name: str, values: Any) -> np.ndarray:
    """A grid of seeds as int32 (seeds are data: one program runs them all), each checked."""
    return np.asarray([check.seed(name, v) for v in np.atleast_1d(values)], dtype=np.int32)


def _name(optimizer: Any, index: int) -> str:
    recipe = recipe_of(optimizer)
    return getattr(recipe.build, "__name__", f"optimizer{index}") if recipe else f"optimizer{index}"


def compare(
    f: Any,
    x0: Any,
    optimizers: Mapping[str, Any] | Sequence[Any],
    **options: Any,
) -> dict[str, Result]:
    """Run each optimizer from the same start; ``{name: Result}`` in the order given.

    ``optimizers`` is a mapping of names to transforms, or a list (named after the rule
    that built each one). Options go to :func:`minimize`."""
    several = "compare takes several optimizers, a list or a {name: optimizer} mapping; got"
    if hasattr(optimizers, "init"):
        raise TypeError(f"{several} one optimizer: give [it], or run descend.minimize")
    if isinstance(optimizers, (str, bytes)) or not isinstance(optimizers, (Mapping, Sequence)):
        raise TypeError(f"{several} {check.shown(optimizers)} ({type(optimizers).__name__})")
    if isinstance(optimizers, Mapping):
        items = list(optimizers.items())
    else:
        items, seen = [], set()
        for i, opt in enumerate(optimizers):
            name = _name(opt, i)
            name = name if name not in seen else f"{name}#{i}"
            seen.add(name)
            items.append((name, opt))
    if not items:
        raise ValueError("compare needs at least one optimizer; got none")
    check.options("compare", options, minimize_options(), "minimize")
    return {name: minimize(f, x0, opt, **options) for name, opt in items}
