"""Claims 7-17 not in the other files: restarts and annealing (more to follow). Each
``claim_NN`` runs descend and hands the numbers to ``verdict_NN``."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import descend as ds
from descend.engine.restarts import draw_starts
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
