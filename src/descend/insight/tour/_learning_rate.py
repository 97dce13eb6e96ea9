"""The tour's claims about the learning rate: small steps go downhill (1), too small a
rate crawls and too large a one diverges (2), and with noisy gradients a decaying schedule
goes lower than a constant rate (11)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.engine._stop import StopReason
from descend.insight import plots
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import (
    Context,
    Measured,
    claim,
    history,
    loss_rises,
    path_of,
    sign_flip_share,
)


@claim(
    1,
    "Small steps always go downhill",
    "Each step of gradient descent with a small enough learning rate lowers the loss.",
    v.verdict_01,
    labels={
        "rises_small": "steps that raised the loss at lr 0.001 (count)",
        "steps_small": "steps taken at lr 0.001 (count)",
        "start_loss": "loss at the start (Rosenbrock value)",
        "final_small": "loss at the end at lr 0.001 (Rosenbrock value)",
        "rises_large": "steps that raised the loss at lr 0.004 (count)",
    },
)
def claim_01(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    2,
    "Too small crawls, too large diverges",
    "Too small a learning rate crawls and too large a one oscillates, then "
    "diverges; the threshold is 2/L on a quadratic, and a rate of 10 diverges.",
    v.verdict_02,
    labels={
        "threshold_measured": "measured divergence threshold (learning rate)",
        "threshold_theory": "textbook threshold 2/L (learning rate)",
        "lr10_diverged": "learning rate 10 diverged (1 yes, 0 no)",
        "crawl_steps": "steps at the smallest rate, 0.01 (count)",
        "best_steps": "steps at the fastest rate (count)",
        "best_lr": "fastest rate (learning rate)",
        "oscillation_share": "share of sign flips of the steep step at lr 1.5 (0 to 1)",
    },
)
def claim_02(ctx: Context) -> Measured:
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
    bad = (~np.isfinite(loss)) | (loss >= start) | (reason == StopReason.DIVERGED)
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
    return m, fig


@claim(
    11,
    "Decaying rates beat the noise ball",
    "With noisy gradients, a constant learning rate stalls in a noise ball and a decaying "
    "schedule (1/t, step, cosine, warmup) goes lower.",
    v.verdict_11,
    labels={
        "constant_final": "loss over the last 10% of the run, constant rate (seed mean)",
        "inverse_time_final": "loss over the last 10% of the run, 1/t decay (seed mean)",
        "step_final": "loss over the last 10% of the run, step decay (seed mean)",
        "cosine_final": "loss over the last 10% of the run, cosine (seed mean)",
        "warmup_cosine_final": "loss over the last 10% of the run, warm-up then cosine (seed mean)",
    },
)
def claim_11(ctx: Context) -> Measured:
    """The quadratic with kappa = 10 and constant Gaussian gradient noise (variance 0.01 per
    element, ``add_noise(0.01, gamma=0)``), gradient descent for 2000 steps from lr 0.5:
    constant, 1/t (``inverse_time(0.5, 0.01)``), step (x0.3 every 500 steps), cosine to 0, and
    a 100-step linear warm-up before a cosine. Measured: the loss averaged over the last 10%
    of the run and over 5 seeds (2 under ``quick``)."""
    s = ds.surfaces.get("quadratic", kappa=10.0)
    sch = ds.schedules
    steps, lr = 2000, 0.5
    schedules = {
        "constant": lr,
        "inverse_time": sch.inverse_time(lr, 0.01),
        "step": sch.step(lr, 500, 0.3),
        "cosine": sch.cosine(lr, steps),
        "warmup_cosine": sch.warmup(sch.cosine(lr, steps - 100), 100),
    }
    m: dict[str, float] = {}
    curves = {}
    for name, schedule in schedules.items():
        ends = []
        for seed in range(2 if ctx.quick else 5):
            opt = ds.chain(ds.add_noise(0.01, 0.0, seed=seed), ds.gd(schedule))
            run = ds.minimize(s, None, opt, max_steps=steps, tol=0.0, record_path=False)
            loss = np.asarray(run.history.trimmed()["loss"], float)
            ends.append(float(np.mean(loss[-steps // 10 :])))
            curves[name] = curves.get(name, run)
        m[f"{name}_final"] = float(np.mean(ends))
    fig = plots.loss_curves(curves, title="Noisy gradients: constant rate against schedules")
    return m, fig
