"""Figures of one 2-D surface: the race of several runs over its contour map, the surface in
3-D with a path on it, and the field of descent directions. All values come from the
surface's own function and the runs' recorded paths; nothing here takes an optimizer step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from descend import _validation as check
from descend.insight.plots._common import (
    COLORS,
    axis_names,
    check_2d,
    colorbar,
    contour,
    grid,
    legend_labels,
    mark_points,
    named,
    new_figure,
    on_the_host,
    run_path,
    save,
)


@on_the_host
def race_figure(
    surface: Any,
    runs: Any,
    *,
    path: Any = None,
    levels: int = 30,
    log: bool = True,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    curves: bool = False,
) -> Figure:
    """The paths of several runs over the contour map of ``surface``.

    ``runs`` maps a name to a :class:`descend.Result` (recorded with its path, as
    :func:`descend.compare` returns) or to an ``(n, 2)`` array of points. ``labels`` maps the
    same names to legend text (e.g. ``"adam (lr=0.05)"``; default: the name). Contour levels
    are log-spaced in ``f - min f`` when ``log`` and the values span more than two decades.
    Each run is one line (its ``gid`` is ``"path:<name>"``); its start is a black dot, its end
    a cross; global minima are gold stars, local minima white diamonds.

    ``curves=True`` adds a second panel beside the map: each run's loss above the surface's
    minimum, ``f - f_min``, against the step (its ``gid`` is ``"loss:<name>"``; a log axis
    when the values are positive), for the runs that are Results with a history.
    """
    check_2d(surface)
    runs = named(runs)
    labels = legend_labels(labels)
    xs, ys, zs = grid(surface)
    if curves:
        fig, (ax, loss_ax) = new_figure((13.0, 5.4), ncols=2,
                                        gridspec_kw={"width_ratios": [1.3, 1]})  # fmt: skip
    else:
        fig, ax = new_figure((8.0, 6.0))
    cs = contour(ax, xs, ys, zs, levels=levels, log=log, offset=surface.min_value)
    xn, yn = axis_names(surface)
    colorbar(fig, ax, cs, f"f({xn}, {yn})")
    starts = []
    for i, (name, run) in enumerate(runs.items()):
        p = run_path(run, f"runs[{name!r}]")
        color = COLORS[i % len(COLORS)]
        ax.plot(p[:, 0], p[:, 1], "-", color=color, lw=1.6, label=labels.get(name, name),
                gid=f"path:{name}", zorder=3)  # fmt: skip
        ax.plot(p[-1, 0], p[-1, 1], "x", color=color, ms=8, mew=2, zorder=4)
        starts.append(p[0])
    s = np.unique(np.round(np.asarray(starts), 9), axis=0)
    ax.plot(s[:, 0], s[:, 1], "o", color="k", mfc="white", ms=8, mew=1.5, ls="none",
            label="start", zorder=5, gid="start")  # fmt: skip
    mark_points(ax, surface)
    (x_lo, x_hi), (y_lo, y_hi) = surface.domain
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=xn, ylabel=yn)
    ax.set_title(title or f"Optimizer race on {surface.name}: paths from the start "
                 "(x = last point)")  # fmt: skip
    ax.legend(fontsize=8, loc="best", framealpha=0.9)
    if curves:
        _loss_panel(loss_ax, surface, runs)
    fig.tight_layout()
    return save(fig, path)


def _loss_panel(ax: Any, surface: Any, runs: Mapping[str, Any]) -> None:
    """Each run's ``f - f_min`` against the step, in the colours of the map's paths."""
    offset = surface.min_value if surface.min_value is not None else 0.0
    drawn = []
    for i, (name, run) in enumerate(runs.items()):
        if not hasattr(run, "history"):
            continue
        h = run.history.trimmed()
        gap = np.asarray(h["loss"], dtype=float) - offset
        ax.plot(h["step"], gap, "-", color=COLORS[i % len(COLORS)], lw=1.4, label=name,
                gid=f"loss:{name}")  # fmt: skip
        drawn.append(gap)
    values = np.concatenate(drawn) if drawn else np.ones(1)
    finite = values[np.isfinite(values)]
    log = finite.size > 0 and bool(np.all(finite > 0))
    if log:
        ax.set_yscale("log")
    label = "f - f_min" if surface.min_value is not None else "f"
    ax.set(xlabel="step", ylabel=label + (" (log scale)" if log else ""), title="loss per step")
    ax.grid(alpha=0.3, which="both")


@on_the_host
def surface_3d(surface: Any, run: Any = None, *, path: Any = None, n: int = 80) -> Figure:
    """The surface ``z = f(x, y)`` over its domain as a 3-D plot, with the path of ``run`` (a
    Result or an ``(n, 2)`` array) drawn on it at the heights ``f`` of its points. For the
    sigmoid neuron the axes are the weight ``w``, the bias ``b`` and the error."""
    check_2d(surface)
    xs, ys, zs = grid(surface, n)
    fig = Figure(figsize=(8.0, 6.0))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(xs, ys, zs, cmap="viridis", alpha=0.7, linewidth=0, antialiased=True)
    xn, yn = axis_names(surface)
    zlabel = "error L(w, b)" if surface.name == "sigmoid_neuron" else f"f({xn}, {yn})"
    if run is not None:
        p = run_path(run)
        pz = np.asarray(jax.vmap(surface.f)(jnp.asarray(p, dtype=jnp.float32)), dtype=float)
        ax.plot(p[:, 0], p[:, 1], pz, "-", color="red", lw=2.0, label="path", zorder=10,
                gid="path")  # fmt: skip
        ax.plot([p[0, 0]], [p[0, 1]], [pz[0]], "o", color="k", ms=6, label="start")
        ax.plot([p[-1, 0]], [p[-1, 1]], [pz[-1]], "X", color="red", mec="k", ms=8, label="end")
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel(xn)
    ax.set_ylabel(yn)
    ax.set_zlabel(zlabel)
    what = "the error of one sigmoid neuron" if surface.name == "sigmoid_neuron" else "surface"
    ax.set_title(f"{surface.name}: {what}" + (" with the descent path" if run is not None else ""))
    return save(fig, path)


@on_the_host
def gradient_field(surface: Any, *, path: Any = None, density: int = 20) -> Figure:
    """Arrows of the direction of steepest descent ``-grad f / |grad f|`` on a ``density x
    density`` grid over the contour map, coloured by the gradient's magnitude ``|grad f|``
    (log colour scale), so the direction is readable even where the slope is tiny."""
    check_2d(surface)
    density = check.integer("density", density, 2)
    xs, ys, zs = grid(surface)
    fig, ax = new_figure((8.0, 6.0))
    contour(ax, xs, ys, zs, levels=25, log=True, offset=surface.min_value)
    gx, gy, _ = grid(surface, density)
    pts = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=jnp.float32)
    g = np.asarray(jax.jit(jax.vmap(jax.grad(surface.f)))(pts), dtype=float)
    mag = np.linalg.norm(g, axis=1)
    safe = np.where(mag > 0, mag, 1.0)
    u, v = -g[:, 0] / safe, -g[:, 1] / safe
    positive = mag[mag > 0]
    lo = float(positive.min()) if positive.size else 1e-12
    q = ax.quiver(gx.ravel(), gy.ravel(), u, v, np.clip(mag, lo, None), cmap="plasma",
                  norm=LogNorm(lo, max(float(mag.max()), lo * 10)), pivot="mid",
                  angles="xy", scale_units="inches", scale=4.0, width=0.004)  # fmt: skip
    cb = fig.colorbar(q, ax=ax)
    cb.set_label("gradient magnitude |grad f| (log scale)")
    mark_points(ax, surface)
    xn, yn = axis_names(surface)
    (x_lo, x_hi), (y_lo, y_hi) = surface.domain
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=xn, ylabel=yn)
    ax.set_title(f"Descent directions -grad f on {surface.name} (unit arrows)")
    if surface.minima:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return save(fig, path)
