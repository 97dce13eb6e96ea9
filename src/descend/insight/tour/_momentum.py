"""The tour's claims about momentum: it crosses gentle slopes (3), damps the zig-zag of a
narrow valley (4), is often 3x to 10x faster than plain descent (5), overshoots where
Nesterov does less (6), and with beta = 0.9 weights roughly the last 10 gradients (21)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.insight import plots
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import (
    Context,
    Measured,
    claim,
    first_step_below,
    history,
    loss_rises,
    path_of,
    path_ratio,
    rules,
    run_labels,
    sign_flip_share,
)


@claim(
    3,
    "Gentle slopes are slow; momentum crosses them",
    "Gradient descent is slow on gentle slopes and plateaus (the sigmoid "
    "neuron's flat region); momentum crosses them faster.",
    v.verdict_03,
    labels={
        **run_labels(rules("gd", "momentum"), steps=("steps to 99% of the way down", "count")),
        "gd_gentle_share": "share of gradient descent's steps on gentle slopes (0 to 1)",
        "lr": "learning rate of both runs (per step)",
    },
)
def claim_03(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    4,
    "Zig-zag in a narrow valley; momentum damps it",
    "Gradient descent zig-zags across a narrow valley; momentum damps the zig-zag.",
    v.verdict_04,
    labels=run_labels(
        rules("gd", "momentum"),
        flip_share=("share of sign flips of the steep step", "0 to 1"),
        path_ratio=("path length over distance travelled", "ratio"),
    ),
)
def claim_04(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    5,
    "Momentum is often 3x to 10x faster",
    "Momentum is often 3x to 10x faster than plain gradient descent.",
    v.verdict_05,
    labels={
        "speedup_kappa10": "momentum speed-up, quadratic with condition number 10 (times)",
        "speedup_kappa100": "momentum speed-up, quadratic with condition number 100 (times)",
        "speedup_kappa1000": "momentum speed-up, quadratic with condition number 1000 (times)",
        "speedup_kappa10000": "momentum speed-up, quadratic with condition number 10000 (times)",
        "speedup_rosenbrock": "momentum speed-up on Rosenbrock (times)",
    },
)
def claim_05(ctx: Context) -> Measured:
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
        # only the steps taken are read: the runs record their ends alone
        g = ds.minimize(
            s, None, ds.gd(2 / (1 + 1 / k)), max_steps=budget, tol=1e-6, record_every=budget
        )
        mo = ds.minimize(
            s, None, ds.momentum(lr_m, beta), max_steps=budget, tol=1e-6, record_every=budget
        )
        m[f"speedup_kappa{int(k)}"] = int(g.steps) / max(int(mo.steps), 1)
        xs.append(f"k={int(k)}")
        gds.append(int(g.steps))
        mos.append(int(mo.steps))
    if not ctx.quick:
        r = ds.surfaces.get("rosenbrock")
        g = ds.minimize(r, None, ds.gd(r.lr), max_steps=60000, tol=1e-4, record_every=60000)
        mo = ds.minimize(
            r, None, ds.momentum(r.lr, 0.9), max_steps=60000, tol=1e-4, record_every=60000
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
    return m, fig


@claim(
    6,
    "Momentum overshoots; Nesterov less",
    "Momentum overshoots and makes U-turns; Nesterov oscillates less and "
    "converges sooner at the same settings.",
    v.verdict_06,
    labels={
        "momentum_rises_q": "steps that raised the loss, momentum on the quadratic (count)",
        "momentum_rises_r": "steps that raised the loss, momentum on Rosenbrock (count)",
        "momentum_steps_q": "steps to the gradient tolerance, momentum on the quadratic (count)",
        "momentum_steps_r": "steps to the gradient tolerance, momentum on Rosenbrock (count)",
        "nesterov_rises_q": "steps that raised the loss, Nesterov on the quadratic (count)",
        "nesterov_rises_r": "steps that raised the loss, Nesterov on Rosenbrock (count)",
        "nesterov_steps_q": "steps to the gradient tolerance, Nesterov on the quadratic (count)",
        "nesterov_steps_r": "steps to the gradient tolerance, Nesterov on Rosenbrock (count)",
    },
)
def claim_06(ctx: Context) -> Measured:
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
    return m, fig


def impulse_weights(form: str, beta: float, steps: int) -> np.ndarray:
    """The weight the engine's momentum rule gives a gradient ``k`` steps old, for
    ``k = 0 .. steps - 1``: ``ds.momentum(lr=1, beta, form=form)`` is fed a unit gradient at
    step 0 and zeros after, and its update at step ``k`` (negated) is that weight. The heavy
    ball ("sum") gives ``beta^k``, the EMA form ``(1 - beta) beta^k``."""
    opt = ds.momentum(1.0, beta, form=form)
    params = jnp.zeros(1)
    grads = jnp.zeros((steps, 1)).at[0, 0].set(1.0)

    def step(state, g):
        update, state = opt.update(g, state, params)
        return state, -update[0]

    return np.asarray(jax.lax.scan(step, opt.init(params), grads)[1], dtype=float)


@claim(
    21,
    "With beta = 0.9 roughly the last 10 gradients count",
    "With beta = 0.9 the direction of a momentum step is made of roughly the last 10 gradients.",
    v.verdict_21,
    labels={
        "beta": "momentum coefficient beta (per step)",
        "sum_total": "total weight on past gradients, heavy ball (gradients)",
        "ema_total": "total weight on past gradients, moving-average form (gradients)",
        "last10_share": "share of the weight on the last 10 gradients (0 to 1)",
        "last10_theory": "1 minus beta to the 10th, the textbook share (0 to 1)",
        "count_for_90": "most recent gradients that carry 90% of the weight (count)",
        "mean_age": "mean age of the weighted gradients (steps)",
    },
)
def claim_21(ctx: Context) -> Measured:
    """A unit gradient impulse at step 0 and zeros after, fed to the engine's momentum
    (beta 0.9, lr 1) in its heavy-ball ("sum", PyTorch's) and moving-average ("ema", the
    texts' ``v <- beta v + (1 - beta) g``) forms for 300 steps (0.9^300 ~ 2e-14): its update
    at step k is the weight ``w_k`` of a gradient k steps old. Measured: the total weight of
    each form (theory: 1/(1 - beta) = 10 and 1), the share of the weight on the 10 most
    recent gradients (theory: 1 - beta^10 = 65.1%), how many recent gradients carry 90% of
    it (theory: 22) and the weights' mean age (theory: beta/(1 - beta) = 9 steps)."""
    beta, steps = 0.9, 300
    heavy = impulse_weights("sum", beta, steps)
    ema = impulse_weights("ema", beta, steps)
    share = np.cumsum(ema) / np.sum(ema)
    k = np.arange(steps)
    m = {
        "beta": beta,
        "sum_total": float(np.sum(heavy)),
        "ema_total": float(np.sum(ema)),
        "last10_share": float(share[9]),
        "last10_theory": 1 - beta**10,
        "count_for_90": int(np.argmax(share >= 0.9)) + 1,
        "mean_age": float(np.sum(k * ema) / np.sum(ema)),
    }
    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.subplots()
    shown = 40
    colours = ["C0" if i < 10 else "C7" for i in range(shown)]
    ax.bar(k[:shown], ema[:shown], color=colours, label="weight (EMA form); last 10 in blue")
    ax.set(xlabel="age of the gradient (steps)", ylabel="weight on the gradient")
    twin = ax.twinx()
    twin.plot(k[:shown], share[:shown], "k.-", label="cumulative share")
    twin.axhline(share[9], color="C1", ls="--", label=f"last 10: {100 * share[9]:.0f}%")
    twin.axhline(0.9, color="C3", ls=":", label=f"90%: last {m['count_for_90']}")
    twin.set(ylabel="share of the total weight", ylim=(0, 1.02))
    twin.legend(loc="center right", fontsize=8)
    ax.set_title("beta = 0.9: the weight of past gradients, from the engine")
    fig.tight_layout()
    return m, fig
