"""The tour's claims about the batch size: noise from small batches finds flatter minima that
generalise better while large batches give more accurate but fewer updates (18), larger
batches are more stable with diminishing returns (19), and in high dimensions most local
minima have similar losses (20).

All three train a tanh MLP on noisy moons (256 training points, noise 0.3, standardised;
1,000 validation points from another seed) with :func:`descend.fit`, and read the exact
full-data gradient and Hessian of the training loss

    L(theta) = (1/N) sum_i l_i(theta),   g = grad L,   H = hess L

with JAX. A mini-batch ``B`` of ``|B|`` samples drawn without replacement estimates ``g`` by
``g_B = (1/|B|) sum_{i in B} grad l_i``, which is unbiased with

    E ||g_B - g||^2 = (sigma^2 / |B|) (N - |B|) / (N - 1),
    sigma^2 = (1/N) sum_i ||grad l_i - g||^2

(the finite-population correction makes it 0 at ``|B| = N``): the variance falls like 1/|B|.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from matplotlib.figure import Figure

import descend as ds
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import Context, Measured, claim

N_TRAIN, LR = 256, 0.5
#: batch sizes of claim 18 (full, quick); 256 is the whole training set (batch descent)
SHARP_BATCHES, SHARP_BATCHES_QUICK = (4, 16, 64, 256), (8, 256)
#: batch sizes of claim 19's spread over shuffling seeds (full, quick): claim 18's runs
SPREAD_BATCHES, SPREAD_BATCHES_QUICK = (4, 16, 64), (8, 256)
#: batch sizes of claim 19's gradient variance: doublings from 1 to 128
VARIANCE_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)


@functools.lru_cache(maxsize=1)
def _problem() -> tuple[Any, Any, Any]:
    """The training and validation sets and the 2-32-32-1 tanh MLP (one object, so that
    :func:`descend.fit` reuses its compiled programs across the claims)."""
    train = ds.data.moons(n_samples=N_TRAIN, noise=0.3, seed=0)
    val = ds.data.moons(n_samples=1000, noise=0.3, seed=1)
    train, val = ds.data.standardize(train, val)
    return train, val, ds.models.mlp([2, 32, 32, 1], activation="tanh")


def _full_loss(model: Any, data: Any) -> Any:
    """``theta -> L(theta)``, the mean binary cross-entropy on all of ``data``."""
    loss = ds.losses.get("binary_cross_entropy")
    X, y = jnp.asarray(data.X), jnp.asarray(data.y)
    return lambda p: jnp.mean(loss(model.apply(p, X), y))


@functools.lru_cache(maxsize=4)
def _hvp(model: Any, data: Any) -> Any:
    """The compiled Hessian-vector product ``(theta, v) -> H(theta) v`` of the training loss
    of ``model`` on ``data`` (flattened parameters), ``d/dt grad L(theta + t v)`` at t = 0
    (``jax.jvp`` of ``jax.grad``)."""
    f = _full_loss(model, data)
    unravel = ravel_pytree(model.init(jax.random.key(0)))[1]

    def grad(x):
        return ravel_pytree(jax.grad(f)(unravel(x)))[0]

    return jax.jit(lambda x, u: jax.jvp(grad, (x,), (u,))[1])


def sharpness(model: Any, data: Any, params: Any, iters: int) -> float:
    """The largest eigenvalue (in modulus) of the Hessian of the training loss at ``params``,
    by ``iters`` power iterations ``v <- Hv/|Hv|`` from a fixed random ``v``; returns the
    Rayleigh quotient ``v.Hv`` (``v`` of norm 1)."""
    hvp = _hvp(model, data)
    flat = ravel_pytree(params)[0]
    u = jax.random.normal(jax.random.key(0), flat.shape, flat.dtype)
    u = u / jnp.linalg.norm(u)
    for _ in range(iters):
        w = hvp(flat, u)
        u = w / jnp.linalg.norm(w)
    return float(jnp.vdot(u, hvp(flat, u)))


def _start() -> Any:
    """The initial weights every run of claims 18 and 19 starts from (seed 0)."""
    return _problem()[2].init(jax.random.split(jax.random.key(0))[0])


@functools.lru_cache(maxsize=1)
def _start_gradients() -> np.ndarray:
    """:func:`per_sample_gradients` of the training set at :func:`_start` (computed once)."""
    train, _, model = _problem()
    return per_sample_gradients(model, train, _start())


def per_sample_gradients(model: Any, data: Any, params: Any) -> np.ndarray:
    """The ``(N, d)`` matrix of the flattened gradients ``grad l_i`` of each sample's loss."""
    loss = ds.losses.get("binary_cross_entropy")

    def one(x, y):
        g = jax.grad(lambda p: jnp.sum(loss(model.apply(p, x[None]), y[None])))(params)
        return ravel_pytree(g)[0]

    grads = jax.jit(jax.vmap(one))(jnp.asarray(data.X), jnp.asarray(data.y))
    return np.asarray(grads, dtype=float)


def batch_gradient_error(grads: np.ndarray, batch: int, draws: int, seed: int) -> float:
    """``E ||g_B - g||^2`` measured: the mean over ``draws`` mini-batches of ``batch`` rows of
    ``grads`` drawn without replacement (as an epoch's shuffle does) of the squared distance
    of their mean from the mean of all rows."""
    rng = np.random.default_rng(seed)
    g = grads.mean(axis=0)
    n = grads.shape[0]
    errs = [
        np.sum((grads[rng.choice(n, batch, replace=False)].mean(axis=0) - g) ** 2)
        for _ in range(draws)
    ]
    return float(np.mean(errs))


def _train(batch: int, updates: int, seed: Any, params: Any = None) -> Any:
    """Plain gradient descent (lr 0.5) on the training set at batch size ``batch`` for
    ``updates`` updates (whole epochs: ``updates // ceil(N / batch)``), from ``params`` (or
    the initialisation of ``seed``), shuffled by ``seed``, with the validation set evaluated.
    Claims 18 to 20 call it with the same few plans, so each is compiled once."""
    train, val, model = _problem()
    epochs = max(updates // -(-N_TRAIN // batch), 1)
    return ds.fit(
        model, "binary_cross_entropy", train, ds.gd(LR), batch_size=batch, epochs=epochs,
        seed=seed, validation=val, params=params,
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def _train_loss(model: Any, data: Any) -> Any:
    """The compiled training loss ``theta -> L(theta)`` of ``model`` on ``data``."""
    return jax.jit(_full_loss(model, data))


@claim(
    18,
    "Small batches find flatter minima; large batches give fewer, more accurate updates",
    "The noise of small batches steers away from sharp minima towards flat ones that "
    "generalise better; a large batch estimates the gradient more accurately but takes fewer "
    "steps per epoch.",
    v.verdict_18,
    labels={
        **{
            f"sharpness_b{b}": f"largest Hessian eigenvalue at the end, batch size {b} "
            "(loss per unit parameter squared)"
            for b in sorted({*SHARP_BATCHES, *SHARP_BATCHES_QUICK})
        },
        **{
            f"{k}_b{b}": f"{w}, batch size {b} (cross-entropy)"
            for b in sorted({*SHARP_BATCHES, *SHARP_BATCHES_QUICK})
            for k, w in (
                ("train", "training loss at the end"),
                ("val", "validation loss at the end"),
                ("gap", "validation minus training loss"),
            )
        },
        **{
            f"{k}_b{b}": f"{w}, batch size {b} ({unit})"
            for b in sorted({*SHARP_BATCHES, *SHARP_BATCHES_QUICK})
            for k, w, unit in (
                ("graderror", "gradient estimate's error over the gradient's norm", "ratio"),
                ("updates", "updates per epoch", "count"),
            )
        },
        "updates": "update budget of every run, in whole epochs (count)",
    },
)
def claim_18(ctx: Context) -> Measured:
    """Plain gradient descent (lr 0.5) from the same initialisation at batch sizes 4, 16, 64
    and 256 (the whole set; 8 and 256 under ``quick``), each for the same number of updates
    (2,000; 400 under ``quick``), so the batches differ in noise, not in training time.
    Measured at the end: the sharpness of the minimum reached (the largest eigenvalue of the
    training loss's Hessian, 30 power iterations; for batch descent at rate lr the edge of
    stability is 2/lr = 4), the training and validation losses and their gap; at the start:
    the gradient estimate's error per update, ``sqrt(E||g_B - g||^2) / ||g||`` over 256
    random batches, and the updates per epoch, ``ceil(256 / B)``."""
    train, _, model = _problem()
    batches = SHARP_BATCHES_QUICK if ctx.quick else SHARP_BATCHES
    updates = ctx.budget(2000, 400)
    loss = _train_loss(model, train)
    grads = _start_gradients()
    g_norm = float(np.linalg.norm(grads.mean(axis=0)))
    m: dict[str, float] = {"updates": updates}
    for b in batches:
        r = _train(b, updates, 0, _start())
        m[f"sharpness_b{b}"] = sharpness(model, train, r.params, ctx.budget(30, 15))
        m[f"train_b{b}"] = float(loss(r.params))
        m[f"val_b{b}"] = float(r.curves()["val_loss"][-1])
        m[f"gap_b{b}"] = m[f"val_b{b}"] - m[f"train_b{b}"]
        m[f"graderror_b{b}"] = np.sqrt(batch_gradient_error(grads, b, 256, b)) / g_norm
        m[f"updates_b{b}"] = -(-N_TRAIN // b)
    fig = Figure(figsize=(10, 3.6))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    bs = np.array(batches)
    ax1.semilogx(bs, [m[f"sharpness_b{b}"] for b in bs], "o-", base=2)
    ax1.axhline(2 / LR, color="r", ls="--", label="2/lr (edge of stability)")
    ax1.set(xlabel="batch size", ylabel="largest Hessian eigenvalue", title="Sharpness")
    ax1.legend(fontsize=8)
    ax2.semilogx(bs, [m[f"train_b{b}"] for b in bs], "o-", base=2, label="training")
    ax2.semilogx(bs, [m[f"val_b{b}"] for b in bs], "s-", base=2, label="validation")
    ax2.set(xlabel="batch size", ylabel="cross-entropy", title=f"Loss after {updates} updates")
    ax2.legend(fontsize=8)
    ax3.loglog(bs, [m[f"updates_b{b}"] for b in bs], "o-", base=2, label="updates per epoch")
    err = np.array([m[f"graderror_b{b}"] for b in bs])
    ax3.loglog(bs[err > 0], err[err > 0], "s-", base=2, label="relative gradient error")
    ax3.set(xlabel="batch size", title="Fewer, more accurate updates (error 0 at all 256)")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    return m, fig


@claim(
    19,
    "Larger batches are more stable, with diminishing returns",
    "A larger batch is more stable, but each increase of the batch buys less.",
    v.verdict_19,
    labels={
        **{
            f"gradsd_b{b}": f"gradient estimate's standard error, batch size {b} "
            "(loss per unit parameter)"
            for b in VARIANCE_BATCHES
        },
        "variance_slope": "slope of log variance against log batch size, corrected for "
        "sampling without replacement (1/B gives -1)",
        "variance_vs_theory": "largest relative gap between measured variance and "
        "sigma squared over B (ratio)",
        "first_doubling_gain": "fall of the standard error from batch size 1 to 2 "
        "(loss per unit parameter)",
        "last_doubling_gain": "fall of the standard error from batch size 64 to 128 "
        "(loss per unit parameter)",
        **{
            f"spread_b{b}": "spread over shuffling seeds of the final training loss, "
            f"batch size {b} (standard deviation, cross-entropy)"
            for b in sorted({*SPREAD_BATCHES, *SPREAD_BATCHES_QUICK})
        },
        "seeds": "shuffling seeds per batch size (count)",
    },
)
def claim_19(ctx: Context) -> Measured:
    """Two measurements of stability against the batch size. (a) At the initial weights,
    the mean squared error of the mini-batch gradient, over 512 random batches (256 under
    ``quick``) of each size 1, 2, ..., 128, against the theory ``sigma^2/B (N-B)/(N-1)``; the
    slope of log variance (divided by the finite-population factor) against log B, and the
    fall of the standard error bought by the first and by the last doubling. (b) Training:
    claim 18's runs (gradient descent, lr 0.5, 2,000 updates; 400 under ``quick``) at its
    mini-batch sizes 4, 16 and 64 (under ``quick`` 8 and 256, the whole set, which no
    shuffle changes), from the same weights over 8 shuffling seeds (4): the spread (standard
    deviation) of the final training loss over the seeds."""
    train, _, model = _problem()
    grads = _start_gradients()
    sigma2 = float(np.mean(np.sum((grads - grads.mean(axis=0)) ** 2, axis=1)))
    draws = ctx.budget(512, 256)
    var = np.array([batch_gradient_error(grads, b, draws, b) for b in VARIANCE_BATCHES])
    bs = np.array(VARIANCE_BATCHES, dtype=float)
    fpc = (N_TRAIN - bs) / (N_TRAIN - 1)
    theory = sigma2 / bs * fpc
    sd = np.sqrt(var)
    m: dict[str, float] = {f"gradsd_b{b}": s for b, s in zip(VARIANCE_BATCHES, sd, strict=True)}
    m["variance_slope"] = float(np.polyfit(np.log(bs), np.log(var / fpc), 1)[0])
    m["variance_vs_theory"] = float(np.max(np.abs(var / theory - 1)))
    m["first_doubling_gain"] = float(sd[0] - sd[1])
    m["last_doubling_gain"] = float(sd[-2] - sd[-1])
    seeds = range(ctx.budget(8, 4))
    updates = ctx.budget(2000, 400)
    spread_batches = SPREAD_BATCHES_QUICK if ctx.quick else SPREAD_BATCHES
    loss = _train_loss(model, train)
    finals = {}
    for b in spread_batches:
        finals[b] = np.array([float(loss(_train(b, updates, s, _start()).params)) for s in seeds])
        m[f"spread_b{b}"] = float(np.std(finals[b]))
    m["seeds"] = len(seeds)
    fig = Figure(figsize=(9, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.loglog(bs, sd, "o", base=2, label="measured")
    ax1.loglog(bs, np.sqrt(theory), "-", base=2, label="sigma/sqrt(B) (with correction)")
    ax1.set(xlabel="batch size", ylabel="standard error of the gradient", title="Gradient noise")
    ax1.legend(fontsize=8)
    for i, b in enumerate(spread_batches):
        ax2.plot(np.full(len(seeds), i), finals[b], "o", alpha=0.6)
    ax2.set_xticks(range(len(spread_batches)), [f"B = {b}" for b in spread_batches])
    ax2.set(ylabel="training loss at the end", title=f"{len(seeds)} shuffling seeds")
    fig.tight_layout()
    return m, fig


@claim(
    20,
    "In high dimensions most local minima have similar losses",
    "In high dimensions (deep networks) most local minima are good ones, with losses close "
    "to each other.",
    v.verdict_20,
    labels={
        "net_spread": "spread of the end losses over their mean, 2-32-32-1 network (ratio)",
        "tiny_spread": "spread of the end losses over their mean, 2-2-1 network (ratio)",
        "surface_spread": "spread of the end losses over their mean, 2-D Rastrigin (ratio)",
        "net_mean": "mean end loss, 2-32-32-1 network (cross-entropy)",
        "tiny_mean": "mean end loss, 2-2-1 network (cross-entropy)",
        "surface_mean": "mean end loss, 2-D Rastrigin (Rastrigin value)",
        "net_parameters": "parameters of the 2-32-32-1 network (count)",
        "tiny_parameters": "parameters of the 2-2-1 network (count)",
        "seeds": "seeds per network (count)",
        "starts": "starts on Rastrigin (count)",
    },
)
def claim_20(ctx: Context) -> Measured:
    """Batch gradient descent (lr 0.5, 2,000 epochs; 400 under ``quick``) on the moons from
    16 random initialisations (8) of the 2-32-32-1 tanh network (1,185 parameters: high-
    dimensional), and (not under ``quick``) of a 2-2-1 one (9 parameters), its seeds in one
    vmapped ``fit``; and 64 gradient-descent restarts (500 steps; 32 under ``quick``) on 2-D
    Rastrigin from random starts in its domain. Measured: the spread (standard deviation over
    mean) of the end losses of each."""
    train, _, model = _problem()
    seeds = range(ctx.budget(16, 8))
    epochs = ctx.budget(2000, 400)
    m: dict[str, float] = {"seeds": len(seeds)}
    loss = _train_loss(model, train)
    ends = {"net": np.array([float(loss(_train(N_TRAIN, epochs, s).params)) for s in seeds])}
    m["net_parameters"] = ravel_pytree(_start())[0].size
    if not ctx.quick:
        tiny = ds.models.mlp([2, 2, 1], activation="tanh")
        runs = jax.vmap(
            lambda s: ds.fit(tiny, "binary_cross_entropy", train, ds.gd(LR), epochs=epochs, seed=s)
        )(jnp.arange(len(seeds)))
        ends["tiny"] = np.asarray(jax.vmap(_full_loss(tiny, train))(runs.params), dtype=float)
        m["tiny_parameters"] = ravel_pytree(tiny.init(jax.random.key(0)))[0].size
    s = ds.surfaces.get("rastrigin")
    starts = ctx.budget(64, 32)
    rs = ds.restarts(s, ds.gd(s.lr), starts, seed=0, max_steps=500, record_every=500)
    ends["surface"] = np.asarray(rs.results.loss, dtype=float)
    m["starts"] = starts
    for tag, e in ends.items():
        m[f"{tag}_mean"] = float(np.mean(e))
        m[f"{tag}_spread"] = float(np.std(e) / np.mean(e))
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    names = {
        "net": f"2-32-32-1 net ({m['net_parameters']:.0f} params)",
        "tiny": f"2-2-1 net ({m.get('tiny_parameters', 9):.0f} params)",
        "surface": "2-D Rastrigin",
    }
    rng = np.random.default_rng(0)
    for i, e in enumerate(ends.values()):
        ax.plot(i + 0.1 * rng.standard_normal(len(e)), e / np.mean(e), "o", alpha=0.6)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(range(len(ends)), [names[t] for t in ends])
    ax.set(ylabel="end loss over the mean end loss", title="How different are the minima found?")
    fig.tight_layout()
    return m, fig
