"""The tour's claim about the three flavours of descent on data: batch, stochastic and
mini-batch (7)."""

from __future__ import annotations

import time

import jax
import numpy as np

import descend as ds
from descend.insight import plots
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import Context, Measured, claim


@claim(
    7,
    "Batch, stochastic and mini-batch",
    "Batch descent is smooth, stochastic noisy, mini-batch in between; mini-batch reaches "
    "a target loss soonest in wall-clock time.",
    v.verdict_07,
    labels={
        "batch_roughness": "median change of log loss per step, batch (log units)",
        "stochastic_roughness": "median change of log loss per step, stochastic (log units)",
        "minibatch_roughness": "median change of log loss per step, mini-batch (log units)",
        "batch_ms_to_target": "time to a training loss of 0.08, batch (ms)",
        "stochastic_ms_to_target": "time to a training loss of 0.08, stochastic (ms)",
        "minibatch_ms_to_target": "time to a training loss of 0.08, mini-batch (ms)",
    },
)
def claim_07(ctx: Context) -> Measured:
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
    return m, fig
