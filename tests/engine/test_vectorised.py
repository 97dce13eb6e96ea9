"""Vectorised runs: linear in steps with history on, each run still its own, history bounded.

The regression check inspects the program instead of timing it: ``jax.vmap`` of a loop whose
predicate differs between runs selects its whole carry on every iteration, so a history of
``S`` rows in that carry makes the run quadratic in ``S``. The check finds such a select.
"""

import gc
import importlib
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import descend as ds
from descend.engine._batching import any_running, keep_if


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


X0 = jnp.array([-1.2, 1.0])
minimize_module = importlib.import_module("descend.engine._minimize")


def _selects_in_loops(jaxpr, rows: int) -> list[tuple[int, ...]]:
    """Shapes of the history-sized arrays carried by a loop whose predicate is batched.

    A ``while`` whose condition returns one flag per run is lowered as "while any run is
    running", with a select of every carried array between its old and new value on each
    iteration; an array of ``rows`` rows in that carry is copied on every step."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "while":
            predicate = eqn.params["cond_jaxpr"].out_avals[0]
            if predicate.shape != ():
                carried = [tuple(v.aval.shape) for v in eqn.outvars]
                found += [shape for shape in carried if rows in shape]
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", None)
                if inner is not None:
                    found += _selects_in_loops(getattr(inner, "jaxpr", inner), rows)
    return found


def test_the_detector_finds_the_quadratic_pattern():
    """A plain while_loop with a per-run predicate and a history buffer: vmap selects the
    buffer on every iteration, and the detector must see it (so the next test can fail)."""
    rows = 97

    def naive(lr):
        def body(c):
            t, x, buf = c
            x = x - lr * x
            return t + 1, x, buf.at[t].set(x)

        start = (0, jnp.float32(1.0), jnp.zeros(rows))
        return jax.lax.while_loop(lambda c: (c[0] < rows) & (c[1] > 1e-3), body, start)

    jaxpr = jax.make_jaxpr(jax.vmap(naive))(jnp.ones(4) * 0.1)
    assert _selects_in_loops(jaxpr.jaxpr, rows)


@pytest.mark.parametrize("options", [{}, {"max_records": 65}, {"progress": False, "ftol": 1e-9}])
def test_vmapped_minimize_with_default_history_selects_no_history_buffer(options):
    steps = 777  # 778 history rows, a size no other array of the run has
    rows = minimize_module.record_capacity(steps, 1, options.get("max_records", 4097))

    def run(lr):
        return ds.minimize(rosenbrock, X0, ds.adam(lr), max_steps=steps, **options)

    jaxpr = jax.make_jaxpr(jax.vmap(run))(jnp.logspace(-3, -1, 8))
    assert _selects_in_loops(jaxpr.jaxpr, rows) == []


def _assert_same_run(batched, solo):
    """Same steps, stop and history (in float64, where a vmapped program and a single one
    differ only by rounding of the order of 1e-13)."""
    assert int(batched.steps) == int(solo.steps)
    assert batched.stop_reason == solo.stop_reason
    np.testing.assert_allclose(batched.x, solo.x, rtol=1e-9)
    a, b = batched.history.trimmed(), solo.history.trimmed()
    np.testing.assert_array_equal(a["step"], b["step"])
    for key in ("loss", "grad_norm", "lr", "path"):
        np.testing.assert_allclose(a[key], b[key], rtol=1e-9, atol=1e-12)


def bowl(x):
    return 0.5 * (x[0] ** 2 + 10 * x[1] ** 2) + 0.1 * x[0] ** 4


@pytest.mark.parametrize("max_records", [4097, 33])
def test_each_vmapped_run_stops_at_its_own_step_with_its_own_history(max_records, x64):
    """Rates that diverge, converge early and run out of steps, in one batch: each run's
    result and history equal the same run alone (thinned alike when the rows run out)."""
    lrs = jnp.array([0.25, 0.05, 1e-4])  # above 2/L = 0.2, well below it, far below it
    x0 = jnp.array([1.0, 1.0], jnp.float64)
    options = {"max_steps": 600, "tol": 1e-3, "max_records": max_records}
    batch = jax.jit(jax.vmap(lambda lr: ds.minimize(bowl, x0, ds.gd(lr), **options)))(lrs)
    reasons = []
    for i, lr in enumerate(np.asarray(lrs)):
        solo = ds.minimize(bowl, x0, ds.gd(float(lr)), **options)
        _assert_same_run(batch[i], solo)
        reasons.append(solo.short_reason)
    assert reasons == ["diverged", "converged", "max_steps"]  # the batch mixes every ending


@pytest.mark.parametrize(
    ("name", "values", "lr", "fired"),
    [("tol", [1e-3, 0.0], 0.05, "converged"), ("ftol", [1e-6, 0.0], 1e-8, "stalled")],
)  # with lr=1e-8 the loss changes by about 2e-7 of itself a step: below ftol=1e-6
def test_the_stop_thresholds_vmap_and_each_run_keeps_its_own(name, values, lr, fired, x64):
    """tol and ftol are numbers a run reads, as the learning rate is: vmapped over, each run
    is the same run alone (a traced threshold failed with 'unhashable type: BatchTracer')."""
    x0 = jnp.array([1.0, 1.0], jnp.float64)
    options = {"max_steps": 600} | ({"tol": 0.0} if name == "ftol" else {})
    batch = jax.vmap(lambda v: ds.minimize(bowl, x0, ds.gd(lr), **options, **{name: v}))(
        jnp.array(values)
    )
    reasons = []
    for i, v in enumerate(values):
        solo = ds.minimize(bowl, x0, ds.gd(lr), **options, **{name: v})
        _assert_same_run(batch[i], solo)
        reasons.append(solo.short_reason)
    assert reasons == [fired, "max_steps"]  # a threshold of 0 turns its rule off


def test_a_vmapped_tol_of_zero_turns_the_precision_stop_off_in_its_run_only():
    # float32 Himmelblau stops at the precision floor with tol > 0; tol=0 turns that rule off
    # too (minimize's docstring), also when tol is traced and its batch-mate's is not 0
    surface = ds.surfaces.get("himmelblau")
    batch = jax.vmap(lambda tol: ds.minimize(surface, None, ds.gd(0.01), tol=tol, max_steps=500))(
        jnp.array([1e-6, 0.0], jnp.float32)
    )
    assert list(batch.stop_reason) == ["converged (gradient norm at float precision)", "max_steps"]


@pytest.mark.parametrize(
    ("name", "values"),
    [("max_steps", [10, 20]), ("patience", [5, 10]), ("record_every", [1, 2]),
     ("max_records", [10, 20]), ("maximize", [True, False]), ("record_path", [True, False])],
)  # fmt: skip
def test_a_traced_count_or_switch_is_refused_by_name(name, values):
    # they shape the compiled program; maximize and record_path failed deep in JAX
    # (TracerBoolConversionError), the counts with a bare "got VmapTracer(...)"
    with pytest.raises(
        TypeError, match=rf"^{name} must be .*a Python value, not one traced by jax.jit or jax.vmap"
    ):
        jax.vmap(lambda v: ds.minimize(bowl, jnp.ones(2), ds.gd(0.05), **{name: v}))(
            jnp.array(values)
        )


def test_nested_vmap_over_rates_and_starts_matches_single_runs(x64):
    starts = jnp.array([[-1.2, 1.0], [0.5, 0.5], [2.0, 2.0]])
    sweep = ds.sweep(rosenbrock, starts[0], ds.adam, lr=[0.01, 0.05], starts=starts, max_steps=300)
    for i, lr in enumerate(sweep.grid["lr"]):
        for j in range(len(starts)):
            solo = ds.minimize(rosenbrock, starts[j], ds.adam(float(lr)), max_steps=300)
            _assert_same_run(sweep.results[i][j], solo)


def test_history_is_thinned_to_max_records_and_keeps_the_unthinned_values():
    full = ds.minimize(rosenbrock, X0, ds.adam(1e-3), max_steps=3000, tol=0.0, max_records=4097)
    thin = ds.minimize(rosenbrock, X0, ds.adam(1e-3), max_steps=3000, tol=0.0, max_records=101)
    assert thin.history.loss.shape == (101,)
    h, f = thin.history.trimmed(), full.history.trimmed()
    every = int(h["step"][1])
    assert every in (32, 64)  # 3000 steps in at most 101 rows: a power-of-two interval
    np.testing.assert_array_equal(h["step"][:-1], np.arange(len(h["step"]) - 1) * every)
    assert h["step"][-1] == 3000  # the final step is always recorded
    np.testing.assert_allclose(h["loss"], f["loss"][h["step"]], rtol=1e-6)
    np.testing.assert_allclose(h["path"], f["path"][h["step"]], rtol=1e-6)


def test_memory_and_time_follow_the_steps_taken_not_max_steps():
    res = ds.minimize(rosenbrock, X0, ds.adam(0.02), max_steps=10**9)
    assert res.converged and int(res.steps) < 10_000
    assert res.history.loss.shape[0] <= minimize_module.MAX_RECORDS
    h = res.history.trimmed()
    assert h["step"][-1] == int(res.steps) and len(h["step"]) == int(res.steps) + 1


def test_a_history_that_cannot_fit_is_refused_before_the_run():
    x0 = jnp.zeros(1_000_000)
    with pytest.raises(ValueError, match=r"history would need .* GiB .*record_path=False"):
        ds.minimize(lambda x: jnp.sum(x**2), x0, ds.gd(0.1), max_steps=10**6,
                    record_path=True, max_records=10**6 + 1)  # fmt: skip


@pytest.mark.parametrize("bad", [2, 0, -5, 2.5, "9"])
def test_max_records_is_checked(bad):
    with pytest.raises((ValueError, TypeError), match="max_records"):
        ds.minimize(rosenbrock, X0, ds.adam(0.01), max_records=bad)


def test_fit_vmapped_over_rates_equals_single_fits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5], np.float32)
    model = ds.models.linear(3)
    lrs = jnp.array([1e-3, 3e-2, 50.0])  # slow, converging, diverging

    def one(lr):
        return ds.fit(model, "mse", (X, y), ds.gd(lr), batch_size=16, epochs=40, tol=1e-6)

    batch = jax.jit(jax.vmap(one))(lrs)
    for i, lr in enumerate(np.asarray(lrs)):
        solo = one(float(lr))
        assert int(batch.epochs[i]) == int(solo.epochs)
        assert int(batch.reason[i]) == int(solo.reason)
        curves = jax.tree.map(lambda a, i=i: a[i], batch.history).trimmed(int(solo.epochs))
        np.testing.assert_allclose(curves["loss"], solo.curves()["loss"], rtol=2e-4)
    assert {int(r) for r in np.asarray(batch.reason)} >= {
        ds.StopReason.MAX_EPOCHS,
        ds.StopReason.DIVERGED,
    }


def test_keep_if_and_any_running_are_plain_for_one_run_and_select_under_vmap():
    new, old = jnp.array([1.0, 2.0]), jnp.array([5.0, 6.0])
    np.testing.assert_array_equal(keep_if(jnp.bool_(True), new, old), new)
    flags = jnp.array([True, False])
    out = jax.vmap(keep_if, in_axes=(0, None, None))(flags, new, old)
    np.testing.assert_array_equal(out, np.array([[1.0, 2.0], [5.0, 6.0]]))
    assert bool(jax.vmap(any_running)(flags).all())  # reduced over the batch
    assert not bool(jax.vmap(any_running)(jnp.array([False, False])).any())


def test_float32_stops_at_the_precision_floor_and_says_so():
    """Himmelblau's gradient bottoms out near 6e-6 in float32, above the default tol=1e-6:
    the run stops where it got there and names the rule, instead of running to max_steps."""
    surface = ds.surfaces.get("himmelblau")
    res = ds.minimize(surface, None, ds.gd(0.01))
    assert res.x.dtype == jnp.float32
    assert res.stop_reason == "converged (gradient norm at float precision)" and res.converged
    assert int(res.steps) < 200
    nearest = min(np.linalg.norm(np.asarray(res.x) - np.asarray(m)) for m in surface.minima)
    assert nearest < 1e-4
    # a tolerance the dtype can reach still fires as itself, and tol=0 turns both off
    quad = ds.minimize(lambda x: jnp.sum(x**2), jnp.ones(2), ds.gd(0.1), tol=1e-5)
    assert quad.stop_reason == "converged (gradient norm <= tol)"
    off = ds.minimize(surface, None, ds.gd(0.01), tol=0.0, max_steps=500)
    assert off.stop_reason == "max_steps"


def test_race_on_himmelblau_reports_where_each_optimizer_converged(cli):
    code, out, _ = cli("race", "--surface", "himmelblau", "--json")
    assert code == 0
    rows = {r["optimizer"]: r for r in json.loads(out)["results"]}
    for name in ("gd", "momentum", "nesterov", "adam"):
        assert rows[name]["stop"] == "converged" and rows[name]["steps"] < 2000, rows[name]


def test_update_rows_writes_a_block_per_run_with_a_shared_or_own_start():
    from descend.engine._batching import update_rows

    buffers, rows = jnp.zeros((3, 5)), jnp.arange(1.0, 7.0).reshape(3, 2)
    shared = jax.vmap(update_rows, in_axes=(0, None, 0))(buffers, 2, rows)
    own = jax.vmap(update_rows)(buffers, jnp.array([0, 1, 3]), rows)
    for out, starts in ((shared, [2, 2, 2]), (own, [0, 1, 3])):
        want = np.zeros((3, 5))
        for i, s in enumerate(starts):
            want[i, s : s + 2] = np.asarray(rows[i])
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("rule", [ds.gd(0.05), ds.adam(0.1), ds.lookahead_nesterov(0.05)])
def test_vmap_over_a_value_the_objective_closes_over_matches_single_runs(rule, x64):
    """``vmap(lambda a: minimize(lambda x: |x - a|^2 + ..., ...))``: the objective closes over
    the batched value. It failed with a bare ``AssertionError`` from ``jax.custom_batching``;
    each run must be the run of its own objective, and the history stay out of the loop's
    select (linear in steps)."""
    centres, x0 = jnp.array([0.0, 1.0, 3.0]), jnp.array([-1.2, 1.0])

    def run(a, steps=400):
        return ds.minimize(lambda x: bowl(x - a) + a * x[1] ** 2, x0, rule, max_steps=steps)

    batched = jax.vmap(run)(centres)
    for i, a in enumerate(centres):
        _assert_same_run(jax.tree.map(lambda v, i=i: v[i], batched), run(float(a)))
    jaxpr = jax.make_jaxpr(jax.vmap(lambda a: run(a, 777)))(centres)
    assert _selects_in_loops(jaxpr.jaxpr, minimize_module.record_capacity(777, 1, 4097)) == []
    # under jit alone, and with the rate batched too
    np.testing.assert_allclose(jax.jit(lambda a: run(a).x)(1.0), run(1.0).x, rtol=1e-12)
    both = jax.vmap(lambda a, lr: ds.minimize(lambda x: bowl(x - a), x0, ds.gd(lr)).x)
    solo = ds.minimize(lambda x: bowl(x - 3.0), x0, ds.gd(0.15)).x
    np.testing.assert_allclose(both(centres, jnp.array([0.05, 0.1, 0.15]))[2], solo, rtol=1e-9)


@pytest.mark.parametrize(
    "make",
    [
        optax.adam,
        lambda lr: optax.chain(optax.clip(1.0), optax.sgd(lr, momentum=0.9)),
        lambda lr: ds.adam(lambda t: lr * 0.999**t),  # a schedule written as a lambda
        lambda lr: ds.chain(ds.clip_by_value(10.0), optax.sgd(lr)),
        # gradient steps (they take the objective): their lambda schedules are traced; the
        # look-ahead at a tenth of the rates (at 3e-3 its run on Rosenbrock diverges, and
        # near that the batched and the single program, rounding apart, end apart)
        lambda lr: ds.lookahead_nesterov(lambda t: 0.1 * lr / (1.0 + 1e-3 * t)),
        lambda lr: ds.annealing(lambda t: lr / (1.0 + 1e-3 * t), noise=1e-3, seed=1),
        # a named schedule built around such a lambda
        lambda lr: ds.lookahead_nesterov(ds.schedules.warmup(lambda t: 0.1 * lr + 0.0 * t, 10)),
    ],
)
def test_an_optimizer_closing_over_the_swept_value_stays_linear_in_steps(make, x64):
    """``vmap(lambda lr: minimize(f, x0, optax.adam(lr)))``: the rate sits in the optimizer's
    closure, where descend's batched loop cannot take it, so JAX batched the plain loop and
    selected the history on every step (33x slower than ``ds.adam`` at 2,000 steps). Traced
    to a jaxpr with the rate as an operand, the run keeps the batched loop, equals the run
    made alone, and records the schedule's learning rate when it has one."""
    steps = 777
    rows = minimize_module.record_capacity(steps, 1, 4097)
    x0, rates = jnp.array([-1.2, 1.0]), jnp.array([1e-3, 3e-3, 1e-2])

    def run(lr):
        return ds.minimize(rosenbrock, x0, make(lr), max_steps=steps)

    assert _selects_in_loops(jax.make_jaxpr(jax.vmap(run))(rates).jaxpr, rows) == []
    batched = jax.vmap(run)(rates)
    for i, lr in enumerate(rates):
        _assert_same_run(jax.tree.map(lambda v, i=i: v[i], batched), run(float(lr)))


def _live_tracers() -> int:
    gc.collect()
    return sum(isinstance(o, jax.core.Tracer) for o in gc.get_objects())


def test_no_tracer_outlives_a_vmapped_run_that_closed_over_one():
    """minimize's caches are keyed on the objective and the optimizer: an entry for one that
    closes over a traced value kept the tracer, and the batched array it holds, alive."""
    before = _live_tracers()
    x0 = jnp.array([-1.2, 1.0])
    jax.vmap(lambda a: ds.minimize(lambda x: bowl(x - a), x0, ds.gd(0.1), max_steps=50).x)(
        jnp.ones((3, 2))
    )
    jax.vmap(lambda lr: ds.minimize(bowl, x0, optax.adam(lr), max_steps=50).x)(jnp.ones(3))
    nesterov = lambda lr: ds.lookahead_nesterov(lambda t: lr + 0.0 * t)  # noqa: E731
    jax.vmap(lambda lr: ds.minimize(bowl, x0, nesterov(lr), max_steps=50).x)(jnp.ones(3))
    assert _live_tracers() == before


def test_a_gradient_step_without_a_recipe_closing_over_the_swept_value_runs_each_value(x64):
    """A hand-made gradient step has no recipe to take its closed-over values from: JAX
    batches the plain loop (not linear in steps, but right), and minimize keeps no cache
    entry holding the tracer. Each batched run is the run alone, and that of ``ds.gd``."""
    from descend.optim._recipe import GradientStep

    def plain_gd(lr):
        def step(objective, x, count):
            return x - lr * jax.grad(objective)(x), count + 1

        return GradientStep(lambda x: jnp.zeros([], jnp.int32), step)

    before = _live_tracers()
    x0, rates = jnp.array([-1.2, 1.0]), jnp.array([1e-3, 2e-3])
    batched = jax.vmap(lambda lr: ds.minimize(rosenbrock, x0, plain_gd(lr), max_steps=300))(rates)
    assert _live_tracers() == before
    for i, lr in enumerate(rates):
        solo = ds.minimize(rosenbrock, x0, plain_gd(float(lr)), max_steps=300)
        _assert_same_run(jax.tree.map(lambda v, i=i: v[i], batched), solo)
        np.testing.assert_allclose(
            solo.x, ds.minimize(rosenbrock, x0, ds.gd(float(lr)), max_steps=300).x, rtol=1e-12
        )
