"""Batch, stochastic and mini-batch gradient descent side by side: their paths in the (w, b)
plane of one sigmoid neuron fitted to one small data set, over the contour map of the loss on
the whole data set."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from descend import _validation as check
from descend.engine import fit
from descend.insight.plots._common import COLORS, contour, new_figure, on_the_host, save
from descend.optim import gd
from descend.problems import losses, models

FLAVOURS = (("batch (all 40 points)", None), ("stochastic (1 point)", 1),
            ("mini-batch (8 points)", 8))  # fmt: skip


def flavour_data(seed: int = 0, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``x ~ N(0, 2^2)`` labelled 1 with probability ``sigma(1.5 x - 1)``."""
    rng = np.random.default_rng(seed)
    X = (2.0 * rng.standard_normal((n, 1))).astype(np.float32)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(1.5 * X[:, 0] - 1.0)))).astype(np.float32)
    return X, y


@on_the_host
def flavour_paths(
    X: np.ndarray, y: np.ndarray, *, lr: float, steps: int, start: tuple[float, float],
    seed: int = 0,
) -> dict[str, np.ndarray]:  # fmt: skip
    """The (w, b) after every step of each flavour, as ``(steps + 1, 2)`` arrays.

    :func:`descend.fit` reports only per-epoch records, so each step is one call of
    ``fit(model, "mse", batch, gd(lr), epochs=1, params=..., opt_state=...)`` on that step's
    batch: the update is the engine's; this function only deals out the batches (a fresh
    permutation per epoch from ``seed``, as ``fit(..., shuffle=True)`` does)."""
    model = models.sigmoid_neuron(start=start)
    opt = gd(lr)
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    out = {}
    for name, batch in FLAVOURS:
        size = n if batch is None else batch
        params = model.init(jax.random.key(0))
        state = None
        pts = [(float(params["w"]), float(params["b"]))]
        while len(pts) <= steps:
            order = rng.permutation(n) if batch is not None else np.arange(n)
            for lo in range(0, n, size):
                if len(pts) > steps:
                    break
                idx = order[lo : lo + size]
                r = fit(model, "mse", (X[idx], y[idx]), opt, epochs=1, shuffle=False,
                        params=params, opt_state=state)  # fmt: skip
                params, state = r.final_params, r.opt_state
                pts.append((float(params["w"]), float(params["b"])))
        out[name] = np.asarray(pts)
    return out


@on_the_host
def flavours_figure(
    *, path: Any = None, seed: int = 0, steps: int = 60, lr: float = 4.0,
    start: tuple[float, float] = (-2.0, 2.5),
) -> Figure:  # fmt: skip
    """Paths of batch (``batch_size=None``), stochastic (``1``) and mini-batch (``8``) gradient
    descent with the same learning rate and the same number of steps on the squared error
    ``1/n sum_i (sigma(w x_i + b) - y_i)^2`` of one sigmoid neuron on 40 generated 1-D points
    (:func:`flavour_data`), over the contour map of that loss on all the points. An epoch is
    one step of batch descent, 5 of mini-batch, 40 of stochastic; see :func:`flavour_paths`
    for how each step's parameters are collected."""
    seed = check.seed("seed", seed)
    steps = check.positive_int("steps", steps)
    lr = check.real("lr", lr, 0.0, open_low=True)
    X, y = flavour_data(seed)
    paths = flavour_paths(X, y, lr=lr, steps=steps, start=start, seed=seed)
    model = models.sigmoid_neuron()
    loss_fn = losses.get("mse")
    allp = np.concatenate(list(paths.values()))
    w_lo, w_hi = min(allp[:, 0].min(), -4.0) - 0.5, max(allp[:, 0].max(), 4.0) + 0.5
    b_lo, b_hi = min(allp[:, 1].min(), -4.0) - 0.5, max(allp[:, 1].max(), 4.0) + 0.5
    ws, bs = np.meshgrid(np.linspace(w_lo, w_hi, 160), np.linspace(b_lo, b_hi, 160))
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def full_loss(w: jax.Array, b: jax.Array) -> jax.Array:
        return jnp.mean(loss_fn(model.apply({"w": w, "b": b}, Xj), yj))

    w_flat, b_flat = (jnp.asarray(a.ravel(), jnp.float32) for a in (ws, bs))
    zs = np.asarray(jax.jit(jax.vmap(full_loss))(w_flat, b_flat)).reshape(ws.shape)
    fig, ax = new_figure((8.0, 6.0))
    cs = contour(ax, ws, bs, zs, levels=25, log=False)
    fig.colorbar(cs, ax=ax).set_label("loss on all 40 points (mean squared error)")
    for i, (name, p) in enumerate(paths.items()):
        ax.plot(p[:, 0], p[:, 1], "-", color=COLORS[[3, 1, 0][i]], lw=[2.5, 0.9, 1.4][i],
                marker="o", ms=2.5, label=name,
                gid=f"flavour:{name}", zorder=3 + i)  # fmt: skip
    ax.plot(*start, "o", color="k", mfc="white", ms=9, mew=1.5, label="start", zorder=6)
    ax.set(xlim=(w_lo, w_hi), ylim=(b_lo, b_hi), xlabel="weight w", ylabel="bias b")
    ax.set_title(f"Batch, stochastic and mini-batch gradient descent on sigma(w x + b):\n"
                 f"{steps} steps each, lr = {lr:g}")  # fmt: skip
    ax.legend(fontsize=8, loc="best", framealpha=0.9)
    fig.tight_layout()
    return save(fig, path)
