"""Figures of numbers the engine measured: loss curves, the final loss against the learning
rate (one :func:`descend.sweep` per rule) and the heavy ball's convergence rate over (learning
rate, beta) on a quadratic (one sweep over the grid)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from descend import _validation as check
from descend.engine import sweep
from descend.engine._stop import StopReason, converged_mask
from descend.insight.plots._common import COLORS, named, new_figure, on_the_host, run_curve, save
from descend.optim import momentum
from descend.problems import surfaces

DECADES = 2.0  # log="auto" uses a log axis when the positive values span more than this


def wide_range(values: Sequence[np.ndarray], decades: float = DECADES) -> bool:
    """Whether the finite values are all positive and span more than ``decades`` decades."""
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in values])
    v = v[np.isfinite(v)]
    if v.size == 0 or v.min() <= 0:
        return False
    return math.log10(v.max() / v.min()) > decades


@on_the_host
def loss_curves(
    curves: Any,
    *,
    path: Any = None,
    log: bool | str = "auto",
    validation: Any = None,
    title: str | None = None,
) -> Figure:
    """The loss against the step (a :class:`descend.Result`, an array of losses) or the epoch
    (a :class:`descend.FitResult`; its validation loss, when recorded, is drawn dashed).

    ``curves`` is one run, a list of runs, or a mapping of names to runs (the legend's).

    ``validation`` maps names to validation losses (dashed, in the colour of the same name).
    ``log="auto"`` puts the y axis on a log scale when the positive values span more than two
    decades; ``True``/``False`` force it.
    """
    curves = named(curves, "curves")
    if log not in ("auto", True, False):
        raise ValueError(f"log must be 'auto', True or False; got {log!r}")
    validation = {} if validation is None else named(validation, "validation")
    fig, ax = new_figure((7.5, 4.8))
    drawn, xlabels = [], set()
    for i, (name, value) in enumerate(curves.items()):
        x, loss, xlabel, val = run_curve(value)
        xlabels.add(xlabel)
        color = COLORS[i % len(COLORS)]
        ax.plot(x, loss, "-", color=color, lw=1.5, label=f"{name} (train)" if val is not None
                or name in validation else name, gid=f"train:{name}")  # fmt: skip
        drawn.append(loss)
        if name in validation:
            _, val, _, _ = run_curve(validation[name])
        if val is not None:
            ax.plot(np.arange(len(val)) + (x[0] if len(x) else 0), val, "--", color=color,
                    lw=1.5, label=f"{name} (validation)", gid=f"validation:{name}")  # fmt: skip
            drawn.append(val)
    use_log = wide_range(drawn) if log == "auto" else bool(log)
    if use_log:
        ax.set_yscale("log")
    xlabel = " / ".join(sorted(xlabels))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss" + (" (log scale)" if use_log else ""))
    ax.set_title(title or f"Loss per {xlabel}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


@on_the_host
def lr_sensitivity(
    surface: Any,
    rules: Mapping[str, Any],
    lrs: Sequence[float],
    *,
    max_steps: int = 2000,
    tol: float = 1e-6,
    metric: str = "loss",
    path: Any = None,
) -> Figure:
    """The final loss (``metric="loss"``: ``f(x_T) - f*`` when the minimum value is known) or
    the steps to reach the tolerance (``metric="steps"``) against the learning rate, on a log
    x axis, one curve per rule. ``rules`` maps names to an update rule (``descend.gd``) or a
    pair ``(rule, fixed_kwargs)``; each rule's learning rates run as one vmapped
    :func:`descend.sweep`. Diverged runs are marked by an ``x`` at the top of the axes (in
    the rule's colour); with ``metric="steps"`` a run that never reached the tolerance is an
    open circle at ``max_steps``.
    """
    if metric not in ("loss", "steps"):
        raise ValueError(f"metric must be 'loss' or 'steps'; got {metric!r}")
    rules = check.mapping("rules", rules, "update rules by name", "{'gd': descend.gd}")
    if not rules:
        raise ValueError("rules must name at least one update rule; got an empty mapping")
    lrs = np.asarray(lrs, dtype=float).ravel()
    if lrs.size == 0 or (lrs <= 0).any():
        raise ValueError(f"lrs must be a non-empty list of positive learning rates; got {lrs}")
    fig, ax = new_figure((7.5, 4.8))
    top = blended_transform_factory(ax.transData, ax.transAxes)
    fmin = getattr(surface, "min_value", None)
    gap = metric == "loss" and fmin is not None
    any_diverged = False
    for i, (name, spec) in enumerate(rules.items()):
        rule, fixed = spec if isinstance(spec, tuple) else (spec, None)
        res = sweep(surface, None, rule, fixed=fixed, lr=lrs, max_steps=max_steps, tol=tol).results
        reason = np.asarray(res.reason)
        diverged = (reason == StopReason.DIVERGED) | ~np.isfinite(np.asarray(res.loss, dtype=float))
        color = COLORS[i % len(COLORS)]
        if metric == "loss":
            y = np.asarray(res.loss, dtype=float) - (fmin if gap else 0.0)
            y = np.maximum(y, 1e-16) if gap else y
        else:
            y = np.asarray(res.steps, dtype=float)
        ok = ~diverged
        ax.plot(lrs[ok], y[ok], "o-", color=color, ms=4, lw=1.5, label=name, gid=f"rule:{name}")
        if metric == "steps":
            stuck = ok & ~converged_mask(reason)
            if stuck.any():
                ax.plot(lrs[stuck], y[stuck], "o", mfc="white", mec=color, ms=7, zorder=4)
        if diverged.any():
            any_diverged = True
            height = np.full(diverged.sum(), 0.97 - 0.035 * i)  # staggered per rule
            ax.plot(lrs[diverged], height, "x", color=color, ms=9, mew=2.2, transform=top,
                    clip_on=False, gid=f"diverged:{name}", ls="none")  # fmt: skip
    if any_diverged:
        ax.plot([], [], "x", color="k", mew=2, label="diverged (at top)")
    if metric == "steps":
        ax.plot([], [], "o", mfc="white", mec="k", label=f"not converged in {max_steps} steps")
    ax.set_xscale("log")
    if metric == "loss":
        ax.set_yscale("log")
        ax.set_ylabel("final gap f(x_T) - f* (log scale)" if gap else "final loss f(x_T)")
    else:
        ax.set_ylabel(f"steps to |grad f| < {tol:g}")
    ax.set_xlabel("learning rate (log scale)")
    what = "final loss" if metric == "loss" else "steps to tolerance"
    ax.set_title(f"Learning-rate sensitivity on {surface.name}: {what} after at most "
                 f"{max_steps} steps")  # fmt: skip
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


def heavy_ball_optimum(kappa: float, L: float = 1.0) -> tuple[float, float, float]:
    """Polyak's tuning of the heavy ball on a quadratic with eigenvalues in ``[mu, L]``,
    ``kappa = L/mu``: ``lr = (2/(sqrt L + sqrt mu))^2``, ``beta = ((sqrt k - 1)/(sqrt k + 1))^2``
    and the rate ``(sqrt k - 1)/(sqrt k + 1)`` (Polyak 1964; e.g. Goh, "Why Momentum Really
    Works", 2017). Returns ``(lr, beta, rate)``: Python floats, or JAX arrays for traced
    arguments (a formula, it runs under ``jax.vmap`` over ``kappa``)."""
    sqrt = math.sqrt
    if check.is_concrete(kappa) and check.is_concrete(L):
        kappa = check.real("kappa", kappa, 1.0)
        L = check.real("L", L, 0.0, open_low=True)
    else:
        sqrt = jnp.sqrt
    mu, r = L / kappa, sqrt(kappa)
    lr = (2.0 / (sqrt(L) + sqrt(mu))) ** 2
    return lr, ((r - 1) / (r + 1)) ** 2, (r - 1) / (r + 1)


@on_the_host
def momentum_map(
    kappa: float = 100.0,
    *,
    lrs: Sequence[float] | None = None,
    betas: Sequence[float] | None = None,
    steps: int = 200,
    path: Any = None,
) -> Figure:
    """The measured per-step contraction of the heavy ball (``descend.momentum``, PyTorch's
    ``form="sum"``) over (learning rate, beta) on the 2-D quadratic with eigenvalues 1 and
    ``1/kappa``, from its start ``(1, 1)``: ``rate = (|x_T| / |x_0|)^(1/T)`` after ``T =
    steps`` steps (all configurations are one vmapped :func:`descend.sweep`). Diverged runs
    are grey; the theoretical optimum (:func:`heavy_ball_optimum`) is a labelled star.
    """
    kappa = float(kappa)
    if not kappa >= 1.0:
        raise ValueError(f"kappa must be a number >= 1; got {kappa!r}")
    lrs = np.geomspace(0.01, 5.0, 40) if lrs is None else np.asarray(lrs, dtype=float).ravel()
    betas = np.linspace(0.0, 0.98, 36) if betas is None else np.asarray(betas, float).ravel()
    if lrs.size < 2 or betas.size < 2:
        raise ValueError(f"lrs and betas need at least 2 values each; got {lrs.size}, {betas.size}")
    quad = surfaces.get("quadratic", kappa=kappa, dim=2)
    steps = check.positive_int("steps", steps)
    sw = sweep(quad, None, momentum, lr=lrs, beta=betas, max_steps=steps, tol=0.0)
    res = sw.results
    x = np.asarray(res.x, dtype=float)
    x0 = np.linalg.norm(np.asarray(quad.start, dtype=float))
    T = np.maximum(np.asarray(res.steps, dtype=float), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (np.linalg.norm(x, axis=-1) / x0) ** (1.0 / T)
    diverged = (np.asarray(res.reason) == StopReason.DIVERGED) | ~np.isfinite(rate)
    shape = (lrs.size, betas.size)  # sweep's grid is in "ij" order over (lr, beta)
    rate, diverged = rate.reshape(shape).T, diverged.reshape(shape).T
    fig, ax = new_figure((7.5, 5.5))
    shown = np.ma.masked_where(diverged, np.clip(rate, 0.0, 1.05))
    low = float(shown.min()) if shown.count() else 0.0
    mesh = ax.pcolormesh(lrs, betas, shown, cmap="viridis_r", vmin=min(low, 0.99), vmax=1.0,
                         shading="nearest")  # fmt: skip
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label("rate per step (|x_T|/|x_0|)^(1/T): lower is faster")
    if diverged.any():
        ax.pcolormesh(lrs, betas, np.ma.masked_where(~diverged, np.ones_like(rate)),
                      cmap=ListedColormap(["0.75"]), shading="nearest", gid="diverged")  # fmt: skip
        ax.plot([], [], "s", color="0.75", ms=10, label="diverged")
    lr_opt, beta_opt, rate_opt = heavy_ball_optimum(kappa)
    ax.plot([lr_opt], [beta_opt], "*", color="red", mec="white", ms=18, ls="none",
            label=f"theory: lr={lr_opt:.3g}, beta={beta_opt:.3g} (rate {rate_opt:.3g})",
            gid="optimum", zorder=5)  # fmt: skip
    ax.annotate("Polyak optimum", (lr_opt, beta_opt), xytext=(-10, 12),
                textcoords="offset points", ha="right", color="red", fontsize=9)  # fmt: skip
    ax.set_xscale("log")
    ax.set(xlabel="learning rate (log scale)", ylabel="momentum beta")
    ax.set_title(f"Heavy-ball convergence rate on a quadratic, kappa = {kappa:g} "
                 f"({steps} steps)")  # fmt: skip
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return save(fig, path)
