"""Sweeps over a hyperparameter grid (and start points) and comparisons of optimizers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.engine import compare, minimize, sweep


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


X0 = jnp.array([-1.2, 1.0])


def test_grid_sweep_equals_one_run_per_configuration():
    s = sweep(rosenbrock, X0, ds.adam, lr=[1e-3, 1e-2, 5e-2], b1=[0.8, 0.9], max_steps=400)
    assert len(s) == 6 and s.results.loss.shape == (6,)
    for i in range(6):
        lr, b1 = float(s.grid["lr"][i]), float(s.grid["b1"][i])
        one = minimize(rosenbrock, X0, ds.adam(lr, b1), max_steps=400)
        np.testing.assert_allclose(s.results.loss[i], one.loss, rtol=1e-4, atol=1e-9)
    best, run = s.best()
    assert float(run.loss) == pytest.approx(float(np.min(np.asarray(s.results.loss))))
    assert set(best) == {"lr", "b1"}


def test_sweep_over_starts_and_fixed_arguments():
    starts = jnp.array([[-1.2, 1.0], [1.5, 1.5]])
    s = sweep(rosenbrock, X0, ds.momentum, starts=starts, fixed={"form": "ema"},
              lr=[1e-3, 2e-3], beta=[0.9], max_steps=200)  # fmt: skip
    assert s.results.loss.shape == (2, 2)
    one = minimize(rosenbrock, starts[1], ds.momentum(2e-3, 0.9, form="ema"), max_steps=200)
    np.testing.assert_allclose(s.results.loss[1, 1], one.loss, rtol=1e-5)


def test_sweep_rejects_bad_grid_values_before_running():
    with pytest.raises(
        ValueError, match=r"b1 must be a number in \[0, 1\); got invalid entries \[1.0\]"
    ):
        sweep(rosenbrock, X0, ds.adam, lr=[1e-3], b1=[0.9, 1.0])
    with pytest.raises(ValueError, match="needs at least one hyperparameter"):
        sweep(rosenbrock, X0, ds.adam, max_steps=10)


def test_a_seed_is_swept_as_integers_in_one_program():
    """seed=range(n) runs the same walks as the calls one by one; a seed grid that is not
    integers is refused before anything runs."""
    well = ds.surfaces.get("double_well")
    s = sweep(well, None, ds.annealing, seed=range(4), max_steps=300, tol=0.0)
    assert s.grid["seed"].dtype == np.int32 and list(s.grid["seed"]) == [0, 1, 2, 3]
    for i in range(4):
        one = minimize(well, None, ds.annealing(seed=i), max_steps=300, tol=0.0)
        np.testing.assert_array_equal(s.results.best_x[i], one.best_x)
    best, _ = s.best()
    assert type(best["seed"]) is int
    noisy = sweep(well, None, lambda seed, lr: ds.chain(ds.add_noise(0.1, seed=seed), ds.gd(lr)),
                  seed=[5, 6], lr=[0.01, 0.02], max_steps=100, tol=0.0)  # fmt: skip
    assert noisy.grid["seed"].tolist() == [5, 5, 6, 6] and noisy.grid["lr"].dtype == np.float64
    with pytest.raises(TypeError, match=r"seed must be an integer .*got np.float64\(0.5\)"):
        sweep(well, None, ds.annealing, seed=[0.5, 1], max_steps=10)


def test_sweep_best_skips_diverged_runs():
    s = sweep(rosenbrock, X0, ds.gd, lr=[1e-3, 1.0], max_steps=200)
    assert s.results[1].diverged
    best, _ = s.best()
    assert best["lr"] == pytest.approx(1e-3)


def test_compare_runs_each_optimizer_from_one_start():
    out = compare(rosenbrock, X0, [ds.gd(1e-3), ds.momentum(1e-3, 0.9), ds.adam(2e-2)],
                  max_steps=3000)  # fmt: skip
    assert list(out) == ["gd", "momentum", "adam"]
    assert float(out["momentum"].loss) < float(out["gd"].loss)  # momentum helps in the valley
    named = compare(rosenbrock, X0, {"fast": ds.adam(2e-2)}, max_steps=3000)
    np.testing.assert_array_equal(named["fast"].x, out["adam"].x)


@pytest.mark.parametrize("values", [["a"], [[1.0, 2.0], [3.0]], {"x": 1}])
def test_grid_values_that_are_not_numbers_are_named(values):
    with pytest.raises(TypeError, match=r"lr: give a list of numbers; got"):
        ds.sweep(lambda x: (x**2).sum(), jnp.ones(2), ds.gd, lr=values)


def test_a_sweep_is_a_pytree_so_a_function_returning_one_can_be_vmapped_and_jitted():
    """vmap over start points of a function that returns a Sweep (it failed: "Sweep ... is not
    a valid JAX type"); each start's sweep is the sweep from that start alone."""
    surface = ds.surfaces.get("rosenbrock")
    starts = jnp.array([[-1.2, 1.0], [0.5, 0.5], [2.0, -1.0]])
    run = lambda x: ds.sweep(surface, x, ds.adam, lr=[0.01, 0.1], max_steps=200)  # noqa: E731
    batch = jax.vmap(run)(starts)
    assert isinstance(batch, ds.engine.Sweep)
    assert batch.results.loss.shape == (3, 2) and batch.grid["lr"].shape == (3, 2)
    for i, x in enumerate(starts):
        alone = run(x)
        np.testing.assert_allclose(batch.results.loss[i], alone.results.loss, rtol=1e-6)
        jitted = jax.jit(run)(x)
        np.testing.assert_allclose(jitted.results.loss, alone.results.loss, rtol=1e-6)


def test_a_built_optimizer_where_a_constructor_is_wanted_and_the_reverse():
    """sweep and lr_find take the constructor (descend.adam), compare several built ones;
    each mix-up used to end in "'_RecordedTransform' object is not callable" or in compare
    iterating over a Transform's two functions ("call it: init()")."""
    f = lambda x: jnp.sum((x - 1.0) ** 2)  # noqa: E731
    built = r"must be an optimizer's constructor, not called: descend.adam, not descend.adam\(\)"
    with pytest.raises(TypeError, match=built):
        ds.sweep(f, jnp.zeros(2), ds.adam(), lr=[0.1])
    with pytest.raises(TypeError, match=built):
        ds.insight.lr_find(f, jnp.zeros(2), ds.adam())
    with pytest.raises(TypeError, match=r"compare takes several optimizers.*got one optimizer"):
        ds.compare(f, jnp.zeros(2), ds.adam())
    steps = r"got a gradient step .* only descend.minimize runs those"
    for step in (ds.lookahead_nesterov(), ds.annealing()):
        with pytest.raises(TypeError, match="optimizer must be a Transform .*" + steps):
            ds.fit(ds.models.linear(4), "mse", ds.data.load("iris"), step)
        with pytest.raises(TypeError, match="chain: argument 1 must be a Transform .*" + steps):
            ds.chain(ds.clip_by_global_norm(1.0), step)


def test_best_refuses_when_every_run_diverged_and_starts_stand_for_x0():
    f = lambda x: jnp.sum((x - 1.0) ** 2)  # noqa: E731
    sw = ds.sweep(f, jnp.zeros(2), ds.gd, lr=[5.0, 10.0], max_steps=200)
    assert all(r == ds.StopReason.DIVERGED for r in sw.results.reason)
    with pytest.raises(ValueError, match="every one of the 2 configurations diverged"):
        sw.best()
    starts = jnp.array([[0.0, 0.0], [3.0, -2.0]])
    best, run = ds.sweep(f, None, ds.gd, lr=[0.1, 0.4], starts=starts).best()
    assert best == {"lr": 0.4}
    np.testing.assert_allclose(run.x, [[1.0, 1.0], [1.0, 1.0]], atol=1e-5)
