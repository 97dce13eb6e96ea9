"""Bias corrections ``1 - beta^t`` to a few ulps of themselves in float32, on any backend
(a GPU's ``pow`` is a few ulps off, which ``1 - beta^t`` amplifies by ``1 / (1 - beta)``)."""

import jax.numpy as jnp
import numpy as np
import pytest

from descend.optim._moments import one_minus_power


@pytest.mark.parametrize("beta", [0.9, 0.99, 0.999, 0.9999, 0.5, 0.1])
def test_one_minus_power_is_exact_to_a_few_ulps_in_float32(beta):
    b = np.float32(beta)
    steps = np.array([1, 2, 3, 10, 100, 1000, 10_000, 100_000], np.int32)
    exact = 1.0 - np.float64(b) ** steps.astype(np.float64)  # the float32 beta, exactly
    got = np.asarray(one_minus_power(jnp.float32(b), jnp.asarray(steps)))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, exact, rtol=4 * np.finfo(np.float32).eps, atol=0)


def test_the_written_out_form_loses_digits_that_one_minus_power_keeps():
    """Why the helper exists: 1 - beta**t in float32 carries beta**t's rounding error,
    relative to 1 rather than to the (small) result."""
    b = np.float32(0.9999)
    steps = np.arange(1, 50, dtype=np.int32)
    exact = 1.0 - np.float64(b) ** steps.astype(np.float64)
    naive = np.float32(1) - b ** steps.astype(np.float32)
    ours = np.asarray(one_minus_power(jnp.float32(b), jnp.asarray(steps)))
    assert np.max(np.abs(naive / exact - 1)) > 1e-5
    assert np.max(np.abs(ours / exact - 1)) < 5e-7


def test_zero_and_one():
    assert float(one_minus_power(jnp.float32(0.0), jnp.int32(1))) == 1.0
    assert float(one_minus_power(jnp.float32(1.0), jnp.int32(7))) == 0.0
