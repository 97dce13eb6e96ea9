"""Typed functions: ``surfaces.from_expression`` against independent truth.

Values are compared with the same formulas written in NumPy; the gradient of a quadratic with
its hand-derived value; precedence with hand-computed numbers; gradient descent on a typed
bowl with its known minimum. Broken and hostile inputs each raise the right error type with a
message that names the column (or the limit), never a RecursionError, never a hang; and the
modules' source is checked for the calls that would run user text.
"""

import inspect
import math
import pathlib
import re
import sys

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

import descend as ds
from descend.engine._stop import StopReason
from descend.problems.surfaces import ExpressionError, Surface, from_expression
from descend.problems.surfaces import _expression as expression_module
from descend.problems.surfaces._expression import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, normalise
from descend.problems.surfaces._expression_parser import MAX_TEXT, parse

POINTS = [(3.0, 2.0), (-1.5, 0.25), (0.7, -2.2)]

# (text, the same formula in NumPy)
FORMULAS = [
    ("x^2 + 10*y^2", lambda x, y: x**2 + 10 * y**2),
    ("(1 - x)^2 + 100*(y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2),
    ("sin(x)*cos(y)", lambda x, y: np.sin(x) * np.cos(y)),
    ("exp(-(x^2 + y^2)/2)", lambda x, y: np.exp(-(x**2 + y**2) / 2)),
    ("log(1 + x^2) - y/3", lambda x, y: np.log(1 + x**2) - y / 3),
    ("sqrt(x^2 + y^2 + 1e-3)", lambda x, y: np.sqrt(x**2 + y**2 + 1e-3)),
    ("abs(x) + 2.5*abs(y)", lambda x, y: np.abs(x) + 2.5 * np.abs(y)),
    ("x**3 - 3*x*y**2", lambda x, y: x**3 - 3 * x * y**2),
    ("-x^2 + pi*y - e", lambda x, y: -(x**2) + np.pi * y - np.e),
    ("max(x, y, 0.5) - min(x, -y)", lambda x, y: max(x, y, 0.5) - min(x, -y)),
    ("tanh(x)*sigmoid(y) + softplus(x - y)",
     lambda x, y: np.tanh(x) / (1 + np.exp(-y)) + np.log1p(np.exp(x - y))),
    ("2^x / (1 + y^2)", lambda x, y: 2.0**x / (1 + y**2)),
    ("x^-2 + .5E+1*y", lambda x, y: x**-2.0 + 5.0 * y),
]  # fmt: skip


@pytest.mark.parametrize(("text", "truth"), FORMULAS, ids=[t for t, _ in FORMULAS])
def test_values_match_numpy_in_float64(x64, text, truth):
    f = from_expression(text).f
    for x, y in POINTS:
        value = f(jnp.array([x, y]))
        assert value.dtype == jnp.float64 and value.shape == ()
        np.testing.assert_allclose(value, truth(x, y), rtol=1e-12)


@pytest.mark.parametrize(("text", "truth"), FORMULAS, ids=[t for t, _ in FORMULAS])
def test_values_match_numpy_in_float32_under_jit(text, truth):
    f = jax.jit(from_expression(text).f)
    for x, y in POINTS:
        value = f(jnp.array([x, y], dtype=jnp.float32))
        assert value.dtype == jnp.float32 and value.shape == ()
        np.testing.assert_allclose(value, truth(x, y), rtol=2e-5)


def test_gradient_of_the_quadratic():
    surface = from_expression("x^2 + 10*y^2")
    np.testing.assert_array_equal(jax.grad(surface.f)(jnp.array([3.0, 2.0])), [6.0, 40.0])
    np.testing.assert_array_equal(jax.jit(jax.grad(surface))(jnp.array([3.0, 2.0])), [6.0, 40.0])


def test_gradient_matches_the_hand_derivative(x64):
    # d/dx [x^2 y + sin(x y)] = 2 x y + y cos(x y); d/dy = x^2 + x cos(x y)
    g = jax.grad(from_expression("x^2*y + sin(x*y)").f)
    for x, y in POINTS:
        expected = [2 * x * y + y * math.cos(x * y), x**2 + x * math.cos(x * y)]
        np.testing.assert_allclose(g(jnp.array([x, y])), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2^3^2", 512.0),
        ("2**3**2", 512.0),
        ("(2^3)^2", 64.0),
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("2^-1", 0.5),
        ("-2^-2", -0.25),
        ("2*3+4", 10.0),
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("8/4/2", 1.0),
        ("8/(4/2)", 4.0),
        ("10-4-3", 3.0),
        ("10-(4-3)", 9.0),
        ("--3", 3.0),
        ("+-+3", -3.0),
        ("2*-3", -6.0),
        ("3*2^2", 12.0),
        ("1e-3*1000", 1.0),
        ("1.5E2", 150.0),
    ],
)
def test_precedence_and_associativity(text, value):
    assert float(from_expression(text).f(jnp.zeros(2))) == value


# every function at (x, y) = (0.3, 0.7), against NumPy
FUNCTION_CASES = {
    "sin": ("sin(x)", np.sin(0.3)),
    "cos": ("cos(x)", np.cos(0.3)),
    "tan": ("tan(x)", np.tan(0.3)),
    "asin": ("asin(x)", np.arcsin(0.3)),
    "acos": ("acos(x)", np.arccos(0.3)),
    "atan": ("atan(y)", np.arctan(0.7)),
    "sinh": ("sinh(x)", np.sinh(0.3)),
    "cosh": ("cosh(x)", np.cosh(0.3)),
    "tanh": ("tanh(y)", np.tanh(0.7)),
    "exp": ("exp(y)", np.exp(0.7)),
    "log": ("log(y)", np.log(0.7)),
    "log10": ("log10(y)", np.log10(0.7)),
    "log2": ("log2(y)", np.log2(0.7)),
    "sqrt": ("sqrt(y)", np.sqrt(0.7)),
    "cbrt": ("cbrt(-y)", -np.cbrt(0.7)),
    "abs": ("abs(x - y)", 0.4),
    "sign": ("sign(x - y)", -1.0),
    "floor": ("floor(10*x)", 3.0),
    "ceil": ("ceil(10*y)", 7.0),
    "sigmoid": ("sigmoid(x)", 1 / (1 + np.exp(-0.3))),
    "softplus": ("softplus(x)", np.log1p(np.exp(0.3))),
    "relu": ("relu(x - y) + relu(y)", 0.7),
    "atan2": ("atan2(y, -x)", np.arctan2(0.7, -0.3)),
    "pow": ("pow(y, x)", 0.7**0.3),
    "hypot": ("hypot(x, y)", np.hypot(0.3, 0.7)),
    "min": ("min(y, x, 1)", 0.3),
    "max": ("max(x, y)", 0.7),
}


def test_every_function_is_tested():
    assert set(FUNCTION_CASES) == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTION_CASES))
def test_every_function(x64, name):
    text, expected = FUNCTION_CASES[name]
    np.testing.assert_allclose(from_expression(text).f(jnp.array([0.3, 0.7])), expected, rtol=1e-12)


def test_constants(x64):
    f = from_expression("pi + e").f
    assert float(f(jnp.zeros(2))) == math.pi + math.e


def test_gradient_descent_finds_the_minimum():
    surface = ds.surfaces.from_expression("(x-1)^2 + (y+2)^2")
    result = ds.minimize(surface, jnp.array([3.0, 2.0]), ds.gd(0.1))
    np.testing.assert_allclose(result.x, [1.0, -2.0], atol=1e-4)
    assert result.stop.converged


def test_vmap_over_points():
    f = from_expression("x^2 + sin(x*y) - y").f
    points = np.random.default_rng(0).uniform(-3, 3, size=(50, 2)).astype(np.float32)
    values = jax.vmap(f)(jnp.asarray(points))
    x, y = points[:, 0], points[:, 1]
    assert values.shape == (50,)
    np.testing.assert_allclose(values, x**2 + np.sin(x * y) - y, rtol=1e-5, atol=1e-5)
    grads = jax.vmap(jax.grad(f))(jnp.asarray(points))
    expected = np.stack([2 * x + y * np.cos(x * y), x * np.cos(x * y) - 1], axis=1)
    np.testing.assert_allclose(grads, expected, rtol=1e-4, atol=1e-4)


def test_constant_expression_under_vmap_and_grad():
    f = from_expression("2 + 3").f
    assert jax.vmap(f)(jnp.ones((4, 2))).tolist() == [5.0] * 4
    assert jax.grad(f)(jnp.ones(2)).tolist() == [0.0, 0.0]


def test_integer_powers_have_finite_gradients_at_zero():
    g = jax.grad(from_expression("x^2 + y^0 + x^-0").f)(jnp.zeros(2))
    assert g.tolist() == [0.0, 0.0]


def test_the_surface():
    surface = from_expression("x**2+10 * y^2")
    assert isinstance(surface, Surface)
    assert surface.formula == surface.name == "x^2 + 10*y^2"
    assert surface.dim == 2 and surface.domain == ((-5.0, 5.0), (-5.0, 5.0))
    assert surface.minima == () and surface.min_value is None and not surface.bounded_below
    assert surface.start == (2.0, 3.0)
    assert float(surface([3, 2])) == 49.0
    other = from_expression(
        "(x-1)^2 + y^2", name="bowl", domain=[(0, 2), (-1, 1)], start=[0.5, 0.5], minima=[(1, 0)]
    )
    assert (other.name, other.domain, other.start) == (
        "bowl",
        ((0.0, 2.0), (-1.0, 1.0)),
        (0.5, 0.5),
    )
    assert other.minima == ((1.0, 0.0),) and other.min_value == 0.0
    assert from_expression("x^2", domain=((0, 10), (0, 20))).start == (7.0, 16.0)


def test_nan_at_the_start_still_builds_and_the_run_says_so():
    surface = from_expression("log(x) + y^2", start=(-1.0, 1.0))
    assert np.isnan(float(surface(surface.start)))
    result = ds.minimize(surface, None, ds.gd(0.1), max_steps=50)
    assert result.reason == StopReason.DIVERGED


def test_compiled_once_and_shared(monkeypatch):
    surface = from_expression("x^2 + 10*y^2")
    assert from_expression("x**2 + 10 * y**2").f is surface.f  # same normalised text

    def no_parsing(text):
        raise AssertionError("parsed again")

    monkeypatch.setattr(expression_module, "parse", no_parsing)
    point = jnp.array([3.0, 2.0])
    assert float(surface.f(point)) == 49.0
    assert jax.grad(surface.f)(point).tolist() == [6.0, 40.0]
    assert jax.vmap(surface.f)(jnp.stack([point, point])).tolist() == [49.0, 49.0]


@pytest.mark.parametrize(
    "text",
    ["x^2 + 10*y^2", "-x^2", "(x + y) + 1", "x - (y - 1)", "-(x*y)", "--x", "2^-x", "(x^y)^2",
     "2^3^2", "(2^3)^2", "x/(y*2)", "(x*y)*2", "x*-y", "-(x + y)^2", "max(x, -y, (1))",
     "atan2(y, x)^2", "((x))", "+x", "1.e3 + .5 + 2E-1"],
)  # fmt: skip
def test_normalised_text_parses_to_the_same_tree(text):
    once = normalise(text)
    assert normalise(once) == once
    assert parse(once) == parse(text)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_output_dtype_follows_the_input(dtype):
    with jax.enable_x64(True):
        f = from_expression("x^2 + 1e39*y").f
        assert f(jnp.array([1.0, 0.5], dtype=dtype)).dtype == dtype


def test_bad_points_and_options():
    f = from_expression("x + y").f
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        f(jnp.ones(3))
    with pytest.raises(TypeError, match="name"):
        from_expression("x", name=3)
    with pytest.raises(ValueError, match="low < high"):
        from_expression("x", domain=((1, 0), (0, 1)))
    with pytest.raises(ValueError, match="start"):
        from_expression("x", start=(1.0,))
    with pytest.raises(TypeError, match="start"):
        from_expression("x", start="ab")
    with pytest.raises(ValueError, match="lr"):
        from_expression("x", lr=-1.0)
    with pytest.raises(ValueError, match="finite"):
        from_expression("log(x)", minima=[(-1, 0)])


# ---------------------------------------------------------------------------------------------
# Broken and hostile input: (text, error type, the column or None, a phrase of the message)

HOSTILE = [
    ("__import__('os')", ExpressionError, 1, "unknown name '__import__'"),
    ("x.__class__", ExpressionError, 2, "attribute access"),
    ("open('f')", ExpressionError, 1, "unknown name 'open'"),
    ("lambda: 1", ExpressionError, 1, "unknown name 'lambda'"),
    ("x; y", ExpressionError, 2, "';'"),
    ("x = 1", ExpressionError, 3, "'='"),
    ('"x"', ExpressionError, 1, "strings"),
    ("[x]", ExpressionError, 1, "'['"),
    ("{}", ExpressionError, 1, "'{'"),
    ("x if y else 1", ExpressionError, 3, "unknown name 'if'"),
    ("[i for i in x]", ExpressionError, 1, "'['"),
    ("2x", ExpressionError, 2, "missing operator between '2' and 'x'"),
    ("x y", ExpressionError, 3, "missing operator between 'x' and 'y'"),
    ("(x)(y)", ExpressionError, 4, "missing operator between ')' and '('"),
    ("sin x", ExpressionError, 5, "expected '(' after function 'sin'"),
    ("sin()", ExpressionError, 1, "sin takes 1 argument, got 0"),
    ("sin(x, y)", ExpressionError, 1, "sin takes 1 argument, got 2"),
    ("atan2(x)", ExpressionError, 1, "atan2 takes 2 arguments, got 1"),
    ("max(x)", ExpressionError, 1, "max takes at least 2 arguments, got 1"),
    ("max(x,)", ExpressionError, 7, "expected a number or a name"),
    ("x + z", ExpressionError, 5, "unknown name 'z' at column 5; allowed: x, y, pi, e, sin"),
    ("X", ExpressionError, 1, "did you mean 'x'"),
    ("Sin(x)", ExpressionError, 1, "did you mean 'sin'"),
    ("1e", ExpressionError, 1, "malformed number '1e'"),
    ("1..2", ExpressionError, 1, "malformed number '1..2'"),
    ("1e999", ExpressionError, 1, "too large"),
    ("()", ExpressionError, 2, "expected a number or a name at column 2"),
    ("x+", ExpressionError, 3, "column 3 (end of input)"),
    ("x*/y", ExpressionError, 3, "got '/'"),
    ("((((x", ExpressionError, 4, "unclosed '(' opened at column 4"),
    ("sin(x", ExpressionError, 4, "unclosed '(' of sin(...) opened at column 4"),
    ("x))", ExpressionError, 2, "unexpected ')' at column 2"),
    ("(x, y)", ExpressionError, 3, "unexpected ','"),
    ("x\x00", ExpressionError, 2, "U+0000"),
    ("\u0445^2", ExpressionError, 1, "U+0445 CYRILLIC SMALL LETTER HA"),
    ("x\u00a0+ y", ExpressionError, 2, "U+00A0"),
    ("x\u00b2", ExpressionError, 2, "only ASCII"),
    ("\uff58", ExpressionError, 1, "FULLWIDTH"),
    ("x^^2", ExpressionError, 3, "got '^'"),
    ("", ExpressionError, None, "empty"),
    (" \t\n", ExpressionError, None, "empty"),
    ("x" * 10_000, ExpressionError, None, f"the limit is {MAX_LENGTH}"),
    ("x +" + " " * 5000 + "y", ExpressionError, None, f"({MAX_TEXT} with them)"),
    ("(" * 1000 + "x" + ")" * 1000, ExpressionError, None, f"the limit is {MAX_LENGTH}"),
    ("(" * 400 + "x" + ")" * 400, ExpressionError, MAX_DEPTH + 1, f"the limit is {MAX_DEPTH}"),
    ("-" * 999 + "x", ExpressionError, MAX_DEPTH + 1, f"the limit is {MAX_DEPTH}"),
    ("2^" * 499 + "2", ExpressionError, 2 * MAX_DEPTH + 2, f"the limit is {MAX_DEPTH}"),
    ("sin(" * 150 + "x" + ")" * 150, ExpressionError, 4 * MAX_DEPTH + 4, "nests deeper"),
    (None, TypeError, None, "must be a str"),
    (3, TypeError, None, "must be a str"),
    (b"x", TypeError, None, "must be a str"),
    (["x"], TypeError, None, "must be a str"),
]


@pytest.mark.parametrize(("text", "error", "column", "phrase"), HOSTILE)
def test_hostile_and_broken_input(text, error, column, phrase):
    with pytest.raises(error) as raised:
        from_expression(text)
    assert type(raised.value) is error  # never a RecursionError or anything else
    assert phrase in str(raised.value)
    if error is ExpressionError:
        assert raised.value.column == column
        assert isinstance(raised.value, ValueError)
        if column is not None:
            assert f"column {column}" in str(raised.value)


def test_huge_powers_are_inf_not_a_hang():
    for text in ("9^9^9^9", "9**9**9**9", "pow(9, pow(9, pow(9, 9)))"):
        assert float(from_expression(text).f(jnp.zeros(2))) == math.inf


def test_the_deepest_allowed_nesting_works():
    # each call is one level; at the limit the function still runs under jit and grad
    sines = "sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    mixed = "1+1*sin(" * (MAX_DEPTH // 2) + "-(" * (MAX_DEPTH // 4) + "x+y"
    mixed += ")" * (MAX_DEPTH // 4 + MAX_DEPTH // 2)
    for text in (sines, mixed):
        assert len(text) <= MAX_LENGTH
        f = from_expression(text).f
        assert np.isfinite(jax.jit(jax.grad(f))(jnp.array([0.5, 0.5]))).all()
    with pytest.raises(ExpressionError, match="nests deeper"):
        from_expression("sin(" + sines + ")")


def test_the_parser_does_not_recurse():
    # built at the edge of the caller's stack: parsing, printing and compiling use loops
    deepest = "1+1*sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH

    def at_depth(n):
        return at_depth(n - 1) if n else (from_expression(deepest), normalise(deepest))

    room = sys.getrecursionlimit() - len(inspect.stack(0))
    surface, text = at_depth(room - 40)
    assert surface.formula == text and normalise(text) == text
    assert np.isfinite(jax.jit(jax.grad(surface.f))(jnp.array([0.5, 0.5]))).all()


def test_normalised_text_near_the_limits_is_accepted():
    for text in (
        "1+" * (MAX_LENGTH // 2 - 1) + "1",
        "-" * (MAX_DEPTH - 1) + "-x",
        "max(" + "x," * 497 + "y)",
    ):
        once = normalise(text)
        assert len(once) > len(text) and normalise(once) == once
        assert from_expression(once).f is from_expression(text).f


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="xy0123456789.e+-*/^(), sincoqrtpamxlgb_\x00=;'[", max_size=60))
def test_any_text_is_a_surface_or_an_expression_error(text):
    try:
        surface = from_expression(text)
    except ExpressionError as error:
        assert error.column is None or 1 <= error.column <= len(text) + 1
    else:
        assert surface.formula == normalise(surface.formula)


def test_the_source_never_runs_user_text():
    banned = re.compile(r"\b(eval|exec|compile|__import__|getattr|literal_eval|pickle)\b\s*\(?")
    for module in ("_expression.py", "_expression_parser.py"):
        source = (pathlib.Path(expression_module.__file__).parent / module).read_text()
        code = re.sub(r'""".*?"""|#.*', "", source, flags=re.DOTALL)  # docstrings, comments
        assert not banned.search(code), f"{module}: {banned.search(code).group()}"
        for call in ("eval(", "exec(", "compile(", "__import__", "getattr("):
            assert call not in source, f"{module} contains {call}"
