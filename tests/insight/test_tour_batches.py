"""The tour's claims 18-21 (batch size, and the weights of beta = 0.9): the verdict rules on
made-up numbers, the measuring helpers against independent truth (a closed-form Hessian,
the 1/B law of sampling without replacement), and the claims under quick budgets with their
verdicts computed from their numbers."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import descend as ds
from descend.insight.tour import _batches as batches
from descend.insight.tour import _momentum as momentum
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import Context

VERDICTS = ("holds", "does not hold", "depends")


def _per_batch(prefix: str, values: dict[int, float]) -> dict[str, float]:
    return {f"{prefix}_b{b}": x for b, x in values.items()}


GOOD_18 = {
    **_per_batch("sharpness", {4: 0.6, 64: 1.2, 256: 3.9}),
    **_per_batch("val", {4: 0.20, 64: 0.22, 256: 0.24}),
    **_per_batch("graderror", {4: 1.2, 64: 0.3, 256: 0.0}),
    **_per_batch("updates", {4: 64, 64: 4, 256: 1}),
}
GOOD_19 = {
    **_per_batch("spread", {4: 0.03, 16: 0.01, 64: 0.004}),
    "variance_slope": -0.99,
    "variance_vs_theory": 0.05,
    "first_doubling_gain": 0.45,
    "last_doubling_gain": 0.06,
}
GOOD_20 = {"net_spread": 0.01, "surface_spread": 0.7, "net_parameters": 1185, "tiny_spread": 0.1}
GOOD_21 = {
    "beta": 0.9,
    "sum_total": 10.0,
    "ema_total": 1.0,
    "last10_share": 0.95,
    "last10_theory": 0.95,
    "count_for_90": 9,
    "mean_age": 3.0,
}


@pytest.mark.parametrize(
    ("rule", "good", "change", "expected"),
    [
        (v.verdict_18, GOOD_18, {}, "holds"),
        (v.verdict_18, GOOD_18, {"val_b4": 0.24}, "depends"),  # flatter, not better
        (v.verdict_18, GOOD_18, {"sharpness_b4": 3.0}, "depends"),  # better, not flatter
        (v.verdict_18, GOOD_18, {"sharpness_b4": 3.0, "val_b4": 0.3}, "does not hold"),
        (v.verdict_18, GOOD_18, {"graderror_b64": 1.5}, "does not hold"),  # not more accurate
        (v.verdict_18, GOOD_18, {"updates_b64": 64}, "does not hold"),
        (v.verdict_19, GOOD_19, {}, "holds"),
        (v.verdict_19, GOOD_19, {"spread_b64": 0.05}, "does not hold"),
        (v.verdict_19, GOOD_19, {"variance_slope": -0.5}, "does not hold"),
        (v.verdict_19, GOOD_19, {"variance_vs_theory": 0.5}, "does not hold"),
        (v.verdict_19, GOOD_19, {"last_doubling_gain": 0.2}, "does not hold"),
        (v.verdict_20, GOOD_20, {}, "holds"),
        (v.verdict_20, {k: x for k, x in GOOD_20.items() if k != "tiny_spread"}, {}, "holds"),
        (v.verdict_20, GOOD_20, {"surface_spread": 0.03}, "depends"),
        (v.verdict_20, GOOD_20, {"net_spread": 0.2}, "does not hold"),
        (v.verdict_21, GOOD_21, {}, "holds"),
        (v.verdict_21, GOOD_21, {"last10_share": 0.651, "last10_theory": 0.651}, "depends"),
        (v.verdict_21, GOOD_21, {"last10_share": 0.3, "last10_theory": 0.3}, "does not hold"),
        (v.verdict_21, GOOD_21, {"sum_total": 9.0}, "does not hold"),  # engine is off
        (v.verdict_21, GOOD_21, {"last10_theory": 0.9}, "does not hold"),
    ],
)
def test_verdicts_on_made_up_numbers(rule, good, change, expected):
    verdict, why = rule({**good, **change})
    assert verdict == expected and why


def test_sharpness_matches_the_closed_form_hessian_of_logistic_regression():
    # L(w, b) = mean BCE(sigmoid(Xw + b), y): H = A^T diag(p(1 - p)) A / N with A = [X, 1]
    data = ds.data.standardize(ds.data.moons(n_samples=64, noise=0.2, seed=3))[0]
    model = ds.models.logistic(2)
    params = model.init(jax.random.key(1))
    params = jax.tree_util.tree_map(lambda p: p + 0.3, params)
    X = np.asarray(data.X, float)
    flat = np.asarray(ravel_pytree(params)[0], float)
    z = np.asarray(model.apply(params, jnp.asarray(X)), float)
    p = 1 / (1 + np.exp(-z))
    A = np.column_stack([X, np.ones(len(X))])
    H = A.T @ (A * (p * (1 - p))[:, None]) / len(X)
    assert flat.size == 3
    top = float(np.linalg.eigvalsh(H)[-1])  # the order of the parameters does not matter
    assert batches.sharpness(model, data, params, 50) == pytest.approx(top, rel=1e-3)


def test_mini_batch_gradient_error_follows_the_sampling_law():
    # without replacement: E|g_B - g|^2 = sigma^2/B (N - B)/(N - 1), independent of the model
    grads = np.random.default_rng(0).normal(size=(100, 5)) * np.array([1, 2, 3, 4, 5])
    sigma2 = np.mean(np.sum((grads - grads.mean(0)) ** 2, axis=1))
    for b in (1, 10, 50):
        theory = sigma2 / b * (100 - b) / 99
        assert batches.batch_gradient_error(grads, b, 4000, 0) == pytest.approx(theory, rel=0.08)
    assert batches.batch_gradient_error(grads, 100, 10, 0) == pytest.approx(0, abs=1e-20)


def test_per_sample_gradients_average_to_the_full_gradient():
    train, _, model = batches._problem()
    params = batches._start()
    grads = batches._start_gradients()
    full = jax.grad(batches._full_loss(model, train))(params)
    flat = np.asarray(ravel_pytree(full)[0], float)
    assert grads.shape == (batches.N_TRAIN, flat.size)
    np.testing.assert_allclose(grads.mean(axis=0), flat, rtol=1e-4, atol=1e-6)


def test_momentum_weights_are_read_from_the_engine():
    heavy = momentum.impulse_weights("sum", 0.9, 50)
    ema = momentum.impulse_weights("ema", 0.9, 50)
    k = np.arange(50)
    np.testing.assert_allclose(heavy, 0.9**k, rtol=1e-5)
    np.testing.assert_allclose(ema, 0.1 * 0.9**k, rtol=1e-5)

    c = momentum.claim_21(Context(quick=True))
    m = c.measurements
    assert m["sum_total"] == pytest.approx(10, rel=1e-4)
    assert m["ema_total"] == pytest.approx(1, rel=1e-4)
    assert m["last10_share"] == pytest.approx(1 - 0.9**10, abs=1e-5)  # 65.1%
    assert m["count_for_90"] == math.ceil(math.log(0.1) / math.log(0.9))  # 22
    assert m["mean_age"] == pytest.approx(9, rel=1e-3)  # beta/(1 - beta)
    assert (c.verdict, c.explanation) == v.verdict_21(m)
    assert c.verdict == "depends" and "65.1%" in c.explanation and c.figure is not None


@pytest.fixture(scope="module")
def quick_claims():
    ctx = Context(quick=True)
    return {c.number: c for c in (batches.claim_18(ctx), batches.claim_19(ctx),
                                  batches.claim_20(ctx))}  # fmt: skip


def test_quick_batch_claims_compute_their_verdicts(quick_claims):
    rules = {18: v.verdict_18, 19: v.verdict_19, 20: v.verdict_20}
    for n, c in quick_claims.items():
        assert c.verdict in VERDICTS and c.figure is not None
        assert (c.verdict, c.explanation) == rules[n](c.measurements)
        assert set(c.labels) == set(c.measurements)
        assert all("_" not in label for label in c.labels.values())


def test_quick_batch_claims_measure_what_they_say(quick_claims):
    m18, m19, m20 = (quick_claims[n].measurements for n in (18, 19, 20))
    # updates per epoch are ceil(256 / B); the whole batch's gradient has no error
    assert m18["updates_b8"] == 32 and m18["updates_b256"] == 1
    assert m18["graderror_b256"] == 0 and m18["graderror_b8"] > 0.1
    # batch descent at lr 0.5 stays below the edge of stability 2/lr = 4
    assert 0 < m18["sharpness_b256"] < 2 / batches.LR * 1.05
    # no shuffle changes a full batch, so its runs agree over seeds (float round-off only)
    assert m19["spread_b256"] < 1e-5 < m19["spread_b8"]
    assert -1.1 < m19["variance_slope"] < -0.9
    # 2-D Rastrigin's minima differ by whole units of loss: a wide spread
    assert m20["surface_spread"] > 0.3 and m20["net_parameters"] == 1185
