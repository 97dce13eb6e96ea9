"""Claims 7-17 not in the other files: the three flavours (7), noise escaping a shallow
minimum (8), the noise ball and decaying schedules (11), restarts and annealing (13),
vanishing gradients (17). Each ``claim_NN`` runs descend and hands the numbers to
``verdict_NN``."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.engine.restarts import draw_starts
from descend.insight import plots
from descend.insight.tour import verdicts as v
from descend.insight.tour.claims_a import _claim
from descend.insight.tour.core import Claim, Context


def _near_global(surface, x, within: float = 1e-2) -> bool:
    pts = np.asarray(surface.minima, float)
    d = np.linalg.norm(pts - np.asarray(x, float).reshape(1, -1), axis=1)
    return bool(np.min(d) <= within)


def claim_13(ctx: Context) -> Claim:
    """Rastrigin (2-D) and the double well: over 10 seeds (4 under ``quick``), the share whose
    best point is within 1e-2 of a global minimum for one GD run from a random start in the
    domain (500 steps), 64 vmapped GD restarts (500 steps each) and simulated annealing from
    the same random start (5000 steps, tol 0, cooling 0.998). The annealing temperature is
    0.3x the barrier (the loss at the surface's first saddle minus the global minimum's) and
    its kick 0.1x the domain's width."""
    seeds = range(4 if ctx.quick else 10)
    m: dict[str, float] = {}
    for name in ("rastrigin", "double_well"):
        s = ds.surfaces.get(name)
        barrier = float(s.f(jnp.asarray(s.saddles[0]))) - float(s.min_value)
        width = float(s.domain[0][1] - s.domain[0][0])
        hits = {"single": [], "restarts": [], "annealing": []}
        for seed in seeds:
            x0 = jnp.asarray(draw_starts(1, s.domain, seed)[0], jnp.float32)
            one = ds.minimize(s, x0, ds.gd(s.lr), max_steps=500, tol=0.0)
            hits["single"].append(_near_global(s, one.best_x))
            rs = ds.restarts(s, ds.gd(s.lr), 64, seed=seed, max_steps=500)
            hits["restarts"].append(rs.best_index >= 0 and _near_global(s, rs.best.best_x))
            opt = ds.annealing(
                s.lr, temperature=0.3 * barrier, cooling=0.998, noise=0.1 * width, seed=seed
            )
            an = ds.minimize(s, x0, opt, tol=0.0, max_steps=5000)
            hits["annealing"].append(_near_global(s, an.best_x))
        for k, h in hits.items():
            m[f"{name}_{k}"] = float(np.mean(h))
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    idx = np.arange(2)
    for i, k in enumerate(("single", "restarts", "annealing")):
        ax.bar(
            idx + (i - 1) * 0.25,
            [m[f"rastrigin_{k}"], m[f"double_well_{k}"]],
            0.25,
            label={"single": "one GD run", "restarts": "64 restarts", "annealing": "annealing"}[k],
        )
    ax.set_xticks(idx, ["rastrigin", "double_well"])
    ax.set(title="Share of seeds that found the global minimum", ylabel="share", ylim=(0, 1.05))
    ax.legend()
    fig.tight_layout()
    return _claim(
        13,
        "Restarts and annealing",
        "Random restarts and simulated annealing find the global minimum more often than one run.",
        m,
        v.verdict_13,
        fig,
    )


def claim_08(ctx: Context) -> Claim:
    """The tilted double well from its start, which lies in the shallow (local) minimum's
    basin: plain gradient descent (lr 0.05, 3000 steps) against the same steps with constant
    Gaussian gradient noise of variance 10 (``add_noise(10, gamma=0)``: the fixed noise of
    stochastic gradients from minibatches of one size), over 20 seeds (6 under ``quick``).
    Measured: the share of runs whose final point lies in the global minimum's basin (left of
    the saddle)."""
    s = ds.surfaces.get("double_well")
    saddle_x = float(s.saddles[0][0])
    seeds = range(6 if ctx.quick else 20)
    batch = ds.minimize(s, None, ds.gd(s.lr), max_steps=3000, record_path=True)
    finals, noisy_run = [], None
    for seed in seeds:
        opt = ds.chain(ds.add_noise(10.0, 0.0, seed=seed), ds.gd(s.lr))
        run = ds.minimize(s, None, opt, max_steps=3000, tol=0.0, record_path=seed == 0)
        finals.append(float(run.x[0]))
        noisy_run = run if seed == 0 else noisy_run
    m = {
        "batch_share": float(float(batch.x[0]) < saddle_x),
        "noisy_share": float(np.mean(np.asarray(finals) < saddle_x)),
        "seeds": float(len(finals)),
    }
    fig = plots.race_figure(
        s,
        {"gradient descent": batch, "with gradient noise (seed 0)": noisy_run},
        title="Double well: plain descent stays, noisy descent can cross",
    )
    return _claim(
        8,
        "Noise escapes a shallow minimum",
        "The noise of stochastic gradients can escape a shallow local minimum that batch "
        "descent stays in.",
        m,
        v.verdict_08,
        fig,
    )


def claim_17(ctx: Context) -> Claim:
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
    return _claim(
        17,
        "Vanishing gradients",
        "With sigmoid activations the gradients of a deep network's first layers vanish, and "
        "with ReLU far less.",
        m,
        v.verdict_17,
        fig,
    )


def claim_11(ctx: Context) -> Claim:
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
    return _claim(
        11,
        "Decaying rates beat the noise ball",
        "With noisy gradients, a constant learning rate stalls in a noise ball and a decaying "
        "schedule (1/t, step, cosine, warmup) goes lower.",
        m,
        v.verdict_11,
        fig,
    )


def claim_07(ctx: Context) -> Claim:
    """Logistic regression on standardised breast_cancer with plain gradient descent: batch
    (all 569 samples, lr 1.0), stochastic (1 sample, lr 0.05) and mini-batch (32 samples, lr
    0.5). Roughness: the median |change of log loss| between consecutive steps. Time to a
    training loss of 0.08 (full data, after each epoch): the epochs needed times the time of
    one epoch (median of 3 timed runs after compilation; the runs also evaluate the full data
    each epoch, the same for all three)."""
    bc = ds.data.standardize(ds.data.load("breast_cancer"))[0]
    model = ds.models.logistic(30)
    target, m, curves = 0.08, {}, {}
    for name, batch, lr, epochs in (("batch", None, 1.0, 300), ("stochastic", 1, 0.05, 10),
                                    ("minibatch", 32, 0.5, 30)):  # fmt: skip

        def run(batch=batch, lr=lr, epochs=epochs):
            return jax.block_until_ready(
                ds.fit(model, "binary_cross_entropy", bc, ds.gd(lr), batch_size=batch,
                       epochs=epochs, validation=bc, seed=0)
            )  # fmt: skip

        res = run()  # compiles
        times = []
        for _ in range(1 if ctx.quick else 3):
            start = time.perf_counter()
            res = run()
            times.append(time.perf_counter() - start)
        c = res.curves()
        steps = np.asarray(c["step_loss"], float)
        m[f"{name}_roughness"] = float(np.median(np.abs(np.diff(np.log(steps + 1e-12)))))
        reached = np.nonzero(np.asarray(c["val_loss"]) <= target)[0]
        per_epoch = float(np.median(times)) / epochs
        m[f"{name}_ms_to_target"] = (
            1e3 * per_epoch * (reached[0] + 1) if len(reached) else float("inf")
        )
        curves[name] = steps
    fig = plots.loss_curves(
        {k: c[:300] for k, c in curves.items()},
        log=False,
        title="Loss per step, first 300 steps: batch, stochastic and mini-batch",
    )
    return _claim(
        7,
        "Batch, stochastic and mini-batch",
        "Batch descent is smooth, stochastic noisy, mini-batch in between; mini-batch reaches "
        "a target loss soonest in wall-clock time.",
        m,
        v.verdict_07,
        fig,
    )
