"""Checks of hyperparameters at construction time.

Each check takes the parameter's name and value and returns the value in canonical form (see
:func:`number`: a Python float, a float64 array, a schedule or a traced value), or raises
``ValueError`` (out of range, NaN, inf) or ``TypeError`` (not a real number, array or
schedule) naming the parameter, what was received and what is allowed. Concrete arrays
are checked element by element, so a grid of values for a sweep is checked in one call
(see :func:`validate`). Schedules (callables) are checked by the schedule's own constructor.
Traced values (inside ``jit`` or ``vmap``) cannot be inspected; whoever builds the sweep
checks the concrete grid first, with :func:`validate`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

ALLOWED = (
    "a real number, an array of int, uint or float dtype, or a schedule (a function of "
    "the step); not a bool, complex, string or object"
)


def _reject(name: str, value: Any) -> TypeError:
    return TypeError(
        f"{name}: expected a number, array or schedule; got {value!r} "
        f"({type(value).__name__}); allowed: {ALLOWED}"
    )


def _real_dtype(dtype: Any) -> bool:
    """Int, uint or float dtypes (bfloat16 included); not bool, complex, string or object."""
    return bool(jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating))


def number(name: str, value: Any, *, schedule: bool = True) -> Any:
    """A numeric hyperparameter in its canonical form, or a TypeError naming ``name``.

    Schedules (callables) and traced values are returned unchanged. Every other value must
    be real: a Python or NumPy number, or an array (NumPy, JAX, or a nested list) of int,
    uint or float dtype. It comes back as a Python ``float`` when it has no dimensions
    (``np.array(1)``, ``np.float16(0.5)``, ``jnp.asarray(0.1)`` all become the float of the
    same value) and as a float64 NumPy array otherwise. So an integer ``1`` or ``np.array(1)``
    is the learning rate ``1.0``, computed in the run's float dtype; and every kind of
    value gives the same compiled program. Bools (``True`` is not a learning rate), complex
    numbers, strings, ``None`` and object arrays raise ``TypeError``. Finiteness and range
    are the business of the checks below. With ``schedule=False`` (a ``float`` parameter,
    read once rather than at each step) a callable raises ``TypeError`` too.
    """
    if type(value) is float:  # the common case first
        return value
    if isinstance(value, jax.core.Tracer) or (schedule and callable(value)):
        return value
    if isinstance(value, (bool, np.bool_)) or value is None or callable(value):
        raise _reject(name, value)
    if isinstance(value, numbers.Real):  # int, np.integer, np.floating, Fraction
        return float(value)
    if isinstance(value, (np.ndarray, jax.Array)):
        dtype = value.dtype
    elif isinstance(value, (list, tuple)):
        try:
            dtype = np.asarray(value).dtype
        except (TypeError, ValueError):  # ragged
            raise _reject(name, value) from None
    else:  # complex, str, bytes, Decimal, arbitrary objects
        raise _reject(name, value)
    if not _real_dtype(dtype):
        raise _reject(name, value)
    arr = np.asarray(value, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


def _check(name: str, value: Any, ok: Callable[[np.ndarray], np.ndarray], allowed: str) -> Any:
    """``value`` in canonical form (see :func:`number`) if it is allowed; else raise."""
    if type(value) in (float, int):  # the common case, without NumPy's overhead
        if math.isfinite(value) and ok(value):
            return float(value)
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    value = number(name, value)
    if callable(value) or isinstance(value, jax.core.Tracer):
        return value
    arr = np.asarray(value)
    good = np.isfinite(arr) & ok(arr)
    if not np.all(good):
        shown = value if arr.ndim == 0 else arr[~good][:5].tolist()
        what = "got" if arr.ndim == 0 else "got invalid entries"
        raise ValueError(f"{name} must be {allowed}; {what} {shown!r}")
    return value


def finite(name: str, value: Any) -> Any:
    """Any finite real number or array (a scale factor may be negative)."""
    return _check(name, value, lambda a: np.ones_like(a, dtype=bool), "a finite number")


def nonnegative(name: str, value: Any) -> Any:
    """A finite number >= 0 (learning rates, weight decay, ...)."""
    return _check(name, value, lambda a: a >= 0, "a finite number >= 0")


def positive(name: str, value: Any) -> Any:
    """A finite number > 0 (epsilon, clip thresholds, ...)."""
    return _check(name, value, lambda a: a > 0, "a finite number > 0")


def fraction(name: str, value: Any, *, closed: bool = False) -> Any:
    """A number in [0, 1) (betas, decays), or in [0, 1] when ``closed``."""
    if closed:
        return _check(name, value, lambda a: (a >= 0) & (a <= 1), "a number in [0, 1]")
    return _check(name, value, lambda a: (a >= 0) & (a < 1), "a number in [0, 1)")


def in_range(name: str, value: Any, low: float, high: float) -> Any:
    """A number in the open interval (low, high)."""
    return _check(name, value, lambda a: (a > low) & (a < high), f"a number in ({low}, {high})")


def positive_int(name: str, value: Any) -> int:
    """A Python integer >= 1 (step counts, periods, patience + 1, ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return int(value)


def nonnegative_int(name: str, value: Any) -> int:
    """A Python integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {value!r}")
    return int(value)


def choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """One of ``allowed`` (convention names)."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def boolean(name: str, value: Any) -> bool:
    """A Python bool (structural switches cannot be traced)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def nonzero(value: Any) -> bool:
    """True if ``value`` is concrete and not zero everywhere (a schedule counts as nonzero;
    a traced value as zero: it was checked when it was concrete)."""
    if isinstance(value, jax.core.Tracer):
        return False
    if callable(value):
        return True
    return bool(np.any(np.asarray(value) != 0))


def validate(rule: Callable[..., Any], **grid: Any) -> dict[str, np.ndarray]:
    """Check a grid of hyperparameter values for ``rule`` before a vmapped sweep.

    ``validate(descend.adam, lr=[1e-3, 1e-2], b1=[0.9, 0.99])`` runs the rule's own
    construction-time checks on every value at once (they are applied element by element)
    and returns the grid as float arrays, ready for ``jax.vmap``. Inside the sweep the values
    are traced and cannot be checked, so this is where a bad value is caught.
    """
    arrays = {k: np.asarray(number(k, v), dtype=np.float64) for k, v in grid.items()}
    rule(**arrays)
    return arrays
