"""The tour's claims about adaptive rates: RMSProp and Adam handle parameters of very
different scales with one learning rate (10), and Adam with L2 reaches other weights than
AdamW's decoupled decay (16)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.insight import plots
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import Context, Measured, claim, rules, run_labels


@claim(
    10,
    "Adaptive rates handle different scales",
    "Adaptive methods (RMSProp, Adam) handle parameters of very different scales "
    "with one learning rate.",
    v.verdict_10,
    labels=run_labels(
        rules("gd", "rmsprop", "adam"), worst=("distance left on the worst coordinate", "0 to 1")
    ),
)
def claim_10(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    16,
    "Adam + L2 differs from AdamW",
    "Adam with L2 regularisation and AdamW with decoupled weight decay reach different weights.",
    v.verdict_16,
    labels={
        "relative_difference": "distance between the Adam + L2 and AdamW weights, relative (ratio)",
        "l2_vs_ridge": "distance of Adam + L2 from the exact ridge weights, relative (ratio)",
        "w0_l2": "weight 0 (feature scale 1), Adam + L2",
        "w0_adamw": "weight 0 (feature scale 1), AdamW",
        "w1_l2": "weight 1 (feature scale 10), Adam + L2",
        "w1_adamw": "weight 1 (feature scale 10), AdamW",
        "w2_l2": "weight 2 (feature scale 0.1), Adam + L2",
        "w2_adamw": "weight 2 (feature scale 0.1), AdamW",
    },
)
def claim_16(ctx: Context) -> Measured:
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
    return m, fig
