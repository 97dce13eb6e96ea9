"""The tour's claims about what is done with the gradient: clipping it keeps a run stable
(12), ascent on a likelihood reaches what descent on its negative does (14), a tolerance
on its norm stops the run (15), and it vanishes in the first layers of a deep sigmoid
network (17)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.insight import plots
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import Context, Measured, claim, run_labels


@claim(
    12,
    "Clipping keeps a run stable",
    "Gradient clipping keeps stable a run that diverges without it.",
    v.verdict_12,
    labels={
        "plain_diverged": "the unclipped run diverged (1 yes, 0 no)",
        "clipped_diverged": "the clipped run diverged (1 yes, 0 no)",
        "start_loss": "loss at the start (quartic value)",
        "clipped_final": "loss at the end of the clipped run (quartic value)",
    },
)
def claim_12(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    14,
    "Ascent on a likelihood = descent on its negative",
    "Gradient ascent reaches the maximum of a likelihood, the same point as "
    "minimising its negative.",
    v.verdict_14,
    labels={
        "ascent_vs_descent": "distance between the ascent and descent estimates (parameter units)",
        "ascent_vs_mle": "distance from the ascent estimate to the closed form (parameter units)",
        "ascent_steps": "steps taken by ascent (count)",
        "descent_steps": "steps taken by descent (count)",
    },
)
def claim_14(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    15,
    "A gradient tolerance stops the run",
    "A tolerance on the gradient stops the run close to the minimum, and without "
    "one the run spends its whole budget.",
    v.verdict_15,
    labels={
        "steps_tol": "steps taken with the tolerance 1e-3 (count)",
        "steps_no_tol": "steps taken without a tolerance (count)",
        "budget": "step budget (count)",
        "distance_tol": "distance to the minimum with the tolerance (parameter units)",
        "distance_bound": "bound tol/mu on that distance (parameter units)",
        "distance_no_tol": "distance to the minimum without a tolerance (parameter units)",
    },
)
def claim_15(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    17,
    "Vanishing gradients",
    "With sigmoid activations the gradients of a deep network's first layers vanish, and "
    "with ReLU far less.",
    v.verdict_17,
    labels=run_labels(
        {"sigmoid": "sigmoid", "relu": "ReLU"},
        first_over_last=("gradient norm, first layer over last layer", "ratio"),
    ),
)
def claim_17(ctx: Context) -> Measured:
    """A 6-layer MLP (2-32-32-32-32-32-1) at initialisation on standardised moons, with
    sigmoid and with ReLU activations: the norm of the loss gradient with respect to the
    first layer's weights over that of the last layer's, averaged over 3 seeds (2 under
    ``quick``)."""
    moons = ds.data.standardize(ds.data.moons(n_samples=200, seed=0))[0]
    X, y = jnp.asarray(moons.X), jnp.asarray(moons.y)
    loss = ds.losses.get("binary_cross_entropy")
    m: dict[str, float] = {}
    per_layer: dict[str, np.ndarray] = {}
    for act in ("sigmoid", "relu"):
        model = ds.models.mlp([2, 32, 32, 32, 32, 32, 1], activation=act)
        ratios, norms = [], []
        for seed in range(2 if ctx.quick else 3):
            p = model.init(jax.random.key(seed))
            g = jax.grad(lambda p, model=model: jnp.mean(loss(model.apply(p, X), y)))(p)
            layer = np.array([float(jnp.linalg.norm(layer["w"])) for layer in g])
            ratios.append(layer[0] / layer[-1])
            norms.append(layer)
        m[f"{act}_first_over_last"] = float(np.mean(ratios))
        per_layer[act] = np.mean(norms, axis=0)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for act, norms in per_layer.items():
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", label=act)
    ax.set(
        xlabel="layer (1 = first)",
        ylabel="gradient norm of the layer's weights (log scale)",
        title="Gradients at initialisation, layer by layer",
    )
    ax.legend()
    fig.tight_layout()
    return m, fig
