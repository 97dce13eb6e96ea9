"""A fair race: every optimizer tuned on the same budget before it races.

A race between optimizers at their default settings mostly measures the defaults. Here each
rule is first tuned, then raced on starts it was not tuned on:

1. **Starts.** ``2 * starts`` points are drawn uniformly in the surface's domain
   (``draw_starts`` of :mod:`descend.engine._restarts`, with ``seed``): the first
   ``starts`` are the *tuning* starts, the other ``starts`` the *race* starts, the same for
   every rule. No rule is ranked on the starts it was tuned on.
2. **Tuning.** Each rule runs a grid of configurations from every start, as one vmapped
   program per rule (:func:`descend.sweep`); only the runs from the tuning starts choose the
   configuration. The learning rate takes ``grid``
   values spread evenly in ``log lr`` over the registry's typical span, widened to reach the
   surface's own measured range: ``[min(1e-5, lr_low), max(1, 2 lr_high)]`` with
   ``(lr_low, lr_high) = surface.lr_range`` (so the best rate of gradient descent on a
   quadratic, ``2/(L + mu)``, is inside it). With ``tune="all"`` the rule's second
   hyperparameter (``beta``, ``b1`` or ``decay``: the first of these it has) also takes
   ``second_grid`` values, spread evenly in ``log(1 - h)`` over its typical span (a decay
   matters near 1); the other hyperparameters keep the rule's defaults (or the values given
   with the rule). A configuration's score is its metric's median over the tuning starts;
   the lowest score wins, ties going to the lower secondary metric, then to the earlier
   configuration (smaller values first).
3. **Race.** The chosen configuration's runs from the race starts (the same runs a separate
   :func:`descend.minimize` from each gives) are the race. The rules are ranked by the same
   metric, ties broken by the secondary metric, then by the order given.

The **budget** is the same for every rule: ``budget`` steps, each of which evaluates the
gradient once (``budget + 1`` evaluations with the one at the start). Every rule of the
registry takes exactly one gradient per step; the engine's strategies that take more
(look-ahead Nesterov evaluates the gradient at the look-ahead point too) or that are not
update rules (annealing) are refused rather than given a hidden extra budget.

The **metrics**, per run, both always reported:

- ``"steps"``: steps to tolerance, the step at which ``||grad f|| <= tol`` (or the float
  precision floor, see :func:`descend.minimize`); a run that does not get there within the
  budget (or diverges) counts as ``budget + 1``, below every run that did. The secondary
  metric is the final loss.
- ``"loss"``: the final loss above the minimum, ``f(x_end) - f*``, where ``x_end`` is the
  point at the budget or where the run reached tolerance (``tol=0`` runs every run to the
  budget); a diverged run counts as ``+inf``. The secondary metric is the steps.

Medians over starts are NumPy's ``median``. Everything is deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine._reprs import fields_repr
from descend.engine._restarts import draw_starts
from descend.engine._stop import StopReason
from descend.engine._sweep import sweep
from descend.optim import registry

METRICS = ("steps", "loss")
TUNES = ("lr", "all")
SECOND = ("beta", "b1", "decay")  # the second hyperparameter tune="all" tunes, if the rule has one
#: Strategies of the engine that a face may offer beside the registry, and why they are refused.
REFUSED = {
    "lookahead-nesterov": "it evaluates the gradient twice per step (at the look-ahead point "
    "and at the new point), so the same step budget would give it twice the gradients",
    "lookaheadnesterov": "it evaluates the gradient twice per step",
    "annealing": "it is a random search over gradient steps, not an update rule with a "
    "learning rate to tune on a grid",
}
MAX_BUDGET = 100_000
MAX_STARTS = 1024
MAX_GRID = 1024
MAX_RUNS = 1_000_000  # runs in one rule's tuning program (configurations x starts)


@dataclass(frozen=True)
class FairEntry:
    """One tuned optimizer: its rank, its tuned hyperparameters and its results from each
    race start.

    ``hyperparameters``: every numeric hyperparameter of the rule as raced (the tuned ones,
    those given with the rule, the rule's defaults for the rest); ``tuned``: the names that
    were tuned; ``at_edge``: those whose tuned value is an end of its grid (the best value
    may lie beyond). Per race start: ``steps`` to tolerance (``budget + 1`` where it was not
    reached), ``final_loss`` above the minimum (``f(x_end) - f*``; ``f(x_end)`` when the
    surface has no known minimum), ``converged``. ``tuning_grid[name][i]`` and
    ``tuning_score[i]`` are configuration ``i`` of the tuning and its median metric on the
    tuning starts; ``results`` is the race's batched Result (one run per race start; its
    history holds the first and the last step only).
    """

    rank: int
    name: str
    hyperparameters: dict
    steps: Any
    final_loss: Any
    converged: Any
    median_steps: float
    median_final_loss: float
    converged_share: float
    tuned: tuple = ()
    at_edge: tuple = ()
    tuning_grid: dict = field(default_factory=dict)
    tuning_score: Any = None
    results: Any = None

    def __repr__(self) -> str:
        return fields_repr(self)


@dataclass(frozen=True)
class FairRace:
    """The ranking (best first) and how it was made: the metric, the budget, the starts."""

    entries: list
    metric: str
    budget: int
    tuning_starts: Any
    race_starts: Any
    tol: float = 1e-6
    tune: str = "lr"
    seed: int = 0
    surface: str = ""
    lr_span: tuple = ()

    def __repr__(self) -> str:
        """The metric, the budget and the ranking with each rule's tuned rate and score."""

        def score(e: FairEntry) -> str:
            if self.metric == "steps":
                return f"median steps {e.median_steps:g}"
            return f"median final loss {e.median_final_loss:.3g}"

        ranking = ", ".join(
            f"{e.rank}. {e.name} (lr={e.hyperparameters['lr']:.3g}, {score(e)})"
            for e in self.entries
        )
        return (
            f"FairRace({self.surface}, metric {self.metric}, budget {self.budget} steps, "
            f"{len(self.race_starts)} race starts: {ranking})"
        )


def _rule(item: Any) -> tuple[Any, dict[str, float]]:
    """A registry entry and the hyperparameters given with it: ``"adam"`` or
    ``("momentum", {"beta": 0.5})``."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], Mapping):
        name, fixed = item
    else:
        name, fixed = item, {}
    if not isinstance(name, str):
        if callable(name):  # a constructor: descend.adam
            return registry.get(name), dict(fixed)
        raise TypeError(
            f"rules: each rule must be a name from descend.optim.registry.names() (or its "
            f"constructor, descend.adam) or a (name, {{hyperparameter: value}}) pair; got "
            f"{item!r}"
        )
    key = name.strip().lower().replace("_", "-")
    if key in REFUSED:
        raise ValueError(
            f"rules: fair_race races the registry's update rules, each one gradient per "
            f"step; {name!r} is refused: {REFUSED[key]}"
        )
    return registry.get(name), dict(fixed)


def _rules(rules: Any, tune: str) -> list[tuple[Any, dict[str, float], list[str]]]:
    if isinstance(rules, str) or (
        isinstance(rules, tuple) and len(rules) == 2 and isinstance(rules[1], Mapping)
    ):
        rules = [rules]
    if not isinstance(rules, Sequence) or not rules:
        raise TypeError(f"rules must be a non-empty list of optimizer names; got {rules!r}")
    out, seen = [], set()
    for item in rules:
        entry, fixed = _rule(item)
        if entry.name in seen:
            raise ValueError(f"rules: {entry.name} is listed twice; give each rule once")
        seen.add(entry.name)
        second = [n for n in SECOND if n in entry.hyperparameter_names()][:1]
        tuned = ["lr", *second] if tune == "all" else ["lr"]
        clash = sorted(set(fixed) & set(tuned))
        if clash:
            raise ValueError(
                f"rules: {entry.name}: {', '.join(clash)} is tuned by fair_race (tune="
                f"{tune!r}); leave it out of the values given with the rule"
            )
        fixed = {k: check.number(f"{entry.name} {k}", v, schedule=False) for k, v in fixed.items()}
        entry.build(**fixed)  # unknown names: TypeError; values out of range: ValueError
        out.append((entry, fixed, tuned))
    return out


def lr_span(surface: Any) -> tuple[float, float]:
    """The tuning span of the learning rate: the registry's typical span, widened to reach
    ``surface.lr_range`` (low end) and twice its high end (see the module docstring)."""
    low, high = registry.get("gd").hyperparameter("lr").typical
    return min(low, surface.lr_range[0]), max(high, 2.0 * surface.lr_range[1])


def second_values(entry: Any, name: str, n: int) -> np.ndarray:
    """``n`` values of the decay ``name``, evenly spaced in ``log(1 - h)`` over the
    registry's typical span."""
    lo, hi = entry.hyperparameter(name).typical
    return 1.0 - np.geomspace(1.0 - lo, 1.0 - hi, n)


def run_metrics(results: Any, budget: int, min_value: float | None) -> dict[str, np.ndarray]:
    """Per run: steps to tolerance (``budget + 1`` when not reached), whether it converged,
    and the final loss above the minimum; ``score_loss`` is that loss with non-finite values
    as ``+inf`` (for medians and ranking)."""
    reason = np.asarray(results.reason)
    reached = np.isin(reason, [StopReason.GRADIENT_TOL, StopReason.PRECISION])
    steps = np.where(reached, np.asarray(results.steps), budget + 1)
    loss = np.asarray(results.loss, dtype=float) - (0.0 if min_value is None else min_value)
    ok = np.isfinite(loss) & (reason != StopReason.DIVERGED)
    return {
        "steps": steps,
        "converged": reached,
        "final_loss": loss,
        "score_loss": np.where(ok, loss, np.inf),
    }


def _scores(m: dict[str, np.ndarray], metric: str, axis: int = -1) -> tuple[np.ndarray, ...]:
    """(primary, secondary) medians over starts for the metric."""
    steps = np.median(m["steps"], axis=axis)
    loss = np.median(m["score_loss"], axis=axis)
    return (steps, loss) if metric == "steps" else (loss, steps)


def _tune_and_race(
    surface: Any, entry: Any, fixed: dict, tuned: list[str], starts: jax.Array, settings: dict
) -> tuple[dict[str, float], dict, np.ndarray, tuple, Any]:
    """Tune one rule and race its best configuration, in one vmapped program: every
    configuration runs from the tuning starts and the race starts (``starts``, tuning first);
    only the tuning starts' runs choose the configuration, whose race starts' runs are the
    race. Returns the best values, the grid, its scores on the tuning starts, the tuned
    names at an end of their grid, and the race's batched Result."""
    lo, hi = settings["lr_span"]
    axes = {"lr": np.geomspace(lo, hi, settings["grid"])}
    for name in tuned[1:]:
        axes[name] = second_values(entry, name, settings["second_grid"])
    budget, n = settings["budget"], settings["starts"]
    sw = sweep(surface, None, entry.constructor, starts=starts, fixed=fixed, max_steps=budget,
               tol=settings["tol"], record_every=budget, record_path=False, **axes)  # fmt: skip
    tuning = jax.tree.map(lambda a: a[:, :n], sw.results)
    m = run_metrics(tuning, budget, surface.min_value)
    primary, secondary = _scores(m, settings["metric"])
    order = np.lexsort((np.arange(len(primary)), secondary, primary))
    best = int(order[0])
    values = {k: float(v[best]) for k, v in sw.grid.items()}
    edge = tuple(k for k in tuned if values[k] in (axes[k][0], axes[k][-1]))
    race = jax.tree.map(lambda a: a[best, n:], sw.results)
    return values, sw.grid, primary, edge, race


def fair_race(
    surface: Any,
    rules: Any = ("gd", "momentum", "adam"),
    *,
    budget: int = 1000,
    starts: int = 8,
    grid: int = 32,
    tune: str = "lr",
    metric: str = "steps",
    tol: float = 1e-6,
    seed: int = 0,
    second_grid: int = 6,
    lr_range: Sequence[float] | None = None,
) -> FairRace:
    """Tune each rule on the same budget, then race the tuned rules from the same starts.

    Args:
        surface: a surface from :mod:`descend.surfaces` (its domain gives the starts).
        rules: names from ``descend.optim.registry.names()``, each optionally as a
            ``(name, {hyperparameter: value})`` pair that fixes untuned hyperparameters.
        budget: steps per run, each one gradient evaluation, the same for every rule.
        starts: tuning starts, and as many separate race starts.
        grid: learning rates tried, spread evenly in ``log lr``.
        tune: ``"lr"`` (the learning rate only) or ``"all"`` (also ``beta``, ``b1`` or
            ``decay``, on ``second_grid`` values).
        metric: ``"steps"`` (median steps to tolerance) or ``"loss"`` (median final loss
            above the minimum); see the module docstring.
        tol: the gradient-norm tolerance that ends a run.
        seed: the seed of the starts.
        second_grid: values of the second hyperparameter with ``tune="all"``.
        lr_range: ``(low, high)``, the span of learning rates to try instead of the default.

    Returns:
        A :class:`FairRace` whose ``entries`` are ranked, best first.
    """
    if not all(hasattr(surface, a) for a in ("f", "dim", "domain", "lr_range", "min_value")):
        raise TypeError(
            f"surface must be a Surface (descend.surfaces.get(name)); got {type(surface).__name__}"
        )
    check.untraced("fair_race", rules, tol, anywhere=True)
    tune = check.choice("tune", tune, TUNES)
    metric = check.choice("metric", metric, METRICS)
    budget = check.integer("budget", budget, 1, MAX_BUDGET)
    starts = check.integer("starts", starts, 1, MAX_STARTS)
    grid = check.integer("grid", grid, 2, MAX_GRID)
    second_grid = check.integer("second_grid", second_grid, 2, 64)
    tol = check.real("tol", tol, 0.0)
    seed = check.nonnegative_int("seed", seed)
    if metric == "loss" and surface.min_value is None:
        raise ValueError(f"metric 'loss' needs a surface with a known minimum; {surface.name} "
                         "is unbounded below (use metric='steps')")  # fmt: skip
    if lr_range is None:
        span = lr_span(surface)
    else:
        if isinstance(lr_range, str) or not isinstance(lr_range, Sequence) or len(lr_range) != 2:
            raise TypeError(f"lr_range must be a (low, high) pair; got {lr_range!r}")
        low = check.real("lr_range low", lr_range[0], 0.0, open_low=True)
        high = check.real("lr_range high", lr_range[1], low, open_low=True)
        span = (low, high)
    plan = _rules(rules, tune)
    configs = grid * (second_grid if tune == "all" else 1)
    if configs * starts > MAX_RUNS:
        raise ValueError(
            f"grid x starts: {configs} configurations x {starts} starts = {configs * starts} "
            f"runs per rule, more than {MAX_RUNS}; use fewer"
        )

    drawn = draw_starts(2 * starts, surface.domain, seed)
    tuning_starts, race_starts = drawn[:starts], drawn[starts:]
    dtype = jnp.result_type(float)
    both = jnp.asarray(drawn, dtype)  # the tuning starts, then the race starts
    settings = {"lr_span": span, "grid": grid, "second_grid": second_grid, "budget": budget,
                "tol": tol, "metric": metric, "starts": starts}  # fmt: skip

    rows = []
    for order, (entry, fixed, tuned) in enumerate(plan):
        values, tuning_grid, score, edge, results = _tune_and_race(
            surface, entry, fixed, tuned, both, settings
        )
        hyper = {**entry.defaults(), **fixed, **values}
        m = run_metrics(results, budget, surface.min_value)
        primary, secondary = _scores(m, metric)
        rows.append((float(primary), float(secondary), order, entry, hyper, tuned, edge,
                     tuning_grid, score, m, results))  # fmt: skip

    rows.sort(key=lambda r: r[:3])
    entries = []
    for rank, (_, _, _, entry, hyper, tuned, edge, tgrid, score, m, results) in enumerate(rows, 1):
        entries.append(
            FairEntry(
                rank=rank,
                name=entry.name,
                hyperparameters=hyper,
                steps=m["steps"],
                final_loss=m["final_loss"],
                converged=m["converged"],
                median_steps=float(np.median(m["steps"])),
                median_final_loss=float(np.median(m["score_loss"])),
                converged_share=float(np.mean(m["converged"])),
                tuned=tuple(tuned),
                at_edge=edge,
                tuning_grid=tgrid,
                tuning_score=score,
                results=results,
            )
        )
    return FairRace(
        entries=entries,
        metric=metric,
        budget=budget,
        tuning_starts=tuning_starts,
        race_starts=race_starts,
        tol=tol,
        tune=tune,
        seed=seed,
        surface=surface.name,
        lr_span=span,
    )
