"""Forward-mode derivatives through a whole run: ``jax.jvp`` and ``jax.jacfwd`` of a run's
final loss with respect to a learning rate or the start, under ``jax.vmap`` either way round.

``jax.jacfwd`` (``vmap`` of ``jvp``) used to fail with a bare ``AssertionError`` from
``jax.custom_batching``: JAX cannot take the JVP of a ``custom_vmap`` function (the engine's
batched loops) under ``vmap`` when an input (a step counter) has no tangent.

The truth is closed form: gradient descent at rate ``a`` on ``f(x) = |x - 1|^2`` from the
origin in ``d`` dimensions contracts the error by ``1 - 2a`` a step, so after ``T`` steps
``f = d (1 - 2a)^(2T)`` and ``df/da = -4 d T (1 - 2a)^(2T - 1)``; and
``df/dx0_i = -2 (1 - 2a)^(2T)`` (the error of each coordinate is ``x0_i - 1``).
Reverse mode (``jax.grad``) is not available: a run is a ``while_loop`` that stops at its
own step; asking for it gives one line that names forward mode.

Tolerance: each step rounds ``x`` (about 1) to float64, so the error ``x - 1`` carries an
absolute error of about ``T eps = 4e-15``; the rates here keep that error above 1e-2 at
the end, so ``rtol=1e-10`` holds with room (a rate of 0.3 leaves ``0.4^20 = 1e-8`` of error,
and 1e-8 relative rounding in it)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds

T, D = 20, 2
RATES = (0.02, 0.05, 0.1)
RTOL = 1e-10


def f(x):
    return jnp.sum((x - 1.0) ** 2)


def final_loss(lr, x0=None, **options):
    x0 = jnp.zeros(D) if x0 is None else x0
    return ds.minimize(f, x0, ds.gd(lr), max_steps=T, tol=0.0, **options).loss


def closed_form(lr):
    lr = np.asarray(lr, np.float64)
    return D * (1 - 2 * lr) ** (2 * T), -4 * D * T * (1 - 2 * lr) ** (2 * T - 1)


@pytest.mark.parametrize("history", [True, False])
def test_jacfwd_of_the_final_loss_in_the_learning_rate_is_the_closed_form(x64, history):
    options = {} if history else {"record_every": T, "record_path": False}
    for lr in RATES:
        value, slope = closed_form(lr)
        np.testing.assert_allclose(final_loss(lr, **options), value, rtol=RTOL)
        np.testing.assert_allclose(jax.jacfwd(lambda a: final_loss(a, **options))(lr), slope,
                                   rtol=RTOL)  # fmt: skip


def test_vmap_of_jacfwd_and_jvp_of_vmap_agree_with_the_closed_form(x64):
    lrs = jnp.array(RATES)
    _, slopes = closed_form(lrs)
    np.testing.assert_allclose(jax.vmap(jax.jacfwd(final_loss))(lrs), slopes, rtol=RTOL)
    values, tangents = jax.jvp(jax.vmap(final_loss), (lrs,), (jnp.ones(3),))
    np.testing.assert_allclose(values, closed_form(lrs)[0], rtol=RTOL)
    np.testing.assert_allclose(tangents, slopes, rtol=RTOL)


def test_jacfwd_in_the_start_and_of_a_training_run(x64):
    x0 = jnp.array([0.0, 3.0])
    grad = jax.jacfwd(lambda x: final_loss(0.1, x))(x0)
    np.testing.assert_allclose(grad, 2 * (x0 - 1) * 0.8 ** (2 * T), rtol=RTOL)
    # fit: the derivative in the learning rate against central differences
    X = jnp.asarray(np.random.default_rng(0).normal(size=(16, 2)))
    data = (X, X @ jnp.array([1.0, -2.0]))

    def trained(lr):
        return ds.fit(ds.models.linear(2), "mse", data, ds.gd(lr), epochs=5, shuffle=False).loss

    h = 1e-6
    numeric = (trained(0.05 + h) - trained(0.05 - h)) / (2 * h)
    np.testing.assert_allclose(jax.jacfwd(trained)(0.05), numeric, rtol=1e-6)


def short_fit(lr):
    data = (jnp.ones((4, 1)), jnp.ones(4))
    return ds.fit(ds.models.linear(1), "mse", data, ds.gd(lr), epochs=2).loss


REVERSE = (
    r"^{} cannot be differentiated in reverse mode \(jax.grad, jax.vjp, jax.jacrev\).* jax.jacfwd"
)


@pytest.mark.parametrize(
    "what, call",
    [
        ("minimize", lambda: jax.grad(final_loss)(0.1)),
        ("minimize", lambda: jax.jacrev(lambda x: final_loss(0.1, x))(jnp.zeros(D))),
        ("minimize", lambda: jax.grad(lambda a: jax.vmap(final_loss)(a * jnp.ones(3)).sum())(0.1)),
        ("minimize", lambda: jax.vjp(final_loss, 0.1)[1](1.0)),
        ("fit", lambda: jax.grad(short_fit)(0.1)),
    ],
)
def test_reverse_mode_is_refused_in_one_line_that_names_forward_mode(what, call):
    """``jax.grad`` of a run ended in JAX's advice about ``fori_loop`` with "dynamic start/stop
    values", which does not apply to a run."""
    with pytest.raises(ValueError, match=REVERSE.format(what)) as info:
        call()
    assert "\n" not in str(info.value)


def test_the_marker_of_forward_mode_adds_nothing_to_the_compiled_run():
    lowered = jax.jit(final_loss).lower(0.1).as_text()
    assert "forward_only" not in lowered and "custom_call" not in lowered
