"""The data view's endpoints: their numbers are the engine's (``ds.fit`` called here directly,
and the "Copy as Python" script run), the snapshots sit at the epochs stated, and the
flavours take ceil(n / batch) steps per epoch.

Compiling a training program takes seconds, so the direct calls use the server's own model
objects (the same structure built once), which finds the programs the server compiled."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from _web_helpers import MOONS_RUN, post_ok, run_python

import descend as ds
from descend.web import _data_api

# these tests check numbers, not speed: the server is patient with first compilations
pytestmark = pytest.mark.usefixtures("patient_server")

# (the moons run of the other data tests, in chunks of 3 epochs; test_data_browser trains the
# same, so that in one session the compiled programs are shared)
BODY = {**MOONS_RUN, "epochs": 12, "snapshots": 4, "seed": 3}
# the fields of a training alone (what /api/flavours takes; /api/data-fan adds flavour and
# seeds): a request with a field it does not take is refused
TRAINING = {k: v for k, v in BODY.items() if k not in ("flavour", "snapshots", "grid")}
BCE = "binary_cross_entropy"
CLOSE = {"rtol": 1e-5, "atol": 1e-6}  # the fan: vmap batches the same operations (rounding)


def same(a, b):
    """Equal to the last bit: the server's numbers are those of the same ds.fit calls."""
    np.testing.assert_array_equal(np.asarray(a, np.float64), np.asarray(b, np.float64))


def served(key):
    """The server's model of that structure (its compiled programs are cached by it)."""
    return _data_api.MODEL_CACHE.items[key].model


def moons_parts():
    data = ds.data.moons(n_samples=60, noise=0.2, seed=1)
    return ds.data.split(data, (0.75, 0.25), seed=1)


def grid_of(box, n):
    x0, x1, y0, y1 = box
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([gx.ravel(), gy.ravel()], 1)


@pytest.fixture(scope="module")
def trained(api_client):
    return post_ok(api_client, "train", BODY)


def test_train_is_the_continued_fit(trained):
    # chunks of ceil(12 / 4) = 3 epochs, chunk j shuffling with seed + j, each continuing
    # the previous fit; written out here with ds.fit
    train, val = moons_parts()
    model = served(("mlp", 2, 1, (6,), "tanh"))
    result, losses, val_losses, step = None, [], [], 0
    for j in range(4):
        result = ds.fit(model, BCE, train, ds.adam(0.05), batch_size=8, epochs=3, seed=3 + j,
                        validation=val, start_step=step,
                        params=None if result is None else result.final_params,
                        opt_state=None if result is None else result.opt_state)  # fmt: skip
        losses += result.curves()["loss"].tolist()
        val_losses += result.curves()["val_loss"].tolist()
        step += int(result.steps)
    same(trained["train_loss"], losses)
    same(trained["val_loss"], val_losses)
    assert trained["epochs"] == list(range(1, 13)) and trained["chunks"] == [3, 3, 3, 3]
    assert trained["steps_per_epoch"] == math.ceil(45 / 8) and trained["stop"] == "max_epochs"
    assert len(trained["train"]["y"]) == 45 and len(trained["validation"]["y"]) == 15
    # the snapshots: the model's P(class 1) on the grid over the data's box, at the start
    # (fit's own initialisation from the seed) and after each chunk
    assert [s["epoch"] for s in trained["snapshots"]] == [0, 3, 6, 9, 12]
    grid = grid_of(trained["box"], 12).astype(np.float32)
    p = jax.nn.sigmoid(model.apply(result.final_params, grid))
    np.testing.assert_allclose(trained["snapshots"][-1]["values"], p, atol=2e-4)
    start = model.init(jax.random.split(jax.random.key(3))[0])
    p0 = jax.nn.sigmoid(model.apply(start, grid))
    np.testing.assert_allclose(trained["snapshots"][0]["values"], p0, atol=2e-4)
    X = np.asarray(trained["train"]["X"] + trained["validation"]["X"])
    box = trained["box"]
    assert box[0] < X[:, 0].min() and X[:, 0].max() < box[1]
    assert box[2] < X[:, 1].min() and X[:, 1].max() < box[3]


def test_the_script_reproduces_the_numbers(trained):
    space = run_python(trained["python"])
    same(space["loss_curve"], trained["train_loss"])
    same(space["val_curve"], trained["val_loss"])


@pytest.mark.parametrize(
    ("epochs", "snapshots", "chunks"),
    [(10, 4, [3, 3, 3, 1]), (6, 20, [1] * 6), (7, 1, [7]), (9, 3, [3] * 3), (1, 5, [1])],
)
def test_chunks(epochs, snapshots, chunks):
    assert _data_api.chunks_of(epochs, snapshots) == chunks


def test_regression_curve(api_client):
    body = {**BODY, "data": {"name": "polynomial", "samples": 40, "noise": 0.1, "degree": 3},
            "loss": "mse", "epochs": 4, "snapshots": 1, "validation": 0.0}  # fmt: skip
    out = post_ok(api_client, "train", body)
    assert out["task"] == "regression" and out["grid"] is None and out["chunks"] == [4]
    assert out["validation"]["y"] == [] and all(v is None for v in out["val_loss"])
    data = ds.data.polynomial_regression(n_samples=40, degree=3, noise=0.1, seed=0)
    model = served(("mlp", 1, 1, (6,), "tanh"))
    r = ds.fit(model, "mse", data, ds.adam(0.05), batch_size=8, epochs=4, seed=3)
    same(out["train_loss"], r.curves()["loss"])
    x = np.asarray(out["curve_x"], np.float32)[:, None]
    assert x[0, 0] < data.X.min() and data.X.max() < x[-1, 0] and len(x) == 121
    curve = model.apply(r.final_params, x)
    np.testing.assert_allclose(out["snapshots"][-1]["values"], curve, atol=2e-4)
    assert [s["epoch"] for s in out["snapshots"]] == [0, 4]


def test_multiclass_boundary_is_the_predicted_class(api_client):
    body = {**BODY, "data": {"name": "spiral", "samples": 45, "classes": 3, "noise": 0.1},
            "loss": "cross_entropy", "model": {"name": "logistic"}, "epochs": 3,
            "snapshots": 1, "standardize": True, "flavour": "batch"}  # fmt: skip
    out = post_ok(api_client, "train", body)
    assert out["task"] == "multiclass" and out["classes"] == 3 and out["steps_per_epoch"] == 1
    train, val = ds.data.split(ds.data.spiral(45, 3, 0.1, seed=0), (0.75, 0.25), seed=0)
    scaled_train, scaled_val = ds.data.standardize(train, val)
    model = served(("logistic", 2, 3, (), "tanh"))
    r = ds.fit(model, "softmax_cross_entropy", scaled_train, ds.adam(0.05), epochs=3, seed=3,
               validation=scaled_val)  # fmt: skip
    same(out["train_loss"], r.curves()["loss"])
    # the grid is in the data's units; the model sees it scaled by the training set's numbers
    X = np.asarray(train.X, np.float64)
    scaled = (grid_of(out["box"], 12) - X.mean(0)) / X.std(0)
    logits = model.apply(r.final_params, scaled.astype(np.float32))
    agree = np.mean(np.asarray(out["snapshots"][-1]["values"]) == np.argmax(logits, -1))
    assert agree > 0.98  # (a point on a tie may round either way)
    assert set(out["snapshots"][-1]["values"]) <= {0, 1, 2}
    assert "ds.data.standardize(train, val)" in out["python"]


def test_flavours(api_client):
    out = post_ok(api_client, "flavours", {**TRAINING, "epochs": 3})
    train, val = moons_parts()
    model = served(("mlp", 2, 1, (6,), "tanh"))
    expected = {"batch": (None, 1), "stochastic": (1, 45), "minibatch": (8, 6)}
    assert [r["flavour"] for r in out["runs"]] == list(expected)
    for run in out["runs"]:
        batch, steps = expected[run["flavour"]]
        assert run["steps_per_epoch"] == steps and run["batch_size"] == (batch or 45)
        direct = ds.fit(model, BCE, train, ds.adam(0.05), batch_size=batch, epochs=3, seed=3,
                        validation=val)  # fmt: skip
        assert int(direct.steps) == 3 * steps
        same(run["train_loss"], direct.curves()["loss"])
        same(run["val_loss"], direct.curves()["val_loss"])
        seconds = run["seconds"]
        assert len(seconds) == 3 and seconds == sorted(seconds) and seconds[0] > 0
        assert seconds[-1] == pytest.approx(run["run_seconds"])
        assert run["compile_seconds"] >= 0
    assert "for name, batch_size in" in out["python"]


def test_fan(api_client):
    out = post_ok(
        api_client, "data-fan", {**TRAINING, "flavour": BODY["flavour"], "epochs": 3, "seeds": 3}
    )
    assert out["seeds"] == [3, 4, 5] and out["steps_per_epoch"] == 6  # ceil(45 / 8)
    train, val = moons_parts()
    model = served(("mlp", 2, 1, (6,), "tanh"))
    for i, seed in enumerate([3, 4, 5]):
        direct = ds.fit(model, BCE, train, ds.adam(0.05), batch_size=8, epochs=3, seed=seed,
                        validation=val).curves()  # fmt: skip
        np.testing.assert_allclose(out["train_loss"][i], direct["loss"], **CLOSE)
        np.testing.assert_allclose(out["val_loss"][i], direct["val_loss"], **CLOSE)
    curves = np.asarray(out["train_loss"])
    np.testing.assert_allclose(out["median"], np.median(curves, 0), rtol=1e-6)
    np.testing.assert_allclose(out["low"], np.quantile(curves, 0.1, 0), rtol=1e-6)
    np.testing.assert_allclose(out["high"], np.quantile(curves, 0.9, 0), rtol=1e-6)
    assert "ds.insight.fit_fan(model, loss, train, optimizer, seeds=3, seed=3" in out["python"]
    assert "batch_size=8, epochs=3, validation=val)" in out["python"]


def test_catalog_and_mismatch(api_client):
    cat = api_client.get("/api/data-catalog").json()
    assert cat["datasets"]["moons"] == "classification" and "hinge" in cat["losses"]["binary"]
    assert cat["limits"]["epochs"] >= 100
    r = api_client.post("/api/train", json={**BODY, "loss": "mse"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "loss"
    assert "binary_cross_entropy" in r.json()["error"]["message"]


def test_the_model_cache_is_bounded():
    from descend.web._data_schemas import DATA_PROGRAMS, TrainRequest

    cache = _data_api.MODEL_CACHE
    kept = dict(cache.items)  # (put back afterwards: other tests reuse their compiled models)
    try:
        for units in range(1, DATA_PROGRAMS + 9):  # distinct structures, built, not trained
            body = TrainRequest(**{**BODY, "model": {"name": "mlp", "hidden": [units, 2]}})
            _data_api.setup(body)
            assert len(cache) <= DATA_PROGRAMS
        assert ("mlp", 2, 1, (DATA_PROGRAMS + 8, 2), "tanh") in cache.items
        assert ("mlp", 2, 1, (1, 2), "tanh") not in cache.items  # the oldest went first
    finally:
        with cache.lock:
            cache.items.clear()
            cache.items.update(kept)


def test_openapi_lists_the_data_endpoints(api_client):
    paths = api_client.get("/openapi.json").json()["paths"]
    for path in ("/api/train", "/api/flavours", "/api/data-fan", "/api/data-catalog"):
        assert path in paths
    train = paths["/api/train"]["post"]
    assert "422" in train["responses"] and "Train a model" in train["description"]


def test_a_diverging_run_stops_where_fit_says(api_client):
    # gradient descent with lr = 10 on a least-squares line (curvature about 2) blows up
    body = {**BODY, "data": {"name": "linear", "samples": 40, "noise": 0.1}, "loss": "mse",
            "model": {"name": "linear"}, "optimizer": {"name": "gd", "hyper": {"lr": 10.0}},
            "validation": 0.0, "epochs": 6, "snapshots": 3}  # fmt: skip
    out = post_ok(api_client, "train", body)
    data = ds.data.linear_regression(n_samples=40, noise=0.1, seed=0)
    model = served(("linear", 1, 1, (), "tanh"))
    r = ds.fit(model, "mse", data, ds.gd(10.0), batch_size=8, epochs=2, seed=3)
    assert r.stop_reason == "diverged"
    n = int(r.epochs)
    assert out["stop"] == f"diverged (epoch {n})" and out["chunks"] == [n]
    assert out["epochs"] == list(range(1, n + 1))
    assert [s["epoch"] for s in out["snapshots"]] == [0, n]
