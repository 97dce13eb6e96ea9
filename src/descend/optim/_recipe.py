"""How a transform was built, so that a compiled run can take its hyperparameters as data.

Every public constructor in :mod:`descend.optim` is wrapped by :func:`recorded`: the transform
it returns still is a plain ``Transform(init, update)`` (and unpacks as one), but it also
carries the constructor and the arguments it was called with. :func:`split` separates those
arguments into *static* ones (strings, booleans, integers, schedules by their call, the
structure of a chain) and *numeric leaves* (floats, float arrays and random seeds);
:func:`rebuild` makes the transform again from the same static part and new leaves. The
engine compiles one program per static part and passes the leaves as arguments, so
``minimize(f, x0, adam(1e-3))`` followed by ``minimize(f, x0, adam(1e-2))`` compiles once,
and so do runs of ``add_noise`` or ``annealing`` that differ only in their seed.

A transform without a recipe (an optax transform, a hand-written one) is static as a
whole: it still runs, it is just compiled again for each new object.

The recipe is also how a transform prints: ``repr(adam(0.01))`` is the call
``adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-08, eps_root=0.0)`` (see :func:`call_text`), and a
schedule made by a :func:`checked` constructor prints as its call too (:class:`NamedSchedule`).
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from descend import _validation as check
from descend.optim._base import HyperParam, Seed, Transform
from descend.optim._guards import guarded, guarded_step


class GradientStep(NamedTuple):
    """A rule that needs the objective *function*, not one gradient: the engine calls
    ``x, state = step(objective, x, state)`` with the scalar objective it minimises (``-f``
    when maximizing). Used for the look-ahead Nesterov form and for simulated annealing."""

    init: Callable[[Any], Any]
    step: Callable[..., tuple[Any, Any]]


class _RecordedTransform(Transform):
    """A Transform that also knows its recipe (instances get a ``__dict__``), and prints as
    the call that made it."""

    def __repr__(self) -> str:
        return call_text(self.recipe)


class _RecordedStep(GradientStep):
    """A GradientStep that also knows its recipe, and prints as the call that made it."""

    def __repr__(self) -> str:
        return call_text(self.recipe)


_RECORDED = {Transform: _RecordedTransform, GradientStep: _RecordedStep}
_GUARDS = {Transform: guarded, GradientStep: guarded_step}


class Recipe(NamedTuple):
    """A constructor and the arguments it was called with."""

    build: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]


#: Annotations that mark a constructor's parameter as a numeric hyperparameter (data).
NUMERIC_ANNOTATIONS = ("HyperParam", "float", HyperParam, float)
#: The annotation of a random seed: an integer taken as data (see :class:`Seed`).
SEED_ANNOTATIONS = ("Seed", Seed)


class NamedSchedule:
    """A schedule ``t -> value`` that prints as the call that made it, for example
    ``cosine(init=0.1, steps=100, final=0.0)``. Calling it calls the schedule.

    The call is kept as ``made_by``, not ``recipe``: :func:`split` keys a schedule by its call
    but keeps its numbers static (only a traced one becomes a leaf), where a transform's
    numbers are all leaves."""

    __slots__ = ("__weakref__", "fn", "made_by")

    def __init__(self, fn: Callable[[Any], Any], made_by: Recipe) -> None:
        self.fn = fn
        self.made_by = made_by

    def __call__(self, t: Any) -> Any:
        return self.fn(t)

    def __repr__(self) -> str:
        return call_text(self.made_by)


def _same(value: Any, default: Any) -> bool:
    """Whether an argument equals its default (an array or a function never does, unless it
    is the default object itself)."""
    if value is default:
        return True
    if isinstance(value, (np.ndarray, jax.Array)) or callable(value):
        return False
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):
        return False


def describe(value: Any) -> str:
    """A short, Python-looking text for an argument of a recipe: a transform or schedule as
    its call, a number as itself, an array with dimensions (or a traced value) as its dtype
    and shape (``float64[3]``), a function as its name, an optax transform as its type."""
    made = recipe_of(value)
    if made is not None:
        return call_text(made)
    if isinstance(value, NamedSchedule):
        return repr(value)
    if isinstance(value, jax.core.Tracer):
        return f"traced({value.dtype}[{','.join(map(str, value.shape))}])"
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        if np.ndim(value) == 0:
            return str(np.asarray(value)[()])
        return f"{value.dtype}[{','.join(map(str, np.shape(value)))}]"
    if isinstance(value, list):
        return f"[{', '.join(describe(v) for v in value)}]"
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        inner = ", ".join(describe(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if callable(getattr(value, "init", None)) and callable(getattr(value, "update", None)):
        return f"{type(value).__name__}(...)"  # an optax or hand-made transform
    if callable(value) and not isinstance(value, type):
        name = getattr(value, "__name__", "")
        return name if name.isidentifier() else "lambda t: ..."
    return repr(value)


def call_text(recipe: Recipe) -> str:
    """The call a recipe stands for, as Python: ``name(arg=value, ...)``. Numeric
    hyperparameters are always shown, other arguments only where they differ from the
    constructor's default; a chain's transforms are shown in order."""
    signature = inspect.signature(recipe.build)
    bound = signature.bind(*recipe.args, **dict(recipe.kwargs))
    numeric = hyperparameters(recipe.build)
    parts = []
    for name, param in signature.parameters.items():
        if name not in bound.arguments:
            continue
        value = bound.arguments[name]
        if param.kind is param.VAR_POSITIONAL:
            parts += [describe(v) for v in value]
        elif param.kind is param.VAR_KEYWORD:
            parts += [f"{k}={describe(v)}" for k, v in value.items()]
        elif name in numeric or param.default is param.empty or not _same(value, param.default):
            parts.append(f"{name}={describe(value)}")
    return f"{recipe.build.__name__}({', '.join(parts)})"


def hyperparameters(build: Callable[..., Any]) -> tuple[str, ...]:
    """The names of ``build``'s numeric hyperparameters: the parameters annotated
    ``HyperParam`` or ``float``. These take any real number, real array or schedule (see
    :func:`descend.optim.validation.number`); every other parameter is structure."""
    return tuple(
        name
        for name, p in inspect.signature(build).parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and any(p.annotation is a or p.annotation == a for a in NUMERIC_ANNOTATIONS)
    )


def seed_parameters(build: Callable[..., Any]) -> tuple[str, ...]:
    """The names of ``build``'s random seeds: the parameters annotated :class:`Seed`."""
    return tuple(
        name
        for name, p in inspect.signature(build).parameters.items()
        if any(p.annotation is a or p.annotation == a for a in SEED_ANNOTATIONS)
    )


def checked(build: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a constructor so that its numeric hyperparameters (see :func:`hyperparameters`)
    arrive in canonical form (:func:`descend.optim.validation.number`): a Python float for a
    number, NumPy scalar or 0-d array of any real dtype, a float64 array for an n-d one; a
    schedule (for a ``HyperParam``; a ``float`` parameter takes none) or a traced value as
    it is. A bool, complex number, string or object array raises ``TypeError`` naming the
    parameter. After ``build`` (whose own checks give the range messages), a NaN or
    infinite hyperparameter that ``build`` did not check still raises ``ValueError``. A
    parameter annotated :class:`Seed` arrives as a ``Seed`` (or a tracer), checked by
    :func:`descend._validation.seed`. ``wrapper.bind(*args, **kwargs)`` returns the canonical
    bound arguments and the result.
    """

    signature = inspect.signature(build)
    numeric = hyperparameters(build)
    seeds = seed_parameters(build)
    shown = signature.replace(  # as a user writes the call: names and defaults
        parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    takes_schedule = {
        name: signature.parameters[name].annotation in ("HyperParam", HyperParam)
        for name in numeric
    }

    def bind(*args: Any, **kwargs: Any) -> tuple[inspect.BoundArguments, Any]:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            name = build.__name__
            hint = ""
            if any(isinstance(a, Transform) for a in (*args, *kwargs.values())):
                hint = f"; to combine transforms, chain them: chain({name}{shown}, other)"
            raise TypeError(f"{name}(): {err}; it takes {name}{shown}{hint}") from None
        given = bound.arguments
        for name in numeric:
            if name in given:
                given[name] = check.number(name, given[name], schedule=takes_schedule[name])
        for name in seeds:  # the default too: given or not, the same program
            value = check.seed(name, given.get(name, signature.parameters[name].default))
            given[name] = value if isinstance(value, jax.core.Tracer) else Seed(value)
        made = build(*bound.args, **bound.kwargs)
        for name in numeric:
            if name in given:
                check.finite(name, given[name])
        return bound, made

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound, made = bind(*args, **kwargs)
        if callable(made) and not hasattr(made, "_fields"):  # a schedule: print as its call
            fn = made.fn if isinstance(made, NamedSchedule) else made
            bound.apply_defaults()
            return NamedSchedule(fn, Recipe(wrapper, bound.args, tuple(bound.kwargs.items())))
        return made

    wrapper.hyperparameters = numeric  # type: ignore[attr-defined]
    wrapper.bind = bind  # type: ignore[attr-defined]
    return wrapper


def recorded(build: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a constructor so that what it returns carries its :class:`Recipe`.

    The arguments are first put in canonical form by :func:`checked`, so ``gd(np.array(1))``,
    ``gd(1)`` and ``gd(1.0)`` are the same transform with the same recipe, and the transform
    made directly and the one :func:`rebuild` makes inside a compiled run take the same
    values.
    """

    bind = checked(build).bind
    numeric = hyperparameters(build)

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound, made = bind(*args, **kwargs)
        for plain, with_recipe in _RECORDED.items():
            if type(made) in (plain, with_recipe):
                # every argument, defaults included, so that passing a default explicitly
                # describes the same program as leaving it out
                bound.apply_defaults()
                hyper = {n: bound.arguments[n] for n in numeric if n in bound.arguments}
                made = _GUARDS[plain](build.__name__, *made, hyper=hyper)
                out = with_recipe(*made)
                out.recipe = Recipe(wrapper, bound.args, tuple(sorted(bound.kwargs.items())))
                return out
        return made

    wrapper.hyperparameters = hyperparameters(build)  # type: ignore[attr-defined]
    return wrapper


def recipe_of(transform: Any) -> Recipe | None:
    """The recipe a transform was built from, or None."""
    return getattr(transform, "recipe", None)


def _is_leaf(value: Any) -> bool:
    if isinstance(value, Seed):
        return True
    if isinstance(value, (bool, np.bool_, int, np.integer)) or value is None:
        return False
    if isinstance(value, (float, np.floating, jax.core.Tracer)):
        return True
    if isinstance(value, (np.ndarray, jax.Array)):
        return np.issubdtype(value.dtype, np.floating)
    return False


class _ByIdentity:
    """An unhashable static argument, keyed by identity and kept alive with the key (so
    that :func:`rebuild` can hand back the object itself)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and other.value is self.value


class _Leaf(NamedTuple):
    index: int


class _Sub(NamedTuple):
    key: Any


def _static(value: Any) -> Any:
    """A hashable stand-in for a static argument. Only plain lists, tuples and dicts are
    taken apart: a tuple of a type of its own (an optax transform is a NamedTuple) stays
    itself, so that :func:`rebuild` hands back the same object."""
    if type(value) is list:
        return ("__list__", *(_static(v) for v in value))
    if type(value) is tuple:
        return ("__tuple__", *(_static(v) for v in value))
    if type(value) is dict:
        return ("__dict__", *sorted((k, _static(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return _ByIdentity(value)
    return value


def split(transform: Any) -> tuple[Any, list[Any]]:
    """``(key, leaves)``: a hashable static description and the numeric hyperparameters.

    A schedule made by a :func:`checked` constructor is described by its call, so equal
    calls give equal keys (one compiled program, not one per schedule object). The numbers
    its constructor marks with :func:`data_numbers` (a cosine's ``init`` and ``final``)
    are leaves, so ``adam(cosine(0.01, T))`` and ``adam(cosine(0.02, T))`` share a program;
    the others stay static, as they are in the schedule's own closure (1cycle's
    ``pct_start``, which places the phases on the host), except those traced by ``jit`` or
    ``vmap``: those become leaves, so the compiled program takes them as arguments instead
    of closing over a tracer.

    The answer is kept on the transform (for its recipe), as a run is often started many
    times with one optimizer and the walk took 7 us of a 65 us call."""
    recipe = recipe_of(transform)
    kept = getattr(transform, "__dict__", {}).get("_split")
    if kept is not None and kept[0] is recipe:
        return kept[1], list(kept[2])
    key, leaves = _split(transform)
    if recipe is not None and hasattr(transform, "__dict__"):
        transform.__dict__["_split"] = (recipe, key, tuple(leaves))
    return key, leaves


def data_numbers(*names: str) -> Callable[[Any], Any]:
    """Mark a :func:`checked` schedule constructor's parameters ``names`` as numbers a
    compiled run takes as data (see :func:`split`): those used only in the schedule's own
    ``jax.numpy`` arithmetic, where a traced value computes what the number computes."""

    def mark(constructor: Any) -> Any:
        constructor.data_numbers = frozenset(names)
        return constructor

    return mark


def _split(transform: Any) -> tuple[Any, list[Any]]:
    leaves: list[Any] = []

    def walk(value: Any, data: bool = True) -> Any:
        recipe = recipe_of(value)
        if recipe is not None:  # a transform: every number is data
            arg_data = (True,) * len(recipe.args)
            kwarg_data = dict.fromkeys(dict(recipe.kwargs), True)
        elif isinstance(value, NamedSchedule):  # a schedule: the numbers it marks
            recipe = value.made_by
            marked = getattr(recipe.build, "data_numbers", frozenset())
            names = list(inspect.signature(recipe.build).parameters)
            arg_data = tuple(name in marked for name in names[: len(recipe.args)])
            kwarg_data = {k: k in marked for k, _ in recipe.kwargs}
        if recipe is not None:
            return _Sub(
                (
                    recipe.build,
                    tuple(walk(a, d) for a, d in zip(recipe.args, arg_data, strict=True)),
                    tuple((k, walk(v, kwarg_data[k])) for k, v in recipe.kwargs),
                )
            )
        if type(value) in (list, tuple) and any(_is_leaf(v) or _described(v) for v in value):
            kind = "__list__" if isinstance(value, list) else "__tuple__"
            return (kind, *(walk(v, data) for v in value))
        if isinstance(value, jax.core.Tracer) or (_is_leaf(value) and data):
            leaves.append(value)
            return _Leaf(len(leaves) - 1)
        return _static(value)

    key = walk(transform)
    if not isinstance(key, _Sub):  # no recipe: the object itself is the key
        return ("__opaque__", transform), []
    return key, leaves


def _described(value: Any) -> bool:
    """Whether :func:`split` walks into ``value``: a transform or a schedule with its call."""
    return recipe_of(value) is not None or isinstance(value, NamedSchedule)


def is_opaque(key: Any) -> bool:
    """Whether :func:`split` described a transform without a recipe (by the object)."""
    return isinstance(key, tuple) and len(key) == 2 and key[0] == "__opaque__"


def closure_tracers(value: Any, depth: int = 12) -> list[jax.core.Tracer]:
    """The traced values that transforms without a recipe hold in their functions' closures
    (``optax.adam(lr)`` under ``jax.vmap`` over ``lr``), in ``value`` (a transform, or the key
    :func:`split` made, where such a transform may be a part of a chain): walked through
    closures, partials, bound methods, objects' attributes, tuples, lists and dicts, ``depth``
    levels down."""
    seen: set[int] = set()
    found: list[jax.core.Tracer] = []

    def walk(v: Any, level: int) -> None:
        if isinstance(v, jax.core.Tracer):
            found.append(v)
            return
        if level > depth or id(v) in seen or isinstance(v, (str, bytes, int, float, type)):
            return
        seen.add(id(v))
        if isinstance(v, (list, tuple)):
            inner: Any = v
        elif isinstance(v, _ByIdentity):
            inner = (v.value,)
        elif isinstance(v, dict):
            inner = v.values()
        elif isinstance(v, functools.partial):
            inner = (v.func, v.args, v.keywords)
        elif inspect.ismethod(v):
            inner = (v.__func__, v.__self__)
        elif inspect.isfunction(v):
            cells = v.__closure__ or ()
            inner = [c.cell_contents for c in cells if _filled(c)] + list(v.__defaults__ or ())
        elif hasattr(v, "__dict__") and not isinstance(v, types.ModuleType):
            inner = list(vars(v).values())  # a transform of the user's class: its attributes
        else:
            return
        for i in inner:
            walk(i, level + 1)

    walk(value, 0)
    return found


def numbers_of(transform: Any) -> list[Any]:
    """The values a compiled run of ``transform`` depends on besides its structure: the
    numeric leaves of its recipe, and the traced values in the closures of any part without
    one. A caller that must run on concrete values checks these."""
    key, leaves = split(transform)
    return [*leaves, *closure_tracers(key)]


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:  # a cell not yet bound
        return False
    return True


def rebuild(key: Any, leaves: list[Any]) -> Any:
    """The transform described by ``key`` with the numeric hyperparameters ``leaves``."""
    if is_opaque(key):
        return key[1]

    def make(value: Any) -> Any:
        if isinstance(value, _Leaf):
            return leaves[value.index]
        if isinstance(value, _ByIdentity):
            return value.value
        if isinstance(value, _Sub):
            build, args, kwargs = value.key
            return build(*(make(a) for a in args), **{k: make(v) for k, v in kwargs})
        if isinstance(value, tuple) and value and value[0] in ("__list__", "__tuple__"):
            items = [make(v) for v in value[1:]]
            return items if value[0] == "__list__" else tuple(items)
        if isinstance(value, tuple) and value and value[0] == "__dict__":
            return {k: make(v) for k, v in value[1:]}
        return value

    return make(key)


def learning_rate_of(transform: Any) -> Any:
    """The ``lr`` (or ``learning_rate``) a transform was built with: the first one found
    walking its recipe (a chain's parts in order); None if there is none, or if it is an
    array with dimensions (per-coordinate rates have no single value to record)."""
    recipe = recipe_of(transform)
    if recipe is None:
        return None
    try:
        bound = inspect.signature(recipe.build).bind(*recipe.args, **dict(recipe.kwargs))
        bound.apply_defaults()
    except TypeError:
        return None
    for name in ("lr", "learning_rate"):
        if name in bound.arguments:
            found = bound.arguments[name]
            # an array of rates (one per coordinate) has no single value to record
            return None if not callable(found) and np.ndim(found) > 0 else found
    for value in bound.arguments.values():
        parts = value if isinstance(value, (list, tuple)) else (value,)
        for part in parts:
            found = learning_rate_of(part)
            if found is not None:
                return found
    return None
