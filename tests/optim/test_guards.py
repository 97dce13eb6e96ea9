"""A transform's functions, and the optax-style helpers, called on the wrong values: one line
naming the argument and what it should be, not an error from inside JAX. Each case below
ended in JAX's own words before (``add got incompatible shapes``, ``'NoneType' object has
no attribute 'count'``, ``Value 'g' with dtype float128 is not a valid JAX array type``)."""

import jax
import jax.numpy as jnp
import pytest

import descend as ds
from descend.optim import registry

TWO, THREE = jnp.ones(2), jnp.ones(3)


def squares(x):
    return jnp.sum(x**2)


def adam_state(params):
    return ds.adam().init(params)


ADAM_SHAPES = (
    r"parameters shaped like the grads \(float32\[3\]\): float32\[3\] at .m, got float32\[2\]"
)
NUMBERS = "must be a pytree of arrays of numbers"


def chain_of_two():
    return ds.chain(ds.clip_by_global_norm(1.0), ds.adam())


CASES = [
    (lambda: ds.adam().init("a"), TypeError, rf"^adam.init\(params\): params {NUMBERS}; got 'a'"),
    (lambda: ds.adam().init({"w": "a"}), TypeError, r"got 'a' \(str\) at \['w'\]$"),
    (
        lambda: ds.adam().update(THREE, adam_state(TWO)),
        ValueError,
        r"^adam.update\(grads, state, params\): state must be what adam.init\(params\) gives for "
        + ADAM_SHAPES,
    ),
    (lambda: jax.jit(ds.adam().update)(THREE, adam_state(TWO)), ValueError, ADAM_SHAPES),
    (lambda: ds.adam().update("g", adam_state(TWO)), TypeError, rf"grads {NUMBERS}; got 'g'"),
    (lambda: ds.adam().update(TWO, None), ValueError, r"adam.init\(params\) gives .*; got None$"),
    (
        lambda: ds.adam().update(TWO, ds.momentum().init(TWO)),
        ValueError,
        r"AdamState\(count=int32\[\], m=float32\[2\].*; got MomentumState\(",
    ),
    (
        lambda: ds.adam().update({"w": THREE, "b": TWO}, adam_state({"w": TWO, "b": TWO})),
        ValueError,
        r"float32\[3\] at .m\['w'\], got float32\[2\]$",
    ),
    (
        lambda: chain_of_two().update(THREE, chain_of_two().init(TWO)),
        ValueError,
        r"^chain.update.*float32\[3\] at \[1\].m, got float32\[2\]$",
    ),
    (
        lambda: ds.nesterov().update(THREE, ds.nesterov().init(TWO)),
        ValueError,
        r"^nesterov.update\(grads, state, params\).* at .buffer, got float32\[2\]$",
    ),
    (
        lambda: ds.apply_updates("a", "b"),
        TypeError,
        rf"^apply_updates\(params, updates\): params {NUMBERS}; got 'a'",
    ),
    (
        lambda: ds.apply_updates({"w": TWO}, {"v": TWO}),
        ValueError,
        r"of params: \{'w': float32\[2\]\}; got \{'v': float32\[2\]\}$",
    ),
    (
        lambda: ds.apply_updates(TWO, THREE),
        ValueError,
        r"float32\[2\] at the root, got float32\[3\]$",
    ),
    (
        lambda: ds.value_at(None, 0),
        TypeError,
        r"^value_at\(hyperparam, count\): hyperparam must be a number, array or schedule",
    ),
    (lambda: ds.value_at("a", 0), TypeError, rf"hyperparam {NUMBERS}; got 'a'"),
    (
        lambda: ds.value_at(ds.schedules.cosine(0.1, 10), "x"),
        TypeError,
        rf"count {NUMBERS}; got 'x'",
    ),
    (lambda: ds.global_norm("a"), TypeError, rf"^global_norm\(tree\): tree {NUMBERS}; got 'a'"),
    # the rules that take the objective: step(objective, x, state)
    (
        lambda: ds.lookahead_nesterov().step(squares, THREE, ds.lookahead_nesterov().init(TWO)),
        ValueError,
        r"^lookahead_nesterov.step\(objective, x, state\): state must be what "
        r"lookahead_nesterov.init\(params\) gives .* like x \(float32\[3\]\): "
        r"float32\[3\] at .u, got float32\[2\]$",
    ),
    (
        lambda: ds.annealing().step(squares, TWO, None),
        ValueError,
        r"^annealing.step\(objective, x, state\): state must be .*; got None$",
    ),
    (
        lambda: ds.annealing().step(squares, "x", ds.annealing().init(TWO)),
        TypeError,
        rf"x {NUMBERS}",
    ),
    (
        lambda: ds.lookahead_nesterov().step(None, TWO, ds.lookahead_nesterov().init(TWO)),
        TypeError,
        r"objective must be the function of x to minimise; got None",
    ),
    (lambda: ds.lookahead_nesterov().init("a"), TypeError, rf"^lookahead_nesterov.init.*{NUMBERS}"),
]


@pytest.mark.parametrize("call, kind, message", CASES)
def test_a_wrong_argument_is_named_in_one_line(call, kind, message):
    with pytest.raises(kind, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", registry.names())
def test_every_registered_rule_names_a_wrong_state_and_wrong_parameters(name):
    opt = registry.get(name).constructor()
    with pytest.raises(ValueError, match=rf"^{name}\.update\(grads, state, params\): state must"):
        opt.update(THREE, None, THREE)
    if any(jnp.shape(leaf) == (2,) for leaf in jax.tree.leaves(opt.init(TWO))):
        # a rule whose state is shaped like the parameters reads them
        with pytest.raises(TypeError, match=rf"^{name}\.init\(params\): params must be"):
            opt.init({"w": object()})


def test_a_function_own_message_and_an_error_the_arguments_do_not_explain_stand():
    opt = ds.chain(ds.gd(0.1), ds.clip_by_value(1.0))
    with pytest.raises(ValueError, match=r"^chain: state has 1 parts but the chain has 2"):
        opt.update(TWO, (ds.gd(0.1).init(TWO),), TWO)
    # right arguments, a failing schedule: the schedule's own error goes on unchanged
    broken = ds.gd(lambda t: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        broken.update(TWO, broken.init(TWO))


def test_a_guarded_rule_computes_what_it_did():
    """The guard adds no operation: the same updates and state, bit for bit, as the rule's
    own functions, eagerly and compiled."""
    opt = ds.adam(0.1)
    raw_init, raw_update = opt.update.raw
    params = {"w": jnp.arange(3.0), "b": jnp.ones(1)}
    grads = jax.tree.map(lambda p: p * 0.5 - 1, params)
    for wrap in (lambda f: f, jax.jit):
        got = wrap(opt.update)(grads, opt.init(params), params)
        want = wrap(raw_update)(grads, raw_init(params), params)
        same = jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)), got, want)
        assert jax.tree.structure(got) == jax.tree.structure(want)
        assert all(jax.tree.leaves(same))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda lr: ds.adam(lambda t: "fast" if lr is not None else 0.1),
            r"the schedule <lambda>'s value must be",
        ),
        (lambda lr: ds.gd(lambda t: ("fast", lr)), r"the schedule <lambda>'s value must be"),
        (lambda lr: ds.gd(lambda t, u: lr), r"the schedule <lambda> failed on the step count"),
        (
            lambda lr: ds.lookahead_nesterov(lambda t, u: lr),
            r"the schedule <lambda> failed on the step count \(.*missing 1 required positional "
            r"argument: 'u'\); a schedule takes the step",
        ),
    ],
)
def test_a_schedule_that_returns_no_number_is_named(make, message):
    """A user's schedule returning text, or taking two arguments, failed in JAX's words
    (``Value 'fast' with dtype <U4 is not a valid JAX array type``), in a run and in a
    vmapped run whose schedule closes over the swept rate alike."""
    pattern = r"^value_at\(hyperparam, count\): " + message
    with pytest.raises(TypeError, match=pattern):
        ds.minimize(squares, TWO, make(0.1), max_steps=5)
    with pytest.raises(TypeError, match=pattern):
        jax.vmap(lambda lr: ds.minimize(squares, TWO, make(lr), max_steps=5).x)(TWO)


SHAPE = (
    r"{name} has shape {shape}, which does not broadcast to the shape of {what} "
    r"\({leaf}\); an array hyperparameter must broadcast to the shape of every parameter, "
    r"as a number does"
)


def linear():
    return ds.models.linear(4, 1)


@pytest.mark.parametrize(
    ("run", "message"),
    [
        (
            lambda: ds.minimize(squares, THREE, ds.adam(jnp.full(2, 0.1)), max_steps=5),
            r"^adam.update\(grads, state, params\): "
            + SHAPE.format(name="lr", shape=r"\(2,\)", what="the grads", leaf=r"float32\[3\]"),
        ),
        (  # broadcasts without failing, to a (3, 3) update: a shape the run cannot carry
            lambda: ds.minimize(squares, THREE, ds.adam(jnp.full((3, 1), 0.1)), max_steps=5),
            SHAPE.format(name="lr", shape=r"\(3, 1\)", what="the grads", leaf=r"float32\[3\]"),
        ),
        (
            lambda: ds.minimize(squares, THREE, ds.adam(lambda t: jnp.full(2, 0.1)), max_steps=5),
            SHAPE.format(name="lr", shape=r"\(2,\)", what="the grads", leaf=r"float32\[3\]"),
        ),
        (
            lambda: ds.minimize(squares, THREE, ds.momentum(0.1, jnp.full(4, 0.9)), max_steps=5),
            r"^momentum.update.*"
            + SHAPE.format(name="beta", shape=r"\(4,\)", what="the grads", leaf=r"float32\[3\]"),
        ),
        (
            lambda: ds.minimize(
                squares, THREE, ds.chain(ds.clip_by_value(jnp.ones(2)), ds.gd(0.1)), max_steps=5
            ),
            r"^clip_by_value.update.*"
            + SHAPE.format(name="max_abs", shape=r"\(2,\)", what="the grads", leaf=".*"),
        ),
        (
            lambda: ds.minimize(squares, THREE, ds.lookahead_nesterov(jnp.full(2, 0.1))),
            r"^lookahead_nesterov.step\(objective, x, state\): "
            + SHAPE.format(name="lr", shape=r"\(2,\)", what="x", leaf=r"float32\[3\]"),
        ),
        (
            lambda: ds.fit(linear(), "mse", (jnp.ones((8, 4)), jnp.ones(8)), ds.adam(jnp.ones(4))),
            SHAPE.format(name="lr", shape=r"\(4,\)", what=r"the grads at \['b'\]", leaf=r".*"),
        ),
        (
            lambda: jax.vmap(lambda lr: ds.minimize(squares, THREE, ds.gd(lr), max_steps=5).x)(
                jnp.ones((2, 2))
            ),
            r"^gd.update.*"
            + SHAPE.format(name="lr", shape=r"\(2,\)", what="the grads", leaf=r"float32\[3\]"),
        ),
    ],
)
def test_an_array_hyperparameter_the_parameters_cannot_take_is_named(run, message):
    """An n-d hyperparameter is a value a coordinate: one of a shape that does not broadcast
    to the parameters failed in JAX's words (``mul got incompatible shapes for broadcasting:
    (2,), (3,)``, or, for one that grows the update, ``dynamic_update_slice update shape must
    be smaller than operand shape``), in a run, a chain, a gradient step, a fit and a vmap."""
    with pytest.raises(ValueError, match=message) as info:
        run()
    assert "\n" not in str(info.value)


def test_an_array_hyperparameter_that_broadcasts_is_a_rate_a_coordinate():
    """``gd(lr)`` with ``lr`` an array shaped like ``x``, or broadcasting to it, takes the step
    ``x - lr * grad`` coordinate by coordinate (the guard refuses only shapes that cannot)."""
    x0 = jnp.array([1.0, 2.0, 3.0])
    rates = jnp.array([0.1, 0.2, 0.3])
    for lr, want in ((rates, x0 - rates * 2 * x0), (jnp.full((1,), 0.1), 0.8 * x0)):
        got = ds.minimize(squares, x0, ds.gd(lr), max_steps=1, tol=0.0)
        assert jnp.allclose(got.x, want, rtol=1e-6)
    params = {"w": jnp.ones((2, 3)), "b": jnp.ones(3)}
    updates, _ = ds.gd(rates).update(params, ds.gd(rates).init(params))
    assert jnp.allclose(updates["w"], -rates * jnp.ones((2, 3)))
