"""Strategies against local minima: random restarts, simulated annealing, gradient noise."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.engine._restarts import draw_starts


def test_restarts_find_all_four_minima_of_himmelblau():
    h = ds.surfaces.get("himmelblau")
    r = ds.restarts(h, ds.adam(0.05), 32, seed=0, max_steps=2000)
    assert r.found(h.minima).all()
    assert float(r.best.best_loss) < 1e-8
    assert r.starts.shape == (32, 2)
    lo, hi = np.asarray(h.domain).T
    assert np.all((r.starts >= lo) & (r.starts <= hi))
    # each run is the run minimize would do from that start
    one = ds.minimize(h, jnp.asarray(r.starts[5], jnp.float32), ds.adam(0.05), max_steps=2000)
    np.testing.assert_allclose(r.results.x[5], one.x, rtol=1e-5, atol=1e-6)


def test_restarts_escape_where_one_run_is_stuck():
    ra = ds.surfaces.get("rastrigin")
    single = ds.minimize(ra, None, ds.gd(ra.lr), max_steps=2000)
    assert float(single.loss) > 7.0  # the recommended start ends in a local minimum
    r = ds.restarts(ra, ds.gd(ra.lr), 64, seed=0, max_steps=2000)
    assert float(r.best.best_loss) < 1.0


def test_restarts_around_a_point_and_errors():
    r = ds.restarts(lambda x: jnp.sum((x - 3.0) ** 2), ds.gd(0.1), 8, around=[3.0, 3.0],
                    radius=0.5, max_steps=200)  # fmt: skip
    assert np.all(np.abs(r.starts - 3.0) <= 0.5) and r.found([[3.0, 3.0]]).all()
    with pytest.raises(ValueError, match="around needs radius"):
        ds.restarts(lambda x: jnp.sum(x**2), ds.gd(0.1), 4, around=[0.0])
    with pytest.raises(ValueError, match="restarts needs a domain"):
        ds.restarts(lambda x: jnp.sum(x**2), ds.gd(0.1), 4)
    with pytest.raises(ValueError, match="low < high"):
        draw_starts(3, [(1.0, 0.0)])
    np.testing.assert_array_equal(draw_starts(5, [(0, 1)], seed=3), draw_starts(5, [(0, 1)], 3))


def test_restarts_vmapped_over_the_learning_rate_match_one_call_each():
    """``jax.vmap`` of restarts with its defaults (16 starts, one program of them inside the
    vmapped one): each learning rate's runs and best index are those of its own call, and
    Himmelblau's best loss is its minimum, 0."""
    himmelblau = ds.surfaces.get("himmelblau")
    lrs = [0.01, 0.05]
    both = jax.vmap(lambda lr: ds.restarts(himmelblau, ds.adam(lr)))(jnp.array(lrs))
    assert np.shape(both.best_index) == (2,) and np.shape(both.starts) == (2, 16, 2)
    for i, lr in enumerate(lrs):
        one = ds.restarts(himmelblau, ds.adam(lr))
        assert int(both.best_index[i]) == one.best_index
        np.testing.assert_array_equal(both.results.best_loss[i], one.results.best_loss)
        assert float(one.best.best_loss) < 1e-8
    assert repr(both).startswith("Restarts(batch=(2,), 16 starts each; Result(batch=(2, 16)")
    with pytest.raises(ValueError, match=r"\(2,\) sets of restarts \(from jax.vmap\)"):
        _ = both.best


def test_annealing_leaves_a_local_minimum_that_gradient_descent_keeps():
    well = ds.surfaces.get("double_well")
    gd = ds.minimize(well, None, ds.gd(well.lr), max_steps=3000)
    local = min(well.local_minima, key=lambda m: np.linalg.norm(np.asarray(gd.x) - m))
    assert np.linalg.norm(np.asarray(gd.x) - local) < 1e-2  # gradient descent stays put

    def walk(seed):
        opt = ds.annealing(well.lr, 1.0, 0.998, 0.5, seed=seed)
        return ds.minimize(well, None, opt, max_steps=3000, tol=0.0)

    walks = jax.vmap(walk)(jnp.arange(10))  # ten seeds, one program
    assert np.sum(np.asarray(walks.best_loss) < well.min_value + 1e-3) >= 8


def test_seeds_vmapped_are_the_walks_run_one_by_one():
    """``seed`` may be a traced integer: jax.vmap over seeds runs the same walks, bit for bit,
    as separate calls (annealing, and gradient noise)."""
    well = ds.surfaces.get("double_well")
    rules = {
        "annealing": lambda seed: ds.annealing(well.lr, 1.0, 0.99, 0.5, seed=seed),
        "add_noise": lambda seed: ds.chain(ds.add_noise(0.1, seed=seed), ds.gd(well.lr)),
    }
    for make in rules.values():

        def run(seed, make=make):
            return ds.minimize(well, None, make(seed), max_steps=200, tol=0.0)

        batched = jax.vmap(run)(jnp.array([3, 11], jnp.int32))
        for i, seed in enumerate((3, 11)):
            one = run(seed)
            np.testing.assert_array_equal(batched.x[i], one.x)
            np.testing.assert_array_equal(batched.best_loss[i], one.best_loss)
        assert not np.array_equal(batched.x[0], batched.x[1])


@pytest.mark.parametrize("seed", ["0", 1.5, True, None, np.array([1, 2]), jnp.float32(1)])
def test_a_seed_that_is_not_an_integer_is_refused_by_every_user(seed):
    data = (jnp.ones((4, 1)), jnp.ones(4))
    users = [
        lambda: ds.annealing(seed=seed),
        lambda: ds.add_noise(seed=seed),
        lambda: ds.fit(ds.models.linear(1), "mse", data, ds.gd(), epochs=1, seed=seed),
    ]
    for use in users:
        with pytest.raises(TypeError, match=r"^seed must be an integer \(a Python or NumPy"):
            use()
    for use in (lambda: ds.annealing(seed=2**40), lambda: ds.add_noise(seed=-(2**33))):
        with pytest.raises(ValueError, match="seed must be at most 2,147,483,647 in size"):
            use()


def test_annealing_accepts_by_the_metropolis_rule():
    """At temperature ~0 only improvements are accepted: the loss never rises."""
    f = lambda x: jnp.sum(x**2) + jnp.sum(jnp.sin(5 * x))  # noqa: E731
    r = ds.minimize(f, jnp.array([2.0, -1.5]), ds.annealing(0.01, 1e-9, 1.0, 0.3, seed=0),
                    max_steps=500, tol=0.0)  # fmt: skip
    loss = r.history.trimmed()["loss"]
    assert np.all(np.diff(loss) <= 1e-6)


def test_gradient_noise_variance_schedule():
    opt = ds.add_noise(0.04, 0.55, seed=1)
    g = jnp.zeros(40_000)
    state = opt.init(g)
    for t in range(4):
        u, state = opt.update(g, state)
        assert float(jnp.std(u)) == pytest.approx(np.sqrt(0.04 / (1 + t) ** 0.55), rel=0.02)
    again, _ = ds.add_noise(0.04, 0.55, seed=1).update(g, ds.add_noise(0.04, 0.55, 1).init(g))
    first, _ = opt.update(g, opt.init(g))
    np.testing.assert_array_equal(again, first)  # equal seeds, equal noise
    with pytest.raises(ValueError, match="eta must be a finite number >= 0"):
        ds.add_noise(-1.0)


def test_gradient_noise_in_a_run_is_jittable_and_vmappable():
    f = lambda x: jnp.sum(x**2)  # noqa: E731
    opt = ds.chain(ds.add_noise(0.01, 0.55, seed=0), ds.gd(0.1))
    runs = jax.vmap(lambda s: ds.minimize(f, s, opt, max_steps=200, tol=0.0).loss)(jnp.ones((3, 2)))
    assert np.all(np.asarray(runs) < 1e-2)
