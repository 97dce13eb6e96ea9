"""Simulated annealing on top of gradient steps (Kirkpatrick et al. 1983, with gradient
proposals as in Langevin-style methods).

Each step proposes a gradient step plus a random kick and accepts it by the Metropolis rule:

    T_t = temperature * cooling^t                        the temperature schedule
    x'  = x - lr * grad f(x) + noise * sqrt(T_t / temperature) * N(0, I)
    accept x' if f(x') <= f(x), else with probability exp(-(f(x') - f(x)) / T_t)

At high temperature the walk accepts worse points and can climb out of a local minimum; as
it cools it becomes gradient descent. The engine keeps the best point seen
(``Result.best_x``). Run it with ``tol=0``: at a local minimum the gradient is small, and the
gradient-norm rule would stop the walk before it has a chance to leave.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._base import HyperParam, PyTree, Seed, cast_like, value_at, zero_count
from descend.optim._recipe import GradientStep, recorded


class AnnealingState(NamedTuple):
    """Update count, random key, and how many proposals were accepted."""

    count: jax.Array
    key: jax.Array
    accepted: jax.Array


@recorded
def annealing(
    lr: HyperParam = 0.01,
    temperature: HyperParam = 1.0,
    cooling: HyperParam = 0.999,
    noise: HyperParam = 0.1,
    seed: Seed = 0,
) -> GradientStep:
    """Gradient steps with random kicks accepted by the Metropolis rule (see the module
    docstring). ``temperature`` is in units of the loss, ``noise`` in units of the
    parameters; ``cooling`` in (0, 1] multiplies the temperature every step. ``seed`` is an
    integer, or an integer JAX scalar: ``jax.vmap`` over seeds runs many walks in one
    program."""
    check.nonnegative("lr", lr)
    check.positive("temperature", temperature)
    check.in_range("cooling", cooling, 0.0, 1.0 + 1e-12)
    check.nonnegative("noise", noise)

    def init(params: PyTree) -> AnnealingState:
        del params
        key = jax.random.key_data(jax.random.key(seed))
        return AnnealingState(zero_count(), key, zero_count())

    def step(objective: Any, x: PyTree, state: AnnealingState) -> tuple[PyTree, AnnealingState]:
        t = state.count
        a, t0, c, s = (value_at(h, t) for h in (lr, temperature, cooling, noise))
        temp = t0 * c**t
        key, kick_key, accept_key = jax.random.split(jax.random.wrap_key_data(state.key), 3)
        value, grad = jax.value_and_grad(objective)(x)
        leaves, treedef = jax.tree.flatten(x)
        kicks = jax.random.split(kick_key, max(len(leaves), 1))
        scale = s * jnp.sqrt(temp / t0)
        proposal = treedef.unflatten([
            p - cast_like(a, p) * gp
            + cast_like(scale, p) * jax.random.normal(k, jnp.shape(p), jnp.result_type(p))
            for p, gp, k in zip(leaves, jax.tree.leaves(grad), kicks, strict=False)
        ])  # fmt: skip
        delta = objective(proposal) - value
        u = jax.random.uniform(accept_key, (), jnp.result_type(value))
        accept = (delta <= 0) | (u < jnp.exp(-jnp.maximum(delta, 0) / temp))
        accept = accept & jnp.isfinite(delta)
        x = jax.tree.map(lambda new, old: jnp.where(accept, new, old), proposal, x)
        key_data = jax.random.key_data(key)
        return x, AnnealingState(t + 1, key_data, state.accepted + accept.astype(jnp.int32))

    return GradientStep(init, step)
