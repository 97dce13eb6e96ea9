"""Typed functions: ``from_expression("x^2 + 10*y^2")`` turns a formula of ``x`` and ``y`` into a
JAX function and a :class:`~descend.problems.surfaces._base.Surface`.

The text is parsed (by :mod:`.expression_parser`, whose docstring gives the full grammar),
never evaluated: the parser builds a small tree from a whitelist of tokens, and this module
compiles the tree once into a fixed list of ``jax.numpy`` operations, run in order on a
stack. Nothing the user types reaches ``eval``, ``exec``, an import or an attribute look-up.

The grammar, in short: numbers (``3``, ``0.5``, ``.5``, ``1e-3``), the variables ``x`` and
``y``, the constants ``pi`` and ``e``, ``+ - * /``, power as ``^`` or ``**`` (right-associative,
binding tighter than unary minus: ``-x^2`` is ``-(x^2)``, ``2^3^2`` is ``2^9``), unary ``-`` and
``+``, parentheses, and calls of the functions below. Multiplication is always written
(``2*x``, never ``2x``). At most :data:`MAX_LENGTH` characters (not counting spaces) and
:data:`MAX_DEPTH` levels of nesting. Errors are :class:`ExpressionError` (a ``ValueError``)
naming the column.

Functions (``jax.numpy`` / ``jax.nn`` semantics, in the input's dtype):

- one argument: ``sin cos tan asin acos atan sinh cosh tanh exp log`` (natural) ``log10 log2
  sqrt cbrt abs sigmoid softplus relu``, and ``sign floor ceil``, which are piecewise
  constant: their gradient is zero almost everywhere, so gradient descent does not move on them;
- two arguments: ``atan2(a, b)`` (the angle of the point ``(b, a)``), ``pow(a, b)`` (the same as
  ``a^b``), ``hypot(a, b)`` (``sqrt(a^2 + b^2)``);
- two or more: ``min(a, b, ...)``, ``max(a, b, ...)``.

Outside a function's domain the value is NaN or inf as in ``jax.numpy`` (``log(-1)``,
``sqrt`` and ``abs`` have infinite or one-sided slopes at 0, ``hypot`` at the origin), and
``9^9^9^9`` is inf: nothing is folded in Python, every number is computed by JAX at call time.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from descend import _validation as check
from descend._validation import as_float
from descend.problems.surfaces._base import Surface
from descend.problems.surfaces._expression_parser import (
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    Call,
    ExpressionError,
    Name,
    Negate,
    Node,
    Number,
    Power,
    Product,
    Sum,
    parse,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ExpressionError",
    "from_expression",
    "normalise",
]


def _reduce(op: Callable[[Any, Any], jax.Array]) -> Callable[..., jax.Array]:
    def reduce(*args: jax.Array) -> jax.Array:
        return functools.reduce(op, args)

    return reduce


_IMPLEMENTATIONS: dict[str, Callable[..., jax.Array]] = {
    **{"sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "asin": jnp.arcsin, "acos": jnp.arccos},
    **{"atan": jnp.arctan, "sinh": jnp.sinh, "cosh": jnp.cosh, "tanh": jnp.tanh},
    **{"exp": jnp.exp, "log": jnp.log, "log10": jnp.log10, "log2": jnp.log2},
    **{"sqrt": jnp.sqrt, "cbrt": jnp.cbrt, "abs": jnp.abs, "sign": jnp.sign},
    **{"floor": jnp.floor, "ceil": jnp.ceil, "relu": jax.nn.relu},
    **{"sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus},
    **{"atan2": jnp.arctan2, "pow": jnp.power, "hypot": jnp.hypot},
    **{"min": _reduce(jnp.minimum), "max": _reduce(jnp.maximum)},
}
if set(_IMPLEMENTATIONS) != set(FUNCTIONS):  # pragma: no cover - a guard for editors
    raise AssertionError("expression: the parser's functions and their implementations differ")

_OPERATORS: dict[str, Callable[[Any, Any], jax.Array]] = {
    "+": jnp.add,
    "-": jnp.subtract,
    "*": jnp.multiply,
    "/": jnp.divide,
}


# ---------------------------------------------------------------------------------------------
# Walking the tree bottom-up with an explicit list (no recursion: deep trees are safe)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, (Sum, Product)):
        return (node.first, *(term for _, term in node.rest))
    if isinstance(node, Power):
        return (node.base, node.exponent)
    if isinstance(node, Call):
        return node.args
    return ()


def _bottom_up(tree: Node) -> list[Node]:
    """Every node, children left to right before their parent: the tree in postfix order."""
    order, todo = [], [tree]
    while todo:
        node = todo.pop()
        order.append(node)
        todo.extend(_children(node))
    order.reverse()
    return order


# ---------------------------------------------------------------------------------------------
# Normalised text

# How tightly each kind of node binds as an operand: a child weaker than its slot needs
# parentheses.
_SUM, _PRODUCT, _NEGATE, _POWER, _ATOM = range(5)
_STRENGTH = {Sum: _SUM, Product: _PRODUCT, Negate: _NEGATE, Power: _POWER}


def _text(tree: Node) -> str:
    texts: dict[int, str] = {}

    def wrap(node: Node, at_least: int) -> str:
        text = texts[id(node)]
        return f"({text})" if _STRENGTH.get(type(node), _ATOM) < at_least else text

    for node in _bottom_up(tree):
        if isinstance(node, Number):
            text = node.text
        elif isinstance(node, Name):
            text = node.name
        elif isinstance(node, Negate):
            inner = node.operand
            text = (
                "- " + texts[id(inner)] if isinstance(inner, Negate) else "-" + wrap(inner, _POWER)
            )
        elif isinstance(node, Sum):
            rest = "".join(f" {op} {wrap(term, _PRODUCT)}" for op, term in node.rest)
            text = wrap(node.first, _PRODUCT) + rest
        elif isinstance(node, Product):
            rest = "".join(f"{op}{wrap(factor, _NEGATE)}" for op, factor in node.rest)
            text = wrap(node.first, _NEGATE) + rest
        elif isinstance(node, Power):
            text = wrap(node.base, _ATOM) + "^" + wrap(node.exponent, _NEGATE)
        else:
            text = f"{node.function}({', '.join(texts[id(arg)] for arg in node.args)})"
        texts[id(node)] = text
    return texts[id(tree)]


def _check_text(text: Any) -> str:
    if not isinstance(text, str):
        shown = repr(text)
        shown = shown if len(shown) <= 60 else shown[:60] + "..."
        raise TypeError(
            f"expression must be a str (a formula of x and y); got {shown} ({type(text).__name__})"
        )
    return text


def normalise(text: str) -> str:
    """The normalised text of an expression: power written ``^``, spaces around ``+`` and
    ``-`` only, numbers as typed, and parentheses only where the meaning needs them
    (``"x**2+10 * y^2"`` -> ``"x^2 + 10*y^2"``). Parsing it gives the same tree, so it computes
    exactly the same numbers; it adds no characters but spaces and no levels of nesting, so
    whatever the parser accepts, it accepts the normalised text too. Raises
    :class:`ExpressionError` or ``TypeError`` as :func:`from_expression` does."""
    return _text(parse(_check_text(text)))


# ---------------------------------------------------------------------------------------------
# Compilation: the tree in postfix order, as (arity, operation) pairs run on a stack

Instruction = tuple[int, Callable[..., jax.Array]]


def _x(x: jax.Array, y: jax.Array) -> jax.Array:
    return x


def _y(x: jax.Array, y: jax.Array) -> jax.Array:
    return y


def _constant(value: float) -> Callable[[jax.Array, jax.Array], jax.Array]:
    def constant(x: jax.Array, y: jax.Array) -> jax.Array:
        with np.errstate(over="ignore"):  # 1e39 is inf in float32, as in the formula's maths
            return jnp.asarray(np.asarray(value, dtype=x.dtype))

    return constant


def _small_integer(node: Node) -> int | None:
    """The exponent as an ``int`` when it is a literal integer of at most 1024 in size, so that
    ``x^2`` is ``lax.integer_pow`` (exact, and with a finite gradient at ``x = 0``)."""
    sign = 1
    if isinstance(node, Negate) and isinstance(node.operand, Number):
        node, sign = node.operand, -1
    if isinstance(node, Number) and node.value.is_integer() and abs(node.value) <= 1024:
        return sign * int(node.value)
    return None


def _fold(ops: tuple[str, ...]) -> Callable[..., jax.Array]:
    """``first op1 second op2 third ...``, left to right."""
    operations = tuple(_OPERATORS[op] for op in ops)

    def fold(first: jax.Array, *rest: jax.Array) -> jax.Array:
        for operation, value in zip(operations, rest, strict=True):
            first = operation(first, value)
        return first

    return fold


def _integer_power(base: jax.Array, exponent: jax.Array, n: int) -> jax.Array:
    return lax.integer_pow(base, n)  # the exponent is the literal n, computed and unused


def _instruction(node: Node) -> Instruction:
    """What ``node`` does on the stack, once its children's values are on it."""
    if isinstance(node, Number):
        return (0, _constant(node.value))
    if isinstance(node, Name):
        variables = {"x": _x, "y": _y}
        return (0, variables.get(node.name) or _constant(CONSTANTS[node.name]))
    if isinstance(node, Negate):
        return (1, jnp.negative)
    if isinstance(node, (Sum, Product)):
        return (1 + len(node.rest), _fold(tuple(op for op, _ in node.rest)))
    if isinstance(node, Power) or node.function == "pow":
        n = _small_integer(node[1] if isinstance(node, Power) else node.args[1])
        return (2, jnp.power if n is None else functools.partial(_integer_power, n=n))
    return (len(node.args), _IMPLEMENTATIONS[node.function])


def _run(program: tuple[Instruction, ...], x: jax.Array, y: jax.Array) -> jax.Array:
    stack: list[jax.Array] = []
    for arity, operation in program:
        if arity == 0:
            stack.append(operation(x, y))
        else:
            args = stack[-arity:]
            del stack[-arity:]
            stack.append(operation(*args))
    return stack[0]


_CACHE: OrderedDict[str, Callable[[jax.Array], jax.Array]] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def _function(normalised: str, tree: Node) -> Callable[[jax.Array], jax.Array]:
    """The JAX function of a tree, built once per normalised text: the same text gives the
    same function object, so the engine's compiled programs are re-used. The cache keeps the
    last :data:`_CACHE_SIZE` texts, so memory stays flat over many distinct functions."""
    with _LOCK:
        if normalised in _CACHE:
            _CACHE.move_to_end(normalised)
            return _CACHE[normalised]
    frozen = tuple(_instruction(node) for node in _bottom_up(tree))

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        if p.shape != (2,):
            raise ValueError(
                f"the expression {normalised!r} takes a point (x, y) of shape (2,); "
                f"got shape {p.shape}"
            )
        return _run(frozen, p[0], p[1])

    f.__doc__ = f"f(p) = {normalised}, with x = p[0] and y = p[1]."
    with _LOCK:
        f = _CACHE.setdefault(normalised, f)
        _CACHE.move_to_end(normalised)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return f


# ---------------------------------------------------------------------------------------------
# The surface


def _items(where: str, value: Any, what: str) -> list[Any]:
    """``value`` as a list, or a TypeError naming ``where`` (a string is not a list here)."""
    if not isinstance(value, (str, bytes)):
        try:
            return list(value)
        except TypeError:
            pass
    raise TypeError(f"{where} must be {what}; got {check.shown(value)} ({type(value).__name__})")


def _point(where: str, value: Any) -> tuple[float, float]:
    items = _items(where, value, "a pair of numbers (x, y)")
    if len(items) != 2:
        raise ValueError(f"{where} must be a pair of numbers (x, y); got {check.shown(value)}")
    return check.real(f"{where}[0]", items[0]), check.real(f"{where}[1]", items[1])


def from_expression(
    text: str,
    *,
    name: str | None = None,
    domain: Sequence[Sequence[float]] = ((-5.0, 5.0), (-5.0, 5.0)),
    start: Sequence[float] | None = None,
    minima: Sequence[Sequence[float]] | None = None,
    min_value: float | None = None,
    lr: float = 0.01,
    lr_range: Sequence[float] = (1e-4, 1.0),
    adaptive_lr: float = 0.05,
) -> Surface:
    """A 2-D :class:`Surface` whose function is the formula ``text`` of ``x`` and ``y``.

    ``surface.f(p)`` computes the formula with ``x = p[0]`` and ``y = p[1]`` for ``p`` of shape
    ``(2,)`` and returns a scalar of ``p``'s dtype (float32, or float64 under
    ``jax.enable_x64(True)``); it works under ``jax.jit``, ``jax.grad`` and ``jax.vmap``. The
    text is parsed once (see the module docstring for the grammar) and the same text always
    gives the same function object.

    - ``surface.formula`` is the normalised text (:func:`normalise`); ``name`` defaults to it.
    - ``domain``: the box to plot and restart in, two ``(low, high)`` pairs.
    - ``start``: the recommended start; by default the point 70% of the way along the domain
      in ``x`` and 80% in ``y`` (``(2, 3)`` in the default box), off-centre because typed
      functions often have their minimum at the centre. It need not lie in the domain.
    - ``minima``: the known global minima, if any. By default none are claimed (an honest
      ``()``, with ``min_value`` ``None``); given minima without ``min_value`` take the least
      value of ``f`` at them, which must be finite.
    - ``lr``, ``lr_range``, ``adaptive_lr``: learning rates for plain gradient descent and for
      adaptive rules. For a typed function they are not measured, only modest defaults.

    The function is not evaluated here, so a formula that is NaN or inf at the start (or
    anywhere) still gives a surface: a run from there reports divergence.

    Raises :class:`ExpressionError` (a ``ValueError``, with ``.column``) for text outside the
    grammar, empty, longer than :data:`MAX_LENGTH` (not counting spaces) or nested deeper
    than :data:`MAX_DEPTH`;
    ``TypeError`` for text that is not a ``str`` or an option of the wrong type; and
    ``ValueError`` for an option out of range.
    """
    tree = parse(_check_text(text))
    formula = _text(tree)
    f = _function(formula, tree)
    if name is None:
        name = formula
    elif not isinstance(name, str):
        raise TypeError(f"from_expression: name must be a str or None; got {check.shown(name)}")
    elif not name.strip():
        raise ValueError(f"from_expression: name must not be empty; got {name!r}")
    pairs = _items("from_expression: domain", domain, "two (low, high) pairs")
    if len(pairs) != 2:
        raise ValueError(f"from_expression: domain must be two (low, high) pairs; got {domain!r}")
    box = tuple(_point(f"from_expression: domain[{k}]", pair) for k, pair in enumerate(pairs))
    for k, (low, high) in enumerate(box):
        if not low < high:
            raise ValueError(f"from_expression: domain[{k}] must have low < high; got {pairs[k]!r}")
    if start is None:
        start = tuple(
            low + share * (high - low) for (low, high), share in zip(box, (0.7, 0.8), strict=True)
        )
    start = _point("from_expression: start", start)
    points: tuple[tuple[float, float], ...] = ()
    if minima is not None:
        listed = _items("from_expression: minima", minima, "a list of points (x, y)")
        points = tuple(_point(f"from_expression: minima[{k}]", m) for k, m in enumerate(listed))
    if min_value is not None:
        min_value = check.real("from_expression: min_value", min_value)
    elif points:
        min_value = min(float(f(jnp.asarray(p))) for p in points)
        if not np.isfinite(min_value):
            raise ValueError(
                f"from_expression: f must be finite at the given minima {points}; got {min_value}"
            )
    low, high = _point("from_expression: lr_range", lr_range)
    return Surface(
        name=name,
        f=f,
        dim=2,
        formula=formula,
        domain=box,
        minima=points,
        min_value=min_value,
        start=start,
        lr=check.real("from_expression: lr", lr, 0.0, open_low=True),
        lr_range=(low, high),
        adaptive_lr=check.real("from_expression: adaptive_lr", adaptive_lr, 0.0, open_low=True),
        description=(
            "A typed function. Its minima are known only if given, and its learning rates "
            "are defaults, not measured."
        ),
    )
