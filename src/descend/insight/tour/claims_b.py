"""Claims 9-16 of the tour: saddles, adaptive rates, clipping, ascent, tolerances and weight
decay. Each ``claim_NN`` runs descend and hands the numbers to ``verdict_NN``."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import descend as ds
from descend.insight import plots
from descend.insight.tour import verdicts as v
from descend.insight.tour.claims_a import _claim
from descend.insight.tour.core import Claim, Context, first_step_below, path_of


def claim_09(ctx: Context) -> Claim:
    """The saddle x^2 - y^2 from (1, 0.001), almost on the ridge: steps until the loss falls
    below -1 (the run has left the saddle) for gradient descent (lr 0.1), momentum (lr 0.1,
    beta 0.9) and Adam (lr 0.05). A run that never escapes counts as budget + 1."""
    s = ds.surfaces.get("saddle")
    budget = ctx.budget(1000, 300)
    x0 = jnp.array([1.0, 1e-3])
    runs = {
        name: ds.minimize(s, x0, opt, max_steps=budget, tol=0.0, record_path=True)
        for name, opt in (
            ("gd", ds.gd(0.1)),
            ("momentum", ds.momentum(0.1, 0.9)),
            ("adam", ds.adam(0.05)),
        )
    }
    m = {f"{k}_escape": first_step_below(r, -1.0) for k, r in runs.items()}
    shown = {}
    for k, r in runs.items():
        p = path_of(r)
        inside = np.all(np.abs(p) <= 2.0, axis=1)
        shown[k] = p[: max(int(np.argmin(inside)) if not inside.all() else len(p), 2)]
    fig = plots.race_figure(s, shown, title="A saddle: who leaves first")
    return _claim(
        9,
        "Lingering at a saddle",
        "Near a saddle point gradient descent lingers; momentum and Adam leave sooner.",
        m,
        v.verdict_09,
        fig,
    )


def claim_10(ctx: Context) -> Claim:
    """The quadratic with kappa = 10,000 (curvatures 1 and 1e-4: parameters of very different
    scales) from (1, 1): after the same budget, the worst coordinate's remaining share of its
    start distance, for GD at its best stable rate 2/(L+mu) and RMSProp and Adam at one
    rate each (0.01)."""
    s = ds.surfaces.get("quadratic", kappa=1e4)
    budget = ctx.budget(1500, 800)
    runs = {"gd": ds.gd(2 / (1 + 1e-4)), "rmsprop": ds.rmsprop(0.01), "adam": ds.adam(0.01)}
    res = {
        k: ds.minimize(s, None, o, max_steps=budget, tol=1e-7, record_path=True)
        for k, o in runs.items()
    }
    m = {f"{k}_worst": float(np.max(np.abs(np.asarray(r.x)))) for k, r in res.items()}
    fig = plots.loss_curves(res, title="kappa = 10,000: one learning rate for both scales")
    return _claim(
        10,
        "Adaptive rates handle different scales",
        "Adaptive methods (RMSProp, Adam) handle parameters of very different scales "
        "with one learning rate.",
        m,
        v.verdict_10,
        fig,
    )


def claim_12(ctx: Context) -> Claim:
    """The quartic (x^4 + y^4)/4 from (3, 3) with gradient descent at lr 0.5: the first step
    overshoots to where the gradient is larger still, so the plain run diverges; the same run
    with the gradient clipped to norm 1 is measured for divergence and its final loss."""

    def f(x):
        return 0.25 * jnp.sum(x**4)

    x0 = jnp.array([3.0, 3.0])
    budget = ctx.budget(2000, 500)
    plain = ds.minimize(f, x0, ds.gd(0.5), max_steps=budget, tol=1e-4)
    clipped = ds.minimize(
        f, x0, ds.chain(ds.clip_by_global_norm(1.0), ds.gd(0.5)), max_steps=budget, tol=1e-4
    )
    m = {
        "plain_diverged": int(plain.diverged),
        "clipped_diverged": int(clipped.diverged),
        "start_loss": float(f(x0)),
        "clipped_final": float(clipped.loss),
    }
    fig = plots.loss_curves(
        {"gd lr=0.5": plain, "clipped to norm 1": clipped}, title="Quartic: gradient clipping"
    )
    return _claim(
        12,
        "Clipping keeps a run stable",
        "Gradient clipping keeps stable a run that diverges without it.",
        m,
        v.verdict_12,
        fig,
    )


def claim_14(ctx: Context) -> Claim:
    """The log-likelihood of a normal sample (200 points, mean 2, sd 1.5) in (mean, log sd):
    gradient ascent (``maximize=True``) on it and descent on its negative, both GD at lr 0.2,
    compared with each other and with the closed-form estimate (sample mean, log of the
    sample sd with 1/n)."""
    x = np.random.default_rng(0).normal(2.0, 1.5, 200)
    data = jnp.asarray(x, dtype=jnp.float32)

    def loglik(p):
        mu, log_s = p[0], p[1]
        return jnp.mean(-0.5 * ((data - mu) / jnp.exp(log_s)) ** 2 - log_s)

    x0 = jnp.array([0.0, 0.0])
    budget = ctx.budget(4000, 2000)
    up = ds.minimize(loglik, x0, ds.gd(0.2), max_steps=budget, tol=1e-6, maximize=True)
    down = ds.minimize(lambda p: -loglik(p), x0, ds.gd(0.2), max_steps=budget, tol=1e-6)
    mle = np.array([x.mean(), np.log(x.std())])
    a, d = np.asarray(up.x, dtype=float), np.asarray(down.x, dtype=float)
    m = {
        "ascent_vs_descent": float(np.linalg.norm(a - d)),
        "ascent_vs_mle": float(np.linalg.norm(a - mle)),
        "ascent_steps": int(up.steps),
        "descent_steps": int(down.steps),
    }
    fig = plots.loss_curves(
        {"ascent on log-likelihood": up, "descent on its negative": down},
        log=False,
        title="Maximum likelihood two ways",
    )
    return _claim(
        14,
        "Ascent on a likelihood = descent on its negative",
        "Gradient ascent reaches the maximum of a likelihood, the same point as "
        "minimising its negative.",
        m,
        v.verdict_14,
        fig,
    )


def claim_15(ctx: Context) -> Claim:
    """Gradient descent on Rosenbrock at its recommended rate with a budget of 20,000 steps:
    once with a gradient tolerance of 1e-3 and once with none (tol = 0, no loss tolerance).
    The distance to the minimum (1, 1) is compared with the bound tol/mu, mu the smallest
    Hessian eigenvalue at the minimum (exact for a quadratic, approximate here)."""
    s = ds.surfaces.get("rosenbrock")
    budget = ctx.budget(20000, 15000)
    with_tol = ds.minimize(s, None, ds.gd(s.lr), max_steps=budget, tol=1e-3, record_every=50)
    without = ds.minimize(s, None, ds.gd(s.lr), max_steps=budget, tol=0.0, record_every=50)
    mu = float(np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]]))[0])
    m = {
        "steps_tol": int(with_tol.steps),
        "steps_no_tol": int(without.steps),
        "budget": budget,
        "distance_tol": float(np.linalg.norm(np.asarray(with_tol.x) - 1.0)),
        "distance_bound": 1e-3 / mu,
        "distance_no_tol": float(np.linalg.norm(np.asarray(without.x) - 1.0)),
    }
    fig = plots.loss_curves(
        {"tol = 1e-3": with_tol, "no tolerance": without},
        title="Rosenbrock: stopping on the gradient norm",
    )
    return _claim(
        15,
        "A gradient tolerance stops the run",
        "A tolerance on the gradient stops the run close to the minimum, and without "
        "one the run spends its whole budget.",
        m,
        v.verdict_15,
        fig,
    )


def claim_16(ctx: Context) -> Claim:
    """Least squares on 80 points with 3 features of scales 1, 10 and 0.1, decay 0.1: Adam
    with coupled L2 (weight_decay chained before adam) against AdamW (decoupled), same lr
    (0.01 for the full budget). Measured: their relative distance and, as the runs' accuracy,
    Adam + L2's relative distance from the exact ridge solution it should converge to."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(80, 3)) * np.array([1.0, 10.0, 0.1])
    w_true = np.array([1.0, 0.1, 10.0])
    b = a @ w_true + 0.1 * rng.normal(size=80)
    lam = 0.1
    aj, bj = jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)

    def f(w):
        return 0.5 * jnp.mean((aj @ w - bj) ** 2)

    budget = ctx.budget(6000, 3000)
    x0 = jnp.zeros(3)
    l2 = ds.minimize(
        f, x0, ds.chain(ds.weight_decay(lam), ds.adam(0.01)), max_steps=budget, tol=1e-7
    )
    aw = ds.minimize(f, x0, ds.adamw(0.01, weight_decay=lam), max_steps=budget, tol=1e-7)
    ridge = np.linalg.solve(a.T @ a / 80 + lam * np.eye(3), a.T @ b / 80)
    w1, w2 = np.asarray(l2.x, dtype=float), np.asarray(aw.x, dtype=float)
    m = {
        "relative_difference": float(np.linalg.norm(w1 - w2) / np.linalg.norm(w1)),
        "l2_vs_ridge": float(np.linalg.norm(w1 - ridge) / np.linalg.norm(ridge)),
    }
    for i in range(3):
        m[f"w{i}_l2"], m[f"w{i}_adamw"] = w1[i], w2[i]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    idx = np.arange(3)
    ax.bar(idx - 0.25, ridge, 0.25, label="ridge (exact)")
    ax.bar(idx, w1, 0.25, label="Adam + L2")
    ax.bar(idx + 0.25, w2, 0.25, label="AdamW")
    ax.set_xticks(idx, ["w0 (scale 1)", "w1 (scale 10)", "w2 (scale 0.1)"])
    ax.set(title="Weights reached", ylabel="weight")
    ax.legend()
    fig.tight_layout()
    return _claim(
        16,
        "Adam + L2 differs from AdamW",
        "Adam with L2 regularisation and AdamW with decoupled weight decay reach "
        "different weights.",
        m,
        v.verdict_16,
        fig,
    )
