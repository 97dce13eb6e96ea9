"""Seed fans on surfaces: noise-free fans are one path, each noisy run is the run a plain
loop gives with its seed, and gradient noise lets some runs escape the double well's shallow
minimum that noise-free descent stays in."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.insight import seed_fan

WELL = ds.surfaces.get("double_well")
SADDLE_X = WELL.saddles[0][0]  # f is separable: the global basin is x < SADDLE_X
STEPS, SEEDS = 300, 32  # shared, so that the tests share compiled programs
GD = ds.gd(WELL.lr)


@pytest.fixture(scope="module")
def noisy():
    return seed_fan(WELL, GD, seeds=SEEDS, noise=3.5, max_steps=STEPS)


def test_noise_free_seeds_all_follow_the_plain_minimize_path():
    fan = seed_fan(WELL, GD, seeds=SEEDS, noise=0.0, max_steps=STEPS)
    plain = ds.minimize(WELL, None, GD, max_steps=STEPS, record_path=True)
    n = int(plain.history.count)
    want = np.asarray(plain.history.path)[:n]
    for s in range(SEEDS):
        np.testing.assert_allclose(fan.paths[s], fan.paths[0], rtol=0, atol=0)
        np.testing.assert_allclose(fan.paths[s][:n], want, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(fan.run_steps, int(plain.steps))
    np.testing.assert_allclose(fan.final_loss, float(plain.loss), rtol=1e-6)
    # after it stopped, each run is held at its final point
    np.testing.assert_allclose(fan.paths[0][n:], np.broadcast_to(want[-1], fan.paths[0][n:].shape))
    assert fan.global_share == 0.0  # the start lies in the shallow basin


def test_each_noisy_seed_is_the_run_a_plain_loop_gives():
    fan = seed_fan(WELL, GD, seeds=SEEDS, noise=1.5, decay=0.3, max_steps=STEPS, seed=7)
    assert len(set(fan.seed_values.tolist())) == SEEDS
    for s, k in enumerate(fan.seed_values[:3]):
        noisy = ds.chain(ds.add_noise(1.5**2, 0.3, seed=int(k)), GD)
        run = ds.minimize(WELL, None, noisy, max_steps=STEPS, record_path=True)
        np.testing.assert_allclose(fan.paths[s], np.asarray(run.history.path), rtol=1e-5,
                                   atol=1e-5)  # fmt: skip
        np.testing.assert_allclose(fan.losses[s], np.asarray(run.history.loss), rtol=1e-5,
                                   atol=1e-5)  # fmt: skip
    assert not np.allclose(fan.paths[0], fan.paths[1])  # different seeds, different paths


def test_noise_escapes_the_shallow_minimum(noisy):
    quiet = seed_fan(WELL, GD, seeds=SEEDS, noise=0.0, max_steps=STEPS)
    assert quiet.global_share == 0.0
    assert 0.0 < noisy.global_share < 1.0
    assert noisy.global_share > quiet.global_share
    # independent truth: the noise-free flow of a separable f takes x < saddle to the
    # global minimum, x > saddle to the local one
    np.testing.assert_array_equal(noisy.at_global, noisy.final_x[:, 0] < SADDLE_X)
    assert noisy.global_share == np.mean(noisy.final_x[:, 0] < SADDLE_X)


def test_spread_is_the_quantiles_of_the_runs(noisy):
    fan, n = noisy, SEEDS
    for i in (0, 1, 50, len(fan.steps) - 1):
        ordered = np.sort(fan.losses[:, i])
        low, mid, high = (ordered[math.ceil(q * n) - 1] for q in (0.1, 0.5, 0.9))
        assert (fan.low[i], fan.median[i], fan.high[i]) == (low, mid, high)
    np.testing.assert_array_equal(fan.steps, np.arange(STEPS + 1))
    np.testing.assert_allclose(fan.losses[:, -1], fan.final_loss)
    np.testing.assert_allclose(fan.losses[:, 0], float(WELL(jnp.asarray(WELL.start))))


def test_same_seed_same_fan_and_a_given_start():
    a, b, c = (seed_fan(WELL, GD, seeds=SEEDS, noise=1.0, start=[-1.5, 0.5], max_steps=STEPS,
                        seed=seed) for seed in (3, 3, 4))  # fmt: skip
    np.testing.assert_array_equal(a.paths, b.paths)
    assert not np.array_equal(a.paths, c.paths)
    np.testing.assert_array_equal(a.paths[:, 0], np.broadcast_to([-1.5, 0.5], (SEEDS, 2)))
    assert a.global_share == 1.0  # started in the global basin, it stays there


def test_no_global_share_without_known_minima():
    fan = seed_fan(ds.surfaces.get("saddle"), ds.gd(0.1), seeds=2, noise=0.1, max_steps=20)
    assert fan.global_share is None and fan.at_global is None


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"surface": "double_well"}, TypeError, "surface must be a Surface"),
        ({"optimizer": "gd"}, TypeError, "optimizer must be a Transform"),
        ({"seeds": 0}, ValueError, r"seeds must be an integer in \[1, 1024\]; got 0"),
        ({"seeds": 2.0}, TypeError, "seeds must be an integer"),
        ({"noise": -1.0}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": "big"}, TypeError, "noise must be a real scalar"),
        ({"decay": -0.5}, ValueError, "decay must be"),
        ({"max_steps": 0}, ValueError, "max_steps must be an integer >= 1"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ({"start": [1.0]}, ValueError, "start must be 2 numbers for double_well"),
        ({"start": [1.0, float("nan")]}, ValueError, "start must be finite"),
        ({"within": 0.0}, ValueError, "within must be a finite number > 0"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"surface": WELL, "optimizer": ds.gd(0.05), **kwargs}
    with pytest.raises(error, match=match):
        seed_fan(args.pop("surface"), args.pop("optimizer"), **args)
