"""The Transform protocol: pytrees, chain, apply_updates, extra arguments, optax both ways."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import descend as ds


def quadratic(params):
    return jnp.sum((params["w"] - 1.0) ** 2) + jnp.sum((params["b"] + 2.0) ** 2)


PARAMS = {"w": jnp.zeros((3, 2)), "b": jnp.zeros(4)}


def run(opt, params, steps=50, f=quadratic):
    state = opt.init(params)
    for _ in range(steps):
        updates, state = opt.update(jax.grad(f)(params), state, params)
        params = ds.apply_updates(params, updates)
    return params


def test_gd_on_a_pytree_reaches_the_minimum():
    out = run(ds.gd(0.25), PARAMS)
    np.testing.assert_allclose(out["w"], 1.0, atol=1e-6)
    np.testing.assert_allclose(out["b"], -2.0, atol=1e-6)


def test_apply_updates_keeps_parameter_dtype():
    params = {"a": jnp.ones(2, jnp.float32), "n": jnp.ones(2, jnp.bfloat16)}
    updates = {"a": jnp.ones(2, jnp.float32), "n": jnp.ones(2, jnp.float32)}
    out = ds.apply_updates(params, updates)
    assert out["a"].dtype == jnp.float32 and out["n"].dtype == jnp.bfloat16
    np.testing.assert_array_equal(out["a"], 2.0)


def test_chain_applies_in_order():
    # clip first, then scale by -lr: the step is -lr * clipped gradient
    opt = ds.chain(ds.clip_by_value(0.5), ds.gd(0.1))
    grads = jnp.array([2.0, -0.2, -3.0])
    updates, _ = opt.update(grads, opt.init(grads), grads)
    np.testing.assert_allclose(updates, [-0.05, 0.02, 0.05], rtol=1e-6)
    # the other order scales first, then clips the (small) result: nothing is clipped
    opt = ds.chain(ds.gd(0.1), ds.clip_by_value(0.5))
    updates, _ = opt.update(grads, opt.init(grads), grads)
    np.testing.assert_allclose(updates, [-0.2, 0.02, 0.3], rtol=1e-6)


def test_chain_rejects_what_is_not_a_transform():
    with pytest.raises(TypeError, match="argument 1 must be a Transform"):
        ds.chain(ds.gd(0.1), 0.5)


def test_chain_rejects_a_state_from_another_chain():
    opt = ds.chain(ds.gd(0.1), ds.clip_by_value(1.0))
    with pytest.raises(ValueError, match="state has 1 parts but the chain has 2"):
        opt.update(jnp.ones(2), (ds.gd(0.1).init(jnp.ones(2)),), jnp.ones(2))


def test_descend_rule_inside_an_optax_training_loop():
    """A descend optimizer used exactly as an optax one, and inside optax.chain."""
    params = PARAMS
    opt = optax.chain(optax.clip_by_global_norm(10.0), ds.adam(0.1))
    state = opt.init(params)
    for _ in range(300):
        updates, state = opt.update(jax.grad(quadratic)(params), state, params)
        params = optax.apply_updates(params, updates)
    assert float(quadratic(params)) < 1e-4
    # and it matches optax's own Adam step for step
    mine = optax.chain(optax.clip_by_global_norm(10.0), ds.adam(0.1))
    theirs = optax.chain(optax.clip_by_global_norm(10.0), optax.adam(0.1))
    a = b = PARAMS
    sa, sb = mine.init(a), theirs.init(b)
    for _ in range(20):
        ua, sa = mine.update(jax.grad(quadratic)(a), sa, a)
        ub, sb = theirs.update(jax.grad(quadratic)(b), sb, b)
        a, b = optax.apply_updates(a, ua), optax.apply_updates(b, ub)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6), a, b)


def test_optax_transform_inside_descend_chain():
    """An optax transform works wherever descend takes one."""
    mine = ds.chain(optax.clip_by_global_norm(0.5), ds.momentum(0.05, 0.9))
    ref = ds.chain(ds.clip_by_global_norm(0.5), ds.momentum(0.05, 0.9))
    a, b = run(mine, PARAMS, 30), run(ref, PARAMS, 30)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), a, b)
    # a whole optax optimizer as the rule, under jit
    opt = ds.chain(ds.clip_by_value(100.0), optax.sgd(0.25))
    out = jax.jit(lambda p: run(opt, p, 40))(PARAMS)
    np.testing.assert_allclose(out["w"], 1.0, atol=1e-5)


def test_extra_arguments_reach_transforms_that_take_them():
    """chain forwards loss= to reduce_on_plateau and leaves optax transforms alone."""
    opt = ds.chain(optax.identity(), ds.gd(1.0), ds.reduce_on_plateau(0.5, patience=0))
    g = jnp.ones(2)
    state = opt.init(g)
    scales = []
    for loss in [1.0, 2.0, 2.0, 0.5]:
        updates, state = opt.update(g, state, g, loss=loss)
        scales.append(-float(updates[0]))
    # the loss seen at an update changes the scale of the next one (PyTorch's order)
    assert scales == [1.0, 1.0, 0.5, 0.25]


def test_identity_and_jit():
    opt = ds.identity()
    g = {"a": jnp.arange(3.0)}
    u, _ = jax.jit(opt.update)(g, opt.init(g), g)
    np.testing.assert_array_equal(u["a"], g["a"])
