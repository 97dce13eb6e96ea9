"""descend.fit: batch, stochastic and mini-batch training compiled whole, against
closed-form optima, scikit-learn, and hand-computed steps."""

import dataclasses
import io
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.problems import data, models


def centered_regression(n=64, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.normal(size=n)).astype(np.float32)
    return X - X.mean(0), y - y.mean()


def test_sigmoid_neuron_reaches_its_known_optimum():
    """The texts' neuron fits x = [0.5, 2.5], y = [0.2, 0.9] exactly: w*0.5 + b = logit(0.2),
    w*2.5 + b = logit(0.9)."""
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    w_star = (logit(0.9) - logit(0.2)) / 2.0
    b_star = logit(0.2) - 0.5 * w_star
    res = ds.fit(models.sigmoid_neuron(), "mse", data.sigmoid_neuron_data(), ds.gd(5.0),
                 epochs=5000, tol=0.0, n_iter_no_change=100)  # fmt: skip
    assert float(res.params["w"]) == pytest.approx(w_star, abs=1e-3)
    assert float(res.params["b"]) == pytest.approx(b_star, abs=1e-3)
    assert res.curves()["loss"][-1] < 1e-10


@pytest.mark.parametrize(
    ("batch_size", "drop_last", "steps"),
    [(None, False, 1), (1, False, 10), (4, False, 3), (4, True, 2), (10, False, 1)],
)
def test_flavours_take_the_right_number_of_steps(batch_size, drop_last, steps):
    X, y = centered_regression(n=10)
    res = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.01), batch_size=batch_size,
                 drop_last=drop_last, epochs=3)  # fmt: skip
    assert int(res.steps) == 3 * steps
    assert res.history.step_loss.shape == (3, steps)


def test_minibatch_steps_equal_hand_computed_steps_with_a_masked_last_batch(x64):
    X, y = centered_regression(n=10)
    X, y = X.astype(np.float64), y.astype(np.float64)
    model = models.linear(3)
    p0 = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), model.init(jax.random.key(0)))
    res = ds.fit(model, "mse", (X, y), ds.gd(0.05), batch_size=4, shuffle=False, epochs=2,
                 params=p0)  # fmt: skip
    w, b, losses = np.asarray(p0["w"]).reshape(3), float(p0["b"]), []
    for _ in range(2):
        for lo in (0, 4, 8):  # batches [0:4], [4:8] and the partial [8:10]
            xb, yb = X[lo : lo + 4], y[lo : lo + 4]
            r = xb @ w + b - yb
            losses.append(np.mean(r**2))
            w, b = w - 0.05 * 2 * xb.T @ r / len(r), b - 0.05 * 2 * r.mean()
    np.testing.assert_allclose(res.curves()["step_loss"], losses, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(res.params["w"]).reshape(3), w, rtol=1e-10)


def test_full_batch_linear_regression_reaches_least_squares(x64):
    X, y = centered_regression()
    res = ds.fit(models.linear(3), "mse", (X.astype(np.float64), y.astype(np.float64)),
                 ds.gd(0.2), epochs=2000)  # fmt: skip
    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(np.asarray(res.params["w"]).reshape(3), w_ls, atol=1e-6)


def test_loss_is_the_mean_batch_loss_of_the_last_epoch(x64):
    # full batch: the last epoch's loss is the mean squared error at the parameters of the
    # step before the last, which a run one epoch shorter ends at (scikit-learn's loss_);
    # the repr shows the same number, and a vmapped batch has one a run
    X, y = centered_regression()
    X, y = X.astype(np.float64), y.astype(np.float64)
    res = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.05), epochs=30, tol=None)
    before = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.05), epochs=29, tol=None).params
    w, b = np.asarray(before["w"]).reshape(3), float(before["b"])
    np.testing.assert_allclose(float(res.loss), np.mean((X @ w + b - y) ** 2), rtol=1e-12)
    assert f"loss {float(res.loss):.4g}" in repr(res)
    lrs = jnp.array([0.05, 0.01])
    fit = lambda lr: ds.fit(models.linear(3), "mse", (X, y), ds.gd(lr), epochs=30, tol=None)  # noqa: E731
    each = jax.vmap(lambda lr: fit(lr).loss)
    np.testing.assert_allclose(each(lrs)[0], float(res.loss), rtol=1e-9)


def test_float32_data_under_x64_trains_float64_parameters(x64):
    """Under x64 a model's parameters are float64 while a data set (or a user's array) may be
    float32: the losses promote to float64, and the loop used to refuse the mix (a
    while_loop carry TypeError from deep inside JAX); so did float16 data without x64."""
    X, y = centered_regression()
    res = ds.fit(models.linear(3), "mse", (X.astype(np.float32), y.astype(np.float32)),
                 ds.gd(0.2), epochs=2000)  # fmt: skip
    assert res.params["w"].dtype == np.float64
    assert res.history.loss.dtype == res.history.step_loss.dtype == np.float64
    w_ls = np.linalg.lstsq(
        X.astype(np.float32).astype(np.float64), y.astype(np.float32), rcond=None
    )[0]
    np.testing.assert_allclose(np.asarray(res.params["w"]).reshape(3), w_ls, atol=1e-6)


def test_float16_data_trains_in_the_parameters_type():
    X, y = centered_regression()
    res = ds.fit(models.linear(3), "mse", (X.astype(np.float16), y.astype(np.float16)),
                 ds.gd(0.2), epochs=500)  # fmt: skip
    X16, y16 = (a.astype(np.float16).astype(np.float64) for a in (X, y))
    w_ls = np.linalg.lstsq(X16, y16, rcond=None)[0]
    np.testing.assert_allclose(np.asarray(res.params["w"]).reshape(3), w_ls, atol=1e-3)
    assert res.reason == ds.StopReason.MAX_EPOCHS


def test_l2_penalty_matches_ridge_closed_form(x64):
    X, y = centered_regression()
    X, y, n, l2 = X.astype(np.float64), y.astype(np.float64), len(y), 0.5
    res = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), epochs=3000, l2=l2)
    # minimise mean(r^2) + l2/2 |w|^2:  (2/n X^T X + l2 I) w = 2/n X^T y
    w_ridge = np.linalg.solve(2 / n * X.T @ X + l2 * np.eye(3), 2 / n * X.T @ y)
    np.testing.assert_allclose(np.asarray(res.params["w"]).reshape(3), w_ridge, atol=1e-6)
    assert abs(float(res.params["b"])) < 1e-6  # the bias is not penalised, and is 0 here


def test_logistic_regression_reaches_sklearns_optimum(x64):
    """scikit-learn minimises C sum(log loss) + |w|^2/2, i.e. mean(log loss) + l2/2 |w|^2 with
    l2 = 1/(C n); the intercept is not penalised in either."""
    from sklearn.linear_model import LogisticRegression

    bc = data.load("breast_cancer")
    X = ((bc.X - bc.X.mean(0)) / bc.X.std(0)).astype(np.float64)
    n, C = len(bc.y), 1.0
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, bc.y)
    z = X @ ref.coef_[0] + ref.intercept_[0]
    optimum = np.mean(np.logaddexp(0, z) - bc.y * z) + 0.5 / (C * n) * np.sum(ref.coef_**2)
    res = ds.fit(models.logistic(30), "binary_cross_entropy", (X, bc.y), ds.adam(0.05),
                 epochs=3000, l2=1 / (C * n))  # fmt: skip
    final = res.curves()["loss"][-1]
    assert optimum - 1e-9 <= final < optimum + 1e-5
    np.testing.assert_allclose(np.asarray(res.params["w"]).ravel(), ref.coef_[0], atol=2e-2)


def test_tol_and_n_iter_no_change_follow_scikit_learn():
    X, y = centered_regression()
    res = ds.fit(models.linear(3), "mse", (X, y), ds.adam(0.05), batch_size=8, epochs=500,
                 tol=1e-3, n_iter_no_change=5)  # fmt: skip
    loss = res.curves()["loss"]
    assert res.stop_reason.startswith("converged") and len(loss) < 500
    for i in range(len(loss) - 5, len(loss)):  # five epochs in a row without a tol improvement
        assert loss[i] > loss[:i].min() - 1e-3
    assert loss[-6] <= loss[:-6].min() - 1e-3 or len(loss) == 6  # ... and not six


def test_early_stopping_restores_the_best_validation_parameters():
    moons = data.moons(n_samples=300, noise=0.3, seed=1)
    train, val = data.split(moons, fractions=(0.7, 0.3), seed=0)
    model = models.mlp([2, 64, 64, 1])
    res = ds.fit(model, "binary_cross_entropy", train, ds.adam(0.05), batch_size=16,
                 epochs=300, validation=val, early_stopping=True, tol=0.0,
                 n_iter_no_change=20)  # fmt: skip
    c = res.curves()
    best = int(np.nanargmin(c["val_loss"]))
    assert int(res.best_epoch) == best + 1
    val_loss = ds.losses.get("binary_cross_entropy")(model.apply(res.params, val.X), val.y)
    assert float(jnp.mean(val_loss)) == pytest.approx(c["val_loss"][best], rel=1e-4)


def test_metrics_history_is_the_accuracy_of_the_parameters():
    from sklearn.metrics import accuracy_score

    iris = data.load("iris")
    model = models.softmax(4, 3)
    res = ds.fit(model, "softmax_cross_entropy", iris, ds.adam(0.05), batch_size=16,
                 epochs=50, seed=3)  # fmt: skip
    pred = np.argmax(np.asarray(model.apply(res.params, iris.X)), axis=1)
    assert res.curves()["train_metric"][-1] == pytest.approx(accuracy_score(iris.y, pred))
    assert res.curves()["train_metric"][-1] > 0.9


def test_vmap_over_learning_rates_and_seeds():
    iris = data.load("iris")
    model = models.softmax(4, 3)

    def run(lr, seed):
        return ds.fit(model, "softmax_cross_entropy", iris, ds.adam(lr), batch_size=16,
                      epochs=20, seed=seed).history.loss  # fmt: skip

    lrs, seeds = jnp.array([1e-3, 1e-2, 1e-1]), jnp.array([0, 1, 2])
    batched = jax.jit(jax.vmap(run))(lrs, seeds)
    for i in range(3):
        np.testing.assert_allclose(batched[i], run(float(lrs[i]), int(seeds[i])), rtol=1e-4)
    assert not np.allclose(batched[0], batched[2])


def test_second_fit_with_other_values_does_not_recompile(compilations):
    X, y = centered_regression(n=32)
    model = models.linear(3)
    with compilations() as seen:
        for lr, seed in [(0.01, 0), (0.02, 1), (0.05, 2)]:
            jax.block_until_ready(ds.fit(model, "mse", (X, y), ds.adam(lr), batch_size=8,
                                         epochs=5, seed=seed))  # fmt: skip
    assert seen("fit_run") == 1


def test_divergence_stops_and_says_so():
    diabetes = data.load("diabetes")
    res = ds.fit(models.linear(10), "mse", diabetes, ds.gd(10.0), epochs=100)
    assert res.diverged and res.stop_reason == "diverged" and 0 < int(res.diverged_at) < 100
    assert all(np.all(np.isfinite(np.asarray(p))) for p in jax.tree.leaves(res.params))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 100}, r"batch_size must be at most the 10 samples; got 100"),
        ({"batch_size": 0}, r"batch_size must be an integer >= 1; got 0"),
        ({"epochs": 0}, r"epochs must be an integer >= 1; got 0"),
        ({"early_stopping": True}, r"early_stopping needs validation data"),
        ({"l2": -1.0}, r"l2 must be a finite number >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    X, y = centered_regression(n=10)
    with pytest.raises(ValueError, match=message):
        ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), **kwargs)


def test_sample_weights_are_repeated_samples_and_take_a_closed_form():
    """Full-batch GD on weighted least squares reaches the weighted normal equations'
    solution ``(X^T W X)^-1 X^T W y``, and integer weights train what repeated samples train;
    weights of one are no weights (the same result, bit for bit)."""
    X, y = centered_regression(n=24)
    w = np.random.default_rng(1).integers(0, 4, 24).astype(np.float32)
    run = lambda data, **kw: ds.fit(models.linear(3), "mse", data, ds.gd(0.3), epochs=400,  # noqa: E731
                                    tol=None, **kw)  # fmt: skip
    weighted = run((X, y), sample_weight=w)
    Xb = np.c_[X, np.ones(24)].astype(np.float64)
    exact = np.linalg.solve(Xb.T @ (w[:, None] * Xb), Xb.T @ (w * y))
    got = np.r_[np.ravel(weighted.params["w"]), np.ravel(weighted.params["b"])]
    np.testing.assert_allclose(got, exact, atol=1e-4)
    unweighted = np.linalg.lstsq(Xb, y, rcond=None)[0]
    assert np.max(np.abs(exact - unweighted)) > 1e-2  # the weights matter here
    keep = w.astype(int)
    repeated = run((X.repeat(keep, axis=0), y.repeat(keep)))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5), weighted.params,
                 repeated.params)  # fmt: skip
    np.testing.assert_allclose(weighted.curves()["loss"], repeated.curves()["loss"], rtol=1e-4)
    ones = run((X, y), sample_weight=np.ones(24))
    jax.tree.map(np.testing.assert_array_equal, ones.params, run((X, y)).params)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e-40])
def test_weights_beyond_float32_count_by_their_ratios(scale):
    """Weights of 1e300 or 1e-300 are valid (only their ratios count); cast to float32 they
    became inf ("must be finite") or 0 ("must not be all 0")."""
    X, y = centered_regression(n=12)
    run = lambda w: ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), epochs=20,  # noqa: E731
                           sample_weight=w).params  # fmt: skip
    jax.tree.map(np.testing.assert_array_equal, run(np.full(12, scale)), run(np.ones(12)))


def test_sample_weights_vmap_and_mini_batches():
    """Weights under vmap (each run its own weights) and with mini-batches match the runs
    made one at a time."""
    X, y = centered_regression(n=20)
    ws = np.random.default_rng(2).random((3, 20)).astype(np.float32)
    run = lambda w: ds.fit(models.linear(3), "mse", (X, y), ds.adam(0.05), batch_size=6,  # noqa: E731
                           epochs=5, sample_weight=w).params["w"]  # fmt: skip
    batched = jax.vmap(run)(jnp.asarray(ws))
    for i, w in enumerate(ws):
        np.testing.assert_allclose(np.asarray(batched[i]), np.asarray(run(w)), atol=1e-6)


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [(np.ones(3), ValueError, r"sample_weight must hold one weight a sample, shape \(10,\); got "
                              r"shape \(3,\)"),
     (-np.ones(10), ValueError, r"sample_weight must be finite and >= 0; got \[-1\.0"),
     (np.r_[np.nan, np.ones(9)], ValueError, r"must be finite and >= 0; got \[nan\]"),
     (np.zeros(10), ValueError, r"sample_weight must not be all 0"),
     ("heavy", TypeError, r"sample_weight must be real numbers")],
)  # fmt: skip
def test_bad_sample_weights(weights, error, message):
    X, y = centered_regression(n=10)
    with pytest.raises(error, match=message):
        ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), sample_weight=weights)


@pytest.mark.parametrize(
    ("name", "values"),
    [("epochs", [3, 4]), ("batch_size", [2, 5]), ("n_iter_no_change", [2, 3]),
     ("shuffle", [True, False]), ("drop_last", [True, False]), ("evaluate", [True, False]),
     ("early_stopping", [True, False]), ("progress", [True, False])],
)  # fmt: skip
def test_a_traced_count_or_switch_is_refused_by_name(name, values):
    # they shape the training program (l1, l2, tol, seed and the rates are data and vmap);
    # shuffle, drop_last and progress failed deep in JAX with TracerBoolConversionError
    X, y = centered_regression(n=10)
    with pytest.raises(
        TypeError, match=rf"^{name} must be .*a Python value, not one traced by jax.jit or jax.vmap"
    ):
        jax.vmap(lambda v: ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), **{name: v}))(
            jnp.array(values)
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"shuffle": 1}, r"shuffle must be True or False; got 1"),
     ({"drop_last": "yes"}, r"drop_last must be True or False; got 'yes'"),
     ({"progress": 2}, r"progress must be True, False or a text stream .*; got 2")],
)  # fmt: skip
def test_a_switch_that_is_not_a_bool_is_refused(kwargs, message):
    X, y = centered_regression(n=10)
    with pytest.raises(TypeError, match=message):
        ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), **kwargs)


def test_bad_data_shapes():
    with pytest.raises(ValueError, match=r"X must be \(n_samples, n_features\)"):
        ds.fit(models.linear(3), "mse", (np.ones((5, 3)), np.ones(4)), ds.gd(0.1))
    with pytest.raises(TypeError, match="data must be a Dataset or a pair"):
        ds.fit(models.linear(3), "mse", np.ones((5, 3)), ds.gd(0.1))


def test_bad_data_values_and_a_rule_not_called_are_one_clear_error():
    """NaN in the data used to train to a 'diverged' result; the rule itself, not its
    transform, failed with an AttributeError; softmax cross-entropy on a one-output model
    read the batch as one sample's logits and trained on a number."""
    X, y = centered_regression(n=10)
    holed = X.copy()
    holed[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^data: X holds 1 NaN or infinite value\(s\), the "
                                         r"first in row 3; remove or impute"):  # fmt: skip
        ds.fit(models.linear(3), "mse", (holed, y), ds.gd(0.1))
    with pytest.raises(ValueError, match=r"^validation: y holds 2 NaN or infinite"):
        ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1),
               validation=(X, np.where(np.arange(10) < 2, np.inf, y)))  # fmt: skip
    for run in (lambda: ds.fit(models.linear(3), "mse", (X, y), ds.adam),
                lambda: ds.minimize(lambda x: jnp.sum(x**2), jnp.ones(2), ds.adam)):  # fmt: skip
        with pytest.raises(TypeError, match=r"must be a Transform .*got function \(call it: "
                                            r"adam\(\)\)"):  # fmt: skip
            run()
    with pytest.raises(ValueError, match=r"softmax_cross_entropy' gives shape \(\) for 10 "
                                         r"targets .*one output a class"):  # fmt: skip
        ds.fit(models.linear(3), "softmax_cross_entropy", (X, y), ds.gd(0.1))


@pytest.mark.parametrize(
    ("order", "message"),
    [("mdol", r"^fit: the loss given is a data set; the arguments go "
              r"fit\(model, loss, data, optimizer\), or name it: data=\.\.\.$"),
     ("lmdo", r"^fit: the loss given is a model;"),
     ("mlod", r"^fit: the data given is an optimizer;"),
     ("dlmo", r"^fit: the model given is a data set;"),
     ("molm", r"^fit: the loss given is an optimizer;")],
)  # fmt: skip
def test_arguments_in_another_order_are_named_by_what_they_look_like(order, message):
    """``fit(model, data, optimizer, "mse")`` (the order of many other libraries) said
    "data: X must be real numbers ...; got <function init>": the optimizer read as (X, y)."""
    X, y = centered_regression(n=10)
    data = ds.data.Dataset(X, y, "regression")
    given = {"m": models.linear(3), "l": "mse", "d": data, "o": ds.gd(0.1)}
    with pytest.raises(TypeError, match=message):
        ds.fit(*(given[k] for k in order), epochs=2)
    if order == "mdol":
        fan = r"^fit_fan: the loss given is a data set; the arguments go fit_fan\(model, "
        with pytest.raises(TypeError, match=fan):
            ds.insight.fit_fan(*(given[k] for k in order), epochs=2)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.array([["a", "b"]]), np.array([1.0]), r"^data: X must be real numbers: an array"),
        (np.ones((3, 2), dtype=object), np.ones(3), r"^data: X must be real numbers: an array"),
        (np.ones((3, 2), complex), np.ones(3), r"^data: X must be real numbers; got complex"),
        (np.ones((3, 2)), np.array(["a", "b", "c"]), r"^data: y must be real numbers: an array"),
    ],
)
def test_data_that_are_not_real_numbers_are_named(X, y, message):
    """Strings and objects failed deep in JAX ('Error interpreting argument to stage');
    complex features trained without a word."""
    with pytest.raises(TypeError, match=message):
        ds.fit(models.linear(2), "mse", (X, y), ds.gd(0.1), epochs=2)


def test_progress_bar_per_epoch():
    X, y = centered_regression(n=16)
    stream = io.StringIO()
    ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.01), epochs=40, progress=stream)
    assert "epoch 40/40" in stream.getvalue()


def test_after_divergence_the_best_parameters_are_never_worse_than_the_start():
    diabetes = data.load("diabetes")
    X = (diabetes.X - diabetes.X.mean(0)) / diabetes.X.std(0)
    model = models.linear(10)
    res = ds.fit(model, "mse", (X, diabetes.y), ds.gd(10.0), epochs=100)
    assert res.diverged

    def mse(p):
        return float(np.mean((np.asarray(model.apply(p, X)) - diabetes.y) ** 2))

    start = model.init(jax.random.split(jax.random.key(0))[0])
    assert mse(res.params) <= mse(start) and int(res.best_epoch) == 0


def test_resumed_run_records_the_learning_rates_it_used():
    X, y = centered_regression(n=16)
    opt = ds.gd(ds.schedules.inverse_time(0.1, 1.0))
    first = ds.fit(models.linear(3), "mse", (X, y), opt, epochs=3)
    again = ds.fit(models.linear(3), "mse", (X, y), opt, epochs=3, params=first.final_params,
                   opt_state=first.opt_state, start_step=int(first.steps))  # fmt: skip
    np.testing.assert_allclose(again.curves()["lr"], 0.1 / (1 + np.arange(3, 6)), rtol=1e-6)


@pytest.mark.parametrize(
    "n, mask", [(1797, 0xFFFFFFFF), (5, 0xFFFFFFFF), (1797, 0xFF), (70_000, 0xFFF)]
)
def test_shuffle_order_is_the_stable_argsort_of_the_random_words(n, mask):
    # the two single-word sorts (and, past 2^16 samples, the plain argsort) give argsort's
    # order exactly, ties (forced by the mask) in index order
    import importlib

    fit_module = importlib.import_module("descend.engine._fit")
    bits = jax.random.bits(jax.random.key(n), (n,)) & jnp.uint32(mask)
    order = np.asarray(fit_module._order(bits))
    np.testing.assert_array_equal(order, np.argsort(np.asarray(bits), kind="stable"))


def test_the_shuffles_drawn_before_the_run_are_those_drawn_each_epoch(monkeypatch):
    """The random words of every epoch are drawn by a program of their own, in a table
    rounded up to powers of two (compiled once a size of table, not for every data size): its
    corner is each epoch's ``bits(fold_in(key, e), (n,))``, and a fit that draws them epoch
    by epoch inside its loop (a table too large) trains the same."""
    import importlib

    fit_module = importlib.import_module("descend.engine._fit")
    key = jax.random.split(jax.random.key(5))[1]
    want = np.stack([jax.random.bits(jax.random.fold_in(key, e), (37,)) for e in range(9)])
    table = fit_module._shuffle_bits(5, 9, 37)
    assert table.shape == (256, 1024)
    np.testing.assert_array_equal(np.asarray(table)[:9, :37], want)

    before = fit_module._bits_table._cache_size()
    runs = {}
    for n in (30, 500):  # one size of table: one more compilation of it, not two
        X, y = centered_regression(n=n)
        runs[n] = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.05), batch_size=4, epochs=6)
    assert fit_module._bits_table._cache_size() - before <= 1
    monkeypatch.setattr(fit_module, "_BITS_AT_ONCE", 8)
    drawn = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.05), batch_size=4, epochs=6)
    np.testing.assert_array_equal(drawn.history.step_loss, runs[500].history.step_loss)


@pytest.mark.parametrize(
    ("loss", "outputs", "targets", "problem"),
    [
        ("binary_cross_entropy", (1,), [0.0, 1.0, 2.5], r"\[0, 1\] .*got values from 0.0 to 2.5"),
        ("softmax_cross_entropy", (3,), [0, 1, 3], r"whole numbers in \[0, 3\); got .* 0 to 3"),
        ("softmax_cross_entropy", (3,), [0.0, 0.5], r"whole numbers in \[0, 3\)"),
        ("hinge", (1,), [-1, 0, 1], r"\{-1, \+1\} or in \{0, 1\}; got values \[-1, 0, 1\]"),
        ("softmax_cross_entropy", (), [0, 1], r"gives shape \(\) for 2 targets"),
        ("mse", (1,), [0.5, 1e30], None),
        ("softmax_cross_entropy", (4,), [0, 3], None),
    ],
)
def test_the_check_of_the_targets_reads_them_without_compiling(loss, outputs, targets, problem):
    """A fit checks its targets by tracing the loss (jax.eval_shape) with the targets as NumPy
    values, which the loss's checks read: the same verdicts as running it, and no program
    compiled (the eager run compiled each of the loss's operations: 0.4 s of a process's
    first fit)."""
    import importlib

    fit_module = importlib.import_module("descend.engine._fit")
    compiles = []

    def count(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    jax.monitoring.register_event_duration_secs_listener(count)
    try:
        said = fit_module._target_problem(
            ds.losses.get(loss), (outputs, jnp.float32), len(targets), np.asarray(targets)
        )
    finally:
        jax.monitoring.unregister_event_duration_listener(count)
    assert compiles == []
    if problem is None:
        assert said is None
    else:
        assert said is not None and re.search(problem, said), said


def test_what_a_fit_keeps_for_the_next_is_keyed_by_what_it_depends_on():
    """A fit keeps its checks' verdicts and its table of random words for the next fit: a
    label a loss refuses is refused after good ones were accepted (and again), a model's
    output shape follows the data's width, the table kept for a seed is that seed's (the
    same steps as drawn fresh, another seed's differ), and a fit traced by jax.jit neither
    keeps nor takes a table (before and after plain fits, the same numbers)."""
    import importlib

    fit_module = importlib.import_module("descend.engine._fit")
    X, y = centered_regression(n=40)
    labels = (y > 0).astype(np.float32)
    logistic = models.logistic(3)
    for bad in (False, True, False, True):
        targets = np.where(np.arange(40) == 7, 2.0, labels) if bad else labels
        if bad:
            with pytest.raises(ValueError, match=r"^data: .*\[0, 1\]"):
                ds.fit(logistic, "binary_cross_entropy", (X, targets), ds.gd(0.1), epochs=2)
        else:
            ds.fit(logistic, "binary_cross_entropy", (X, targets), ds.gd(0.1), epochs=2)
    for _ in range(2):  # a model 3 wide on data 2 wide: refused each time, naming X's shape
        with pytest.raises(ValueError, match=r"\(40, 2\)"):
            ds.fit(models.linear(3), "mse", (X[:, :2], y), ds.gd(0.1), epochs=2)

    @dataclasses.dataclass  # eq without frozen: its methods cannot be hashed, nor kept
    class Line:
        width: int

        def init(self, key):
            return {"w": jnp.zeros(self.width), "b": jnp.zeros(())}

        def apply(self, params, X):
            return X @ params["w"] + params["b"]

    zeros = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    for _ in range(2):
        mine = ds.fit(Line(3), "mse", (X, y), ds.gd(0.1), epochs=3, batch_size=8)
        same = ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.1), epochs=3,
                      batch_size=8, params=zeros)  # fmt: skip
        np.testing.assert_array_equal(mine.history.step_loss, same.history.step_loss)
    from descend.insight import fit_fan

    fan = fit_fan(Line(3), "mse", (X, y), ds.gd(0.1), seeds=2, epochs=3, batch_size=8, seed=0)
    np.testing.assert_array_equal(fan.train_loss[0], mine.history.loss[:3])  # seed 0 is fit's

    def run(seed):
        return ds.fit(models.linear(3), "mse", (X, y), ds.gd(0.05), batch_size=4, epochs=3,
                      seed=seed).history.step_loss  # fmt: skip

    def traced():  # a new function each time, so that jax.jit traces the fit again
        def steps(lr):
            return ds.fit(models.linear(3), "mse", (X, y), ds.gd(lr), batch_size=4, epochs=3,
                          seed=11).history.step_loss  # fmt: skip

        return jax.jit(steps)(0.05)

    line = models.linear(3)
    assert fit_module._shapes(line.init, fit_module._init_key(11))["w"].dtype == jnp.float32
    kept = fit_module._kept_bits_table
    kept.cache_clear()
    first = traced()  # traced: the table is drawn inside the program, nothing kept
    assert kept.cache_info().currsize == 0
    again = [run(11), run(11)]  # drawn and kept, then taken from what was kept
    assert kept.cache_info().hits == 1 and kept.cache_info().currsize == 1
    for steps in (*again, traced(), run(11)):  # traced with a table kept: not taken
        np.testing.assert_array_equal(steps, first)
    assert not np.array_equal(run(12), first)
    with jax.enable_x64(True):  # a seed drawn as int64 gives other words: its own table
        wide = run(11)
        np.testing.assert_array_equal(traced(), wide)
        shapes = fit_module._shapes(line.init, fit_module._init_key(11))
        assert all(a.dtype == jnp.float64 for a in jax.tree.leaves(shapes))  # not the kept f32
    np.testing.assert_array_equal(run(11), first)


def test_a_zero_penalty_given_as_numbers_changes_nothing():
    # l1 = l2 = 0 as numbers skips the penalty; as traced values it is computed (and is 0)
    iris = data.load("iris")
    model = models.mlp([4, 8, 3])

    def run(l1, l2):
        return ds.fit(model, "softmax_cross_entropy", iris, ds.adam(1e-2), batch_size=16,
                      epochs=10, l1=l1, l2=l2)  # fmt: skip

    plain = run(0.0, 0.0)
    traced = jax.jit(run)(jnp.float32(0.0), jnp.float32(0.0))
    np.testing.assert_allclose(plain.history.loss, traced.history.loss, rtol=1e-6)
    # the two programs differ only in XLA's fusion of the same sums, so their gradients differ
    # by a few ulps; Adam's step lr * m / sqrt(v) does not shrink with the gradient, so each
    # step can move a parameter by lr * (a few eps) either way: after n steps n * lr * 4 eps
    # (4.8e-7 here), whatever the parameter's size (seen: 1.3e-7 on an AMD EPYC, under 1e-7 before)
    drift = plain.steps * 1e-2 * 4 * np.finfo(np.float32).eps
    for a, b in zip(jax.tree.leaves(plain.params), jax.tree.leaves(traced.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=drift)
    assert not np.allclose(run(0.0, 1.0).history.loss, plain.history.loss)


def test_fit_gives_reduce_on_plateau_the_loss():
    """fit passes each step's batch loss to the optimizer (``loss=``): a plateau rule that
    cuts the scale to 1e-12 after one update without improvement (``patience=0`` and an
    improvement threshold no loss can meet) freezes the parameters after two full-batch
    steps, whatever the number of epochs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    d = data.Dataset(X, y, task="regression")
    model = models.linear(3)
    plateau = ds.reduce_on_plateau(factor=1e-12, patience=0, threshold=1e9, threshold_mode="abs")
    frozen = ds.fit(model, "mse", d, ds.chain(ds.gd(0.05), plateau), epochs=10, tol=0.0)
    two = ds.fit(model, "mse", d, ds.gd(0.05), epochs=2, tol=0.0)
    for a, b in zip(jax.tree.leaves(frozen.params), jax.tree.leaves(two.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    three = ds.fit(model, "mse", d, ds.gd(0.05), epochs=3, tol=0.0)
    assert not np.allclose(jax.tree.leaves(three.params)[0], jax.tree.leaves(two.params)[0])


def test_without_the_per_epoch_evaluation_the_run_is_the_same():
    """``evaluate=False`` skips the pass over all training samples after each epoch: the
    steps, parameters, losses and validation records are bit for bit those of the default,
    under jax.vmap too; only ``train_metric`` is NaN."""
    moons = data.moons(n_samples=200, noise=0.2, seed=1)
    train, val = data.split(moons, fractions=(0.75, 0.25), seed=0)
    model = models.mlp([2, 16, 1])

    def run(lr, evaluate, **kw):
        return ds.fit(model, "binary_cross_entropy", train, ds.adam(lr), batch_size=16,
                      epochs=15, validation=val, evaluate=evaluate, **kw)  # fmt: skip

    for kw in ({}, {"early_stopping": True, "tol": 0.0, "n_iter_no_change": 3}):
        full, lean = run(0.05, True, **kw), run(0.05, False, **kw)
        for a, b in zip(jax.tree.leaves(full.params), jax.tree.leaves(lean.params), strict=True):
            np.testing.assert_array_equal(a, b)
        for key in ("loss", "val_loss", "val_metric", "lr", "step_loss"):
            np.testing.assert_array_equal(full.curves()[key], lean.curves()[key])
        assert int(full.epochs) == int(lean.epochs) and int(full.reason) == int(lean.reason)
        assert np.isnan(lean.history.train_metric).all()
        assert np.nanmin(full.history.train_metric) > 0.5
    lrs = jnp.array([0.01, 0.05])
    batched = jax.vmap(lambda lr: run(lr, False).history.loss)(lrs)
    np.testing.assert_allclose(batched[1], run(0.05, False).history.loss, rtol=1e-5)
    with pytest.raises(TypeError, match="evaluate must be True or False; got 1"):
        run(0.05, 1)


def test_a_model_of_the_wrong_width_names_the_datas_shape():
    with pytest.raises(
        ValueError, match=r"X must have shape \(n_samples, 3\); got shape \(442, 10\)"
    ):
        ds.fit(models.linear(3), "mse", data.load("diabetes"), ds.adam())


def test_a_model_that_cannot_fit_in_memory_is_refused_before_it_is_built():
    """mlp([64, 10**8, 10]) ended in XLA's RESOURCE_EXHAUSTED after asking for 51 GB."""
    with pytest.raises(ValueError, match=r"a model of 7,500,000,010 parameters would need"):
        ds.fit(models.mlp([64, 10**8, 10]), "softmax_cross_entropy", data.load("digits"),
               ds.adam(), epochs=2)  # fmt: skip
