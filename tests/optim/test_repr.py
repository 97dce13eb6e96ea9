"""An optimizer, a chain and a schedule print as the call that made them."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import descend as ds
from descend.optim import schedules as S
from descend.optim._recipe import split

NAMESPACE = {**vars(ds), **{n: getattr(S, n) for n in dir(S) if not n.startswith("_")}}


def test_adam_prints_as_its_call_with_its_hyperparameters():
    assert repr(ds.adam(0.01)) == "adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-08, eps_root=0.0)"
    # options print only where they differ from the default
    assert repr(ds.adam(0.01, eps_hat=True)).endswith("eps_root=0.0, eps_hat=True)")
    assert str(ds.momentum(0.1, form="velocity")) == (
        "momentum(lr=0.1, beta=0.9, form='velocity', dampening=0.0)"
    )


def test_a_chain_prints_its_parts_in_order():
    opt = ds.chain(ds.clip_by_global_norm(1.0), ds.adam(0.01))
    assert repr(opt) == (
        "chain(clip_by_global_norm(max_norm=1.0, eps=0.0), "
        "adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-08, eps_root=0.0))"
    )
    # an optax part has no recipe: it prints as its type
    assert repr(ds.chain(optax.clip(1.0), ds.gd(0.1))) == (
        "chain(GradientTransformation(...), gd(lr=0.1))"
    )


@pytest.mark.parametrize(
    "opt",
    [
        ds.adam(0.01),
        ds.adamw(1e-3, weight_decay=0.1, coupling="schedule"),
        ds.rmsprop(0.01, momentum=0.9, centered=True, lr_in_momentum=True),
        ds.nesterov(0.05, 0.8),
        ds.chain(ds.maximize(), ds.weight_decay(0.01), ds.momentum(0.1, 0.9, dampening=0.5)),
        ds.from_library("torch", "AdamW", lr=0.1),
    ],
    ids=repr,
)
def test_the_printed_call_builds_the_same_optimizer(opt):
    again = eval(repr(opt), NAMESPACE)  # test code: the repr is valid Python
    (key, leaves), (key_again, leaves_again) = split(opt), split(again)
    assert key == key_again and leaves == leaves_again


def test_split_is_kept_on_the_transform_and_hands_out_fresh_leaves():
    """split's walk is kept on the transform: the same key again, the same leaf objects (an
    array changed in place still reaches the program), in a new list each time."""
    rates = np.array([0.1, 0.2])
    opt = ds.chain(ds.clip_by_norm(1.0), ds.gd(rates))
    key, leaves = split(opt)
    leaves.append("changed by a caller")
    key_again, leaves_again = split(opt)
    assert key_again == key and len(leaves_again) == len(leaves) - 1
    assert any(leaf is rates for leaf in leaves_again)
    fresh = ds.chain(ds.clip_by_norm(1.0), ds.gd(rates))
    assert split(fresh)[0] == key  # an equal recipe: the same program


def test_a_schedule_prints_as_its_call_and_still_runs():
    sched = S.warmup(S.cosine(0.1, 100), 10)
    assert repr(sched) == (
        "warmup(schedule=cosine(init=0.1, steps=100, final=0.0), steps=10, start=0.0)"
    )
    assert repr(ds.gd(S.step(0.1, 5))) == "gd(lr=step(init=0.1, step_size=5, gamma=0.1))"
    np.testing.assert_allclose(float(sched(10)), 0.1, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(sched)(jnp.arange(3)), [0.0, 0.01, 0.02], rtol=1e-5)
    # a plain function prints as its name, a lambda as one
    assert repr(ds.gd(lambda t: 0.1)) == "gd(lr=lambda t: ...)"


def test_arrays_print_as_dtype_and_shape_not_contents():
    rates = np.linspace(0.01, 0.1, 1000)
    text = repr(ds.gd(rates))
    assert text == "gd(lr=float64[1000])"
    assert repr(ds.gd(jnp.asarray(0.5))) == "gd(lr=0.5)"  # a 0-d array is its value
    seen = []

    def step(lr):
        seen.append(repr(ds.gd(lr)))
        return lr

    jax.jit(step)(jnp.float32(0.1))
    assert seen == ["gd(lr=traced(float32[]))"]


def test_the_repr_does_not_change_the_protocol():
    opt = ds.adam(0.1)
    init, update = opt  # still unpacks as optax's (init, update)
    state = init(jnp.zeros(2))
    u, _ = update(jnp.ones(2), state, jnp.zeros(2))
    np.testing.assert_allclose(u, -0.1, rtol=1e-5)
