"""Annealed Gaussian gradient noise (Neelakantan et al. 2015; Optax's ``add_noise``).

    g_t <- g_t + N(0, sigma_t^2),    sigma_t^2 = eta / (1 + t)^gamma

``t`` counts the updates applied before this one. On a test surface this also simulates the
noise of stochastic gradients: a constant ``gamma=0`` is a fixed noise level, as minibatches
of a fixed size give. Randomness comes only from ``seed`` (equal seeds, equal runs).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._base import (
    HyperParam,
    PyTree,
    Seed,
    Transform,
    cast_like,
    value_at,
    zero_count,
)
from descend.optim._recipe import recorded


class NoiseState(NamedTuple):
    """Update count and the random key."""

    count: jax.Array
    key: jax.Array


@recorded
def add_noise(eta: HyperParam = 0.01, gamma: HyperParam = 0.55, seed: Seed = 0) -> Transform:
    """Add ``N(0, eta / (1 + t)^gamma)`` to every gradient element (see the module docstring).

    Args:
        eta: the noise variance at t = 0, >= 0. gamma: its decay exponent, >= 0 (0: constant).
        seed: an integer (a NumPy integer too), or an integer JAX scalar (so that ``jax.vmap``
            over seeds runs many noisy runs in one program); the key is split once per update.
    """
    check.nonnegative("eta", eta)
    check.nonnegative("gamma", gamma)

    def init(params: PyTree) -> NoiseState:
        del params
        return NoiseState(zero_count(), jax.random.key_data(jax.random.key(seed)))

    def update(grads: PyTree, state: NoiseState, params: PyTree = None, **extra: Any):
        del params, extra
        t = state.count
        sigma = jnp.sqrt(value_at(eta, t) / (1.0 + t) ** value_at(gamma, t))
        key, use = jax.random.split(jax.random.wrap_key_data(state.key))
        leaves, treedef = jax.tree.flatten(grads)
        keys = jax.random.split(use, max(len(leaves), 1))
        noisy = [
            g + cast_like(sigma, g) * jax.random.normal(k, jnp.shape(g), jnp.result_type(g))
            for g, k in zip(leaves, keys, strict=False)
        ]
        return treedef.unflatten(noisy), NoiseState(t + 1, jax.random.key_data(key))

    return Transform(init, update)
