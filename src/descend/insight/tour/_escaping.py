"""The tour's claims about escaping: gradient noise leaves a shallow minimum (8), momentum
and Adam leave a saddle sooner than gradient descent (9), and restarts and annealing find
the global minimum more often than one run (13)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.engine._restarts import draw_starts
from descend.insight import plots
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import (
    Context,
    Measured,
    claim,
    first_step_below,
    path_of,
    rules,
    run_labels,
)


def _near_global(surface, x, within: float = 1e-2) -> bool:
    pts = np.asarray(surface.minima, float)
    d = np.linalg.norm(pts - np.asarray(x, float).reshape(1, -1), axis=1)
    return bool(np.min(d) <= within)


@claim(
    8,
    "Noise escapes a shallow minimum",
    "The noise of stochastic gradients can escape a shallow local minimum that batch "
    "descent stays in.",
    v.verdict_08,
    labels={
        "batch_share": "plain descent ended in the global basin (1 yes, 0 no)",
        "noisy_share": "share of noisy runs that ended in the global basin (0 to 1)",
        "seeds": "noisy runs (count)",
    },
)
def claim_08(ctx: Context) -> Measured:
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
    return m, fig


@claim(
    9,
    "Lingering at a saddle",
    "Near a saddle point gradient descent lingers; momentum and Adam leave sooner.",
    v.verdict_09,
    labels=run_labels(
        rules("gd", "momentum", "adam"), escape=("steps to leave the saddle", "count")
    ),
)
def claim_09(ctx: Context) -> Measured:
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
    return m, fig


def _from_each_start(
    s: ds.surfaces.Surface, starts: jax.Array, temperature: float, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """The best points of one GD run (500 steps) and of one annealing walk (5000 steps,
    cooling 0.998, seed ``i`` from ``starts[i]``) from each start, each set in one program.
    Only the ends are read, so the runs record no history (their programs compile faster)."""

    def single(x0: jax.Array) -> jax.Array:
        return ds.minimize(s, x0, ds.gd(s.lr), max_steps=500, tol=0.0, record_every=500).best_x

    def walk(x0: jax.Array, seed: jax.Array) -> jax.Array:
        opt = ds.annealing(s.lr, temperature, cooling=0.998, noise=noise, seed=seed)
        return ds.minimize(s, x0, opt, tol=0.0, max_steps=5000, record_every=5000).best_x

    seeds = jnp.arange(len(starts))
    return np.asarray(jax.vmap(single)(starts)), np.asarray(jax.vmap(walk)(starts, seeds))


@claim(
    13,
    "Restarts and annealing",
    "Random restarts and simulated annealing find the global minimum more often than one run.",
    v.verdict_13,
    labels={
        "rastrigin_single": "Rastrigin, one run: seeds at the global minimum (0 to 1)",
        "rastrigin_restarts": "Rastrigin, 64 restarts: seeds at the global minimum (0 to 1)",
        "rastrigin_annealing": "Rastrigin, annealing: seeds at the global minimum (0 to 1)",
        "double_well_single": "double well, one run: seeds at the global minimum (0 to 1)",
        "double_well_restarts": "double well, 64 restarts: seeds at the global minimum (0 to 1)",
        "double_well_annealing": "double well, annealing: seeds at the global minimum (0 to 1)",
    },
)
def claim_13(ctx: Context) -> Measured:
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
        starts = jnp.asarray([draw_starts(1, s.domain, seed)[0] for seed in seeds], jnp.float32)
        single, walks = _from_each_start(s, starts, 0.3 * barrier, 0.1 * width)
        hits = {"single": [_near_global(s, x) for x in single], "restarts": [],
                "annealing": [_near_global(s, x) for x in walks]}  # fmt: skip
        for seed in seeds:
            rs = ds.restarts(s, ds.gd(s.lr), 64, seed=seed, max_steps=500, record_every=500)
            hits["restarts"].append(rs.best_index >= 0 and _near_global(s, rs.best.best_x))
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
    return m, fig
