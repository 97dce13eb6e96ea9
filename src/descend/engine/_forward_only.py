"""Runs differentiate in forward mode only, and say so when asked for reverse mode.

A run is a ``lax.while_loop`` that stops at a step known only as it runs. JAX takes its
forward-mode derivatives (``jax.jvp``, ``jax.jacfwd``: the tangents ride along with the
steps) but cannot run such a loop backwards, and ``jax.grad`` of a run used to end in JAX's
words about ``fori_loop`` with "dynamic start/stop values", advice that does not apply.

:func:`forward_only` passes a run's outputs through ``descend_forward_only``, an identity
primitive: it costs nothing once compiled (its lowering is its operand), passes tangents
through unchanged (it is linear), batches as its operand, and its transpose, the first step
of reverse mode from the run's outputs, raises one line saying what works instead.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

_forward_only_p = Primitive("descend_forward_only")


def _identity(x: Any, *, what: str) -> Any:
    del what
    return x


def _transpose(cotangent: Any, x: Any, *, what: str) -> Any:
    del cotangent, x
    raise ValueError(
        f"{what} cannot be differentiated in reverse mode (jax.grad, jax.vjp, jax.jacrev): "
        "a run stops at a step known only as it runs, and JAX cannot run such a loop "
        "backwards; forward mode works: jax.jacfwd or jax.jvp (one pass per input)"
    )


def _batch(args: tuple, dims: tuple, *, what: str) -> tuple:
    return _forward_only_p.bind(args[0], what=what), dims[0]


_forward_only_p.def_impl(_identity)
_forward_only_p.def_abstract_eval(_identity)
mlir.register_lowering(_forward_only_p, mlir.lower_fun(_identity, multiple_results=False))
ad.deflinear2(_forward_only_p, _transpose)
batching.primitive_batchers[_forward_only_p] = _batch


def forward_only(tree: Any, what: str) -> Any:
    """``tree`` unchanged, its floating leaves marked so that reverse-mode differentiation
    through them raises a ``ValueError`` naming ``what`` (the module docstring)."""

    def mark(leaf: Any) -> Any:
        if jnp.issubdtype(jnp.result_type(leaf), jnp.inexact):
            return _forward_only_p.bind(leaf, what=what)
        return leaf

    return jax.tree.map(mark, tree)
