"""Any value a constructor accepts works everywhere (issue 9, item 3).

Every public constructor of descend.optim / descend (enumerated from the package: every
``@recorded`` rule, transform and gradient step, every schedule in ``descend.schedules``)
is built with each kind of value for each numeric hyperparameter: Python int and float,
NumPy scalars, 0-d and n-d NumPy arrays of int, uint and float dtypes, JAX arrays and
schedules. The properties: the transform equals the one built from the Python float of the
same value; a run through ``minimize`` equals applying the transform by hand; split then
rebuild gives the same transform; and every kind of 0-d value has the same static recipe
(so no kind compiles a new program). Values that are not allowed fail at construction.
"""

import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend as ds
from descend.optim._recipe import GradientStep, hyperparameters, rebuild, split

X0 = jnp.array([1.0, -2.0, 0.5])
STEPS = 2


def objective(x):
    return 0.5 * jnp.sum(x**2) + 0.1 * jnp.sum(x**4)


# -- enumerating the public constructors ---------------------------------------------------

RECORDED = {
    name: getattr(ds, name) for name in ds.__all__ if hasattr(getattr(ds, name), "hyperparameters")
}
SCHEDULES = {
    name: fn
    for name, fn in vars(ds.schedules).items()
    if inspect.isfunction(fn) and fn.__module__ == ds.schedules.__name__ and name[0] != "_"
}
#: Public callables that build no transform or schedule from hyperparameters, and why.
NOT_CONSTRUCTORS = {
    "apply_updates": "applies updates, takes no hyperparameters",
    "global_norm": "a function of a pytree",
    "value_at": "reads a hyperparameter",
    "validate": "checks a grid (tested in test_validation.py)",
    "minimize": "the engine",
    "fit": "the engine",
    "sweep": "the engine (tested below)",
    "compare": "the engine",
    "restarts": "the engine",
    "from_library": "builds through the recorded rules; tested below with each value kind",
    "schedule_from_library": "builds through descend.schedules; tested below",
}
#: Constructors without numeric hyperparameters (covered inside a chain below).
NO_HYPERPARAMETERS = {"chain", "identity", "maximize"}
#: Constructors the engine cannot run, and why; their direct and round-trip properties
#: are still checked.
NOT_RUN_BY_ENGINE = {
    "reduce_on_plateau": "minimize does not pass loss= to update (an engine change)",
}
#: Constructors whose state cannot take per-coordinate (n-d) hyperparameters, and why.
NO_ND = {"annealing": "its accepted-count state is a scalar (descend/engine/annealing.py)"}
#: Required structural arguments by name (a new constructor with another required argument
#: makes test_every_constructor_can_be_built fail until it is given here); a required
#: numeric hyperparameter gets 0.5.
REQUIRED = {
    "steps": 5,
    "step_size": 2,
    "milestones": [2],
    "period": 2,
    "total_steps": 10,
    "schedule": ds.schedules.constant(0.5),
    "schedules": [ds.schedules.constant(0.5), ds.schedules.constant(0.25)],
    "boundaries": [2],
}


def required(fn, skip=()):
    out = {}
    for name, p in inspect.signature(fn).parameters.items():
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            if name in skip:
                continue
            if name in hyperparameters(fn):
                out[name] = 0.5
            else:
                assert name in REQUIRED, f"add a value for {fn.__name__}'s {name} to REQUIRED"
                out[name] = REQUIRED[name]
    return out


def test_every_public_callable_is_covered_or_excluded():
    for name in ds.__all__:
        obj = getattr(ds, name)
        if not inspect.isfunction(obj):
            continue  # modules, classes, types
        assert name in RECORDED or name in NOT_CONSTRUCTORS, f"classify {name}"
    assert {"gd", "adam", "clip_by_value", "annealing", "lookahead_nesterov"} <= set(RECORDED)
    assert {"cosine", "warmup", "one_cycle"} <= set(SCHEDULES)
    assert all(not hyperparameters(RECORDED[n]) for n in NO_HYPERPARAMETERS)


def test_every_constructor_can_be_built():
    for fn in [*RECORDED.values(), *SCHEDULES.values()]:
        fn(**required(fn))


# -- reference values and value kinds -------------------------------------------------------


def _valid(fn, name, value):
    try:
        fn(**{**required(fn, skip=(name,)), name: value})
    except (TypeError, ValueError):
        return False
    return True


def _values(fn, name):
    """A valid integer value (or None) and a valid non-integer value for ``fn``'s ``name``."""
    whole = next((v for v in (1, 0, 2) if _valid(fn, name, float(v))), None)
    frac = next(v for v in (0.5, 0.25, 0.75, 1.5, 0.05) if _valid(fn, name, v))
    return whole, frac


FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int8, np.int32, np.int64, np.uint8, np.uint32]


def kinds(x, *, integral, nd, schedule=True):
    """``(label, value)`` pairs: ``x`` as each kind of value (int kinds when ``integral``)."""
    out = [("float", float(x)), ("jax f32 0-d", jnp.asarray(x, jnp.float32))]
    if schedule:
        out.append(("schedule", lambda t, x=float(x): x + 0.0 * t))
    out += [(f"np.{d.__name__}", d(x)) for d in FLOATS]
    out += [(f"0-d {d.__name__}", np.array(x, d)) for d in FLOATS]
    if nd:
        out += [(f"(3,) {d.__name__}", np.full(3, x, d)) for d in FLOATS]
        out += [("(1,) float64", np.array([x])), ("jax (3,) f32", jnp.full(3, x, jnp.float32))]
    if integral:
        out += [("int", int(x)), ("jax i32 0-d", jnp.asarray(int(x), jnp.int32))]
        out += [(f"np.{d.__name__}", d(x)) for d in INTS]
        out += [(f"0-d {d.__name__}", np.array(x, d)) for d in INTS]
        if nd:
            out += [(f"(3,) {d.__name__}", np.full(3, int(x), d)) for d in INTS]
            out += [("jax (3,) i32", jnp.full(3, int(x), jnp.int32))]
    return out


def as_float(value):
    """The Python float a value stands for (its first element for an array)."""
    if callable(value):
        return float(value(0))
    return float(np.asarray(value, np.float64).reshape(-1)[0])


# -- running a transform by hand and through the engine -----------------------------------


def by_hand(opt, steps=STEPS):
    x, state = X0, opt.init(X0)
    for _ in range(steps):
        if isinstance(opt, GradientStep):
            x, state = opt.step(objective, x, state)
        else:
            loss, g = jax.value_and_grad(objective)(x)
            u, state = opt.update(g, state, x, loss=loss)
            x = ds.apply_updates(x, u)
    return np.asarray(x)


def through_engine(opt, steps=STEPS):
    res = ds.minimize(objective, X0, opt, max_steps=steps, tol=0.0, divergence=1e30)
    assert int(res.steps) == steps, res.stop_reason
    return np.asarray(res.x)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def close_compiled(a, b):
    """A compiled run against an eager one: XLA may fuse float32 arithmetic differently."""
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-5)


CASES = [
    (name, param)
    for name, fn in sorted(RECORDED.items())
    for param in hyperparameters(fn)
    if name not in NO_HYPERPARAMETERS
]
SCHEDULE_CASES = [
    (name, param) for name, fn in sorted(SCHEDULES.items()) for param in hyperparameters(fn)
]


def _check_kind(build, param, value, ref_value, engine):
    made = build(value)
    reference = build(ref_value)
    want = by_hand(reference)
    close(by_hand(made), want)  # behaves as the float of the same value
    key, leaves = split(made)
    close(by_hand(rebuild(key, leaves)), want)  # the recipe round-trips
    if np.ndim(value) == 0 and not callable(value):
        assert key == split(reference)[0]  # same static part: the same compiled program
    if engine:
        close_compiled(through_engine(made), want)  # the engine runs it as a direct application


def takes_schedule(fn, param):
    return inspect.signature(fn).parameters[param].annotation in ("HyperParam", ds.HyperParam)


def draw_kind(data, fn, param, *, nd, schedule):
    """One kind of value for ``param`` of ``fn`` (fractional kinds, and integral ones where the
    parameter takes a whole number), drawn by Hypothesis; and ``fn``'s other required args."""
    whole, frac = _values(fn, param)
    choices = kinds(frac, integral=False, nd=nd, schedule=schedule)
    if whole is not None:
        choices += kinds(whole, integral=True, nd=nd, schedule=schedule)
    _label, value = data.draw(st.sampled_from(choices), label="kind")
    return value, required(fn, skip=(param,))


@settings(max_examples=1, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("name", "param"), CASES, ids=lambda p: p)
def test_each_value_kind_of_each_rule_runs_as_the_float(name, param, data):
    fn = RECORDED[name]
    how = {"nd": name not in NO_ND, "schedule": takes_schedule(fn, param)}
    value, base = draw_kind(data, fn, param, **how)

    def build(v):
        return fn(**base, **{param: v})

    ref_value = value if callable(value) else as_float(value)
    _check_kind(build, param, value, ref_value, engine=name not in NOT_RUN_BY_ENGINE)


@settings(max_examples=1, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("name", "param"), SCHEDULE_CASES, ids=lambda p: p)
def test_each_value_kind_of_each_schedule_runs_as_the_float(name, param, data):
    """Schedules are scalar functions of the step: their arguments are 0-d values."""
    fn = SCHEDULES[name]
    value, base = draw_kind(data, fn, param, nd=False, schedule=False)
    sched, ref = fn(**base, **{param: value}), fn(**base, **{param: as_float(value)})
    t = jnp.arange(12)
    close(np.asarray(sched(t)), np.asarray(ref(t)))
    close_compiled(through_engine(ds.gd(sched)), by_hand(ds.gd(ref)))


@pytest.mark.parametrize("kind", ["np.array(1)", "np.array([1])", "jnp.int32", "np.float16"])
def test_the_reported_cases_run_in_a_chain(kind):
    value = {
        "np.array(1)": np.array(1),
        "np.array([1])": np.array([1]),
        "jnp.int32": jnp.asarray(1, jnp.int32),
        "np.float16": np.float16(1.0),
    }[kind]
    for opt in (ds.gd(value), ds.chain(ds.clip_by_value(value), ds.adam(0.1))):
        close_compiled(through_engine(opt), by_hand(opt))


# -- from_library, with each library's own argument names ---------------------------------

LIBRARY_CASES = [
    (lib, name)
    for lib, table in sorted(ds.optim._library.LIBRARIES.items())
    for name in sorted(table)
]


def _numeric_args(lib, name):
    defaults = ds.optim._library.LIBRARIES[lib][name][0]
    return sorted(
        arg
        for arg, default in defaults.items()
        if type(default) is float or arg in ("learning_rate", "lr", "clipvalue", "clipnorm")
    )


@settings(max_examples=1, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("lib", "name"), LIBRARY_CASES, ids=lambda p: p)
def test_from_library_takes_every_value_kind(lib, name, data):
    arg = data.draw(st.sampled_from(_numeric_args(lib, name)), label="argument")
    extra = {"learning_rate": 0.1} if lib == "optax" and arg != "learning_rate" else {}

    def build(v):
        return ds.from_library(lib, name, **extra, **{arg: v})

    frac = next(v for v in (0.5, 0.25, 0.05) if _ok(build, v))
    choices = kinds(frac, integral=False, nd=True, schedule=arg in ("lr", "learning_rate"))
    _label, value = data.draw(st.sampled_from(choices), label="kind")
    _check_kind(build, arg, value, value if callable(value) else frac, engine=True)


def _ok(build, value):
    try:
        build(value)
    except (TypeError, ValueError):
        return False
    return True


def test_schedule_from_library_takes_numpy_values():
    got = ds.schedule_from_library("torch", "StepLR", np.array(1), step_size=np.int64(2))
    want = ds.schedule_from_library("torch", "StepLR", 1.0, step_size=2)
    t = jnp.arange(6)
    close(np.asarray(got(t)), np.asarray(want(t)))


# -- values that are not allowed fail at construction, naming what was wrong ---------------

BAD_TYPES = [
    "0.01",
    b"1",
    1j,
    np.complex64(1),
    np.array([1j]),
    np.array([0.1], dtype=object),
    True,
    np.True_,
    np.array([True]),
    None,
    [0.1, "a"],
    {"lr": 0.1},
]
BAD_VALUES = [math.nan, math.inf, -math.inf, np.float32("nan"), np.array([0.1, np.inf])]


@pytest.mark.parametrize(("name", "param"), CASES, ids=lambda p: p)
def test_values_that_are_not_allowed_fail_at_construction(name, param):
    fn = RECORDED[name]
    base = required(fn, skip=(param,))
    for bad in BAD_TYPES:
        with pytest.raises(TypeError, match=rf"{param}: expected a number.*allowed: a real"):
            fn(**base, **{param: bad})
    for bad in BAD_VALUES:
        with pytest.raises(ValueError, match=rf"{param} must be .*finite|{param} must be"):
            fn(**base, **{param: bad})


NOT_SCHEDULES = [ds.surfaces.get("rosenbrock"), ds.losses.get("mse"), ds.gd, float, np.float32]


@pytest.mark.parametrize(("name", "param"), CASES, ids=lambda p: p)
def test_callables_that_are_not_schedules_fail_at_construction(name, param):
    """A surface, a loss, an update rule's constructor or a class is callable, but calling
    it with the step count is no schedule: each failed only inside the run."""
    fn = RECORDED[name]
    base = required(fn, skip=(param,))
    for bad in NOT_SCHEDULES:
        with pytest.raises(TypeError, match=rf"^{param}: expected a number, array or schedule"):
            fn(**base, **{param: bad})


def test_a_callable_that_is_no_schedule_is_named_with_what_a_schedule_is():
    with pytest.raises(TypeError) as err:
        ds.adam(ds.surfaces.get("rosenbrock"))
    assert str(err.value) == (
        "lr: expected a number, array or schedule; got the surface 'rosenbrock' (a function "
        "of a point), which is not a schedule: a schedule takes the step count and returns a "
        "number, such as descend.schedules.cosine(0.1, 1000) or lambda t: 0.1 / (1 + t)"
    )
    with pytest.raises(TypeError, match=r"got the update rule's constructor descend\.gd, which"):
        ds.momentum(0.1, ds.gd)
    for schedule in (ds.schedules.cosine(0.1, 100), lambda t: 0.1, jnp.cos):  # still schedules
        ds.adam(schedule)


@pytest.mark.parametrize(("name", "param"), SCHEDULE_CASES, ids=lambda p: p)
def test_schedules_reject_values_that_are_not_allowed(name, param):
    fn = SCHEDULES[name]
    base = required(fn, skip=(param,))
    for bad in ["0.1", 1j, np.array([0.1], dtype=object), True]:
        with pytest.raises(TypeError, match=rf"{param}: expected a number"):
            fn(**base, **{param: bad})
    with pytest.raises(ValueError, match=rf"{param} must be"):
        fn(**base, **{param: math.nan})


def test_the_message_names_the_parameter_the_value_and_what_is_allowed():
    with pytest.raises(TypeError) as err:
        ds.adam("0.01")
    assert str(err.value) == (
        "lr: expected a number, array or schedule; got '0.01' (str); allowed: a real "
        "number, an array of int, uint or float dtype, or a schedule (a function of the "
        "step); not a bool, complex, string or object"
    )


# -- the engine: no recompile across value kinds, vmap, sweep, fit, estimators -------------


def test_numpy_values_of_every_kind_compile_one_program(compilations):
    values = [0.1, np.float32(0.2), np.array(1), np.int64(2), jnp.asarray(0.3), np.float16(0.5)]
    ds.minimize(objective, X0, ds.adam(0.05, 0.8), max_steps=7)  # compile outside the count
    with compilations() as seen:
        for i, v in enumerate(values):
            ds.minimize(objective, X0, ds.adam(v, np.array(0.5 + 0.05 * i)), max_steps=7)
    assert seen("minimize_run") == 0


def test_vmap_over_a_jax_array_hyperparameter_runs_each_value():
    lrs = jnp.array([0.05, 0.1, 0.2])
    batched = jax.vmap(lambda lr: ds.minimize(objective, X0, ds.adam(lr), max_steps=5).x)(lrs)
    for lr, x in zip(lrs, batched, strict=True):
        close_compiled(x, by_hand(ds.adam(float(lr)), steps=5))


def test_sweep_takes_fixed_values_of_every_kind():
    ref = ds.sweep(objective, X0, ds.adam, fixed={"b1": 0.5}, lr=[0.1, 0.2], max_steps=5)
    for b1 in (np.array(0.5), np.float16(0.5), jnp.asarray(0.5), np.array([0.5, 0.5, 0.5])):
        got = ds.sweep(objective, X0, ds.adam, fixed={"b1": b1}, lr=[0.1, 0.2], max_steps=5)
        close(got.results.x, ref.results.x)


def test_fit_takes_every_value_kind():
    data = ds.data.load("iris")
    model = ds.models.softmax(data.X.shape[1], 3)
    kw = {"batch_size": 32, "epochs": 2, "seed": 0}
    ref = ds.fit(model, "softmax_cross_entropy", data, ds.adam(1.0), **kw)
    for lr in (np.array(1), np.uint8(1), jnp.asarray(1), np.float16(1.0)):
        opt = ds.chain(ds.clip_by_value(np.array([1])), ds.adam(lr))
        got = ds.fit(model, "softmax_cross_entropy", data, opt, **kw)
        plain = ds.fit(model, "softmax_cross_entropy", data, ds.chain(ds.clip_by_value(1.0),
                       ds.adam(1.0)), **kw)  # fmt: skip
        jax.tree.map(close, got.params, plain.params)
        got = ds.fit(model, "softmax_cross_entropy", data, ds.adam(lr), **kw)
        jax.tree.map(close, got.params, ref.params)


def test_estimators_take_numpy_optimizer_params():
    sk = pytest.importorskip("descend.sklearn")
    data = ds.data.load("iris")
    X, y = np.asarray(data.X, np.float32), np.asarray(data.y)
    kw = {"optimizer": "adam", "epochs": 3, "random_state": 0, "hidden_layer_sizes": (4,)}
    ref = sk.DescendClassifier(optimizer_params={"b1": 0.5, "eps": 1.0}, **kw).fit(X, y)
    for b1, eps in ((np.array(0.5), np.array(1)), (np.float16(0.5), jnp.asarray(1))):
        got = sk.DescendClassifier(optimizer_params={"b1": b1, "eps": eps}, **kw).fit(X, y)
        close(got.predict_proba(X), ref.predict_proba(X))
