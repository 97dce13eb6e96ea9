"""Claims 1-6 of the tour: the learning rate, the zig-zag and momentum. Each ``claim_NN``
runs descend, collects numbers and hands them to ``verdict_NN`` (a pure function)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.insight import plots
from descend.insight.tour import verdicts as v
from descend.insight.tour.core import (
    Claim,
    Context,
    first_step_below,
    history,
    loss_rises,
    path_of,
    path_ratio,
    sign_flip_share,
)


def _claim(number: int, title: str, text: str, m: dict, verdict_fn, fig) -> Claim:
    m = {k: float(x) for k, x in m.items()}
    verdict, why = verdict_fn(m)
    return Claim(number, title, text, m, verdict, why, fig)


def claim_01(ctx: Context) -> Claim:
    """Gradient descent on Rosenbrock at a small rate (0.001, below the surface's
    recommended 0.0015): counts the steps that raised the loss. The claim is about every
    step, so the rule allows none."""
    s = ds.surfaces.get("rosenbrock")
    steps = ctx.budget(3000, 400)
    r = ds.minimize(s, None, ds.gd(1e-3), max_steps=steps, tol=1e-6)
    big = ds.minimize(s, None, ds.gd(4e-3), max_steps=steps, tol=1e-6)
    h = history(r)
    m = {
        "rises_small": loss_rises(r),
        "steps_small": int(r.steps),
        "start_loss": h["loss"][0],
        "final_small": float(r.loss),
        "rises_large": loss_rises(big),
    }
    fig = plots.loss_curves(
        {"gd lr=0.001": r, "gd lr=0.004 (too large)": big}, title="Rosenbrock: loss per step"
    )
    return _claim(
        1,
        "Small steps always go downhill",
        "Each step of gradient descent with a small enough learning rate lowers the loss.",
        m,
        v.verdict_01,
        fig,
    )


def claim_02(ctx: Context) -> Claim:
    """On the quadratic with kappa = 10 (L = 1, so the textbook threshold is 2/L = 2), one
    vmapped sweep of gradient descent over rates from 0.01 to 10. The measured threshold is
    the smallest rate whose final loss is not below the start (fine grid of 0.005 around 2);
    the crawl is the smallest rate's step count against the best rate's; oscillation is the
    share of sign flips of the steep coordinate's step at lr = 1.5 (between 1/L and 2/L)."""
    s = ds.surfaces.get("quadratic", kappa=10.0)
    coarse = np.geomspace(0.01, 1.8, 12 if ctx.quick else 25)
    fine = np.round(np.arange(1.9, 2.2, 0.005), 4)
    lrs = np.concatenate([coarse, fine, [10.0]])
    budget = 1000
    sw = ds.sweep(s, None, ds.gd, lr=lrs, max_steps=budget, tol=1e-5)
    loss = np.asarray(sw.results.loss, dtype=float)
    steps = np.asarray(sw.results.steps)
    reason = np.asarray(sw.results.reason)
    start = float(s(np.asarray(s.start)))
    bad = (~np.isfinite(loss)) | (loss >= start) | (reason == 4)
    threshold = float(lrs[np.nonzero(bad)[0][0]]) if bad.any() else float("inf")
    conv = (~bad) & (steps < budget)
    osc = ds.minimize(s, None, ds.gd(1.5), max_steps=60, tol=1e-5, record_path=True)
    m = {
        "threshold_measured": threshold,
        "threshold_theory": 2.0,
        "lr10_diverged": int(bad[-1]),
        "crawl_steps": int(steps[0]),
        "best_steps": int(steps[conv].min()) if conv.any() else budget,
        "best_lr": float(lrs[conv][np.argmin(steps[conv])]) if conv.any() else np.nan,
        "oscillation_share": sign_flip_share(np.diff(path_of(osc)[:, 0])),
    }
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.subplots()
    shown = np.where(np.isfinite(loss), np.clip(loss, 1e-12, 1e12), 1e12)
    ax.loglog(lrs, shown, "o-", ms=3)
    ax.axvline(2.0, color="r", ls="--", label="2/L")
    ax.axvline(threshold, color="k", ls=":", label=f"measured {threshold:.3g}")
    ax.set(
        xlabel="learning rate",
        ylabel=f"loss after <= {budget} steps",
        title="Quadratic (kappa = 10): final loss against the rate",
    )
    ax.legend()
    fig.tight_layout()
    return _claim(
        2,
        "Too small crawls, too large diverges",
        "Too small a learning rate crawls and too large a one oscillates, then "
        "diverges; the threshold is 2/L on a quadratic, and a rate of 10 diverges.",
        m,
        v.verdict_02,
        fig,
    )


def claim_03(ctx: Context) -> Claim:
    """The sigmoid neuron's error surface from its recommended start (on the flat region):
    steps to get 99% of the way from the start loss to the minimum, for gradient descent and
    momentum (beta 0.9) at the same rate (a fifth of the surface's recommended GD rate, so
    that momentum's larger effective step stays stable), and the share of GD's steps taken on
    gentle slopes (gradient norm below 10% of the largest seen)."""
    s = ds.surfaces.get("sigmoid_neuron")
    budget = ctx.budget(5000, 2000)
    lr = float(s.lr) / 5
    g = ds.minimize(s, None, ds.gd(lr), max_steps=budget, tol=1e-6, record_path=True)
    mo = ds.minimize(s, None, ds.momentum(lr, 0.9), max_steps=budget, tol=1e-6, record_path=True)
    start = float(history(g)["loss"][0])
    low = float(s.min_value)
    level = low + 0.01 * (start - low)
    gs, ms_ = first_step_below(g, level), first_step_below(mo, level)
    gn = np.asarray(history(g)["grad_norm"], dtype=float)[: max(gs, 2)]
    m = {
        "gd_steps": gs,
        "momentum_steps": ms_,
        "gd_gentle_share": float(np.mean(gn < 0.1 * np.nanmax(gn))),
        "lr": lr,
    }
    fig = plots.race_figure(
        s, {"gd": g, "momentum": mo}, title="Sigmoid neuron: GD and momentum from the flat region"
    )
    return _claim(
        3,
        "Gentle slopes are slow; momentum crosses them",
        "Gradient descent is slow on gentle slopes and plateaus (the sigmoid "
        "neuron's flat region); momentum crosses them faster.",
        m,
        v.verdict_03,
        fig,
    )


def claim_04(ctx: Context) -> Claim:
    """A narrow valley: the quadratic with kappa = 100 from (1, 1). Gradient descent at
    lr = 1.8 (near 2/L, the rate the flat direction needs) against momentum with the same
    effective step lr/(1 - beta) = 1.8 (lr 0.18, beta 0.9), 200 steps each. Measured: the share
    of sign flips of the steep coordinate's step, and path length over distance travelled."""
    s = ds.surfaces.get("quadratic", kappa=100.0)
    n = ctx.budget(200, 100)
    g = ds.minimize(s, None, ds.gd(1.8), max_steps=n, tol=1e-4, record_path=True)
    mo = ds.minimize(s, None, ds.momentum(0.18, 0.9), max_steps=n, tol=1e-4, record_path=True)
    pg, pm = path_of(g), path_of(mo)
    m = {
        "gd_flip_share": sign_flip_share(np.diff(pg[:, 0])),
        "momentum_flip_share": sign_flip_share(np.diff(pm[:, 0])),
        "gd_path_ratio": path_ratio(pg),
        "momentum_path_ratio": path_ratio(pm),
    }
    fig = plots.race_figure(
        s,
        {"gd lr=1.8": g, "momentum lr=0.18 beta=0.9": mo},
        title="A narrow valley (quadratic, kappa = 100)",
    )
    return _claim(
        4,
        "Zig-zag in a narrow valley; momentum damps it",
        "Gradient descent zig-zags across a narrow valley; momentum damps the zig-zag.",
        m,
        v.verdict_04,
        fig,
    )


def claim_05(ctx: Context) -> Claim:
    """Steps to a gradient norm of 1e-6 on quadratics with kappa 10 to 10,000, each method at
    its best textbook tuning (GD: lr = 2/(L+mu); heavy ball: Polyak's lr and beta), and on
    Rosenbrock (tol 1e-4) at the surface's rate with beta 0.9. The speed-up is GD's steps over
    momentum's, compared with the claim's range 3x-10x."""
    kappas = [10.0, 100.0] if ctx.quick else [10.0, 100.0, 1000.0, 10000.0]
    m: dict[str, float] = {}
    xs, gds, mos = [], [], []
    for k in kappas:
        s = ds.surfaces.get("quadratic", kappa=k)
        budget = int(40 * k + 2000)
        lr_m, beta, _ = plots.heavy_ball_optimum(k)
        g = ds.minimize(
            s, None, ds.gd(2 / (1 + 1 / k)), max_steps=budget, tol=1e-6, record_every=50
        )
        mo = ds.minimize(
            s, None, ds.momentum(lr_m, beta), max_steps=budget, tol=1e-6, record_every=50
        )
        m[f"speedup_kappa{int(k)}"] = int(g.steps) / max(int(mo.steps), 1)
        xs.append(f"k={int(k)}")
        gds.append(int(g.steps))
        mos.append(int(mo.steps))
    if not ctx.quick:
        r = ds.surfaces.get("rosenbrock")
        g = ds.minimize(r, None, ds.gd(r.lr), max_steps=60000, tol=1e-4, record_every=100)
        mo = ds.minimize(
            r, None, ds.momentum(r.lr, 0.9), max_steps=60000, tol=1e-4, record_every=100
        )
        m["speedup_rosenbrock"] = int(g.steps) / max(int(mo.steps), 1)
        xs.append("Rosenbrock")
        gds.append(int(g.steps))
        mos.append(int(mo.steps))
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.subplots()
    i = np.arange(len(xs))
    ax.bar(i - 0.2, gds, 0.4, label="gradient descent")
    ax.bar(i + 0.2, mos, 0.4, label="momentum")
    ax.set_yscale("log")
    ax.set_xticks(i, xs)
    ax.set(ylabel="steps to tolerance", title="Steps to tolerance: GD against momentum")
    ax.legend()
    fig.tight_layout()
    return _claim(
        5,
        "Momentum is often 3x to 10x faster",
        "Momentum is often 3x to 10x faster than plain gradient descent.",
        m,
        v.verdict_05,
        fig,
    )


def claim_06(ctx: Context) -> Claim:
    """Heavy-ball momentum and Nesterov at the same lr and beta (0.9) on the quadratic with
    kappa = 100 (lr 1.0) and on Rosenbrock (its recommended lr): counts steps that raised the
    loss (U-turns, overshoot) and steps to the gradient tolerance (1e-5 and 1e-4)."""
    m: dict[str, float] = {}
    runs = {}
    for tag, name, lr, tol, budget in (
        ("q", "quadratic", 1.0, 1e-5, 5000),
        ("r", "rosenbrock", None, 1e-4, 20000),
    ):
        s = ds.surfaces.get(name, kappa=100.0) if name == "quadratic" else ds.surfaces.get(name)
        lr = float(s.lr) if lr is None else lr
        budget = ctx.budget(budget, budget // 4)
        for rule in ("momentum", "nesterov"):
            r = ds.minimize(
                s, None, getattr(ds, rule)(lr, 0.9), max_steps=budget, tol=tol, record_path=True
            )
            m[f"{rule}_rises_{tag}"] = loss_rises(r)
            m[f"{rule}_steps_{tag}"] = int(r.steps)
            runs[(tag, rule)] = r
    r = ds.surfaces.get("rosenbrock")
    fig = plots.race_figure(
        r,
        {"momentum": runs[("r", "momentum")], "nesterov": runs[("r", "nesterov")]},
        title="Rosenbrock: momentum and Nesterov, same lr and beta",
    )
    return _claim(
        6,
        "Momentum overshoots; Nesterov less",
        "Momentum overshoots and makes U-turns; Nesterov oscillates less and "
        "converges sooner at the same settings.",
        m,
        v.verdict_06,
        fig,
    )
