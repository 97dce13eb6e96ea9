"""The `Transform` protocol: the contract every update rule and gradient transform keeps.

A transform is a pair of pure functions over pytrees of arrays:

    state = init(params)
    updates, state = update(grads, state, params, **extra)
    params = apply_updates(params, updates)        # params + updates, leaf by leaf

`updates` are *added* to the parameters, so a descent rule returns ``-lr * direction``.
The protocol is optax's ``GradientTransformation`` (a NamedTuple ``(init, update)``), so a
descend transform works inside optax code (``optax.chain``, an optax training loop) and an
optax transform works anywhere descend takes one. Extra keyword arguments (for example the
``loss`` that :func:`descend.optim.reduce_on_plateau` reads) travel through :func:`chain` to
the transforms that accept them.

Hyperparameters are data: a Python number, a JAX scalar (possibly traced, so that
``jax.vmap`` runs many configurations in one program) or a schedule ``count -> value``,
where ``count`` is the number of updates already applied (0 on the first update).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from descend import _validation as check
from descend.optim._guards import not_numbers, unlike

PyTree = Any
Schedule = Callable[[jax.Array], jax.Array]
Scalar = float | int | jax.Array
HyperParam = Scalar | Schedule


class Seed(int):
    """A random seed a transform was built with (``add_noise``, ``annealing``): an ``int``
    that a compiled run takes as data, like a numeric hyperparameter, so that runs differing
    only in their seed share one program (an integer that sets structure, a step count say,
    is compiled in). Constructors make it; a user passes a plain integer."""

    def __repr__(self) -> str:
        return int.__repr__(self)


class Transform(NamedTuple):
    """An update rule or gradient transform: ``init(params)`` and ``update(grads, state, params)``.

    Structurally identical to ``optax.GradientTransformation``.
    """

    init: Callable[[PyTree], PyTree]
    update: Callable[..., tuple[PyTree, PyTree]]


class CountState(NamedTuple):
    """State of a transform that only needs the number of updates applied so far."""

    count: jax.Array


class EmptyState(NamedTuple):
    """State of a stateless transform."""


def zero_count() -> jax.Array:
    """The step counter's initial value: an int32 zero."""
    return jnp.zeros([], jnp.int32)


def value_at(hyperparam: HyperParam, count: jax.Array) -> jax.Array:
    """A hyperparameter's value at update ``count``: ``h(count)`` for a schedule, else ``h``."""
    with check.explained(lambda: _value_problem(hyperparam, count)):
        return jnp.asarray(hyperparam(count) if callable(hyperparam) else hyperparam)


def _value_problem(hyperparam: HyperParam, count: Any) -> TypeError | None:
    where = "value_at(hyperparam, count)"
    if hyperparam is None:
        return TypeError(f"{where}: hyperparam must be a number, array or schedule; got None")
    if problem := not_numbers(where, "count", count):
        return problem
    if not callable(hyperparam):
        return not_numbers(where, "hyperparam", hyperparam)
    name = getattr(hyperparam, "__name__", type(hyperparam).__name__)
    try:
        value = hyperparam(count)
    except check.FAILURES as err:  # called with the step alone, as every schedule is
        if isinstance(err, TypeError) and str(err).startswith(where):
            return err  # a schedule of schedules: the inner one's message says it
        lines = str(err).splitlines() or [type(err).__name__]
        return TypeError(
            f"{where}: the schedule {name} failed on the step count ({lines[0]}); a schedule "
            "takes the step, an integer array, and returns a number"
        )
    return not_numbers(where, f"the schedule {name}'s value", value)


def times(a: HyperParam, b: HyperParam) -> HyperParam:
    """``a * b`` for two hyperparameters: a schedule ``t -> a_t * b_t`` if either is one
    (a learning rate times a decay rate, as PyTorch's and Keras' decoupled weight decay)."""
    if callable(a) or callable(b):
        return lambda t: value_at(a, t) * value_at(b, t)
    return a * b


def cast_like(value: jax.Array, leaf: jax.Array) -> jax.Array:
    """``value`` in the dtype of ``leaf`` (float32 stays float32 beside a float64 value)."""
    return jnp.asarray(value).astype(jnp.result_type(leaf))


def tree_zeros_like(tree: PyTree) -> PyTree:
    """A pytree of zeros shaped like ``tree``."""
    return jax.tree.map(jnp.zeros_like, tree)


def tree_full_like(tree: PyTree, value: Scalar) -> PyTree:
    """A pytree shaped like ``tree`` filled with ``value`` (in each leaf's dtype)."""
    return jax.tree.map(lambda x: jnp.full_like(x, value), tree)


def map_unzip(fn: Callable[..., tuple], n: int, tree: PyTree, *rest: PyTree) -> tuple:
    """Apply ``fn`` leaf by leaf to ``tree`` and ``rest`` (same structure); ``fn`` returns an
    ``n``-tuple, and the result is ``n`` pytrees shaped like ``tree``."""
    leaves, treedef = jax.tree.flatten(tree)
    others = [treedef.flatten_up_to(r) for r in rest]
    outs = [fn(*args) for args in zip(leaves, *others, strict=True)]
    columns = list(zip(*outs, strict=True)) if outs else [()] * n
    return tuple(treedef.unflatten(list(col)) for col in columns)


def apply_updates(params: PyTree, updates: PyTree) -> PyTree:
    """``params + updates`` leaf by leaf, keeping each parameter's dtype."""
    where = "apply_updates(params, updates)"
    with check.explained(
        lambda: (
            not_numbers(where, "params", params)
            or not_numbers(where, "updates", updates)
            or unlike(where, "updates", updates, "params", params)
        )
    ):
        return jax.tree.map(
            lambda p, u: jnp.asarray(p + u).astype(jnp.result_type(p)), params, updates
        )


def stateless_with_count(
    fn: Callable[[PyTree, PyTree, jax.Array], PyTree],
) -> Transform:
    """A transform whose update is ``fn(grads, params, count)`` and whose state is the count."""

    def init(params: PyTree) -> CountState:
        del params
        return CountState(zero_count())

    def update(grads: PyTree, state: CountState, params: PyTree = None, **extra: Any):
        del extra
        return fn(grads, params, state.count), CountState(state.count + 1)

    return Transform(init, update)
