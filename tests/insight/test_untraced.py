"""The functions that work on the host (they run their own vmapped program, or read results
as NumPy arrays) refuse to be traced (jax.vmap, jax.jit) with one clear TypeError, before any
work, instead of JAX's TracerArrayConversionError or ConcretizationTypeError from deep
inside."""

import importlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.insight import animate, plots

diagnosis = importlib.import_module("descend.insight.diagnose")  # the module, not the function

HIMMELBLAU = ds.surfaces.get("himmelblau")
CALLS = {
    "basin_map": lambda lr: ds.insight.basin_map(HIMMELBLAU, ds.gd(lr), resolution=4),
    "stability_map": lambda x: ds.insight.stability_map(
        HIMMELBLAU, "momentum", start=jnp.stack([x, x]), resolution=4
    ),
    "fair_race": lambda lr: ds.insight.fair_race(HIMMELBLAU, rules=(("gd", {"lr": lr}),)),
    "seed_fan": lambda lr: ds.insight.seed_fan(HIMMELBLAU, ds.gd(lr), seeds=2),
    "fit_fan": lambda lr: ds.insight.fit_fan(
        ds.models.logistic(2), "binary_cross_entropy", ds.data.moons(), ds.adam(lr), epochs=1
    ),
    # an objective that closes over the traced value: no argument shows it
    "basin_map: objective closing over it": lambda c: ds.insight.basin_map(
        lambda x: c * HIMMELBLAU(x), ds.gd(0.01), resolution=4, bounds=(-1.0, 1.0, -1.0, 1.0)
    ),
    "stability_map: objective closing over it": lambda c: ds.insight.stability_map(
        lambda x: c * HIMMELBLAU(x), "momentum", start=jnp.zeros(2), resolution=4
    ),
}
# functions that read finished results or values on the host say how in their own words
ON_THE_HOST = {
    "lr_find": lambda x: ds.insight.lr_find(HIMMELBLAU, jnp.stack([x, x])),
    # a rule or a problem that closes over the traced value: the runs come back traced
    "lr_find: rule closing over it": lambda b: ds.insight.lr_find(
        HIMMELBLAU, None, lambda lr: ds.momentum(lr, b)
    ),
    "lr_find: problem closing over it, parallel": lambda c: ds.insight.lr_find(
        lambda x: c * HIMMELBLAU(x), jnp.zeros(2), method="parallel", num_steps=8, steps_each=2
    ),
    "lr_find: model rule closing over it": lambda b: ds.insight.lr_find(
        ds.models.logistic(2),
        rule=lambda lr: ds.momentum(lr, b),
        data=ds.data.moons(),
        loss="binary_cross_entropy",
        num_steps=8,
    ),
    "diagnose": lambda lr: ds.insight.diagnose(ds.minimize(HIMMELBLAU, None, ds.gd(lr))),
    "validate": lambda lr: ds.validate(ds.adam, lr=lr),
    # the data generators draw with NumPy
    "moons": lambda noise: ds.data.moons(noise=noise),
    "spiral": lambda noise: ds.data.spiral(noise=noise),
    "linear_regression": lambda noise: ds.data.linear_regression(noise=noise),
    # a traced learning rate runs (tests/engine/test_strategies.py); traced starts cannot
    "restarts": lambda x: ds.restarts(
        HIMMELBLAU, ds.adam(0.01), 4, around=jnp.stack([x, x]), radius=1.0, max_steps=10
    ),
    # NumPy containers and statistics
    "Dataset": lambda x: ds.data.Dataset(jnp.full((4, 2), x), np.zeros(4), "regression"),
    "Standardizer.fit": lambda x: ds.data.Standardizer().fit(jnp.full((4, 2), x)),
    # (a traced array given where a Dataset goes was refused as "not a Dataset")
    "standardize": lambda x: ds.data.standardize(jnp.full((4, 2), x)),
    "Standardizer.transform": lambda x: (
        ds.data.Standardizer().fit(np.eye(2)).transform(jnp.full((4, 2), x))
    ),
    # the doctor's parts read finished curves
    "diagnose: as_curve": lambda x: diagnosis.as_curve(jnp.full(8, x)),
    "diagnose: features": lambda x: diagnosis.features(jnp.full(8, x)),
    "diagnose: curve_statistics": lambda x: diagnosis.curve_statistics(jnp.full(8, x)),
    # figures and the animation's frame helpers
    "loss_curves": lambda x: plots.loss_curves({"a": jnp.full(8, x)}),
    "race_figure": lambda x: plots.race_figure(
        HIMMELBLAU, {"gd": ds.minimize(HIMMELBLAU, jnp.stack([x, x]), max_steps=5)}
    ),
    "surface_3d": lambda x: plots.surface_3d(HIMMELBLAU, jnp.stack([x, x])[None]),
    "frame_indices": lambda x: animate.frame_indices(jnp.int32(x * 1000), 5),
    # what reads a result's numbers: on the result that jax.vmap returns, not inside it
    "Result.summary()": lambda x: ds.minimize(HIMMELBLAU, jnp.stack([x, x])).summary(),
    "History.trimmed()": lambda x: ds.minimize(HIMMELBLAU, jnp.stack([x, x])).history.trimmed(),
    "FitResult.curves()": lambda lr: ds.fit(
        ds.models.logistic(2), "binary_cross_entropy", ds.data.moons(), ds.adam(lr), epochs=2
    ).curves(),
    "Sweep.best()": lambda x: ds.sweep(HIMMELBLAU, jnp.stack([x, x]), ds.gd, lr=[0.01]).best(),
    "Restarts.found()": lambda lr: ds.restarts(HIMMELBLAU, ds.adam(lr), 4, max_steps=5).found(
        [[3.0, 2.0]]
    ),
}


@pytest.mark.parametrize("name", [*CALLS, *ON_THE_HOST])
@pytest.mark.parametrize("transform", [jax.vmap, jax.jit], ids=["vmap", "jit"])
def test_tracing_a_host_function_is_refused_in_one_message(name, transform):
    values = jnp.array([0.01, 0.02]) if transform is jax.vmap else jnp.asarray(0.01)
    how = "runs its own vmapped program" if name in CALLS else ".*"
    start = re.escape(name.split(": ")[0])
    with pytest.raises(TypeError, match=rf"^{start} {how} .*cannot run under jax\.jit, jax\.vmap"):
        transform({**CALLS, **ON_THE_HOST}[name])(values)


def test_what_computes_runs_traced_where_it_did_not():
    """Two public functions that are formulas over arrays now run under jax.vmap:
    Polyak's heavy-ball tuning (a ConcretizationTypeError in math.sqrt before), and the best
    of a set of restarts (a TracerBoolConversionError in ``best_index < 0`` before), each
    equal to its runs one by one."""
    kappas = jnp.array([4.0, 100.0])
    lr, beta, rate = jax.vmap(plots.heavy_ball_optimum)(kappas)
    for i, kappa in enumerate([4.0, 100.0]):
        want = plots.heavy_ball_optimum(kappa)
        assert np.allclose([lr[i], beta[i], rate[i]], want, rtol=1e-6)
    assert plots.heavy_ball_optimum(100.0)[2] == pytest.approx(9 / 11)  # (10 - 1)/(10 + 1)

    rates = jnp.array([0.01, 0.05])
    best = jax.vmap(lambda lr: ds.restarts(HIMMELBLAU, ds.adam(lr), 4, max_steps=50).best)(rates)
    for i, lr in enumerate([0.01, 0.05]):
        alone = ds.restarts(HIMMELBLAU, ds.adam(lr), 4, max_steps=50).best
        assert np.allclose(best.x[i], alone.x, rtol=1e-5, atol=1e-6)
        assert int(best.steps[i]) == int(alone.steps)


def test_restarts_of_an_objective_closing_over_a_traced_value_are_its_restarts_one_by_one():
    """``restarts`` of ``lambda x: c * f(x)`` under ``jax.vmap`` over ``c`` runs as one
    program (a ConcretizationTypeError in ``int(best)`` before): each scale's best is the one
    it finds alone."""
    scales = jnp.array([1.0, 3.0])

    def best(c):
        box = [(-5.0, 5.0), (-5.0, 5.0)]
        return ds.restarts(lambda x: c * HIMMELBLAU(x), ds.adam(0.05), 4, domain=box,
                           max_steps=60).best  # fmt: skip

    batched = jax.vmap(best)(scales)
    for i, c in enumerate([1.0, 3.0]):
        alone = best(c)
        assert np.allclose(batched.x[i], alone.x, rtol=1e-5, atol=1e-6)
        assert float(batched.loss[i]) == pytest.approx(float(alone.loss), rel=1e-5, abs=1e-9)


@pytest.mark.parametrize(
    ("call", "kind", "message"),
    [
        (  # a surface is built on the host: its conditioning is a number, not a tracer
            lambda: jax.vmap(lambda k: ds.surfaces.get("quadratic", kappa=k).minima)(
                jnp.array([2.0, 10.0])
            ),
            TypeError,
            r"^quadratic: kappa must be a finite number >= 1.0, a Python value, not one traced",
        ),
        (lambda: plots.heavy_ball_optimum(0.5), ValueError, r"^kappa must be a finite number >= 1"),
        (lambda: plots.heavy_ball_optimum("10"), TypeError, r"^kappa must be a real scalar"),
        (
            lambda: plots.heavy_ball_optimum(10.0, L=0.0),
            ValueError,
            r"^L must be a finite number > 0",
        ),
        (
            lambda: diagnosis.curve_statistics([1.0, 2.0]),
            ValueError,
            r"^curve_statistics: the losses must be a finite curve of at least 3 points; got 2",
        ),
        (
            lambda: diagnosis.curve_statistics([1.0, float("nan"), 2.0, 3.0]),
            ValueError,
            r"got 4 points, 1 of them NaN or infinite",
        ),
        (lambda: diagnosis.curve_statistics("abc"), TypeError, r"must be a sequence of numbers"),
        (lambda: diagnosis.curve_statistics(None), ValueError, r"must be 1-D"),
        (
            lambda: ds.insight.read_losses(3),
            TypeError,
            r"^read_log: path must be the path of a CSV",
        ),
        (
            lambda: diagnosis.read_records("abc"),
            TypeError,
            r"^read_records: records must be a dict of lists, a list of records or a pandas "
            r"DataFrame; got 'abc' \(str\)",
        ),
    ],
)
def test_hostile_values_are_named_in_one_line(call, kind, message):
    """Each of these failed in Python's or JAX's words (``unhashable type: 'BatchTracer'``,
    ``ZeroDivisionError``, ``math domain error``, ``len() of unsized object``, ``expected
    str, bytes or os.PathLike object, not int``), or, for a curve with a NaN, returned
    statistics of NaN."""
    with pytest.raises(kind, match=message) as info:
        call()
    assert "\n" not in str(info.value)
