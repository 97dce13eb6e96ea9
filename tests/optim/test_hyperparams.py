"""Hyperparameters are data: numbers, JAX scalars or schedules; vmapped sweeps; no recompiles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds

G = jnp.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.2], [1.5, -0.7, 0.0], [0.2, 0.2, 0.2]])
X0 = jnp.array([1.0, -1.0, 0.5])

# every numeric hyperparameter of every rule, with a valid value
VALID = {
    ds.gd: {"lr": 0.1},
    ds.momentum: {"lr": 0.1, "beta": 0.7, "dampening": 0.3},
    ds.nesterov: {"beta": 0.7},
    ds.adagrad: {"lr": 0.1, "eps": 1e-3, "lr_decay": 0.2},
    ds.rmsprop: {"lr": 0.1, "decay": 0.8, "eps": 1e-3, "momentum": 0.5},
    ds.adam: {"lr": 0.1, "b1": 0.7, "b2": 0.9, "eps": 1e-3, "eps_root": 1e-3},
    ds.adamw: {"lr": 0.1, "weight_decay": 0.2, "schedule": 0.5},
    ds.nadam: {"b1": 0.7, "momentum_decay": 0.01},
    ds.clip_by_global_norm: {"max_norm": 0.5},
    ds.clip_by_value: {"max_abs": 0.5},
    ds.weight_decay: {"rate": 0.1},
    ds.scale_by_schedule: {"schedule": 0.5},
}
NUMERIC = [(rule, name, value) for rule, values in VALID.items() for name, value in values.items()]


def run(opt):
    x, state, out = X0, opt.init(X0), []
    for g in G:
        u, state = opt.update(g, state, x)
        x = ds.apply_updates(x, u)
        out.append(u)
    return np.array(out)


@pytest.mark.parametrize(
    ("rule", "name", "value"), NUMERIC, ids=lambda p: getattr(p, "__name__", p)
)
def test_number_jax_scalar_and_schedule_agree(rule, name, value):
    base = run(rule(**{name: value}))
    np.testing.assert_allclose(run(rule(**{name: jnp.asarray(value)})), base, rtol=1e-6)
    np.testing.assert_allclose(run(rule(**{name: lambda t: value + 0.0 * t})), base, rtol=1e-6)


def test_a_schedule_on_beta1_is_used_step_by_step():
    """adam(b1=schedule) equals running Adam whose b1 changes at step 2, by hand."""
    sched = ds.schedules.multistep(0.9, [2], gamma=0.5)  # 0.9, 0.9, 0.45, 0.45
    got = run(ds.adam(0.1, b1=sched))
    m = v = np.zeros(3)
    for t, g in enumerate(np.asarray(G), start=1):
        b1 = 0.9 if t <= 2 else 0.45
        m = b1 * m + (1 - b1) * g
        v = 0.999 * v + 0.001 * g * g
        want = -0.1 * (m / (1 - b1**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(got[t - 1], want, rtol=2e-5)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def train(lr, b1, steps=200):
    """200 Adam steps on Rosenbrock from (-1, 1), the optimizer built from traced values."""
    opt = ds.adam(lr, b1)
    x = jnp.array([-1.0, 1.0])

    def step(carry, _):
        x, s = carry
        u, s = opt.update(jax.grad(rosenbrock)(x), s, x)
        return (ds.apply_updates(x, u), s), None

    (x, _), _ = jax.lax.scan(step, (x, opt.init(x)), None, length=steps)
    return rosenbrock(x)


def test_vmap_over_hyperparameters_matches_one_run_at_a_time():
    lrs = jnp.array([1e-3, 1e-2, 3e-2, 1e-1])
    b1s = jnp.array([0.5, 0.8, 0.9, 0.95])
    batched = jax.jit(jax.vmap(train))(lrs, b1s)
    single = [float(jax.jit(train)(a, b)) for a, b in zip(lrs, b1s, strict=True)]
    np.testing.assert_allclose(batched, single, rtol=1e-5)
    assert len(set(np.round(np.asarray(batched), 6))) == 4  # the configs really differ


def test_grid_of_ten_thousand_configurations_in_one_program():
    lrs, b1s = jnp.meshgrid(jnp.logspace(-4, -1, 100), jnp.linspace(0.0, 0.99, 100))
    losses = jax.jit(jax.vmap(lambda a, b: train(a, b, steps=50)))(lrs.ravel(), b1s.ravel())
    assert losses.shape == (10_000,) and bool(jnp.all(jnp.isfinite(losses)))


def test_other_hyperparameter_values_do_not_recompile(compilations):
    def sweep_step(x, state, lr, b2):
        u, state = ds.adam(lr, 0.9, b2).update(jax.grad(rosenbrock)(x), state, x)
        return ds.apply_updates(x, u), state

    step = jax.jit(sweep_step)
    x = jnp.array([-1.0, 1.0])
    state = ds.adam(1e-3).init(x)
    with compilations() as seen:
        for lr, b2 in [(1e-3, 0.999), (1e-2, 0.99), (0.5, 0.9)]:
            x, state = step(x, state, lr, b2)
            jax.block_until_ready(x)
    assert seen("sweep_step") == 1
    with compilations() as seen:  # the counter does see a genuine recompile (new shape)
        step(jnp.ones(3), ds.adam(1e-3).init(jnp.ones(3)), 1.0, 0.9)
    assert seen("sweep_step") == 1
