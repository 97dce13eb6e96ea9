"""The numbers behind a study report's figures, and the figures drawn from them.

Every figure has a data function that returns exactly what it draws (testable without
reading a PNG), and a drawing function that takes that data and returns a
:class:`matplotlib.figure.Figure` made directly, never through pyplot (importing this module
leaves the user's backend as it was).

The rules, stated once:

- **A failed run** is one that diverged (``stop_reason == "diverged"``) or whose metric is not
  a finite number. Its **score** is its metric, except that a failed run scores the worst value
  there is (``+inf`` when lower is better, ``-inf`` when higher is better), so a configuration
  whose seeds mostly fail can never win on the median.
- **A cell** is one value of each searched hyperparameter of one optimizer. On a grid search
  the cells are the configurations; on any other search (random, Sobol, Optuna) each
  hyperparameter given as a range is cut into :data:`BINS` equal bins of that range on its
  scale (``log``: geometric bins) and a cell is one bin of each, its value the bin's centre
  (the geometric mean for a log range); a hyperparameter given as a list keeps its values.
- **A cell's value** is the median score over its runs (its seeds, and on a random search
  every configuration in the cell). **The best cell** has the best median (lowest for
  ``gap``/``loss``, highest for ``accuracy``/``r2``; ties to the smaller values).
- **A slice** through the best cell: a heatmap over two hyperparameters, or a curve over the
  learning rate, keeps every other hyperparameter at the best cell's value.
- **The stable region** of the learning rate: the values at which most runs of the slice
  (a strict majority of its seeds) neither diverged nor failed.
- **The theory's boundary**, drawn where it is exact: gradient descent (``lr < 2/L``), the
  heavy ball (``lr < 2(1 + beta)/L``, and its variants, see :mod:`descend.insight._stability`)
  on a surface whose Hessian is constant (a quadratic), ``L`` its largest eigenvalue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.engine import StopReason

BINS = 12
CONVERGED = tuple(r.name.lower() for r in StopReason if r.converged)
THEORY_RULES = ("gd", "momentum", "nesterov")
PLAIN = {
    "lr": "learning rate",
    "beta": "momentum coefficient",
    "dampening": "dampening",
    "b1": "first-moment decay",
    "b2": "second-moment decay",
    "eps": "epsilon",
    "eps_root": "epsilon inside the root",
    "decay": "squared-gradient decay",
    "momentum": "momentum coefficient",
    "weight_decay": "weight decay",
    "schedule": "step multiplier",
    "lr_decay": "learning-rate decay",
    "momentum_decay": "momentum decay",
    "initial_accumulator_value": "initial accumulator",
    "initial_scale": "initial scale",
}


def plain(name: str) -> str:
    """A hyperparameter in words with its name: ``learning rate (lr)``."""
    words = PLAIN.get(name, name.replace("_", " "))
    return words if words == name else f"{words} ({name})"


def fmt(value: float) -> str:
    """A number in at most 4 significant digits (``inf``, ``nan`` as words)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if math.isinf(value):
        return "all failed"
    return f"{value:.4g}"


# -- the runs of one optimizer ------------------------------------------------------------------


@dataclass
class OptimizerRuns:
    """One optimizer's runs with their scores and cells.

    ``runs`` holds the results' rows of this optimizer (the columns of
    :func:`descend.study._results.columns`) plus ``score`` and ``failed``, and one column
    ``cell:NAME`` per searched hyperparameter (its cell value); ``axes`` are the searched
    hyperparameters, ``varied`` those with two cells or more; ``best`` the best cell's values
    (empty while the optimizer has no runs); ``options`` the rule's structural options."""

    name: str
    rule: str
    axes: list[str]
    options: dict[str, Any]
    runs: Any
    varied: list[str] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)


def percentile(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile (linear interpolation), where two infinite neighbours of the
    same sign give that infinity (not NaN)."""
    with np.errstate(invalid="ignore"):
        out = float(np.percentile(values, q))
    return float(np.percentile(values, q, method="lower")) if math.isnan(out) else out


def failed_mask(frame: Any, metric: str) -> np.ndarray:
    """Whether each run failed: it diverged, or its metric is not finite."""
    values = frame[metric].to_numpy(dtype=float)
    return (frame["stop_reason"].to_numpy() == "diverged") | ~np.isfinite(values)


def scores(frame: Any, metric: str, goal: str) -> np.ndarray:
    """Each run's score: its metric, or the worst value (``+inf`` for ``goal="min"``,
    ``-inf`` for ``"max"``) when it failed."""
    worst = math.inf if goal == "min" else -math.inf
    return np.where(failed_mask(frame, metric), worst, frame[metric].to_numpy(dtype=float))


def _bin(values: np.ndarray, axis: Any) -> np.ndarray:
    """``values`` replaced by the centre of their bin: :data:`BINS` equal bins of the axis's
    range ``[low, high]`` on its scale (a list axis keeps its values)."""
    if axis.scale is None:
        return values.copy()
    log = axis.scale == "log"
    t = np.log(values) if log else values
    t_lo, t_hi = (math.log(axis.low), math.log(axis.high)) if log else (axis.low, axis.high)
    k = np.clip(np.floor((t - t_lo) / (t_hi - t_lo) * BINS), 0, BINS - 1)
    centre = t_lo + (k + 0.5) * (t_hi - t_lo) / BINS
    return np.exp(centre) if log else centre


def prepare(frame: Any, spec: Any, metric: str, goal: str) -> list[OptimizerRuns]:
    """Every optimizer of ``spec`` (in its order) with its runs from ``frame`` (the results'
    DataFrame), scored, put in cells, and its best cell found (see the module docstring)."""
    out = []
    grid = spec.search.kind == "grid"
    for o in spec.optimizers:
        axes = [a.name for a in o.grid]
        runs = frame[frame["optimizer"] == o.name].copy()
        runs["failed"] = failed_mask(runs, metric)
        runs["score"] = scores(runs, metric, goal)
        for axis in o.grid:
            values = runs[axis.name].to_numpy(dtype=float)
            runs[f"cell:{axis.name}"] = values if grid else _bin(values, axis)
        item = OptimizerRuns(o.name, o.rule, axes, dict(o.options), runs)
        item.varied = [a for a in axes if runs[f"cell:{a}"].nunique() > 1]
        item.best = best_cell(item, goal)
        out.append(item)
    return out


def cell_table(item: OptimizerRuns) -> Any:
    """Per cell: the median score, the share of failed runs and the number of runs (a
    DataFrame indexed by the cell columns; one row when nothing is searched)."""
    import pandas as pd

    keys = [f"cell:{a}" for a in item.axes]
    runs = item.runs
    if not keys:
        return pd.DataFrame(
            {
                "median": [runs["score"].median()],
                "failed": [runs["failed"].mean()],
                "n": [len(runs)],
            }
        )
    g = runs.groupby(keys, dropna=False, sort=True)
    return pd.DataFrame(
        {"median": g["score"].median(), "failed": g["failed"].mean(), "n": g.size()}
    )


def best_cell(item: OptimizerRuns, goal: str) -> dict[str, float]:
    """The best cell's hyperparameter values (median score, ties to the smaller values)."""
    if not len(item.runs) or not item.axes:
        return {}
    table = cell_table(item).reset_index()
    sign = 1.0 if goal == "min" else -1.0
    keys = [f"cell:{a}" for a in item.axes]
    table["key"] = sign * table["median"]
    row = table.sort_values(["key", *keys], kind="stable").iloc[0]
    return {a: float(row[f"cell:{a}"]) for a in item.axes}


def _slice(item: OptimizerRuns, free: tuple[str, ...]) -> Any:
    """The runs whose hyperparameters other than ``free`` sit at the best cell's values."""
    runs = item.runs
    keep = np.ones(len(runs), dtype=bool)
    for a in item.axes:
        if a not in free:
            keep &= runs[f"cell:{a}"].to_numpy(dtype=float) == item.best[a]
    return runs[keep]


def _fixed(item: OptimizerRuns, free: tuple[str, ...]) -> dict[str, float]:
    return {a: v for a, v in item.best.items() if a not in free and a in item.varied}


# -- heatmaps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heatmap:
    """The median score over ``x`` (columns) and ``y`` (rows): ``median[i, j]`` at
    ``y_values[i]``, ``x_values[j]`` (NaN: no runs there yet; ``+-inf``: most runs failed);
    ``failed[i, j]`` the share of failed runs; ``fixed`` the other hyperparameters (at the best
    cell's values)."""

    optimizer: str
    x: str
    y: str
    x_values: np.ndarray
    y_values: np.ndarray
    median: np.ndarray
    failed: np.ndarray
    fixed: dict[str, float]


def heatmap_data(item: OptimizerRuns, x: str, y: str) -> Heatmap:
    """The heatmap of ``item`` over ``x`` and ``y`` through its best cell."""
    runs = _slice(item, (x, y))
    xs = np.sort(item.runs[f"cell:{x}"].unique())
    ys = np.sort(item.runs[f"cell:{y}"].unique())
    median = np.full((len(ys), len(xs)), np.nan)
    failed = np.full((len(ys), len(xs)), np.nan)
    g = runs.groupby([f"cell:{y}", f"cell:{x}"])
    for (vy, vx), part in g:
        i, j = int(np.searchsorted(ys, vy)), int(np.searchsorted(xs, vx))
        median[i, j] = float(np.median(part["score"].to_numpy()))
        failed[i, j] = float(part["failed"].mean())
    return Heatmap(item.name, x, y, xs, ys, median, failed, _fixed(item, (x, y)))


def heatmap_pairs(item: OptimizerRuns) -> list[tuple[str, str]]:
    """The pairs ``(x, y)`` of varied hyperparameters, the learning rate on x when it is in."""
    v = item.varied
    pairs = [(v[i], v[j]) for i in range(len(v)) for j in range(i + 1, len(v))]
    return [(b, a) if b == "lr" else (a, b) for a, b in pairs]


def _norm(values: np.ndarray, goal: str) -> tuple[Any, np.ndarray, bool]:
    """A colour norm for ``values`` (log when lower is better, all are >= 0 and they span more
    than two decades; zeros clipped to a tenth of the smallest positive value)."""
    from matplotlib.colors import LogNorm, Normalize

    finite = values[np.isfinite(values)]
    if not finite.size:
        return Normalize(0, 1), values, False
    pos = finite[finite > 0]
    if goal == "min" and finite.min() >= 0 and pos.size and pos.max() / pos.min() > 100:
        floor = pos.min() / 10 if (finite <= 0).any() else pos.min()
        clipped = np.where(np.isfinite(values), np.maximum(values, floor), values)
        return LogNorm(floor, pos.max()), clipped, True
    lo, hi = float(finite.min()), float(finite.max())
    return Normalize(lo, hi if hi > lo else lo + 1), values, False


def _cell_ticks(ax: Any, which: str, values: np.ndarray) -> None:
    """Ticks at the cells' centres, labelled with at most 8 of their values."""
    every = max(1, math.ceil(len(values) / 8))
    labels = [f"{v:.3g}" if k % every == 0 else "" for k, v in enumerate(values)]
    where = np.arange(len(values)) + 0.5
    if which == "x":
        ax.set_xticks(where, labels, rotation=45, ha="right")
    else:
        ax.set_yticks(where, labels)


def draw_heatmaps(maps: list[Heatmap], metric_label: str, goal: str) -> Any:
    """One optimizer's heatmaps, one panel per pair; grey cells: most runs failed; white
    cells: no runs yet."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    n = len(maps)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(5.0 * cols, 4.0 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    everything = np.concatenate([m.median.ravel() for m in maps])
    norm, _, log = _norm(everything, goal)
    for ax, m in zip(axes, maps, strict=False):
        values = m.median
        if log:
            values = np.where(np.isfinite(values), np.maximum(values, norm.vmin), values)
        mesh = ax.pcolormesh(
            np.ma.masked_invalid(values),
            norm=norm,
            cmap="viridis_r" if goal == "min" else "viridis",
        )
        bad = np.ma.masked_where(~np.isinf(m.median), np.ones_like(m.median))
        ax.pcolormesh(bad, cmap=ListedColormap(["#9a9a9a"]), vmin=0, vmax=1)
        _cell_ticks(ax, "x", m.x_values)
        _cell_ticks(ax, "y", m.y_values)
        ax.set_xlabel(plain(m.x))
        ax.set_ylabel(plain(m.y))
        rest = ", ".join(f"{a} = {v:.3g}" for a, v in m.fixed.items())
        ax.set_title(f"{m.optimizer}" + (f" ({rest})" if rest else ""), fontsize=9)
    for ax in axes[n:]:
        ax.set_visible(False)
    cb = fig.colorbar(mesh, ax=list(axes[:n]), shrink=0.9)
    cb.set_label(f"median {metric_label}" + (", log scale" if log else ""), fontsize=8)
    return fig


# -- the metric against the learning rate ---------------------------------------------------------


@dataclass(frozen=True)
class LrCurve:
    """The metric against the learning rate through the best cell: per value ``lr[k]``, the
    median score, the 25th and 75th percentiles over the runs, the share of runs that
    neither diverged nor failed (``ok_share``), ``stable`` (``ok_share > 1/2``), and the
    stable region as intervals ``[(low, high), ...]`` of consecutive stable values.
    ``boundary`` is the theory's largest stable learning rate (None where it is not exact or
    not known), ``boundary_text`` its formula; ``fixed`` the other hyperparameters."""

    optimizer: str
    lr: np.ndarray
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray
    ok_share: np.ndarray
    stable: np.ndarray
    intervals: list[tuple[float, float]]
    boundary: float | None
    boundary_text: str | None
    fixed: dict[str, float]


def exact_curvature(problem: Any) -> float | None:
    """``L``, the largest Hessian eigenvalue, when the problem is a surface whose Hessian is
    constant (a quadratic); None otherwise (data, no known minimum, or a curved Hessian)."""
    if problem.kind == "data" or problem.surface is None:
        return None
    from descend.insight._stability import _curvature

    centre = np.asarray([(lo + hi) / 2 for lo, hi in problem.domain], dtype=np.float64)
    found = _curvature(problem.surface.f, problem.surface, centre)
    if found is None or not found[2]:
        return None
    return float(found[0])


def theory_boundary(item: OptimizerRuns, big: float | None) -> tuple[float, str] | None:
    """The theory's largest stable lr of ``item``'s rule at its best cell on a quadratic of
    largest curvature ``big``, and the formula; None where no exact theory applies."""
    if big is None or item.rule not in THEORY_RULES:
        return None
    from descend.insight._stability import _lr_limit

    values: dict[str, Any] = dict(item.options)
    values.update({a: v for a, v in item.best.items() if a != "lr"})
    limit = _lr_limit(item.rule, values, big)
    if limit is None:
        return None
    return float(np.asarray(limit[0])), f"{limit[1]}, L = {big:.4g}"


def lr_data(item: OptimizerRuns, big: float | None = None) -> LrCurve:
    """The learning-rate curve of ``item`` (it must search ``lr``) through its best cell;
    ``big`` the exact largest curvature of a quadratic problem (see :func:`exact_curvature`)."""
    runs = _slice(item, ("lr",))
    lr = np.sort(runs["cell:lr"].unique())
    median, q25, q75, ok = (np.full(len(lr), np.nan) for _ in range(4))
    for k, (_, part) in enumerate(runs.groupby("cell:lr", sort=True)):
        s = part["score"].to_numpy()
        median[k] = float(np.median(s))
        q25[k], q75[k] = percentile(s, 25), percentile(s, 75)
        ok[k] = 1.0 - float(part["failed"].mean())
    stable = ok > 0.5
    intervals, start = [], None
    for k, s in enumerate(stable):
        if s and start is None:
            start = k
        if start is not None and (not s or k == len(lr) - 1):
            end = k if s else k - 1
            intervals.append((float(lr[start]), float(lr[end])))
            start = None
    theory = theory_boundary(item, big)
    return LrCurve(
        item.name,
        lr,
        median,
        q25,
        q75,
        ok,
        stable,
        intervals,
        None if theory is None else theory[0],
        None if theory is None else theory[1],
        _fixed(item, ("lr",)),
    )


def draw_lr(curve: LrCurve, metric_label: str, goal: str, log_lr: bool = True) -> Any:
    """The median metric (line) and the middle half of the runs (band) against the learning
    rate; the stable region shaded green, unstable values marked with a red cross at the top,
    the theory's boundary as a dashed line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    finite = np.isfinite(curve.median)
    _, med, log = _norm(curve.median, goal)
    lo_band = np.where(np.isfinite(curve.q25), curve.q25, np.nan)
    hi_band = np.where(np.isfinite(curve.q75), curve.q75, np.nan)
    if log:
        floor = float(np.nanmin(med[finite])) if finite.any() else 1e-12
        lo_band = np.maximum(lo_band, floor)
        hi_band = np.maximum(hi_band, floor)
        ax.set_yscale("log")
    for k, (lo, hi) in enumerate(curve.intervals):
        pad = _pad(curve.lr, lo, hi, log_lr)
        label = "stable: most seeds neither diverged nor failed" if k == 0 else None
        ax.axvspan(*pad, color="#2da44e", alpha=0.15, lw=0, label=label)
    ax.fill_between(
        curve.lr,
        lo_band,
        hi_band,
        color="C0",
        alpha=0.25,
        lw=0,
        label="25th to 75th percentile of seeds",
    )
    ax.plot(curve.lr[finite], med[finite], "o-", color="C0", ms=3, label=f"median {metric_label}")
    bad = ~curve.stable
    if bad.any():
        ax.plot(
            curve.lr[bad],
            np.full(bad.sum(), 1.0),
            "x",
            color="#cf222e",
            transform=ax.get_xaxis_transform(),
            clip_on=False,
            ms=7,
            label="unstable: most seeds diverged or failed",
        )
    if curve.boundary is not None:
        ax.axvline(curve.boundary, color="k", ls="--", lw=1, label=f"theory: {curve.boundary_text}")
    if log_lr:
        ax.set_xscale("log")
    ax.set_xlabel(plain("lr"))
    ax.set_ylabel(f"{metric_label} over seeds")
    rest = ", ".join(f"{a} = {v:.3g}" for a, v in curve.fixed.items())
    ax.set_title(curve.optimizer + (f" ({rest})" if rest else ""), fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return fig


def _pad(lr: np.ndarray, lo: float, hi: float, log: bool) -> tuple[float, float]:
    """An interval of grid values widened halfway to the neighbouring values (in log space
    for a log axis), so that a single stable value still shows as a band."""
    i, j = int(np.searchsorted(lr, lo)), int(np.searchsorted(lr, hi))
    t = np.log(lr) if log and lr.min() > 0 else lr.astype(float)
    left = t[i] - (t[i] - t[i - 1]) / 2 if i > 0 else t[i]
    right = t[j] + (t[j + 1] - t[j]) / 2 if j + 1 < len(t) else t[j]
    if left == right:
        left, right = left - 0.05 * abs(left or 1), right + 0.05 * abs(right or 1)
    return (math.exp(left), math.exp(right)) if log and lr.min() > 0 else (left, right)


# -- each optimizer at its best -------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Each optimizer at its best configuration: its metric per seed (``values``, in the
    order of the seeds) and which seeds failed, in ranking order."""

    optimizers: list[str]
    values: list[np.ndarray]
    failed: list[np.ndarray]
    seeds: list[np.ndarray]


def spread_data(best: list[tuple[str, Any]], metric: str) -> Spread:
    """``best``: ``(optimizer, runs of its best configuration)`` pairs, ranked."""
    names, values, failed, seeds = [], [], [], []
    for name, runs in best:
        part = runs.sort_values("seed")
        names.append(name)
        values.append(part[metric].to_numpy(dtype=float))
        failed.append(failed_mask(part, metric))
        seeds.append(part["seed"].to_numpy())
    return Spread(names, values, failed, seeds)


def draw_spread(spread: Spread, metric_label: str, goal: str) -> Any:
    """A box plot of the metric over seeds per optimizer (at its best configuration): the box
    from the 25th to the 75th percentile, the median line, whiskers to the best and the worst
    seed, every seed as a dot; failed seeds as red crosses at the top edge."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(max(4.8, 1.3 * len(spread.optimizers) + 2.5), 4.0), layout="constrained")
    ax = fig.subplots()
    ok = [v[~f & np.isfinite(v)] for v, f in zip(spread.values, spread.failed, strict=True)]
    everything = np.concatenate(ok) if ok else np.array([])
    _, _, log = _norm(everything, goal)
    floor = everything[everything > 0].min() if log else None
    shown = [np.maximum(v, floor) if log else v for v in ok]
    positions = np.arange(1, len(shown) + 1)
    for p, v in zip(positions, shown, strict=True):  # boxes drawn by hand: Axes.boxplot
        if v.size:  # reads every rcParam, which resolves (imports pyplot for) the backend
            q25, q50, q75 = (percentile(v, q) for q in (25, 50, 75))
            ax.add_patch(Rectangle((p - 0.25, q25), 0.5, q75 - q25, fill=False, lw=1))
            ax.hlines(q50, p - 0.25, p + 0.25, color="#d1242f", lw=1.5)
            ax.vlines(p, v.min(), q25, color="k", lw=1)
            ax.vlines(p, q75, v.max(), color="k", lw=1)
    rng = np.random.default_rng(0)
    for p, s in zip(positions, shown, strict=True):
        ax.plot(p + rng.uniform(-0.12, 0.12, s.size), s, "o", color="C0", ms=3, alpha=0.7)
    for p, f in zip(positions, spread.failed, strict=True):
        if f.any():
            ax.plot(
                np.full(int(f.sum()), p),
                np.full(int(f.sum()), 1.0),
                "x",
                color="#cf222e",
                transform=ax.get_xaxis_transform(),
                clip_on=False,
                ms=7,
            )
    if log:
        ax.set_yscale("log")
    ax.set_xticks(positions, spread.optimizers)
    ax.set_xlim(0.4, len(positions) + 0.6)
    ax.set_ylabel(metric_label + (", log scale" if log else ""))
    ax.set_title(
        "each optimizer at its best configuration, one dot per seed (red crosses: failed)",
        fontsize=9,
    )
    return fig
