"""Shared pieces of the figures: saving, the surface grid, the markers of known points and
the arrays a run or a fit hands over.

Figures are :class:`matplotlib.figure.Figure` objects made directly, never through pyplot,
so drawing and saving them needs no backend and importing this module leaves the user's
matplotlib backend as it was."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from descend import _validation as check
from descend._files import written_whole

SUFFIXES = (".png", ".svg")
COLORS = matplotlib.colormaps["tab10"].colors

#: A figure is drawn on the host from finished runs: a traced argument (the function called
#: inside ``jax.vmap`` or ``jax.jit``) is refused in one line.
on_the_host = check.on_the_host(
    "draws with matplotlib on the host",
    "run under jax.vmap what computes, then draw from its results outside it",
)


def save(fig: Figure, path: Any, *, dpi: int = 110) -> Figure:
    """Write ``fig`` to ``path`` (PNG or SVG, by the suffix; parent folders are created)."""
    if path is None:
        return fig
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"path must end in .png or .svg; got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(path) as partial:
        fig.savefig(partial, dpi=dpi, bbox_inches="tight")
    return fig


def figure_uri(fig: Figure, dpi: int = 90) -> str:
    """``fig`` as a ``data:image/png;base64,...`` URI, for a page that holds its figures."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def new_figure(figsize: tuple[float, float] = (7.0, 5.5), **kwargs: Any) -> tuple[Figure, Any]:
    """A figure not registered with pyplot (no global state, nothing to close)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(**kwargs)


def check_2d(surface: Any, name: str = "surface") -> None:
    if getattr(surface, "dim", None) != 2:
        raise ValueError(
            f"{name} must be a 2-D Surface (ds.surfaces.get(...) with dim 2); "
            f"got dim={getattr(surface, 'dim', None)!r}"
        )


def grid(surface: Any, n: int = 200, bounds: Any = None) -> tuple[np.ndarray, ...]:
    """``xs, ys, zs``: the surface's values on an ``n x n`` grid over its domain (one vmapped
    call of the surface's own function)."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds if bounds is not None else surface.domain
    xs, ys = np.meshgrid(np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n))
    pts = jnp.asarray(np.stack([xs.ravel(), ys.ravel()], axis=1), dtype=jnp.float32)
    zs = np.asarray(jax.jit(jax.vmap(surface.f))(pts), dtype=float).reshape(xs.shape)
    return xs, ys, zs


def axis_names(surface: Any) -> tuple[str, str]:
    return ("w", "b") if surface.name == "sigmoid_neuron" else ("x", "y")


def contour(
    ax: Any,
    xs: Any,
    ys: Any,
    zs: Any,
    *,
    levels: int = 30,
    log: bool = True,
    offset: float | None = None,
) -> Any:
    """Filled contours of ``zs``; log-spaced levels when ``log`` and the values span more than
    two decades above the minimum. Returns the contour set (for a colour bar)."""
    finite = zs[np.isfinite(zs)]
    lo = float(finite.min()) if offset is None else min(float(offset), float(finite.min()))
    shifted = zs - lo
    pos = shifted[shifted > 0]
    if log and pos.size and pos.max() / max(np.percentile(pos, 1), 1e-300) > 100:
        floor = max(float(np.percentile(pos, 1)), 1e-12)
        lv = np.geomspace(floor, float(pos.max()), levels)
        cs = ax.contourf(
            xs, ys, np.clip(shifted, floor, None), levels=lv, norm=LogNorm(), cmap="viridis",
            alpha=0.85,
        )  # fmt: skip
        ax.contour(xs, ys, np.clip(shifted, floor, None), levels=lv, colors="k",
                   linewidths=0.3, alpha=0.4)  # fmt: skip
        cs.offset, cs.is_log = lo, True
    else:
        cs = ax.contourf(xs, ys, zs, levels=levels, cmap="viridis", alpha=0.85)
        ax.contour(xs, ys, zs, levels=levels, colors="k", linewidths=0.3, alpha=0.4)
        cs.offset, cs.is_log = 0.0, False
    return cs


def colorbar(fig: Figure, ax: Any, cs: Any, label: str) -> Any:
    cb = fig.colorbar(cs, ax=ax)
    if cs.is_log:
        from matplotlib.ticker import LogFormatterSciNotation, LogLocator

        cb.ax.yaxis.set_major_locator(LogLocator())
        cb.ax.yaxis.set_major_formatter(LogFormatterSciNotation())
        cb.ax.yaxis.set_minor_locator(LogLocator(subs="auto"))
        if cs.offset != 0.0:
            label = f"{label} - {cs.offset:.3g}"
    cb.set_label(label + (" (log scale)" if cs.is_log else ""))
    return cb


def mark_points(ax: Any, surface: Any, bounds: Any = None) -> None:
    """Global minima (gold stars) and local minima (white diamonds) inside the view."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds if bounds is not None else surface.domain

    def inside(pts: Any) -> np.ndarray:
        pts = np.asarray(pts, dtype=float).reshape(-1, 2)
        keep = (pts[:, 0] >= x_lo) & (pts[:, 0] <= x_hi) & (pts[:, 1] >= y_lo) & (pts[:, 1] <= y_hi)
        return pts[keep]

    g = inside(surface.minima) if surface.minima else np.empty((0, 2))
    if len(g):
        ax.plot(g[:, 0], g[:, 1], "*", color="gold", ms=16, mec="k", ls="none",
                label="global minimum", zorder=5, gid="global_minima")  # fmt: skip
    loc = inside(surface.local_minima) if surface.local_minima else np.empty((0, 2))
    if len(loc):
        ax.plot(loc[:, 0], loc[:, 1], "D", color="white", ms=6, mec="k", ls="none",
                label="local minimum", zorder=5, gid="local_minima")  # fmt: skip


def named(runs: Any, what: str = "runs") -> dict[str, Any]:
    """``runs`` as a mapping of names to runs: a mapping as it is; one run (a Result, a
    FitResult, an array) as ``{"run": it}``; a list of Results or FitResults as ``{"run 1":
    ..., "run 2": ...}``. An empty one is refused."""
    if isinstance(runs, Mapping):
        out = dict(runs)
    elif isinstance(runs, (list, tuple)) and runs and all(_is_run(r) for r in runs):
        out = {f"run {i + 1}": r for i, r in enumerate(runs)}
    elif _is_run(runs) or (runs is not None and np.size(runs) > 0):
        out = {"run": runs}
    else:
        out = {}
    if not out:
        raise ValueError(
            f"{what} must name at least one run (a Result, a list of them, or a mapping "
            f"of names to them); got {runs!r:.60}"
        )
    return out


def _is_run(value: Any) -> bool:
    return hasattr(value, "history") or hasattr(value, "curves")


def legend_labels(labels: Any) -> dict[str, str]:
    """``labels`` (legend texts by run name, or None) as a dict; a ``TypeError`` otherwise."""
    return check.mapping("labels", labels, "legend texts by run name", "{'adam': 'adam (lr=1)'}")


def run_path(run: Any, name: str = "run") -> np.ndarray:
    """The (n, 2) path of a :class:`Result` (or an array of points); a ``ValueError`` naming
    ``name`` for anything else."""
    if hasattr(run, "history"):
        h = run.history.trimmed()
        if h["path"] is None:
            raise ValueError("the run has no recorded path: run minimize with record_path=True")
        return np.asarray(h["path"], dtype=float)
    p = np.asarray(check.real_array(name, run), dtype=float)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
        raise ValueError(f"{name}: the path must have shape (n, 2) with n >= 1; got {p.shape}")
    return p


def run_curve(value: Any) -> tuple[np.ndarray, np.ndarray, str, np.ndarray | None]:
    """``(x, loss, x label, validation loss or None)`` from a Result, a FitResult, a curves
    dict or a plain array of losses."""
    if hasattr(value, "curves"):  # FitResult: one value per epoch
        c = value.curves()
        loss = np.asarray(c["loss"], dtype=float)
        val = np.asarray(c["val_loss"], dtype=float) if "val_loss" in c else None
        if val is not None and not np.isfinite(val).any():
            val = None
        return np.arange(1, len(loss) + 1), loss, "epoch", val
    if hasattr(value, "history"):  # Result: one value per recorded step
        h = value.history.trimmed()
        return np.asarray(h["step"]), np.asarray(h["loss"], dtype=float), "step", None
    if isinstance(value, Mapping):
        loss = np.asarray(value["loss"], dtype=float)
        val = value.get("val_loss")
        x = np.asarray(value.get("step", value.get("epoch", np.arange(len(loss)))))
        return (
            x,
            loss,
            "step" if "step" in value else "epoch",
            (None if val is None else np.asarray(val, dtype=float)),
        )
    loss = np.asarray(value, dtype=float).reshape(-1)
    return np.arange(len(loss)), loss, "step", None
