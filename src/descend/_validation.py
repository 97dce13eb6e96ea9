"""The one module of argument checks, below every layer: optim, problems, engine and the faces
all import it (it imports nothing from descend).

scikit-learn's rule holds throughout: a value of the wrong *type* (a string where a number
goes, a float where an integer goes, ``1`` where a bool goes, a number where a name goes)
raises ``TypeError``; a value of the right type *out of range* (a negative learning rate, an
unknown name, NaN) raises ``ValueError``. Both say ``"{name} must be {allowed}; got {value!r}"``:
the parameter, what is allowed and the value received. Each check returns the value in its
normalised form (a Python ``float``, ``int``, ``bool``, a registry key, ...).

- Hyperparameters of update rules (:func:`number`, :func:`finite`, :func:`nonnegative`,
  :func:`positive`, :func:`fraction`, :func:`in_range`, :func:`validate`) are *data*: a number,
  an array (checked element by element, for a sweep's grid), a schedule (checked by its own
  constructor) or a traced value (inside ``jit`` or ``vmap``, which cannot be inspected:
  whoever builds the sweep checks the concrete grid first, with :func:`validate`).
- Scalars (:func:`real`, :func:`integer`, :func:`boolean`, :func:`choice`): parameters of
  losses, surfaces, data generators, models and the engine's own options.
- Names (:func:`normalise`, :func:`registry_key`): registry look-ups, where case, ``-``,
  ``_`` and spaces do not matter.
- Arrays (:func:`as_float`, :func:`is_concrete`).
"""

from __future__ import annotations

import difflib
import functools
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

# ---------------------------------------------------------------------------------------------
# Arrays


#: The characters of a value an error message shows: a hostile value's message stays a line.
SHOWN = 80


def cut(text: str, limit: int = SHOWN) -> str:
    """``text`` cut to ``limit`` characters (``...`` at the cut): a user's text in a
    message, which must stay one readable line however long the text."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`SHOWN` characters (``...`` at the cut)."""
    return cut(repr(value))


def finite_or_none(value: Any) -> float | None:
    """A float for JSON: None where it is NaN or infinite (JSON has neither)."""
    value = float(value)
    return value if math.isfinite(value) else None


def shape_text(array: Any) -> str:
    """``float32[3,2]``: the dtype and shape of an array, a tracer or a ``ShapeDtypeStruct``."""
    return f"{array.dtype}[{','.join(map(str, array.shape))}]"


#: What the failures of plain JAX code on wrong values raise.
FAILURES = (TypeError, ValueError, AttributeError, IndexError, KeyError)


class explained:  # noqa: N801 - used as a function: ``with explained(...)``
    """A context for code that checks nothing on the way in, so that it costs nothing inside
    ``jit`` (a rule's ``update``, a model's ``apply``): when its block fails as plain JAX code
    fails on wrong values, it calls ``diagnose()``, and the exception that returns is raised
    instead (one line, naming the argument). When ``diagnose()`` returns None the original
    error goes on unchanged; so does an error whose message starts with ``own`` (a message
    of the function's own, naming it)."""

    __slots__ = ("diagnose", "own")

    def __init__(self, diagnose: Callable[[], Exception | None], own: str | None = None) -> None:
        self.diagnose, self.own = diagnose, own

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        if kind is None or not issubclass(kind, FAILURES):
            return False
        if self.own is not None and str(error).startswith(self.own):
            return False
        problem = self.diagnose()
        if problem is not None:
            raise problem from None
        return False


def is_concrete(x: Any) -> bool:
    """Whether ``x`` has values we can look at now (it is not traced by jit, vmap or grad)."""
    return not isinstance(x, jax.core.Tracer)


def is_hashable(*values: Any) -> bool:
    """Whether every one of ``values`` can key a cache (a dataclass with ``eq`` and without
    ``frozen`` cannot): what is not is compiled, or checked, again on each call."""
    try:
        for value in values:
            hash(value)
    except TypeError:
        return False
    return True


def cached_call(cached: Any, *args: Any) -> Any:
    """``cached(*args)`` for a ``functools.lru_cache`` function, or, when an argument cannot
    be hashed, its uncached function (``cached.__wrapped__``) called afresh."""
    return (cached if is_hashable(*args) else cached.__wrapped__)(*args)


#: What :func:`untraced` suggests by default.
SWEEP_HINT = (
    "to sweep a hyperparameter, give it a grid: descend.sweep, or stability_map for two of them"
)


try:  # whether a transformation (jax.jit, jax.vmap, jax.grad) is tracing the caller
    from jax._src.core import trace_state_clean as untraced_here
except ImportError:  # a JAX without it: only the values themselves are checked

    def untraced_here() -> bool:
        return True


def untraced(
    where: str,
    *trees: Any,
    does: str = "runs its own vmapped program and returns NumPy arrays",
    hint: str = SWEEP_HINT,
    anywhere: bool = False,
) -> None:
    """Refuse traced values in ``trees`` for ``where``, a function that works on the host
    (``does`` says how: by default it runs its own compiled program and returns NumPy
    arrays), so it cannot itself run under ``jit``, ``vmap`` or ``grad``; ``hint`` says what
    to do instead. With ``anywhere``, refuse any call made while a transformation traces the
    caller: a function or rule passed in may close over a traced value that no argument
    shows (``lambda x: c * f(x)`` under ``jax.vmap`` over ``c``)."""
    if any(not is_concrete(leaf) for leaf in jax.tree.leaves(trees)) or (
        anywhere and not untraced_here()
    ):
        raise TypeError(
            f"{where} {does}, so it cannot run under jax.jit, jax.vmap or jax.grad; call it "
            f"with concrete values ({hint})"
        )


def on_the_host(does: str, hint: str = SWEEP_HINT) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a function that works on the host (NumPy, matplotlib, files) so that a traced
    argument, from ``jax.vmap`` or ``jax.jit``, is refused in the one message of
    :func:`untraced` instead of failing inside it on the tracer."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def host_call(*args: Any, **kwargs: Any) -> Any:
            untraced(fn.__name__, args, kwargs, does=does, hint=hint)
            return fn(*args, **kwargs)

        return host_call

    return decorate


def as_float(x: Any) -> jax.Array:
    """``x`` as a JAX array of a floating dtype (integers and booleans become the default float
    dtype: float32, or float64 with x64 enabled); a floating array keeps its dtype."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def as_jax(x: Any) -> jax.Array:
    """``jnp.asarray(x)``, but a NumPy array of numbers is handed to the device as it is
    (``jax.device_put``: the same values and dtype): ``jnp.asarray`` of a NumPy array
    compiles a small program for each new shape (30-45 ms; a data set's size is one)."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "biufc":
        return jax.device_put(x)
    return jnp.asarray(x)


def real_array(name: str, x: Any, floating: bool = True) -> jax.Array:
    """``x`` as a floating JAX array (:func:`as_float`; with ``floating=False``, in its own
    dtype: integer labels stay integers), refusing what is not real numbers with a message
    naming ``name``: a string, None, an object or complex numbers (``TypeError``), or lists
    nested to different lengths (``ValueError``). Traced values pass as they are."""
    allowed = "real numbers: an array, a number or a list of numbers"

    def refused() -> TypeError:
        return TypeError(f"{name} must be {allowed}; got {shown(x)} ({type(x).__name__})")

    if x is None or isinstance(x, (str, bytes)):
        raise refused()
    try:
        array = as_jax(x)
    except TypeError:
        raise refused() from None
    except OverflowError:  # a Python int beyond 64 bits, or beyond int32 without x64
        if not floating:
            raise ValueError(
                f"{name} holds an integer too large for an array; got {shown(x)}"
            ) from None
        array = jnp.asarray(np.asarray(x, dtype=np.float64))  # 10**30 is the number 1e30
    except ValueError:
        raise ValueError(
            f"{name} must be {allowed}, its nested lists all of one length; got {shown(x)}"
        ) from None
    if jnp.issubdtype(array.dtype, jnp.complexfloating):
        raise TypeError(f"{name} must be real numbers; got complex ones ({array.dtype})")
    return as_float(array) if floating else array


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


# ---------------------------------------------------------------------------------------------
# Hyperparameters: numbers, arrays, schedules or traced values

ALLOWED = (
    "a real number, an array of int, uint or float dtype, or a schedule (a function of "
    "the step); not a bool, complex, string or object"
)


def _reject(name: str, value: Any) -> TypeError:
    return TypeError(
        f"{name}: expected a number, array or schedule; got {shown(value)} "
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
    if schedule and callable(value):
        what = _not_a_schedule(value)
        if what:
            raise TypeError(
                f"{name}: expected a number, array or schedule; got {what}, which is not a "
                "schedule: a schedule takes the step count and returns a number, such as "
                "descend.schedules.cosine(0.1, 1000) or lambda t: 0.1 / (1 + t)"
            )
        return value
    if not is_concrete(value):
        return value
    if _is_bool(value) or value is None or callable(value):
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


def _not_a_schedule(value: Any) -> str | None:
    """What a callable that cannot be a schedule is (descend's own objects that take other
    arguments than a step, and classes), or None for any other callable."""
    from descend.problems.losses._base import Loss  # problems import this module
    from descend.problems.surfaces._base import Surface

    if isinstance(value, type):
        return f"the class {value.__name__}"
    if isinstance(value, Surface):
        return f"the surface {value.name!r} (a function of a point)"
    if isinstance(value, Loss):
        return f"the loss {value.name!r} (a function of predictions and targets)"
    kind = _looks_like(value)
    if kind == "rule":
        return f"the update rule's constructor descend.{value.__name__}"
    return f"{_KINDS[kind]} ({type(value).__name__})" if kind else None


def _check(name: str, value: Any, ok: Callable[[np.ndarray], np.ndarray], allowed: str) -> Any:
    """``value`` in canonical form (see :func:`number`) if it is allowed; else raise."""
    if type(value) in (float, int):  # the common case, without NumPy's overhead
        if math.isfinite(value) and ok(value):
            return float(value)
        raise ValueError(f"{name} must be {allowed}; got {shown(value)}")
    value = number(name, value)
    if callable(value) or not is_concrete(value):
        return value
    arr = np.asarray(value)
    good = np.isfinite(arr) & ok(arr)
    if not np.all(good):
        bad = value if arr.ndim == 0 else arr[~good][:5].tolist()
        what = "got" if arr.ndim == 0 else "got invalid entries"
        raise ValueError(f"{name} must be {allowed}; {what} {shown(bad)}")
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


def nonzero(value: Any) -> bool:
    """True if ``value`` is concrete and not zero everywhere (a schedule counts as nonzero;
    a traced value as zero: it was checked when it was concrete)."""
    if not is_concrete(value):
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
    untraced("validate", grid, does="checks values on the host and returns NumPy arrays")
    arrays = {k: np.asarray(number(k, v), dtype=np.float64) for k, v in grid.items()}
    rule(**arrays)
    return arrays


# ---------------------------------------------------------------------------------------------
# Scalars


def _real_range(low: float, high: float, open_low: bool, open_high: bool) -> str:
    """What :func:`real` allows, in words: an open interval as :func:`in_range` says it
    (``a number in (0, 1)``), any other range as inequalities."""
    if open_low and open_high and math.isfinite(low) and math.isfinite(high):
        return f"a number in ({low}, {high})"
    text = "a finite number"
    if low > -math.inf:
        text += f" > {low}" if open_low else f" >= {low}"
    if high < math.inf:
        text += (" and" if low > -math.inf else "") + (f" < {high}" if open_high else f" <= {high}")
    return text


def real(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    open_low: bool = False,
    open_high: bool = False,
    traced: bool = True,
) -> Any:
    """A finite real scalar in ``[low, high]`` (an end open when ``open_low``/``open_high``).

    A concrete value (a Python number, a NumPy or JAX scalar) comes back as a Python ``float``,
    which is weakly typed, so a float32 computation stays float32 even with x64 enabled; a
    traced value (a parameter under ``jit`` or ``vmap``) is returned unchecked, as data, or,
    with ``traced=False`` (a number fixed when something is built on the host, as a
    surface's conditioning), refused with a ``TypeError``. A bool, string, complex number,
    ``None`` or an array with dimensions is a ``TypeError``; NaN, inf or a value out of range
    a ``ValueError``.
    """
    if not is_concrete(value):
        if traced:
            return value
        raise TypeError(_traced_switch(name, _real_range(low, high, open_low, open_high), value))
    if type(value) not in (float, int):
        try:
            arr = None if _is_bool(value) or isinstance(value, str) else np.asarray(value)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.shape != () or not _real_dtype(arr.dtype):
            raise TypeError(
                f"{name} must be a real scalar ({_real_range(low, high, open_low, open_high)});"
                f" got {shown(value)} ({type(value).__name__})"
            )
        x = float(arr)
    else:
        x = float(value)
    inside = (low < x if open_low else low <= x) and (x < high if open_high else x <= high)
    if not (math.isfinite(x) and inside):
        allowed = _real_range(low, high, open_low, open_high)
        raise ValueError(f"{name} must be {allowed}; got {shown(value)}")
    return x


def integers(name: str, value: Any, low: int | None = None) -> list[int]:
    """A list, tuple or 1-D array of integers (each as :func:`integer`, at least ``low``),
    as a list of ``int``; milestones and boundaries."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a list of integers, such as [30, 80]; got {shown(value)} "
            f"({type(value).__name__})"
        )
    return [integer(f"{name}[{i}]", v, low) for i, v in enumerate(value)]


def mapping(
    name: str,
    value: Any,
    what: str = "the rule's other arguments",
    example: str = "{'form': 'ema'}",
) -> dict[str, Any]:
    """``value`` as a dict when it is a mapping (None gives an empty one); a ``TypeError``
    otherwise, saying it holds ``what`` and showing ``example`` (by default the other
    arguments of a rule: ``fixed={"form": "ema"}``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{name} must be a dict of {what}, such as {example}; got {shown(value)} "
            f"({type(value).__name__})"
        )
    return dict(value)


def integer(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """A Python or NumPy integer in ``[low, high]`` (either end optional), as an ``int``.

    A bool (``True`` is not a count), a float (even ``2.0``) or a string is a ``TypeError``; an
    integer out of range a ``ValueError``. Both messages say the same thing.
    """
    if type(value) is int and (low is None or value >= low) and (high is None or value <= high):
        return value  # the usual case, before any text is made
    allowed = "an integer"
    if low is not None and high is not None:
        allowed += f" in [{low}, {high}]"
    elif low is not None:
        allowed += f" >= {low}"
    elif high is not None:
        allowed += f" <= {high}"
    if not is_concrete(value):
        raise TypeError(_traced_switch(name, allowed, value))
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {allowed}; got {shown(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}; got {shown(value)}")
    return int(value)


#: The largest count or seed descend takes: compiled programs count steps, epochs and
#: records, and hold seeds, in 32-bit integers.
INT32_MAX = 2**31 - 1


def int32(name: str, value: int) -> int:
    """``value`` when it fits a compiled program's 32-bit counter; a ``ValueError`` naming
    ``name`` and the limit otherwise (instead of JAX's OverflowError from inside a call)."""
    if abs(value) > INT32_MAX:
        raise ValueError(
            f"{name} must be at most {INT32_MAX:,} in size (compiled programs count in "
            f"32-bit integers); got {value}"
        )
    return value


def seed(name: str, value: Any) -> Any:
    """A seed for ``jax.random.key``: a Python or NumPy integer within 32 bits (returned as an
    ``int``), or an integer JAX or NumPy scalar, concrete or traced, returned as it is (so
    ``jax.vmap`` over seeds runs them in one program). Anything else, a bool included, is a
    ``TypeError`` naming ``name``; an integer past 32 bits a ``ValueError``."""
    if isinstance(value, numbers.Integral) and not _is_bool(value):
        return int32(name, int(value))
    dtype = getattr(value, "dtype", None)
    if (
        isinstance(value, (jax.Array, np.ndarray))
        and np.ndim(value) == 0
        and np.issubdtype(dtype, np.integer)
    ):
        return value if isinstance(value, jax.core.Tracer) else int32(name, int(value))
    raise TypeError(
        f"{name} must be an integer (a Python or NumPy integer, or an integer JAX scalar, "
        f"which jax.vmap can sweep); got {shown(value)}"
    )


def _optimizer_kind(value: Any) -> str | None:
    """``"transform"`` (``init`` and ``update``), ``"gradient step"`` (``init`` and
    ``step``) or None: what kind of built optimizer ``value`` is, if it is one."""
    if not hasattr(value, "init"):
        return None
    if hasattr(value, "update"):
        return "transform"
    return "gradient step" if hasattr(value, "step") else None


_KINDS = {"data": "a data set", "model": "a model", "optimizer": "an optimizer",
          "rule": "an update rule's constructor"}  # fmt: skip


def _looks_like(value: Any) -> str | None:
    """Which argument of a run ``value`` looks like: ``"data"`` (``X`` and ``y``),
    ``"model"`` (``init`` and ``apply``), ``"optimizer"`` (a built one), ``"rule"`` (a
    registered constructor, such as ``descend.adam``), or None."""
    if hasattr(value, "X") and hasattr(value, "y"):
        return "data"
    if hasattr(value, "init") and hasattr(value, "apply"):
        return "model"
    if _optimizer_kind(value):
        return "optimizer"
    try:
        return "rule" if callable(value) and value in _constructors() else None
    except TypeError:  # a callable object that cannot be hashed
        return None


@functools.cache
def _constructors() -> frozenset[Any]:
    """The registered update rules' constructors (``descend.adam``, ...)."""
    from descend.optim import registry  # optim imports this module

    return frozenset(registry.get(name).constructor for name in registry.names())


def did_you_mean(name: Any, names: Iterable[str]) -> str:
    """`` (did you mean steps?)`` for the allowed name closest to a misspelt ``name``, case
    aside (one that starts or ends the other, ``max_step`` or ``max_steps`` for ``steps``;
    else difflib's closest at 0.75 similarity); empty when none is close, or ``name`` is no
    name's typo (empty, or longer than :data:`SHOWN` characters: a pasted text is not
    compared, whatever its size)."""
    text = str(name).lower()
    if not 0 < len(text) <= SHOWN:
        return ""
    by_lower = {str(n).lower(): str(n) for n in names}

    def within(a: str, b: str) -> bool:  # a starts or ends b, and is no single letter
        return len(a) >= 2 and (b.startswith(a) or b.endswith(a))

    close = [n for n in by_lower if within(n, text) or within(text, n)]
    close.sort(key=lambda n: -difflib.SequenceMatcher(None, text, n).ratio())
    close = close or difflib.get_close_matches(text, list(by_lower), n=1, cutoff=0.75)
    return f" (did you mean {by_lower[close[0]]}?)" if close else ""


def options(
    function: str,
    given: Mapping[str, Any],
    allowed: Iterable[str],
    to: str,
    own: Sequence[str] = (),
    own_are: str = "it takes",
) -> None:
    """A ``TypeError`` naming ``function`` when ``given`` (the keyword arguments it passes on
    to ``to``) holds a name that neither ``to`` nor ``function`` (its ``own`` names, said as
    ``own_are``) takes: the name, the closest allowed one and both lists. Without it the
    message names ``to``, a function the user never called (``minimize() got an unexpected
    keyword argument 'bounds'`` from ``restarts``)."""
    allowed = sorted(allowed)
    for name in given:
        if name not in allowed and name not in own:
            hint = did_you_mean(name, [*own, *allowed])
            mine = f"{own_are} {', '.join(own)}, and " if own else ""
            raise TypeError(
                f"{function}: unknown option {shown(name)}{hint}; {mine}the options it passes "
                f"to {to} are {', '.join(allowed)}"
            )


def in_order(function: str, **arguments: Any) -> None:
    """A ``TypeError`` that names the order of ``function``'s ``arguments`` (given in that
    order) when one of them is what another takes: a data set given as the loss, an
    optimizer as the data. Without it the message would be about the misplaced value's
    insides (``data: X must be real numbers; got <function init>``)."""
    for name, value in arguments.items():
        kind = _looks_like(value)
        if kind is not None and kind != name and kind in arguments:
            raise TypeError(
                f"{function}: the {name} given is {_KINDS[kind]}; the arguments "
                f"go {function}({', '.join(arguments)}), or name it: {kind}=..."
            )


def transform(value: Any, *, gradient_steps: bool = True, where: str = "optimizer") -> Any:
    """``value`` when it is an optimizer: a Transform (``init`` and ``update``, descend's or
    optax's) or, with ``gradient_steps``, a gradient step (``init`` and ``step``:
    ``lookahead_nesterov()``, ``annealing()``); a ``TypeError`` that says how to make one
    otherwise (``descend.adam`` without its call is the usual slip)."""
    kind = _optimizer_kind(value)
    if kind == "transform":
        return value
    if kind == "gradient step":
        if gradient_steps:
            return value
        raise TypeError(
            f"{where} must be a Transform (such as descend.nesterov(0.01)); got a gradient "
            "step (lookahead_nesterov() or annealing()), which evaluates the loss at points "
            "of its own: only descend.minimize runs those"
        )
    if isinstance(value, str):
        hint = _named_rule(value)
    else:
        name = getattr(value, "__name__", None) if callable(value) else None
        hint = f" (call it: {name}())" if name else ""
    raise TypeError(
        "optimizer must be a Transform (such as descend.adam(1e-2) or an optax optimizer); "
        f"got {type(value).__name__}{hint}"
    )


def _named_rule(text: str) -> str:
    """How to build the update rule that ``text`` names, from the registry's constructor."""
    from descend.optim import registry  # optim imports this module

    try:
        return f" {text!r}: build it, descend.{registry.get(text).constructor.__name__}(...)"
    except ValueError:
        names = registry.names()
        hint = did_you_mean(text, names)  # last: the message's start is the same for all
        return f" {shown(text)}, which names no update rule; valid names: {', '.join(names)}{hint}"


def rule(value: Any, where: str = "rule") -> Any:
    """``value`` when it is an optimizer's constructor (``descend.adam``, called with the
    values of a grid); a ``TypeError`` for an optimizer already built (``descend.adam()``)
    or anything not callable."""
    if _optimizer_kind(value):
        raise TypeError(
            f"{where} must be an optimizer's constructor, not called: descend.adam, not "
            "descend.adam() (the hyperparameters go in as keywords)"
        )
    if not callable(value):
        raise TypeError(
            f"{where} must be an optimizer's constructor such as descend.adam; "
            f"got {type(value).__name__}"
        )
    return value


def finite_data(name: str, values: Any) -> None:
    """Raise ``ValueError`` naming ``name``, how many values are NaN or infinite and the first
    row holding one, when the concrete array ``values`` (of one row or more) holds any; traced
    values are the caller's."""
    if not is_concrete(values) or not np.issubdtype(values.dtype, np.inexact):
        return
    bad = ~np.isfinite(np.asarray(values))
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))
        raise ValueError(
            f"{name} holds {int(bad.sum())} NaN or infinite value(s), the first in row "
            f"{int(rows[0])}; remove or impute them before training"
        )


@functools.cache
def memory_bytes() -> int:
    """This machine's physical memory in bytes (8 GiB when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def fits_in_memory(what: str, nbytes: float, advice: str, detail: str = "") -> None:
    """Refuse, before anything is allocated or compiled, ``what`` when it would need more
    than half of this machine's memory: a ``ValueError`` saying how much, and ``advice``."""
    if nbytes > memory_bytes() // 2:
        raise ValueError(
            f"{what} would need {nbytes / 2**30:.1f} GiB{detail}, more than half of this "
            f"machine's memory; {advice}"
        )


def positive_int(name: str, value: Any) -> int:
    """A Python integer in ``[1, 2^31 - 1]`` (step counts, periods, patience + 1, ...)."""
    return int32(name, integer(name, value, 1))


def nonnegative_int(name: str, value: Any) -> int:
    """A Python integer in ``[0, 2^31 - 1]`` (seeds, cooldowns, ...)."""
    return int32(name, integer(name, value, 0))


def boolean(name: str, value: Any, *, none: bool = False) -> bool | None:
    """A Python bool (structural switches cannot be traced); ``None`` too when ``none``.

    Anything else, ``1`` and ``"yes"`` included, is a ``TypeError``.
    """
    if none and value is None:
        return None
    return _switch(name, value, "True, False or None" if none else "True or False")


def progress(value: Any) -> Any:
    """A progress option: ``True`` or ``False``, or a text stream to write the bar to (an
    object with a ``write`` method), returned as it is."""
    if hasattr(value, "write"):
        return value
    return _switch(
        "progress", value, "True, False or a text stream (an object with a write method)"
    )


def _switch(name: str, value: Any, allowed: str) -> bool:
    """``value`` as a bool: a Python or NumPy bool, else a ``TypeError`` saying ``allowed``."""
    if not is_concrete(value):
        raise TypeError(_traced_switch(name, allowed, value))
    if not _is_bool(value):
        raise TypeError(f"{name} must be {allowed}; got {shown(value)}")
    return bool(value)


def _traced_switch(name: str, allowed: str, value: Any) -> str:
    """The message for a count or switch that ``jax.jit`` or ``jax.vmap`` traced: it is
    fixed when the program is built, so it must be a Python value."""
    return (
        f"{name} must be {allowed}, a Python value, not one traced by jax.jit or jax.vmap "
        f"(got a traced {value.aval.str_short()}): it is fixed when the program is built; "
        "call once per value, or vmap over the numbers a run takes as data instead"
    )


def choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """One of ``allowed`` (convention names, modes, ...), returned as it is.

    When every allowed value is a string (or ``None``), a value that is neither is a
    ``TypeError``; a string not among them (or any other value not among them) a
    ``ValueError``.
    """
    allowed = tuple(allowed)
    message = f"{name} must be one of {', '.join(map(repr, allowed))}; got {shown(value)}"
    names_only = all(isinstance(a, str) or a is None for a in allowed)
    if names_only and not (isinstance(value, str) or value is None):
        raise TypeError(message)
    if value not in allowed:
        raise ValueError(message)
    return value


# ---------------------------------------------------------------------------------------------
# Names


def normalise(name: str) -> str:
    """A registry key: lower case, ends stripped, ``-`` and spaces as ``_``
    (``"Six-Hump Camel"`` is ``"six_hump_camel"``)."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def registry_key(
    kind: str,
    name: Any,
    valid: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
    where: str = "",
) -> str:
    """The key of ``name`` in a registry of ``kind`` (``"surface"``, ``"loss"``, ...).

    ``name`` is normalised (see :func:`normalise`) and looked up among ``valid`` and then
    ``aliases`` (alias -> key). A non-string is a ``TypeError``; an unknown name a
    ``ValueError``; both list the valid names. ``where`` prefixes the message (``"load: "``).
    """
    valid = sorted(valid)
    listed = ", ".join(valid)
    if aliases:
        listed += f" (aliases: {', '.join(sorted(aliases))})"
    if not isinstance(name, str):
        raise TypeError(f"{where}{kind} name must be a string, one of {listed}; got {shown(name)}")
    key = normalise(name)
    key = (aliases or {}).get(key, key)
    if key not in valid:
        hint = did_you_mean(key, [*valid, *(aliases or {})])
        raise ValueError(f"{where}unknown {kind} {shown(name)}{hint}; valid names: {listed}")
    return key
