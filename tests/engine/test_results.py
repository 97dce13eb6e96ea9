"""What runs return: one stop-reason code for `minimize` and `fit`, reprs that summarise
(one run or a vmapped batch) instead of printing every array, and `FitResult.curves()` on
a batch of training runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.engine._stop import StopReason, converged_mask, tally
from descend.insight.diagnose import as_curve


def quad(x):
    return jnp.sum(x**2)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    return X, X @ np.array([1.0, -2.0, 0.5], np.float32)


def train(data, lr, epochs=30, tol=None):
    return ds.fit(
        ds.models.linear(3), "mse", data, ds.gd(lr), batch_size=16, epochs=epochs, tol=tol
    )


# --- one stop reason --------------------------------------------------------------------


def test_the_stop_reason_is_one_enum_exported_with_distinct_codes_and_words():
    assert ds.StopReason is StopReason and ds.engine.StopReason is StopReason
    codes = [int(r) for r in StopReason]
    assert len(set(codes)) == len(codes)
    assert len({r.text for r in StopReason}) == len(codes)  # no two reasons read alike
    assert StopReason.GRADIENT_TOL.text == "converged (gradient norm <= tol)"
    assert StopReason.DIVERGED.short == "diverged" and not StopReason.DIVERGED.converged
    assert StopReason.STALLED.converged and not StopReason.STALLED.small_gradient
    assert StopReason.PRECISION.small_gradient and StopReason.MAX_STEPS.short == "max_steps"


def test_a_stop_reason_prints_as_its_name_and_formats_as_text_or_code():
    """``print(result.stop)`` said ``3`` (an IntEnum prints its code) and ``f"{r:12s}"``
    raised ValueError; the name reads, the code is still there for who asks for a number."""
    run = ds.minimize(quad, jnp.ones(2), ds.gd(1e-4), max_steps=5)
    assert str(run.stop) == "max_steps" and f"{run.stop}" == "max_steps"
    assert f"{run.stop:>10s}|{run.stop:<10}|" == " max_steps|max_steps |"
    assert f"{run.stop:d} {run.stop:03d}" == "3 003" and int(run.stop) == 3
    assert [str(r) for r in StopReason] == [r.name.lower() for r in StopReason]
    assert repr(StopReason.DIVERGED) == "<StopReason.DIVERGED: 4>"


def test_minimize_and_fit_give_the_same_code_for_the_same_reason(data):
    run = ds.minimize(quad, jnp.ones(2), ds.gd(5.0), max_steps=100)
    trained = train(data, 50.0)
    assert run.reason == StopReason.DIVERGED and trained.reason == StopReason.DIVERGED
    assert int(run.reason) == int(trained.reason)
    assert run.stop is StopReason.DIVERGED and trained.stop is StopReason.DIVERGED
    assert run.diverged and trained.diverged and not trained.converged
    assert train(data, 1e-3, epochs=3).stop is StopReason.MAX_EPOCHS
    assert ds.minimize(quad, jnp.ones(2), ds.gd(0.1)).stop is StopReason.GRADIENT_TOL


def test_a_batch_of_reasons_is_compared_and_counted_by_member():
    batch = jax.vmap(lambda lr: ds.minimize(quad, jnp.ones(2), ds.gd(lr), max_steps=200))(
        jnp.array([0.1, 0.2, 5.0, 1e-4])
    )
    reasons = np.asarray(batch.reason)
    np.testing.assert_array_equal(reasons == StopReason.DIVERGED, [False, False, True, False])
    np.testing.assert_array_equal(converged_mask(reasons), [True, True, False, False])
    assert tally(reasons) == "converged 2/max_steps 1/diverged 1"  # ties in code order


def test_the_diagnosis_reads_the_engine_reason_not_its_words(data):
    run = as_curve(ds.minimize(quad, jnp.ones(2), ds.gd(0.1)))
    assert run.reason is StopReason.GRADIENT_TOL and run.engine_converged
    assert run.stop_reason == "converged (gradient norm <= tol)"
    stalled = as_curve(train(data, 0.03, epochs=300, tol=1e-4))  # stalled: a tolerance on the loss
    assert stalled.reason is StopReason.STALLED and not stalled.engine_converged
    assert as_curve([3.0, 2.0, 1.0]).reason is None and as_curve([3.0, 2.0]).stop_reason is None


# --- reprs ------------------------------------------------------------------------------


def test_a_result_prints_a_one_line_summary_not_its_history():
    res = ds.minimize(quad, jnp.ones(2), ds.gd(0.1))
    text = repr(res)
    assert text.startswith("Result(converged (gradient norm <= tol), steps ")
    assert f"steps {int(res.steps)}," in text and "x float32[2]" in text
    assert f"records {int(res.history.count)}" in text
    assert "\n" not in text and len(text) < 250 and "Array" not in text
    assert str(res) == text
    assert repr(res.history).startswith("History(records ")


def test_a_vmapped_result_prints_its_batch_shape_and_counts_its_reasons():
    lrs = jnp.array([0.1, 0.2, 5.0, 5.0, 1e-4])
    batch = jax.vmap(lambda lr: ds.minimize(quad, jnp.ones(2), ds.gd(lr), max_steps=200))(lrs)
    text = repr(batch)
    assert text.startswith("Result(batch=(5,), reason: converged 2/diverged 2/max_steps 1, ")
    steps = np.asarray(batch.steps)
    assert f"steps {steps.min()}..{steps.max()}," in text
    assert "x float32[5,2]" in text
    assert "\n" not in text and len(text) < 300


def test_a_repr_taken_while_tracing_says_so_instead_of_failing():
    seen = []

    def run(lr):
        res = ds.minimize(quad, jnp.ones(2), ds.gd(lr), max_steps=20)
        seen.append(repr(res))
        return res.loss

    jax.vmap(run)(jnp.array([0.1, 0.2]))
    assert seen and seen[0].startswith("Result(traced")


def test_a_result_of_shapes_prints_each_field_as_its_shape(data):
    """``jax.eval_shape`` of a run gives ShapeDtypeStruct leaves, and ``jax.tree.map(lambda a:
    a.shape, res)`` shape tuples: both printed by crashing inside the repr (a shape tuple
    read as numbers, or "0 not finite")."""
    x0 = jnp.ones(2)
    shapes = jax.eval_shape(lambda: ds.minimize(quad, x0, ds.gd(0.1), max_steps=50))
    text = repr(shapes)
    assert text.startswith("Result(x=float32[2], loss=float32[], best_x=float32[2], ")
    assert "history=History(rows=float32[51,5], count=int32[], " in text and "\n" not in text
    fit_shapes = jax.eval_shape(lambda: train(data, 0.03, epochs=20))
    text = repr(fit_shapes)
    assert text.startswith("FitResult(params=(float32[], float32[3]), ")
    assert "history=FitHistory(loss=float32[20], " in text

    res = ds.minimize(quad, x0, ds.gd(0.1), max_steps=50)
    tuples = jax.tree.map(lambda a: a.shape, res)
    assert repr(tuples).startswith("Result(x=(2,), loss=(), ")
    assert repr(tuples.history) == "History(rows=(51, 5), count=(), every=(), last=())"
    sw = ds.sweep(quad, x0, ds.gd, lr=[0.01, 0.1], max_steps=50)
    assert repr(jax.tree.map(lambda a: a.shape, sw)).startswith("Sweep(grid={'lr': (2,)}, ")


def test_a_fit_history_prints_its_arrays_shapes_not_their_values(data):
    text = repr(train(data, 0.03, epochs=20).history)
    assert text.startswith("FitHistory(loss=float32[20], val_loss=float32[20], ")
    assert text.endswith("step_loss=float32[20,4])") and "nan" not in text


def test_sweep_and_restarts_print_their_grid_and_best_then_the_results_summary():
    sw = ds.sweep(quad, jnp.ones(2), ds.gd, lr=[0.01, 0.1, 5.0], max_steps=100)
    text = repr(sw)
    assert text.startswith("Sweep(3 configurations: lr 0.01..5; results=Result(batch=(3,), ")
    assert "diverged 1" in text and len(text) < 400
    surface = ds.surfaces.get("himmelblau")
    rs = ds.restarts(surface, ds.gd(0.01), 6, max_steps=100)
    text = repr(rs)
    assert text.startswith(f"Restarts(6 starts, best run {rs.best_index} (best_loss ")
    assert "results=Result(batch=(6,), " in text and len(text) < 400


def test_a_fit_result_prints_its_reason_epochs_and_final_loss(data):
    res = train(data, 0.03, epochs=20)
    loss = res.curves()["loss"][-1]
    text = repr(res)
    assert text.startswith("FitResult(max_epochs, epochs 20, steps 80, loss ")
    assert f"loss {loss:.4g}," in text and "params (float32[], float32[3])" in text
    assert "\n" not in text


# --- curves of a batch of training runs ---------------------------------------------------


def test_curves_of_a_vmapped_fit_line_up_with_each_run_and_pad_with_nan(data):
    lrs = jnp.array([1e-3, 3e-2, 50.0])  # slow, converging, diverging
    batch = jax.vmap(lambda lr: train(data, lr, epochs=25))(lrs)
    curves = batch.curves()
    epochs = np.asarray(batch.epochs)
    assert curves["loss"].shape == (3, epochs.max())
    assert curves["step_loss"].shape == (3, epochs.max() * 4)
    for i, lr in enumerate(np.asarray(lrs)):
        solo = train(data, float(lr), epochs=25).curves()
        n = int(epochs[i])
        np.testing.assert_allclose(curves["loss"][i, :n], solo["loss"], rtol=2e-4)
        assert np.isnan(curves["loss"][i, n:]).all()  # after the run stopped
    text = repr(batch)
    assert text.startswith("FitResult(batch=(3,), reason: max_epochs 2/diverged 1, epochs ")


def test_reason_properties_of_a_vmapped_result_are_one_per_run():
    """A user reads ``stop_reason`` on a vmapped result: one value per run, not a JAX error."""
    quad = ds.surfaces.get("quadratic")
    lrs = jnp.array([0.5, 2.5, 1e-6])
    res = jax.vmap(lambda lr: ds.minimize(quad, None, ds.gd(lr), max_steps=200))(lrs)
    single = [ds.minimize(quad, None, ds.gd(float(lr)), max_steps=200) for lr in lrs]
    assert res.stop_reason.shape == (3,)
    assert list(res.stop_reason) == [r.stop_reason for r in single]
    assert list(res.short_reason) == [r.short_reason for r in single]
    assert res.converged.dtype == bool and list(res.converged) == [r.converged for r in single]
    assert list(res.diverged) == [False, True, False]
    assert list(res.stop) == [r.stop for r in single]


def test_insight_results_print_a_summary_not_their_arrays():
    """lr_find, the basin and stability maps and the doctor print each array as its dtype
    and shape, numbers to 4 digits, and count what is long."""
    surface = ds.surfaces.get("himmelblau")
    found = ds.insight.lr_find(surface)
    text = repr(found)
    assert text.startswith(f"LRFind(lrs=float64[{len(found.lrs)}], losses=float64[")
    assert f"'valley': {found.suggestion:.4g}" in text and len(text) < 400
    basins = ds.insight.basin_map(surface, ds.gd(0.01), resolution=8, max_steps=100)
    text = repr(basins)
    assert "labels=int32[8,8]" in text and "optimizer='gd(lr=0.01)'" in text
    assert "\n" not in text and len(text) < 600
    diagnosis = ds.insight.diagnose(ds.minimize(surface))
    text = repr(diagnosis)
    assert text.startswith("Diagnosis(label='converged', evidence=[")
    assert f"statistics={{{len(diagnosis.statistics)} items}}" in text and len(text) < 300


def test_a_batch_summarises_and_traced_reasons_answer_or_say_where_to_read_them():
    """summary() on a vmapped result raised "truth value of an array is ambiguous", and
    .stop_reason inside vmap a TracerArrayConversionError."""
    f = lambda x: jnp.sum((x - 1.0) ** 2)  # noqa: E731
    lrs = jnp.array([1e-1, 1e3] + [1e-2] * 11)
    res = jax.vmap(lambda lr: ds.minimize(f, jnp.zeros(2), ds.gd(lr), max_steps=500))(lrs)
    lines = res.summary().splitlines()
    assert lines[0] == "13 runs (batch (13,)): max_steps 11/converged 1/diverged 1"
    assert lines[1] == "  [0] " + res[0].summary()
    assert lines[2].startswith("  [1] diverged at step ")
    assert lines[-1] == "  ... and 3 more" and len(lines) == 12

    def flags(lr):
        r = ds.minimize(f, jnp.zeros(2), ds.gd(lr), max_steps=500)
        return r.converged, r.diverged

    converged, diverged = jax.vmap(flags)(lrs[:2])
    assert converged.tolist() == [True, False] and diverged.tolist() == [False, True]
    with pytest.raises(TypeError, match=r"read on the host.*result.reason == descend"):
        jax.vmap(lambda lr: ds.minimize(f, jnp.zeros(2), ds.gd(lr)).stop_reason)(lrs)
