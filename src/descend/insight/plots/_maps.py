"""Figures of the maps of :mod:`descend.insight._maps` and :mod:`._stability`: the basins
(:func:`basin_figure`) and the stability of a rule over two hyperparameters
(:func:`stability_figure`), drawn from what the maps computed, never recomputed."""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from descend.insight._maps import BasinMap
from descend.insight._stability import StabilityMap
from descend.insight.plots._common import check_2d, grid, new_figure, on_the_host, save

DIVERGED_COLOR = "0.25"
UNCONVERGED_COLOR = "0.85"
LEGEND_MINIMA = 12  # minima listed by name in the legend; the rest are summed in one entry
METRICS = ("loss", "steps")


def _basin_colors(n: int) -> list[Any]:
    """A colour per minimum: tab10 for up to 10, tab20 up to 20, then tab20 repeated."""
    base = matplotlib.colormaps["tab10" if n <= 10 else "tab20"].colors
    return [base[k % len(base)] for k in range(n)]


def _where(p: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.3g}" for v in p) + ")"


@on_the_host
def basin_figure(basin_map: BasinMap, surface: Any = None, path: Any = None) -> Figure:
    """The basins of attraction of a :class:`~descend.insight.BasinMap`: each start's pixel
    is coloured by the minimum its run reached (dark grey: diverged; light grey: not
    converged), the minima are starred (gold: global, white: local, black: found by
    clustering end points), and the legend gives each basin's share of the starts.

    With ``surface`` (the map's surface), its contour lines are drawn over the basins."""
    if not isinstance(basin_map, BasinMap):
        raise TypeError(f"basin_map must be a BasinMap; got {type(basin_map).__name__}")
    m = basin_map
    n = len(m.minima)
    colors = _basin_colors(n)
    # label k -> colour k + 2; DIVERGED (-1) -> 1; NOT_CONVERGED (-2) -> 0
    cmap = ListedColormap([UNCONVERGED_COLOR, DIVERGED_COLOR, *colors])
    fig, ax = new_figure((8.5, 6.0))
    ax.pcolormesh(m.xs, m.ys, m.labels + 2, cmap=cmap, vmin=-0.5, vmax=n + 1.5,
                  shading="nearest", gid="basins")  # fmt: skip
    if surface is not None:
        check_2d(surface)
        xs, ys, zs = grid(surface, 120, ((m.xs[0], m.xs[-1]), (m.ys[0], m.ys[-1])))
        finite = zs[np.isfinite(zs)]
        if finite.size:
            low = finite.min()
            levels = low + np.geomspace(1e-3, max(finite.max() - low, 2e-3), 14)
            ax.contour(xs, ys, zs, levels=levels, colors="k", linewidths=0.4, alpha=0.35)
    order = np.argsort(-m.shares, kind="stable")
    handles = []
    for k in order[:LEGEND_MINIMA]:
        handles.append(Patch(color=colors[k], label=f"{_where(m.minima[k])}: {m.shares[k]:.1%}"))
    if n > LEGEND_MINIMA:
        rest = order[LEGEND_MINIMA:]
        handles.append(Patch(color="white", label=f"{len(rest)} more minima: "
                                                  f"{m.shares[rest].sum():.1%}"))  # fmt: skip
    handles.append(Patch(color=DIVERGED_COLOR, label=f"diverged: {m.diverged_share:.1%}"))
    handles.append(
        Patch(color=UNCONVERGED_COLOR, label=f"not converged: {m.unconverged_share:.1%}")
    )
    x_lo, x_hi, y_lo, y_hi = m.xs[0], m.xs[-1], m.ys[0], m.ys[-1]
    style = {"global": ("*", "gold", 15), "local": ("D", "white", 7), "found": ("o", "k", 5)}
    for kind, (marker, color, size) in style.items():
        pts = np.asarray([p for p, k in zip(m.minima, m.kinds, strict=True) if k == kind])
        pts = pts.reshape(-1, 2)
        pts = pts[(pts[:, 0] >= x_lo) & (pts[:, 0] <= x_hi) & (pts[:, 1] >= y_lo)
                  & (pts[:, 1] <= y_hi)]  # fmt: skip
        if len(pts):
            ax.plot(pts[:, 0], pts[:, 1], marker, color=color, mec="k" if kind != "found" else "w",
                    ms=size, ls="none", zorder=5, gid=f"{kind}_minima")  # fmt: skip
            handles.append(ax.get_lines()[-1])
            handles[-1].set_label(f"{kind} minimum")
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="x (start)", ylabel="y (start)")
    ax.set_aspect("auto")
    name = getattr(surface, "name", None)
    res = m.labels.shape[0]
    ax.set_title(f"Basins of {m.optimizer}" + (f" on {name}" if name else "")
                 + f"\n{res} x {res} starts, {m.max_steps} steps each", fontsize=10)  # fmt: skip
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              title="share of starts", title_fontsize=8)  # fmt: skip
    fig.tight_layout()
    return save(fig, path)


def _axis_label(name: str, scale: str) -> str:
    words = {"lr": "learning rate lr", "beta": "momentum beta", "b1": "first-moment decay b1",
             "b2": "second-moment decay b2", "eps": "epsilon eps"}  # fmt: skip
    return f"{words.get(name, name)} ({scale} scale)"


@on_the_host
def stability_figure(stability_map: StabilityMap, metric: str = "loss", path: Any = None) -> Figure:
    """The outcome of each hyperparameter pair of a :class:`~descend.insight.StabilityMap`:
    ``metric="loss"`` the final loss (``f - f*`` when ``f*`` is known) on a log colour scale,
    ``metric="steps"`` the steps to the tolerance (runs that did not converge left light
    grey); diverged runs are dark grey. The theory's boundary, when known, is drawn over it
    (dashed red, labelled exact on a quadratic or local at a minimum). A one-row map (a
    rule with one hyperparameter) is drawn as a curve against ``x``."""
    if not isinstance(stability_map, StabilityMap):
        raise TypeError(f"stability_map must be a StabilityMap; got {type(stability_map).__name__}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    m = stability_map
    diverged = m.diverged | ~np.isfinite(m.final_loss)
    if metric == "loss":
        values = np.where(diverged, np.nan, m.final_loss)
        label = "final loss " + ("f - f*" if m.gap else "f")
    else:
        values = np.where(diverged, np.nan, m.steps_to_tol)
        label = f"steps to gradient norm <= {m.tol:g}"
    positive = values[np.isfinite(values) & (values > 0)]
    floor = float(positive.min()) if positive.size else 1.0
    top = float(positive.max()) if positive.size else 10.0
    fig, ax = new_figure((8.0, 5.8))
    title = f"{m.rule}: {label} after at most {m.max_steps} steps"
    if m.y_name is None:
        shown = np.where(np.isfinite(values[0]), np.maximum(values[0], floor), np.nan)
        ax.plot(m.x_values, shown, ".-", color="C0", gid="metric", label=label)
        gone = diverged[0]
        if gone.any():
            ax.plot(m.x_values[gone], np.full(gone.sum(), top), "x", color=DIVERGED_COLOR,
                    ls="none", gid="diverged", label="diverged")  # fmt: skip
        ax.set_yscale("log" if metric == "loss" else "linear")
        ax.set_ylabel(label + (" (log scale)" if metric == "loss" else ""))
        if m.boundary is not None:
            ax.axvline(float(m.boundary["x"][0]), color="red", ls="--", gid="boundary",
                       label=m.boundary["label"])  # fmt: skip
    else:
        norm = LogNorm(vmin=floor, vmax=max(top, floor * 10)) if metric == "loss" else None
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad=UNCONVERGED_COLOR)
        mesh = ax.pcolormesh(m.x_values, m.y_values, np.ma.masked_invalid(values), cmap=cmap,
                             norm=norm, shading="nearest", gid="metric")  # fmt: skip
        cb = fig.colorbar(mesh, ax=ax)
        cb.set_label(label + (" (log scale)" if metric == "loss" else ""))
        if diverged.any():
            ax.pcolormesh(m.x_values, m.y_values, np.ma.masked_where(~diverged, diverged),
                          cmap=ListedColormap([DIVERGED_COLOR]), shading="nearest",
                          gid="diverged")  # fmt: skip
        ax.plot([], [], "s", color=DIVERGED_COLOR, ms=9, ls="none", label="diverged")
        if metric == "steps":
            ax.plot([], [], "s", color=UNCONVERGED_COLOR, ms=9, ls="none", label="not converged")
        if m.boundary is not None:
            ax.plot(m.boundary["x"], m.boundary["y"], "--", color="red", lw=2, gid="boundary",
                    label=m.boundary["label"])  # fmt: skip
        ax.set_ylabel(_axis_label(m.y_name, m.y_scale))
        ax.set_yscale("log" if m.y_scale == "log" else "linear")
        ax.set_ylim(m.y_values[0], m.y_values[-1])
    ax.set_xscale("log" if m.x_scale == "log" else "linear")
    ax.set_xlim(m.x_values[0], m.x_values[-1])
    ax.set_xlabel(_axis_label(m.x_name, m.x_scale))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return save(fig, path)
