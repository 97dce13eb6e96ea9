"""``ds.insight.fit_fan``: seed by seed the numbers of separate ``ds.fit`` calls, computed as
one vmapped program, with the spread over the seeds."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import descend as ds
from descend.insight import _fit_fans

DATA = ds.data.moons(24, noise=0.2, seed=3)
VAL = ds.data.moons(12, noise=0.2, seed=4)
MLP = ds.models.mlp([2, 6, 1], "tanh")
CLOSE = {"rtol": 2e-5, "atol": 2e-6}  # float32 rounding: vmap batches the same operations


def test_each_seed_is_the_fit_of_that_seed():
    fan = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.2), seeds=3, seed=5, batch_size=4,
                             epochs=4, validation=VAL)  # fmt: skip
    assert fan.seeds_used.tolist() == [5, 6, 7]
    assert fan.train_loss.shape == fan.val_loss.shape == (3, 4)
    assert fan.steps_per_epoch == 6  # ceil(24 / 4)
    for i, s in enumerate([5, 6, 7]):
        alone = ds.fit(MLP, "bce", DATA, ds.gd(0.2), batch_size=4, epochs=4, seed=s,
                       validation=VAL)  # fmt: skip
        curves = alone.curves()
        np.testing.assert_allclose(fan.train_loss[i], curves["loss"], **CLOSE)
        np.testing.assert_allclose(fan.val_loss[i], curves["val_loss"], **CLOSE)
        for a, b in zip(jax.tree.leaves(fan.result.params), jax.tree.leaves(alone.params),
                        strict=True):  # fmt: skip
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), **CLOSE)


def test_the_spread_is_the_quantiles_over_the_seeds():
    fan = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.2), seeds=5, epochs=3, band=(0.25, 0.75))
    L = fan.train_loss
    np.testing.assert_allclose(fan.median, np.median(L, axis=0))
    np.testing.assert_allclose(fan.low, np.quantile(L, 0.25, axis=0))
    np.testing.assert_allclose(fan.high, np.quantile(L, 0.75, axis=0))
    assert np.all(fan.low <= fan.median) and np.all(fan.median <= fan.high)
    assert fan.val_loss is None and fan.val_median is None
    np.testing.assert_array_equal(fan.final_loss, L[:, -1])
    assert "seeds=5" in repr(fan)


def test_a_stopped_seed_leaves_the_spread():
    values = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [5.0, 4.0, np.nan]])
    median, low, high = _fit_fans._spread(values, (0.0, 1.0))
    np.testing.assert_array_equal(median[:2], [3.0, 3.0])
    np.testing.assert_array_equal(low[:2], [1.0, 2.0])
    np.testing.assert_array_equal(high[:2], [5.0, 4.0])
    assert np.isnan(median[2]) and np.isnan(low[2])


def test_stochastic_seeds_differ():
    fan = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.2), seeds=4, batch_size=1, epochs=3)
    curves = fan.train_loss
    for i in range(1, 4):
        assert np.max(np.abs(curves[i] - curves[0])) > 1e-3
    assert np.all(fan.high - fan.low > 0)


def test_a_shared_start_still_differs_by_the_order_of_the_samples():
    start = MLP.init(jax.random.key(0))
    fan = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.2), seeds=3, batch_size=1, epochs=2,
                             params=start)  # fmt: skip
    assert np.max(np.abs(fan.train_loss[1] - fan.train_loss[0])) > 1e-3


def test_full_batch_from_one_start_is_the_same_for_every_seed():
    # batch gradient descent uses every sample in every step: with the start fixed (the
    # logistic model starts at zero whatever the seed) the seed only reorders a sum, so all
    # seeds follow the one unshuffled run up to rounding, and the band closes
    model = ds.models.logistic(2)
    fan = ds.insight.fit_fan(model, "bce", DATA, ds.gd(0.5), seeds=4, batch_size=None, epochs=6)
    plain = ds.fit(model, "bce", DATA, ds.gd(0.5), epochs=6, shuffle=False).curves()["loss"]
    for row in fan.train_loss:
        np.testing.assert_allclose(row, plain, rtol=1e-5)
    assert np.all(fan.high - fan.low <= 1e-5 * fan.median)
    assert fan.steps_per_epoch == 1
    # ... whereas an MLP's random start does depend on the seed
    mlp = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.5), seeds=3, batch_size=None, epochs=2)
    assert np.max(np.abs(mlp.train_loss[1] - mlp.train_loss[0])) > 1e-3


def test_a_new_learning_rate_reuses_the_program():
    ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.1), seeds=2, epochs=2)
    before = _fit_fans._program.cache_info().misses
    ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.3), seeds=2, epochs=2)
    assert _fit_fans._program.cache_info().misses == before


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"seeds": 0}, ValueError, "seeds"),
        ({"seeds": 10**6}, ValueError, "seeds"),
        ({"seeds": 2.5}, TypeError, "seeds"),
        ({"seeds": "4"}, TypeError, "seeds"),
        ({"seed": -1}, ValueError, "seed"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": 100}, ValueError, "batch_size"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"band": (0.9, 0.1)}, ValueError, "band"),
        ({"band": (0.1, 1.5)}, ValueError, "band"),
        ({"band": 0.5}, TypeError, "band"),
        ({"learning_rate": 0.1}, TypeError, "learning_rate"),
        ({"l2": -1.0}, ValueError, "l2"),
    ],
)
def test_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.1), **{"epochs": 1, "seeds": 2, **kwargs})
