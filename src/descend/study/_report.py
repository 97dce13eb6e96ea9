"""``descend study report DIR``: one self-contained HTML page of a study (figures embedded as
base64 PNGs, nothing outside the file), written atomically (beside its name, then moved into
place).

The page holds the study's facts (name, spec hash, problem, budget, runs and chunks done: a
partial study says so at the top and is reported from the runs done so far), the fair
comparison table, and the figures of :mod:`descend.study._report_figures` (whose module
docstring states the rules: failed runs, scores, cells, slices, the stable region).

The fair comparison: every optimizer ran on the same problem, the same seeds and the same
budget (the spec's steps, or epochs on data). Each is taken at its tuned best: the
configuration whose median score over the seeds is best (a failed seed scores the worst
value; ties to the configuration that comes first in the study). The optimizers are ranked by
that median, then by the share of failed seeds (fewer first), then by the share converged
(more first).

::

    from descend.study._report import write_report
    write_report("runs/avm")                  # runs/avm/report.html
    build_report(Study.load("runs/avm"))      # the numbers, without drawing anything
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from descend._files import written_whole
from descend.insight.plots._common import figure_uri
from descend.study import _report_figures as figs
from descend.study._store import Store

FILE = "report.html"
#: the metric in words and its unit, for headers and axes
METRIC_WORDS = {
    "gap": ("gap to the known minimum", "loss units"),
    "loss": ("final loss", "loss units"),
    "accuracy": ("training accuracy", "fraction of samples correct"),
    "r2": ("training R squared", "fraction of variance explained"),
}
SHORT = {"gap": "gap to the minimum", "loss": "final loss", "accuracy": "accuracy", "r2": "R²"}
STYLE = (
    "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.45;padding:0 1em}"
    "section{border-top:1px solid #ccc;padding:1em 0}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}img{max-width:100%}figure{margin:1em 0}"
    "figcaption{font-size:90%;color:#444}"
    ".partial{background:#fff8c5;border:1px solid #d4a72c;padding:.6em 1em;font-weight:bold}"
    ".complete{color:#1a7f37}"
)


@dataclass
class Report:
    """Everything a report shows, as numbers (nothing drawn yet).

    ``facts``: ``(label, value)`` pairs; ``complete``: whether every chunk is done;
    ``chunks``/``runs``: ``(done, total)``; ``table``: the fair comparison, one dict per
    optimizer in rank order (see :func:`fair_table`); ``heatmaps``: per optimizer, its
    :class:`~descend.study._report_figures.Heatmap` panels; ``lr_curves``: per optimizer
    that searches the learning rate, its
    :class:`~descend.study._report_figures.LrCurve`; ``spread``: each ranked optimizer at its
    best; ``metric``, ``goal``: the problem's metric and which way is better."""

    name: str
    metric: str
    goal: str
    complete: bool
    chunks: tuple[int, int]
    runs: tuple[int, int]
    facts: list[tuple[str, str]]
    table: list[dict[str, Any]]
    heatmaps: dict[str, list[figs.Heatmap]] = field(default_factory=dict)
    lr_curves: dict[str, figs.LrCurve] = field(default_factory=dict)
    spread: figs.Spread | None = None
    search: str = "grid"

    @property
    def n_figures(self) -> int:
        """The PNG images the page embeds: one per optimizer with heatmaps, one per learning
        rate curve, and one for the spread (when any optimizer has runs)."""
        spread = 1 if self.spread is not None and self.spread.optimizers else 0
        return len(self.heatmaps) + len(self.lr_curves) + spread


# -- the numbers --------------------------------------------------------------------------------


def fair_table(items: list[figs.OptimizerRuns], metric: str, goal: str) -> list[dict[str, Any]]:
    """The fair comparison: per optimizer its best configuration (by median score over the
    seeds; ties to the smaller ``config_id``) with ``config_id``, ``hyper`` (its searched
    values), ``median``, ``q25``/``q75`` (percentiles of the score over the seeds),
    ``converged``/``failed`` (shares of its seeds), ``steps`` (median steps taken),
    ``seeds``, ``configs`` (configurations run) and ``rank`` (1 is best; None with no runs).
    Rows in rank order, optimizers without runs last."""
    sign = 1.0 if goal == "min" else -1.0
    rows = []
    for order, item in enumerate(items):
        runs = item.runs
        if not len(runs):
            rows.append(
                {
                    "optimizer": item.name,
                    "rule": item.rule,
                    "rank": None,
                    "configs": 0,
                    "order": order,
                }
            )
            continue
        med = runs.groupby("config_id")["score"].median()
        ids, values = med.index.to_numpy(), med.to_numpy()
        key = ids[np.lexsort((ids, sign * values))[0]]
        best = runs[runs["config_id"] == key]
        s = best["score"].to_numpy()
        rows.append(
            {
                "optimizer": item.name,
                "rule": item.rule,
                "config_id": int(key),
                "hyper": {a: float(best[a].iloc[0]) for a in item.axes},
                "median": float(np.median(s)),
                "q25": figs.percentile(s, 25),
                "q75": figs.percentile(s, 75),
                "converged": float(best["stop_reason"].isin(figs.CONVERGED).mean()),
                "failed": float(best["failed"].mean()),
                "steps": float(best["steps"].median()),
                "seeds": len(best),
                "configs": int(runs["config_id"].nunique()),
                "order": order,
                "runs": best,
            }
        )
    ran = [r for r in rows if "median" in r]
    ran.sort(key=lambda r: (sign * r["median"], r["failed"], -r["converged"], r["order"]))
    for k, r in enumerate(ran, 1):
        r["rank"] = k
    return ran + [r for r in rows if "median" not in r]


def _problem_text(problem: dict[str, Any]) -> str:
    kind = problem["kind"]
    if kind == "surface":
        params = ", ".join(f"{k} = {v}" for k, v in problem["params"].items())
        return f"surface {problem['surface']}" + (f" ({params})" if params else "")
    if kind == "expression":
        return f"expression {problem['expression']}"
    model = problem["model"] + (f" {problem['hidden']}" if problem.get("hidden") else "")
    return f"data set {problem['data']}, {model} model, {problem['loss']} loss"


def _budget_text(spec: Any) -> str:
    p = spec.problem
    if p["kind"] == "data":
        return f"{p['epochs']} epochs per run, batches of {p['batch_size']} samples"
    return f"{spec.steps} steps per run"


def _search_text(spec: Any) -> str:
    s = spec.search
    if s.kind == "grid":
        return "the full grid of every optimizer's values"
    if s.kind in ("random", "sobol"):
        return f"{s.n} {s.kind} points per optimizer (seed {s.seed})"
    return f"optuna, sampler {s.sampler}, {s.trials} trials"


def build_report(study: Any) -> Report:
    """The numbers of ``study``'s report (a study bound to its directory)."""
    from descend.study._problem import build

    spec = study.spec
    problem = build(spec.problem)
    metric, goal = problem.metric.name, problem.metric.goal
    with Store(study._dir(), readonly=True) as store:
        counts = store.counts()
    frame = study.results()
    items = figs.prepare(frame, spec, metric, goal)
    table = fair_table(items, metric, goal)
    total_runs = study.total_runs(counts["configs"])
    complete = counts["total"] > 0 and counts["done"] == counts["total"]
    state = "complete" if complete else "partial: not every chunk is done"
    facts = [
        ("Study name", spec.name),
        ("Spec hash (SHA-256)", spec.hash),
        ("Problem", _problem_text(spec.problem)),
        ("Metric", f"{problem.metric.text} ({'lower' if goal == 'min' else 'higher'} is better)"),
        ("Budget, the same for every run", _budget_text(spec)),
        ("Seeds per configuration", f"{len(spec.seeds)} ({_seeds_text(spec.seeds)})"),
        ("Search", _search_text(spec)),
        (
            "Optimizers",
            ", ".join(
                f"{o.name} ({o.rule})" if o.name != o.rule else o.name for o in spec.optimizers
            ),
        ),
        ("Runs done (of all runs)", f"{counts['runs']} of {total_runs}"),
        ("Chunks done (of all chunks)", f"{counts['done']} of {counts['total']}"),
        ("State", state),
    ]
    report = Report(
        name=spec.name,
        metric=metric,
        goal=goal,
        complete=complete,
        chunks=(counts["done"], counts["total"]),
        runs=(counts["runs"], total_runs),
        facts=facts,
        table=table,
        search=spec.search.kind,
    )
    big = figs.exact_curvature(problem) if any(i.rule in figs.THEORY_RULES for i in items) else None
    for item in items:
        if not len(item.runs):
            continue
        pairs = figs.heatmap_pairs(item)
        if pairs:
            report.heatmaps[item.name] = [figs.heatmap_data(item, x, y) for x, y in pairs]
        if "lr" in item.varied:
            report.lr_curves[item.name] = figs.lr_data(item, big)
    ranked = [(r["optimizer"], r["runs"]) for r in table if "runs" in r]
    report.spread = figs.spread_data(ranked, metric) if ranked else None
    return report


def _seeds_text(seeds: tuple[int, ...]) -> str:
    if seeds == tuple(range(len(seeds))):
        return f"seeds 0 to {len(seeds) - 1}"
    return "seeds " + ", ".join(str(s) for s in seeds[:12]) + (" ..." if len(seeds) > 12 else "")


# -- the page -----------------------------------------------------------------------------------


def _number(value: float, goal: str) -> str:
    if np.isinf(value):
        return "half the seeds or more failed"
    return figs.fmt(value)


def _table_html(report: Report) -> str:
    e = html.escape
    words, unit = METRIC_WORDS[report.metric]
    head = [
        "Rank (1 is best)",
        "Optimizer",
        "Tuned hyperparameters (best configuration)",
        f"Median {words} over seeds ({unit})",
        f"Spread over seeds: 25th to 75th percentile ({unit})",
        "Seeds converged (% of seeds)",
        "Seeds diverged or failed (% of seeds)",
        "Median steps taken (steps)",
        "Seeds run (count)",
        "Configurations tried (count)",
    ]
    rows = []
    for r in report.table:
        if "median" not in r:
            cells = ["", r["optimizer"], "no runs yet", "", "", "", "", "", "0", "0"]
        else:
            hyper = ", ".join(f"{figs.plain(a)} = {figs.fmt(v)}" for a, v in r["hyper"].items())
            cells = [
                str(r["rank"]),
                r["optimizer"],
                hyper or "the rule's defaults (nothing searched)",
                _number(r["median"], report.goal),
                f"{_number(r['q25'], report.goal)} to {_number(r['q75'], report.goal)}",
                f"{100 * r['converged']:.0f}",
                f"{100 * r['failed']:.0f}",
                f"{r['steps']:.0f}",
                str(r["seeds"]),
                str(r["configs"]),
            ]
        rows.append(
            f'<tr data-optimizer="{e(r["optimizer"])}">'
            + "".join(f"<td>{e(c)}</td>" for c in cells)
            + "</tr>"
        )
    header = "".join(f"<th>{e(h)}</th>" for h in head)
    return f'<table id="fair-table"><tr>{header}</tr>{"".join(rows)}</table>'


def _facts_html(report: Report) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in report.facts)
    return f'<table id="facts"><tr><th>Fact</th><th>Value</th></tr>{rows}</table>'


def _figure(fig: Any, alt: str, caption: str, kind: str) -> str:
    e = html.escape
    return (
        f'<figure data-figure="{e(kind)}"><img alt="{e(alt)}" src="{figure_uri(fig, dpi=80)}">'
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def _fixed_text(fixed: dict[str, float]) -> str:
    if not fixed:
        return "No other hyperparameter is searched."
    values = ", ".join(f"{figs.plain(a)} = {v:.4g}" for a, v in fixed.items())
    return f"The other hyperparameters are at the best configuration's values: {values}."


def render_html(report: Report) -> str:
    """The whole page (figures drawn here and embedded)."""
    e = html.escape
    words, unit = METRIC_WORDS[report.metric]
    short = SHORT[report.metric]
    label = f"{short} ({unit})"
    better = "lower" if report.goal == "min" else "higher"
    binned = (
        f" This study's search is {report.search}, not a grid: each hyperparameter searched "
        f"over a range is cut into {figs.BINS} equal bins of it (geometric for a log range), "
        "a cell is one bin of each (its value the bin's centre), and a cell's median is over "
        "every run in it."
        if report.search != "grid"
        else ""
    )
    if report.complete:
        banner = f'<p class="complete">Complete: all {report.chunks[1]} chunks are done.</p>'
    else:
        banner = (
            f'<p class="partial" id="partial">Partial study: {report.chunks[0]} of '
            f"{report.chunks[1]} chunks done ({report.runs[0]} of {report.runs[1]} runs). "
            "Everything below is computed from the runs done so far; descend study resume "
            "DIR finishes the study.</p>"
        )
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>descend study report: {e(report.name)}</title><style>{STYLE}</style></head>",
        f"<body><h1>Study report: {e(report.name)}</h1>{banner}",
        f"<section><h2>The study</h2>{_facts_html(report)}</section>",
        "<section><h2>Fair comparison</h2>",
        "<p>Every optimizer ran on the same problem, from the same seeds, on the same budget. "
        "Each is shown at its tuned best: the configuration with the best median "
        f"{e(words)} over the seeds ({better} is better). A seed that diverged or whose metric "
        "is not a finite number counts as the worst value, so a configuration whose seeds "
        "mostly fail cannot win. Ranked by that median, then by the share of failed seeds "
        "(fewer first), then by the share converged (more first). A seed converged when a "
        "tolerance stopped it before the budget was spent.</p>",
        _table_html(report),
        "</section>",
    ]
    if report.spread is not None and report.spread.optimizers:
        fig = figs.draw_spread(report.spread, label, report.goal)
        parts += [
            "<section><h2>Each optimizer at its best, across seeds</h2>",
            _figure(
                fig,
                "box plot of the metric over seeds, per optimizer at its best",
                f"The {words} of every seed (dots) at each optimizer's best configuration, "
                "with the box from the 25th to the 75th percentile, the median line (red) and "
                "whiskers to the best and the worst seed that did not fail; "
                "failed seeds are red crosses at the top edge. In rank order.",
                "spread",
            ),
            "</section>",
        ]
    if report.lr_curves:
        parts += [
            "<section><h2>The metric against the learning rate</h2>",
            "<p>The median over seeds (line) and the middle half of the seeds (band) at each "
            "learning rate, the other hyperparameters at the best configuration's values. The "
            "stable region (green) holds the learning rates at which most seeds (a strict "
            "majority) neither diverged nor ended with a metric that is not a finite number; "
            "the red crosses mark the others. Where theory gives the boundary exactly (gradient "
            "descent and the heavy ball on a quadratic, whose Hessian is constant: "
            "lr &lt; 2/L and lr &lt; 2(1 + beta)/L, L the largest curvature) it is drawn as a "
            f"dashed line.{e(binned)}</p>",
        ]
        for name, curve in report.lr_curves.items():
            stable = (
                "; ".join(f"{figs.fmt(lo)} to {figs.fmt(hi)}" for lo, hi in curve.intervals)
                or "none"
            )
            theory = (
                f" Theory: {curve.boundary_text}, so lr < {curve.boundary:.4g}."
                if curve.boundary is not None
                else ""
            )
            fig = figs.draw_lr(curve, label, report.goal, log_lr=bool(curve.lr.min() > 0))
            parts.append(
                _figure(
                    fig,
                    f"{name}: metric against the learning rate",
                    f"{name}. Stable learning rates: {stable}.{theory} " + _fixed_text(curve.fixed),
                    "lr",
                )
            )
        parts.append("</section>")
    if report.heatmaps:
        parts += [
            "<section><h2>Heatmaps over pairs of hyperparameters</h2>",
            f"<p>The median {e(words)} over seeds for each pair of searched hyperparameters, "
            "per optimizer. Each panel keeps the other hyperparameters at the best "
            "configuration's values (named in its title). Grey cells: half the seeds or more "
            "diverged or failed (their median is the worst value); white cells: no runs there "
            f"(yet).{e(binned)}</p>",
        ]
        for name, maps in report.heatmaps.items():
            fig = figs.draw_heatmaps(maps, label, report.goal)
            pairs = ", ".join(f"{m.x} and {m.y}" for m in maps)
            parts.append(
                _figure(fig, f"{name}: heatmaps", f"{name}: {pairs}.", "heatmap"),
            )
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


def default_path(directory: str | Path) -> Path:
    """Where the report goes by default: ``DIR/report.html``."""
    return Path(directory) / FILE


def write_report(directory: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the study in ``directory`` to ``out`` (default
    ``DIR/report.html``) atomically: the page is written to ``OUT.partial`` and moved into
    place with :func:`os.replace`, so a reader never sees half a page. Returns the path."""
    from descend.study._study import Study

    study = Study.load(directory)
    path = default_path(directory) if out is None else Path(out)
    page = render_html(build_report(study))
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(path) as partial:
        partial.write_text(page, encoding="utf-8")
    return path
