"""``ds.insight.fit_fan``: seed by seed the numbers of separate ``ds.fit`` calls, computed as
one vmapped program, with the spread over the seeds.

(Each new program compiles for a second or more, so the tests share a few fans.)"""

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
OPTIONS = {"seeds": 3, "seed": 5, "batch_size": 4, "epochs": 4, "validation": VAL}


@pytest.fixture(scope="module")
def fan():
    return ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.2), **OPTIONS)


def test_each_seed_is_the_fit_of_that_seed(fan):
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
    assert fan.epochs_run.tolist() == [4, 4, 4]


def test_the_spread_is_the_quantiles_over_the_seeds(fan):
    L = fan.train_loss
    np.testing.assert_allclose(fan.median, np.median(L, axis=0))
    np.testing.assert_allclose(fan.low, np.quantile(L, 0.1, axis=0))
    np.testing.assert_allclose(fan.high, np.quantile(L, 0.9, axis=0))
    np.testing.assert_allclose(fan.val_median, np.median(fan.val_loss, axis=0))
    assert np.all(fan.low <= fan.median) and np.all(fan.median <= fan.high)
    np.testing.assert_array_equal(fan.final_loss, L[:, -1])
    assert fan.band == (0.1, 0.9) and "seeds=3" in repr(fan)


def test_a_stopped_seed_leaves_the_spread():
    values = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [5.0, 4.0, np.nan]])
    median, low, high = _fit_fans._spread(values, (0.0, 1.0))
    np.testing.assert_array_equal(median[:2], [3.0, 3.0])
    np.testing.assert_array_equal(low[:2], [1.0, 2.0])
    np.testing.assert_array_equal(high[:2], [5.0, 4.0])
    assert np.isnan(median[2]) and np.isnan(low[2])


def test_noisy_seeds_differ(fan):
    for i in (1, 2):
        assert np.max(np.abs(fan.train_loss[i] - fan.train_loss[0])) > 1e-3
    assert np.all(fan.high - fan.low > 0)


def test_a_new_learning_rate_reuses_the_program(fan):
    before = _fit_fans._program.cache_info().misses
    other = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.5), **OPTIONS)
    assert _fit_fans._program.cache_info().misses == before
    assert not np.allclose(other.train_loss, fan.train_loss)


def test_full_batch_from_one_start_is_the_same_for_every_seed():
    # batch gradient descent uses every sample in every step: from one shared start the seed
    # only reorders a sum, so every seed follows the one unshuffled run up to rounding and
    # the band closes; mini-batches from the same start still differ, by the order alone
    start = MLP.init(jax.random.key(0))
    full = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.5), seeds=3, batch_size=None,
                              epochs=4, params=start)  # fmt: skip
    plain = ds.fit(MLP, "bce", DATA, ds.gd(0.5), batch_size=None, epochs=4, shuffle=False,
                   params=start).curves()["loss"]  # fmt: skip
    for row in full.train_loss:
        np.testing.assert_allclose(row, plain, rtol=1e-5)
    assert np.all(full.high - full.low <= 1e-5 * full.median)
    assert full.steps_per_epoch == 1
    mini = ds.insight.fit_fan(MLP, "bce", DATA, ds.gd(0.5), seeds=3, batch_size=4, epochs=4,
                              params=start)  # fmt: skip
    assert np.max(np.abs(mini.train_loss[1] - mini.train_loss[0])) > 1e-3


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
