"""The traced values a run's functions close over, made operands of the run.

Under ``jax.vmap`` a run's objective or optimizer may close over a batched value:
``vmap(lambda a: minimize(lambda x: |x - a|^2, ...))``, ``vmap(lambda lr:
minimize(f, x0, optax.adam(lr)))``, or a schedule written as a lambda,
``adam(lambda t: lr * 0.99**t)``. The engine's batched loop is a ``custom_vmap`` rule, which
cannot take a function closing over a batched value: the objective's case failed with a bare
``AssertionError``, and a closing optimizer made JAX batch the plain loop, whose select of
the whole carry (history included) on every step made the sweep quadratic in its steps
(33x slower at 2,000 steps than ``ds.adam``).

Here each such function is traced once to a jaxpr. Its constants that are tracers of the
enclosing transformation are taken out, and the function is evaluated from the jaxpr with
those values given back as an argument: the objective as ``g(x, values)``, the optimizer as
a transform whose recipe holds the values as numeric leaves, so that they travel into the
compiled run as its operands, batched with it, like any swept hyperparameter.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.extend.core import ClosedJaxpr, jaxpr_as_fun

from descend.optim._base import Transform, value_at
from descend.optim._combine import update_with_loss
from descend.optim._recipe import (
    checked,
    closure_tracers,
    hyperparameters,
    learning_rate_of,
    recipe_of,
    recorded,
    split,
)


def traced_consts(closed: Any) -> tuple[int, ...]:
    """The positions of a closed jaxpr's constants that are tracers of an enclosing
    transformation: the traced values its function closes over."""
    return tuple(i for i, c in enumerate(closed.consts) if isinstance(c, jax.core.Tracer))


class Traced:
    """A function as a jaxpr whose traced constants were taken out (see :func:`trace_out`).
    Static: hashed and compared by identity."""

    __slots__ = ("consts", "jaxpr", "out_shape", "out_tree", "positions")

    def __init__(self, closed: Any, out_shape: Any) -> None:
        self.positions = traced_consts(closed)
        self.jaxpr = closed.jaxpr
        self.consts = [None if i in self.positions else c for i, c in enumerate(closed.consts)]
        self.out_shape = out_shape
        self.out_tree = jax.tree.structure(out_shape)

    def __call__(self, values: tuple, *args: Any) -> Any:
        filled = list(self.consts)
        for i, v in zip(self.positions, values, strict=True):
            filled[i] = v
        flat = jaxpr_as_fun(ClosedJaxpr(self.jaxpr, filled))(*jax.tree.leaves(args))
        return jax.tree.unflatten(self.out_tree, flat)


def trace_out(fn: Callable[..., Any], *example: Any) -> tuple[Traced, tuple]:
    """``(traced, values)`` with ``traced(values, *args) == fn(*args)`` for arguments shaped
    like ``example``: the values are the tracers ``fn`` closes over."""
    closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*example)
    traced = Traced(closed, out_shape)
    return traced, tuple(closed.consts[i] for i in traced.positions)


def hoisted_objective(f: Callable[[Any], jax.Array], x0: Any) -> tuple[Callable[..., Any], tuple]:
    """``(g, values)`` with ``g(x, values) == f(x)``; ``g.loss`` is the shape of ``f(x0)``."""
    traced, values = trace_out(f, x0)

    def g(x: Any, closed: tuple) -> jax.Array:
        return traced(closed, x)

    g.loss = traced.out_shape  # type: ignore[attr-defined]
    return g, values


@checked
def _traced_schedule(traced: Any, values: Any) -> Callable[[jax.Array], jax.Array]:
    """A schedule evaluated from its jaxpr, its traced values given back."""
    return lambda t: traced(values, t)


@recorded
def _traced_transform(parts: Any, init_values: Any, update_values: Any, *, lr: Any = None):
    """A transform evaluated from the jaxprs of its ``init`` and ``update`` (``parts``), its
    traced values given back; ``lr`` is its learning rate, for the history."""
    del lr  # in the recipe only: learning_rate_of reads it
    traced_init, traced_update = parts

    def init(params: Any) -> Any:
        return traced_init(init_values, params)

    def update(grads: Any, state: Any, params: Any = None, **extra: Any) -> Any:
        return traced_update(update_values, grads, state, params, extra.get("loss"))

    return Transform(init, update)


def _traced_out_schedule(schedule: Any) -> Any:
    """``schedule`` (a function of the step) as one whose traced values are leaves."""
    return _traced_schedule(*trace_out(lambda t: value_at(schedule, t), jnp.zeros([], jnp.int32)))


def hoisted_schedules(optimizer: Any) -> Any:
    """``optimizer`` built again from its recipe, with every hyperparameter that is a schedule
    closing over traced values (``lambda t: lr * 0.99**t`` under ``jax.vmap`` over ``lr``,
    or a named schedule built around one) traced to a schedule that holds those values as
    leaves; the rest of the recipe is kept. Used for a gradient step
    (:class:`~descend.optim.GradientStep`), whose ``step`` takes the objective and so cannot
    be traced alone."""
    recipe = recipe_of(optimizer)
    if recipe is None:
        return optimizer
    bound = inspect.signature(recipe.build).bind(*recipe.args, **dict(recipe.kwargs))
    for name in hyperparameters(recipe.build):
        value = bound.arguments.get(name)
        # the test minimize makes of the whole optimizer (a traced number of a named
        # schedule is a leaf of its split already, and is left as it is)
        if callable(value) and closure_tracers(split(value)[0]):
            bound.arguments[name] = _traced_out_schedule(value)
    return recipe.build(*bound.args, **bound.kwargs)


def hoisted_transform(optimizer: Any, params: Any, loss: Any) -> Any:
    """``optimizer`` as a transform that computes the same updates, with the traced values
    its functions (and its learning rate's schedule) close over as numeric leaves of its
    recipe. ``params`` and ``loss`` give the shapes it is traced at."""
    state = jax.eval_shape(optimizer.init, params)

    def update(grads: Any, state: Any, params: Any, loss: Any) -> Any:
        return update_with_loss(optimizer, grads, state, params, loss)

    init_traced, init_values = trace_out(optimizer.init, params)
    update_traced, update_values = trace_out(update, params, state, params, loss)
    lr = learning_rate_of(optimizer)
    if callable(lr):
        lr = _traced_out_schedule(lr)
    parts = (init_traced, update_traced)
    return _traced_transform(parts, init_values, update_values, lr=lr)
