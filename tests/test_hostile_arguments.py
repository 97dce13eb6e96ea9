"""Hostile values given to the public functions, one argument at a time: each is refused
with a ``TypeError`` or ``ValueError`` that names the argument, before any work starts.

Every row below crashed before (found by substituting None, strings, objects, functions,
huge integers and the wrong containers into each argument of each public function): an
``OverflowError`` or ``AttributeError`` from inside JAX or NumPy, a ``KeyError`` from a
model's ``apply``, or a ``TypeError`` about something the user never wrote
("unsupported format string passed to NoneType.__format__", "'int' object is not
iterable", "DynamicJaxprTracer has no attribute count")."""

import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.insight import plots
from descend.insight.animate import animate_race

SURFACE = ds.surfaces.get("himmelblau")
DATA = ds.data.linear_regression(40, 3)
MODEL = ds.models.linear(3)
BIG = 10**30


def minimize(**kw):
    return ds.minimize(**{"f": SURFACE, "x0": jnp.ones(2), "optimizer": ds.gd(0.01), **kw})


def fit(**kw):
    args = {"model": MODEL, "loss": "mse", "data": DATA, "optimizer": ds.gd(0.01), "epochs": 2}
    return ds.fit(**{**args, **kw})


def fit_fan(**kw):
    args = {"model": MODEL, "loss": "mse", "data": DATA, "optimizer": ds.gd(0.01), "seeds": 2}
    return ds.insight.fit_fan(**{**args, **kw})


def restarts(**kw):
    return ds.restarts(**{"f": SURFACE, "optimizer": ds.gd(0.01), "n": 4, **kw})


def sweep(**kw):
    return ds.sweep(**{"f": SURFACE, "x0": jnp.ones(2), "rule": ds.gd, "lr": [0.01], **kw})


def lr_find(**kw):
    return ds.insight.lr_find(SURFACE, **kw)


CASES = [
    # numbers of the engine: a huge Python int, a list, a schedule where a scalar goes
    (minimize, {"tol": BIG}, None, None),  # accepted: a number, read as the float 1e30
    (minimize, {"x0": BIG}, ValueError, r"x0 must have shape \(2,\)"),
    (minimize, {"ftol": (1, 2, 3)}, TypeError, r"^ftol must be a real scalar"),
    (minimize, {"divergence": []}, TypeError, r"^divergence must be a real scalar"),
    (fit, {"l1": ds.adam}, TypeError, r"^l1 must be a real scalar .*got <function adam"),
    (fit, {"l2": [0.1]}, TypeError, r"^l2 must be a real scalar"),
    (fit, {"tol": []}, TypeError, r"^tol must be a real scalar"),
    (fit, {"divergence": "big"}, TypeError, r"^divergence must be a real scalar"),
    (fit, {"start_step": None}, TypeError, r"^start_step must be an integer >= 0; got None"),
    (fit, {"start_step": -2}, ValueError, r"^start_step must be an integer >= 0; got -2"),
    # what a model and its state are made of
    (fit, {"model": None}, TypeError, r"^model must be a Model with init\(key\) and apply"),
    (fit, {"model": [3, 1]}, TypeError, r"^model must be a Model .*got \[3, 1\] \(list\)"),
    (fit_fan, {"model": "mlp"}, TypeError, r"^model must be a Model"),
    (fit, {"params": {}}, ValueError, r"^params must be what model.init\(key\) gives \(dict: "),
    (fit, {"params": "w"}, ValueError, r"^params must be what model.init\(key\) gives"),
    (fit, {"params": {"w": np.ones(2), "b": 0.0}}, ValueError,
     r"^params must be .* \(dict: \(float32\[\], float32\[3\]\)\); got "
     r"\(float\w+\[\], float\w+\[2\]\)"),
    (fit_fan, {"params": {}}, ValueError, r"^params must be what model.init\(key\) gives"),
    (fit, {"opt_state": -1}, ValueError, r"^opt_state must be what optimizer.init\(params\) gives"),
    (fit, {"opt_state": ds.adam().init({"w": jnp.ones(3), "b": jnp.zeros(())})}, ValueError,
     r"^opt_state must be what optimizer.init\(params\) gives \(CountState"),
    # counts, boxes and seeds of restarts
    (restarts, {"n": None}, TypeError, r"^n must be an integer >= 1; got None"),
    (restarts, {"domain": 3}, ValueError, r"^domain must be \(low, high\) pairs"),
    (restarts, {"domain": ds.adam}, TypeError, r"^domain must be \(low, high\) pairs of numbers"),
    (restarts, {"seed": ds.adam}, TypeError, r"^seed must be"),
    (restarts, {"around": "here", "radius": 1.0}, TypeError, r"^around must be real numbers"),
    # containers where a mapping or a list goes
    (sweep, {"fixed": 3}, TypeError, r"^fixed must be a dict of the rule's other arguments"),
    (sweep, {"starts": np.array(["a"])}, TypeError, r"^starts must be real numbers"),
    (lambda **kw: ds.insight.stability_map(SURFACE, "gd", **kw), {"fixed": 0.5}, TypeError,
     r"^fixed must be a dict"),
    (lambda **kw: ds.compare(SURFACE, jnp.ones(2), **kw), {"optimizers": None}, TypeError,
     r"^compare takes several optimizers, a list or a \{name: optimizer\} mapping; got None"),
    (lambda **kw: ds.compare(SURFACE, jnp.ones(2), **kw), {"optimizers": "adam"}, TypeError,
     r"^compare takes several optimizers"),
    (lambda **kw: ds.compare(SURFACE, jnp.ones(2), **kw), {"optimizers": {}}, ValueError,
     r"^compare needs at least one optimizer; got none"),
    (lambda **kw: ds.schedules.multistep(0.1, **kw), {"milestones": None}, TypeError,
     r"^milestones must be a list of integers"),
    (lambda **kw: ds.schedules.multistep(0.1, **kw), {"milestones": "ab"}, TypeError,
     r"^milestones must be a list of integers"),
    (lambda **kw: ds.schedules.multistep(0.1, **kw), {"milestones": [10, 2.5]}, TypeError,
     r"^milestones\[1\] must be an integer >= 1; got 2.5"),
    (lambda **kw: ds.schedules.join([ds.schedules.constant(1.0)] * 2, **kw), {"boundaries": None},
     TypeError, r"^boundaries must be a list of integers"),
    (lambda **kw: ds.schedules.join(boundaries=[5], **kw), {"schedules": 3}, TypeError,
     r"^join: schedules must be a list of schedules"),
    # the range test's numbers
    (lr_find, {"beta": [0.9]}, TypeError, r"^beta must be a real scalar"),
    (lr_find, {"stop_factor": ds.adam}, TypeError, r"^stop_factor must be a real scalar"),
    (lr_find, {"x0": BIG}, ValueError, r"x0 must have shape \(2,\)"),
    # the fan's noise, whose square is the variance
    (lambda **kw: ds.insight.seed_fan(SURFACE, ds.gd(0.01), **kw), {"noise": 1e308}, ValueError,
     r"^noise must be a finite number >= 0.0 and <= 1e\+150; got 1e\+308"),
    # metrics, data and logs
    (lambda **kw: ds.metrics.accuracy(y=[1], **kw), {"outputs": -1}, ValueError,
     r"^accuracy: outputs must have shape \(n,\) or \(n, k\)"),
    (lambda **kw: ds.metrics.r2(y=[1.0], **kw), {"outputs": np.array(["a"])}, TypeError,
     r"^r2: outputs must be real numbers"),
    (lambda **kw: ds.data.blobs(**kw), {"n_samples": BIG}, ValueError,
     r"^blobs: 1,000,.* samples of 2 features would need .* GiB"),
    (lambda **kw: ds.data.blobs(n_samples=10, **kw), {"n_features": 10**12}, ValueError,
     r"^blobs: 10 samples of 1,000,000,000,000 features would need"),
    (lambda **kw: ds.insight.read_losses("x.csv", **kw), {"column": 0}, TypeError,
     r"^column must be the name of a column of the log \(a string\) or None; got 0"),
]  # fmt: skip


RUN = {"gd": ds.minimize(SURFACE, None, ds.gd(0.01), max_steps=20)}
BASINS = ds.insight.basin_map(SURFACE, ds.gd(0.01), resolution=4, max_steps=5)

# the figures and the animation
CASES += [
    (lambda **kw: plots.race_figure(SURFACE, RUN, **kw), {"labels": 3}, TypeError,
     r"^labels must be a dict of legend texts by run name"),
    (lambda **kw: plots.lr_sensitivity(SURFACE, lrs=[0.01], **kw), {"rules": "gd"}, TypeError,
     r"^rules must be a dict of update rules by name"),
    (lambda **kw: plots.basin_figure(BASINS, **kw), {"surface": "himmelblau"}, ValueError,
     r"^surface must be a 2-D Surface"),
    (lambda **kw: plots.surface_3d(SURFACE, **kw), {"run": []}, ValueError,
     r"^run: the path must have shape \(n, 2\) with n >= 1; got \(0,\)"),
    (lambda **kw: plots.race_figure(SURFACE, **kw), {"runs": {"a": [[1.0, 2.0, 3.0]]}},
     ValueError, r"^runs\['a'\]: the path must have shape \(n, 2\)"),
    (lambda **kw: plots.gradient_field(SURFACE, **kw), {"density": "dense"}, TypeError,
     r"^density must be an integer >= 2; got 'dense'"),
    (lambda **kw: plots.gradient_field(SURFACE, **kw), {"density": float("inf")}, TypeError,
     r"^density must be an integer >= 2; got inf"),
    (lambda **kw: plots.momentum_map(**kw), {"steps": float("inf")}, TypeError,
     r"^steps must be an integer >= 1"),
    (lambda **kw: plots.flavours_figure(**kw), {"seed": ds.adam}, TypeError, r"^seed must be"),
    (lambda **kw: plots.flavours_figure(**kw), {"lr": lambda t: 0.1}, TypeError,
     r"^lr must be a real scalar"),
    (lambda **kw: animate_race(SURFACE, path="r.gif", **kw), {"runs": "gd"}, TypeError,
     r"^runs\['run'\] must be a descend Result with a recorded path"),
    (lambda **kw: animate_race(SURFACE, RUN, path="r.gif", **kw), {"frames": "all"}, TypeError,
     r"^frames must be an integer >= 1; got 'all'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "kwargs", "error", "message"),
    CASES,
    ids=[f"{i}-{next(iter(kw))}" for i, (_, kw, _, _) in enumerate(CASES)],
)
def test_a_hostile_argument_is_refused_by_name(call, kwargs, error, message):
    if error is None:
        call(**kwargs, max_steps=5)
        return
    with pytest.raises(error, match=message):
        call(**kwargs)


@pytest.mark.parametrize("name", ds.losses.names())
def test_a_loss_names_itself_and_the_argument_that_is_not_numbers(name):
    """A string array given to a loss failed in JAX ("Error interpreting argument to stage as
    a JAX value"), and a huge Python int overflowed int32 inside it."""
    loss = ds.losses.get(name)
    with pytest.raises(TypeError, match=rf"^{name}: pred must be real numbers"):
        loss(np.array(["a", "b"]), jnp.zeros(2))
    with pytest.raises(TypeError, match=rf"^{name}: target must be real numbers"):
        loss(jnp.zeros(2), ["x", "y"])


@pytest.mark.parametrize(
    ("call", "name", "closest"),
    [
        (lambda: ds.restarts(ds.surfaces.get("rosenbrock"), ds.adam(), 4, domian=[(0, 1)] * 2),
         "restarts", "domain"),
        (lambda: ds.restarts(ds.surfaces.get("rosenbrock"), ds.adam(), 4, max_step=10),
         "restarts", "max_steps"),
        (lambda: ds.restarts(ds.surfaces.get("rosenbrock"), ds.adam(), 4, bounds=(0, 1)),
         "restarts", None),
        (lambda: ds.compare(ds.surfaces.get("booth"), None, [ds.gd(0.01)], tolerance=1e-3),
         "compare", "tol"),
        (lambda: ds.insight.fit_fan(ds.models.linear(2), "mse", (np.ones((4, 2)), np.ones(4)),
                                    ds.gd(0.1), epoch=3), "fit_fan", "epochs"),
        (lambda: ds.sweep(ds.surfaces.get("booth"), None, ds.adam, lr=[0.1], max_step=10),
         "sweep", "max_steps"),
        (lambda: ds.sweep(ds.surfaces.get("booth"), None, ds.adam, lrs=[0.1, 0.2]),
         "sweep", "lr"),
    ],
)  # fmt: skip
def test_an_option_passed_on_to_minimize_that_it_does_not_take_is_named_by_its_caller(
    call, name, closest
):
    """restarts and compare pass their options on to minimize; a name minimize does not take
    was refused in minimize's words (``minimize() got an unexpected keyword argument``), a
    function the user never called."""
    with pytest.raises(TypeError) as err:
        call()
    text = str(err.value)
    assert text.startswith(f"{name}: unknown option"), text
    assert "minimize()" not in text and "allowed:" not in text
    assert ("max_steps, maximize, patience" if name != "fit_fan" else "l1, l2, n_iter") in text
    if name == "sweep":  # what the grid may name: the rule's hyperparameters
        assert "the hyperparameters of adam are lr, b1, b2, eps" in text
    if closest is None:
        assert "did you mean" not in text
    else:
        assert f"(did you mean {closest}?)" in text


def test_a_misspelt_parameter_of_a_loss_a_surface_or_a_study_key_names_the_closest():
    """The registries and the study's spec list what is allowed; a misspelt name now also
    gets the closest allowed one (the same hint as the options of restarts and sweep)."""
    with pytest.raises(TypeError, match=r"'deltaa' \(did you mean delta\?\); allowed: delta$"):
        ds.losses.get("huber", deltaa=1.0)
    with pytest.raises(TypeError, match=r"'kapa' \(did you mean kappa\?\); allowed: kappa"):
        ds.surfaces.get("quadratic", kapa=3.0)
    with pytest.raises(TypeError, match=r"'zzz'; allowed: kappa"):  # nothing close: no guess
        ds.surfaces.get("quadratic", zzz=3.0)
    from descend.study._fields import _keys

    with pytest.raises(ValueError, match=r"^stepz: unknown key \(did you mean steps\?\); allowed"):
        _keys("", {"stepz": 3}, ["name", "steps", "seeds"])
