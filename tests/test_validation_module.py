"""The one validation module: each check passes and normalises a good value, raises TypeError
for a value of the wrong type and ValueError for one out of range, naming the parameter, the
value and what is allowed; and every layer answers the same bad value with the same error."""

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend import _validation as check
from descend.problems import data, losses, models, surfaces

# ---------------------------------------------------------------------------------------------
# Each check: good values, normalised


def test_real_returns_a_python_float_for_every_real_scalar():
    for value in (1, 1.5, np.float32(1.5), np.int64(2), jnp.asarray(0.25), np.array(3.0)):
        out = check.real("p", value, 0.0)
        assert type(out) is float and out == float(value)


def test_real_leaves_a_traced_value_to_the_caller():
    assert jax.jit(lambda v: check.real("p", v, 0.0) * 2)(-1.0) == -2.0


def test_integer_accepts_python_and_numpy_integers():
    for value in (3, np.int32(3), np.uint8(3)):
        out = check.integer("n", value, 1, 5)
        assert type(out) is int and out == 3


def test_boolean_accepts_python_and_numpy_bools():
    assert check.boolean("b", np.bool_(True)) is True
    assert check.boolean("b", False) is False
    assert check.boolean("b", None, none=True) is None


def test_choice_returns_the_value():
    assert check.choice("mode", "rel", ("rel", "abs")) == "rel"
    assert check.choice("max_of", None, (None, "raw")) is None


def test_registry_key_normalises_case_dashes_spaces_and_aliases():
    valid = ("six_hump_camel", "binary_cross_entropy")
    assert check.normalise("  Six-Hump Camel ") == "six_hump_camel"
    assert check.registry_key("surface", "Six-Hump-Camel", valid) == "six_hump_camel"
    aliases = {"bce": "binary_cross_entropy"}
    assert check.registry_key("loss", "BCE", valid, aliases=aliases) == "binary_cross_entropy"


def test_as_float_makes_integers_and_bools_floating_and_keeps_float_dtypes():
    assert jnp.issubdtype(check.as_float([1, 2]).dtype, jnp.floating)
    assert jnp.issubdtype(check.as_float(True).dtype, jnp.floating)
    assert check.as_float(jnp.ones(2, jnp.bfloat16)).dtype == jnp.bfloat16


def test_number_gives_floats_and_float64_arrays_and_passes_schedules():
    assert check.number("lr", np.array(1)) == 1.0 and type(check.number("lr", 1)) is float
    grid = check.number("lr", [1, 2])
    assert grid.dtype == np.float64 and grid.tolist() == [1.0, 2.0]
    schedule = ds.schedules.constant(0.1)
    assert check.number("lr", schedule) is schedule


# ---------------------------------------------------------------------------------------------
# Each check: wrong type -> TypeError, out of range -> ValueError; the message names all three

WRONG_TYPE = [
    (lambda: check.real("huber: delta", "1", 0.0), "huber: delta", "'1'", "a finite number"),
    (lambda: check.real("p", True), "p", "True", "a real scalar"),
    (lambda: check.real("p", np.ones(2)), "p", "array", "a real scalar"),
    (lambda: check.real("p", 1j), "p", "1j", "a real scalar"),
    (lambda: check.integer("n", 2.0, 1), "n", "2.0", "an integer >= 1"),
    (lambda: check.integer("n", True, 1), "n", "True", "an integer >= 1"),
    (lambda: check.integer("n", "3", 1), "n", "'3'", "an integer >= 1"),
    (lambda: check.positive_int("steps", 1.5), "steps", "1.5", "an integer >= 1"),
    (lambda: check.boolean("flag", 1), "flag", "1", "True or False"),
    (lambda: check.boolean("flag", "yes", none=True), "flag", "'yes'", "True, False or None"),
    (lambda: check.choice("mode", 3, ("rel", "abs")), "mode", "3", "one of 'rel', 'abs'"),
    (lambda: check.registry_key("surface", 3, ("a", "b")), "surface name", "3", "one of a, b"),
    (lambda: check.nonnegative("lr", "fast"), "lr", "'fast'", "a real number"),
    (lambda: check.number("lr", None), "lr", "None", "a real number"),
]

OUT_OF_RANGE = [
    (lambda: check.real("p", -1.0, 0.0), "p", "-1.0", "a finite number >= 0.0"),
    (lambda: check.real("p", 0.0, 0.0, open_low=True), "p", "0.0", "a finite number > 0.0"),
    (lambda: check.real("p", 2.0, 0.0, 1.0), "p", "2.0", ">= 0.0 and <= 1.0"),
    (lambda: check.real("f", 1, 0, 1, open_low=True, open_high=True), "f", "1", "in (0, 1)"),
    (lambda: check.real("p", math.nan), "p", "nan", "a finite number"),
    (lambda: check.real("p", np.float32(math.inf)), "p", "inf", "a finite number"),
    (lambda: check.integer("n", 0, 1), "n", "0", "an integer >= 1"),
    (lambda: check.integer("n", 6, 1, 5), "n", "6", "an integer in [1, 5]"),
    (lambda: check.nonnegative_int("seed", -1), "seed", "-1", "an integer >= 0"),
    (lambda: check.choice("mode", "max", ("rel", "abs")), "mode", "'max'", "one of 'rel', 'abs'"),
    (lambda: check.choice("k", 3, (1, 2)), "k", "3", "one of 1, 2"),
    (lambda: check.registry_key("loss", "l2", ("mse",)), "unknown loss", "'l2'", "mse"),
    (lambda: check.positive("eps", 0.0), "eps", "0.0", "a finite number > 0"),
    (lambda: check.fraction("b1", 1.0), "b1", "1.0", "a number in [0, 1)"),
    (lambda: check.in_range("factor", 1.0, 0.0, 1.0), "factor", "1.0", "(0.0, 1.0)"),
]


def _raises(error, build, name, value, allowed):
    with pytest.raises(error) as info:
        build()
    text = str(info.value)
    for part in (name, value, allowed):
        assert part in text, (part, text)
    assert type(info.value) is error  # not a subclass standing in for the other


@pytest.mark.parametrize(("build", "name", "value", "allowed"), WRONG_TYPE)
def test_a_value_of_the_wrong_type_is_a_type_error(build, name, value, allowed):
    _raises(TypeError, build, name, value, allowed)


@pytest.mark.parametrize(("build", "name", "value", "allowed"), OUT_OF_RANGE)
def test_a_value_out_of_range_is_a_value_error(build, name, value, allowed):
    _raises(ValueError, build, name, value, allowed)


def test_arrays_are_checked_element_by_element_and_name_the_bad_entries():
    with pytest.raises(ValueError, match=re.escape("lr must be a finite number >= 0; got")):
        check.nonnegative("lr", np.array([0.1, -1.0, math.nan]))
    out = check.nonnegative("lr", [0.1, 0.2])
    assert isinstance(out, np.ndarray) and out.tolist() == [0.1, 0.2]


def test_validate_is_still_public_in_descend_and_descend_optim():
    assert ds.validate is ds.optim.validate is check.validate
    assert ds.validate(ds.gd, lr=[0.1, 0.2])["lr"].tolist() == [0.1, 0.2]


# ---------------------------------------------------------------------------------------------
# Every layer: the same bad value gives the same error type


def _run(max_steps):
    return ds.minimize(lambda x: jnp.sum(x**2), jnp.ones(2), ds.gd(0.1), max_steps=max_steps)


# (what is wrong, the error every layer must give, {layer: a call with that bad value})
ACROSS_LAYERS = [
    ("1 where True/False goes", TypeError, {
        "optimizer": lambda: ds.adagrad(0.1, eps_in_sqrt=1),
        "loss": lambda: losses.binary_cross_entropy(from_logits=1),
        "surface": lambda: surfaces.get("quadratic", rotate=1),
        "data": lambda: data.split(data.moons(n_samples=20), stratify=1),
    }),
    ("a float where an integer goes", TypeError, {
        "optimizer": lambda: ds.schedules.cosine(0.1, steps=10.0),
        "surface": lambda: surfaces.get("rastrigin", dim=2.0),
        "data": lambda: data.moons(n_samples=20.0),
        "model": lambda: models.linear(2.0),
        "engine": lambda: _run(10.0),
    }),
    ("a string where a number goes", TypeError, {
        "optimizer": lambda: ds.adam(lr="0.1"),
        "loss": lambda: losses.huber("1"),
        "surface": lambda: surfaces.get("quadratic", kappa="10"),
        "data": lambda: data.moons(noise="0.1"),
        "model": lambda: models.sigmoid_neuron(start=("1", "2")),
    }),
    ("a number out of range", ValueError, {
        "optimizer": lambda: ds.adam(lr=-1.0),
        "loss": lambda: losses.huber(-1.0),
        "surface": lambda: surfaces.get("quadratic", kappa=0.5),
        "data": lambda: data.moons(noise=-0.1),
        "model": lambda: models.linear(0),
        "engine": lambda: _run(0),
    }),
    ("an unknown name", ValueError, {
        "surface": lambda: surfaces.get("rosenbrok"),
        "loss": lambda: losses.get("l2"),
        "data": lambda: data.load("mnist"),
        "model": lambda: models.mlp([2, 1], activation="gelu"),
    }),
    ("a number where a name goes", TypeError, {
        "surface": lambda: surfaces.get(3),
        "data": lambda: data.load(3),
        "model": lambda: models.mlp([2, 1], activation=3),
    }),
]  # fmt: skip


@pytest.mark.parametrize(("wrong", "error", "calls"), ACROSS_LAYERS, ids=lambda p: str(p)[:30])
def test_the_same_bad_value_gives_the_same_error_in_every_layer(wrong, error, calls):
    got = {}
    for layer, build in calls.items():
        with pytest.raises((TypeError, ValueError)) as info:
            build()
        got[layer] = type(info.value)
    assert got == dict.fromkeys(calls, error), wrong


def test_the_estimators_keep_the_rule_for_what_scikit_learn_does_not_check():
    sklearn_estimators = pytest.importorskip("descend.sklearn")
    X, y = np.ones((6, 2)), np.arange(6.0)
    cases = [
        ({"hidden_layer_sizes": (4.5,)}, TypeError),
        ({"hidden_layer_sizes": (4, 0)}, ValueError),
        ({"optimizer_params": {"b1": "0.9"}}, TypeError),
        ({"optimizer_params": {"b1": 2.0}}, ValueError),
    ]
    for params, error in cases:
        reg = sklearn_estimators.DescendRegressor(model="mlp", epochs=1, **params)
        with pytest.raises(error) as info:
            reg.fit(X, y)
        assert type(info.value) is error and next(iter(params)) in str(info.value)


def test_counts_and_seeds_fit_a_32_bit_counter():
    """Compiled programs count steps and epochs, and hold seeds, in 32-bit integers: a larger
    value is refused by name, before JAX's OverflowError from inside a call."""
    assert check.positive_int("max_steps", 2**31 - 1) == 2**31 - 1
    for build in (check.positive_int, check.nonnegative_int):
        with pytest.raises(ValueError, match=r"^n must be at most 2,147,483,647 in size"):
            build("n", 2**31)
    f = ds.surfaces.get("booth")
    with pytest.raises(ValueError, match="max_steps must be at most 2,147,483,647"):
        ds.minimize(f, None, ds.gd(0.01), max_steps=3 * 10**9)
    iris = data.load("iris")
    with pytest.raises(ValueError, match="seed must be at most 2,147,483,647"):
        ds.fit(models.softmax(4, 3), "softmax_cross_entropy", iris, ds.adam(), seed=2**40)
    with pytest.raises(ValueError, match="epochs x steps per epoch must be at most"):
        ds.fit(models.softmax(4, 3), "softmax_cross_entropy", iris, ds.adam(), batch_size=1,
               epochs=2**30)  # fmt: skip


def test_what_cannot_fit_in_memory_is_refused_before_it_is_allocated(monkeypatch):
    monkeypatch.setattr(check, "memory_bytes", lambda: 2**30)  # a 1 GiB machine
    check.fits_in_memory("a small thing", 2**28, "never mind")
    whole = r"^a big thing would need 1\.0 GiB, more than half of this machine's memory; do less$"
    with pytest.raises(ValueError, match=whole):
        check.fits_in_memory("a big thing", 2**30, "do less")
    f = ds.surfaces.get("booth")
    with pytest.raises(ValueError, match=r"^100,000 restarts would need [0-9.]+ GiB"):
        ds.restarts(f, ds.adam(), 100_000)
    with pytest.raises(ValueError, match=r"^a range test of 10,000,000 steps would need"):
        ds.insight.lr_find(f, num_steps=10_000_000)
    iris = data.load("iris")
    with pytest.raises(ValueError, match=r"^the history of 10,000,000 epochs of 150 steps"):
        ds.fit(models.softmax(4, 3), "softmax_cross_entropy", iris, ds.adam(), batch_size=1,
               epochs=10_000_000)  # fmt: skip


def test_values_that_a_compiled_run_would_silently_change_are_refused():
    """Inside the compiled run a label of 0.5 would be truncated to class 0 and a complex
    start would lose its imaginary part: both are refused up front."""
    X = np.zeros((4, 2), np.float32)
    model = models.softmax(2, 3)
    with pytest.raises(ValueError, match=r"^data: softmax_cross_entropy: labels must be whole"):
        ds.fit(model, "softmax_cross_entropy", (X, np.array([0.5, 1, 2, 0])), ds.gd(0.1))
    with pytest.raises(ValueError, match=r"^validation: softmax_cross_entropy: labels must be"):
        ds.fit(model, "softmax_cross_entropy", (X, np.array([0, 1, 2, 0])), ds.gd(0.1),
               validation=(X, np.array([0, 1, 2, 7])))  # fmt: skip
    with pytest.raises(TypeError, match="x0 must be real numbers; got complex ones"):
        ds.minimize(lambda x: jnp.sum(x**2), jnp.array([1 + 1j]))
    with pytest.raises(ValueError, match="the number of runs must be at most 2,147,483,647"):
        grid = list(np.linspace(1e-3, 1e-1, 100_000))
        ds.sweep(
            ds.surfaces.get("booth"), None, ds.adam, lr=grid, b1=list(np.linspace(0, 0.9, 100_000))
        )


NOT_REAL = [
    ("xy", TypeError, r"got 'xy' \(str\)"),
    (None, TypeError, r"got None \(NoneType\)"),
    ([1, "a"], TypeError, r"got \[1, 'a'\] \(list\)"),
    ({"a": 1}, TypeError, r"\(dict\)"),
    ([[1, 2], [3]], ValueError, "its nested lists all of one length"),
    (np.array([1 + 1j, 2]), TypeError, "got complex ones"),
]


@pytest.mark.parametrize(("x", "error", "message"), NOT_REAL, ids=lambda v: repr(v)[:20])
def test_a_point_that_is_not_real_numbers_is_named_at_every_door(x, error, message):
    """A surface called on it, minimize started from it on a surface and distance_to_minimum:
    one error naming the argument and what is allowed, not JAX's or NumPy's own."""
    s = ds.surfaces.get("rosenbrock")
    doors = {
        "surface 'rosenbrock': x": lambda: s(x),
        "distance_to_minimum: x": lambda: s.distance_to_minimum(x),
    }
    if x is not None:  # minimize(surface, None) starts from the surface's own start
        doors["x0"] = lambda: ds.minimize(s, x, max_steps=2)
    for name, call in doors.items():
        with pytest.raises(error, match=message) as caught:
            call()
        assert str(caught.value).startswith(name), (name, caught.value)
    if isinstance(x, str):  # a function of a pytree: a string leaf is named by its path
        with pytest.raises(TypeError, match=r"^x0\['a'\] must be real numbers"):
            ds.minimize(lambda p: jnp.sum(p["a"] ** 2), {"a": x}, max_steps=2)


def test_real_points_of_every_form_still_pass():
    s = ds.surfaces.get("rosenbrock")
    for x in ([1, 1], (1.0, 1.0), np.array([1, 1]), jnp.array([1.0, 1.0]), [True, True]):
        assert float(s(x)) == 0.0
    assert float(jax.jit(lambda p: s([p[0], p[1]]))(jnp.ones(2))) == 0.0  # traced list
    assert jax.vmap(s)(jnp.ones((3, 2))).shape == (3,)
    np.testing.assert_allclose(jax.grad(s)(jnp.array([1.0, 1.0])), [0.0, 0.0])
    tree = ds.minimize(lambda p: jnp.sum(p["a"] ** 2), {"a": np.array([1, 2])}, ds.gd(0.1))
    assert tree.converged


# ---------------------------------------------------------------------------------------------
# Arguments given in another order are named by what they look like, at every door


@pytest.mark.parametrize(
    ("call", "message"),
    [(lambda s: ds.restarts(s, 8, ds.adam(0.1)),
      r"^restarts: the n given is an optimizer; the arguments go restarts\(f, optimizer, n\), "
      r"or name it: optimizer=\.\.\.$"),
     (lambda s: ds.insight.lr_find(s, ds.adam),
      r"^lr_find: the x0 given is an update rule's constructor; .* name it: rule=\.\.\.$"),
     (lambda s: ds.sweep(s, ds.adam, jnp.ones(2), lr=[0.1]),
      r"^sweep: the x0 given is an update rule's constructor; the arguments go sweep\(f, x0, "),
     (lambda s: ds.insight.basin_map(ds.gd(0.1), s),
      r"^basin_map: the surface given is an optimizer"),
     (lambda s: ds.insight.seed_fan(ds.gd(0.1), s),
      r"^seed_fan: the surface given is an optimizer"),
     (lambda s: ds.insight.stability_map(ds.gd, s),
      r"^stability_map: the surface given is an update rule's constructor")],
)  # fmt: skip
def test_arguments_in_another_order_are_named_at_every_door(call, message):
    """``lr_find(surface, descend.adam)`` said "x0 must be real numbers; got <function adam>",
    and ``restarts(surface, 8, adam(0.1))`` "unsupported format string passed to
    _RecordedTransform.__format__"."""
    with pytest.raises(TypeError, match=message):
        call(surfaces.get("himmelblau"))


def test_a_function_is_not_taken_for_a_rule_and_the_right_order_runs():
    assert check._looks_like(lambda x: x) is None and check._looks_like(ds.adam) == "rule"
    check.in_order("sweep", f=lambda x: x, x0=None, rule=ds.adam)  # passes


def test_a_long_hostile_value_is_shown_cut_so_the_message_stays_a_line():
    """A 10,000-character string given as a number, a name or a study field came back in
    full in the message."""
    long = "x" * 10_000
    spec = {"name": "s", "seeds": 1, "problem": {"surface": "booth"},
            "optimizers": [{"rule": "gd", "grid": {"lr": [0.1]}}]}  # fmt: skip
    calls = [
        lambda: ds.adam(long),
        lambda: ds.minimize(surfaces.get("booth"), None, ds.gd(0.1), max_steps=long),
        lambda: ds.optim.registry.get(long),
        lambda: surfaces.get(long),
        lambda: ds.Study(**spec, steps=long),
        lambda: ds.Study(**{**spec, "problem": {"surface": long}}, steps=10),
    ]
    for call in calls:
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        text = str(info.value)
        assert "xxx..." in text and len(text) < 800 and "\n" not in text, text[:200]
    assert check.shown(long) == repr(long)[:77] + "..." and check.shown(0.5) == "0.5"
