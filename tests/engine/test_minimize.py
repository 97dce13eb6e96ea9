"""descend.minimize: one compiled run with stop rules, history, vmap, and no recompiles."""

import io

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import descend as ds
from descend.engine import _progress as progress
from descend.engine import lookahead_nesterov, minimize

A = jnp.array([1.0, 10.0])


def quad(x):
    return 0.5 * jnp.sum(A * x**2)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def python_loop(f, x0, opt, steps):
    """The same run, step by step in Python: the independent truth for the engine's path."""
    x, state, path = jnp.asarray(x0), opt.init(jnp.asarray(x0)), [np.asarray(x0)]
    for _ in range(steps):
        u, state = opt.update(jax.grad(f)(x), state, x)
        x = ds.apply_updates(x, u)
        path.append(np.asarray(x))
    return np.array(path)


def test_compiled_run_follows_the_python_loop_and_converges():
    x0 = jnp.array([1.0, 1.0])
    res = minimize(quad, x0, ds.momentum(0.05, 0.5), max_steps=5_000, tol=1e-5)
    assert res.stop_reason == "converged (gradient norm <= tol)" and res.converged
    h = res.history.trimmed()
    assert len(h["step"]) == int(res.steps) + 1 and h["step"][-1] == int(res.steps)
    expected = python_loop(quad, x0, ds.momentum(0.05, 0.5), int(res.steps))
    np.testing.assert_allclose(h["path"], expected, rtol=1e-5, atol=1e-7)
    assert float(res.grad_norm) <= 1e-5 < h["grad_norm"][-2]  # stopped at the first step below tol
    np.testing.assert_allclose(h["loss"], jax.vmap(quad)(jnp.asarray(h["path"])), rtol=1e-6)
    np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-5)


def test_history_records_the_learning_rate_schedule_and_bounds_memory():
    sched = ds.schedules.step(0.01, 100, 0.5)
    res = minimize(rosenbrock, jnp.array([-1.2, 1.0]), ds.adam(sched), max_steps=1000, tol=0.0,
                   record_every=7)  # fmt: skip
    h = res.history.trimmed()
    assert res.history.loss.shape == (1000 // 7 + 2,)  # ceil(1000 / 7) + 1 records at most
    np.testing.assert_array_equal(h["step"][:-1], np.arange(0, 1000, 7))
    assert h["step"][-1] == 1000  # the final step is always recorded
    np.testing.assert_allclose(h["lr"], 0.01 * 0.5 ** (h["step"] // 100), rtol=1e-6)


def test_divergence_is_reported_with_its_step_and_never_as_success():
    res = minimize(quad, jnp.array([1.0, 1.0]), ds.gd(10.0), max_steps=1000)
    assert res.diverged and not res.converged and res.stop_reason == "diverged"
    assert int(res.diverged_at) == int(res.steps) > 0
    h = res.history.trimmed()
    assert len(h["loss"]) == int(res.steps) + 1  # the history up to the divergence is kept
    assert np.isfinite(float(res.best_loss)) and float(res.best_loss) == pytest.approx(5.5)


def test_slow_blow_up_without_nan_is_divergence():
    """lr just above 2/L: the loss grows by 1.02^2 per step and never becomes NaN."""
    res = minimize(quad, jnp.array([1.0, 1.0]), ds.gd(2.02 / 10), max_steps=5000,
                   divergence=100.0)  # fmt: skip
    h = res.history.trimmed()
    assert res.diverged and np.all(np.isfinite(h["loss"]))
    # detected at the first step where L - L0 > 100 * max(|L0|, 1)
    over = np.nonzero(h["loss"] - h["loss"][0] > 100 * max(abs(h["loss"][0]), 1.0))[0]
    assert int(res.diverged_at) == over[0]


def test_loss_stall_with_patience():
    # plain GD with a tiny rate on a quadratic: the relative change per step is ~2 * lr * a
    res = minimize(quad, jnp.array([1.0, 1.0]), ds.gd(1e-5), max_steps=10_000, tol=0.0,
                   ftol=1e-3, patience=5)  # fmt: skip
    assert res.stop_reason == "converged (loss change < ftol)"
    assert int(res.steps) == 5  # changes of ~2e-4 < 1e-3 from the first step on


def test_maximize_climbs():
    f = lambda x: -jnp.sum((x - 3.0) ** 2)  # noqa: E731
    res = minimize(f, jnp.zeros(2), ds.gd(0.1), maximize=True, max_steps=1000, tol=1e-5)
    np.testing.assert_allclose(res.x, [3.0, 3.0], atol=1e-5)
    assert float(res.loss) == pytest.approx(0.0, abs=1e-9) and res.converged
    h = res.history.trimmed()
    assert h["loss"][0] == pytest.approx(-18.0) and np.all(np.diff(h["loss"]) >= 0)


def test_pytree_parameters_and_optax_optimizer():
    f = lambda p: jnp.sum((p["w"] - 2.0) ** 2) + (p["b"] + 1.0) ** 2  # noqa: E731
    p0 = {"w": jnp.zeros(3), "b": jnp.asarray(0.0)}
    res = minimize(f, p0, optax.adam(0.1), max_steps=2000, tol=1e-4)
    assert res.converged
    np.testing.assert_allclose(res.x["w"], 2.0, atol=1e-3)
    assert res.history.trimmed()["path"]["w"].shape[1:] == (3,)
    assert np.isnan(res.history.trimmed()["lr"]).all()  # an optax transform has no known lr


def test_optax_parts_of_a_descend_chain_run_as_the_descend_ones():
    """An optax transform is a NamedTuple: minimize rebuilds the chain around the object
    itself (it once came back as a bare tuple and the chain refused it)."""
    x0 = jnp.array([-1.0, 1.0])
    for theirs, ours in [
        (ds.chain(optax.clip(1.0), ds.gd(1e-3)), ds.chain(ds.clip_by_value(1.0), ds.gd(1e-3))),
        (ds.chain(ds.clip_by_global_norm(1.0), optax.sgd(1e-3, momentum=0.9)),
         ds.chain(ds.clip_by_global_norm(1.0), ds.momentum(1e-3, 0.9))),
    ]:  # fmt: skip
        a = minimize(rosenbrock, x0, theirs, max_steps=500)
        b = minimize(rosenbrock, x0, ours, max_steps=500)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-5)
        assert int(a.steps) == int(b.steps) == 500


def test_vmap_over_the_numbers_of_an_optax_optimizer():
    """optax.adam(lr) under jax.vmap holds the traced rate in its closure, out of descend's
    sight: the runs (whose optimizer is traced to a jaxpr, the rate taken out as an operand:
    engine._hoisting) equal the runs made one by one."""
    x0 = jnp.array([-1.0, 1.0])
    rates = [3e-3, 2e-2]
    for make in (optax.adam, lambda lr: ds.chain(ds.clip_by_value(10.0), optax.sgd(lr, 0.9))):

        def run(lr, make=make):
            return minimize(rosenbrock, x0, make(lr))

        batched = jax.device_get(jax.vmap(run)(jnp.asarray(rates)))
        for i, lr in enumerate(rates):
            one = jax.device_get(minimize(rosenbrock, x0, make(lr)))
            assert batched.steps[i] == one.steps and batched.reason[i] == one.reason
            np.testing.assert_allclose(batched.x[i], one.x, rtol=1e-5)
            count = one.history.count
            assert batched.history.count[i] == count
            np.testing.assert_allclose(batched.history.rows[i][:count], one.history.rows[:count],
                                       rtol=1e-4)  # fmt: skip
    surface = ds.surfaces.get("himmelblau")
    found = jax.vmap(lambda lr: ds.restarts(surface, optax.sgd(lr), 4, max_steps=200))(
        jnp.asarray(rates)
    )
    assert found.best_index.shape == (2,)
    with pytest.raises(TypeError, match="seed_fan runs its own vmapped program"):
        jax.vmap(lambda lr: ds.insight.seed_fan(surface, optax.sgd(lr)))(jnp.asarray(rates))


def test_vmap_over_start_points_and_hyperparameters(x64):
    starts = jnp.array([[-1.2, 1.0], [0.0, 0.0], [2.0, 2.0]], jnp.float64)
    batched = jax.vmap(lambda s: minimize(rosenbrock, s, ds.adam(0.02), max_steps=300))(starts)
    for i, s in enumerate(starts):
        one = minimize(rosenbrock, s, ds.adam(0.02), max_steps=300)
        np.testing.assert_allclose(batched.x[i], one.x, rtol=1e-9)
        assert int(batched.steps[i]) == int(one.steps)
    lrs = jnp.array([1e-3, 1e-2, 5e-2])
    run = lambda lr: minimize(rosenbrock, starts[0], ds.adam(lr), max_steps=300).loss  # noqa: E731
    losses = jax.vmap(run)(lrs)
    for lr, loss in zip(lrs, losses, strict=True):
        single = minimize(rosenbrock, starts[0], ds.adam(float(lr)), max_steps=300).loss
        np.testing.assert_allclose(loss, single, rtol=1e-9)
    assert len(set(np.asarray(losses).round(12))) == 3


def test_second_call_with_other_values_does_not_recompile(compilations):
    def bowl(x):  # a function of this test alone, so the first call must compile
        return jnp.sum((x - 0.5) ** 2)

    with compilations() as seen:
        minimize(bowl, jnp.zeros(2), ds.adam(1e-2, 0.9), max_steps=50)
        minimize(bowl, jnp.ones(2), ds.adam(3e-2, 0.8), max_steps=50, tol=1e-3)
        minimize(bowl, jnp.array([2.0, -1.0]), ds.adam(1e-1, 0.5, eps=1e-4), max_steps=50)
    assert seen("minimize_run") == 1
    with compilations() as seen:  # a different structure is a different program
        minimize(bowl, jnp.zeros(2), ds.adam(1e-2, amsgrad="raw"), max_steps=50)
    assert seen("minimize_run") == 1


def test_runs_that_differ_only_in_their_seed_share_one_program(compilations):
    """A seed is data, as a learning rate is: a loop over seeds compiles once, and seed 0 given
    or left to its default is the same program."""

    def bumpy(x):  # a function of this test alone, so the first call must compile
        return jnp.sum(x**2 + jnp.sin(3 * x))

    for make in (
        lambda **seed: ds.annealing(0.01, 1.0, 0.99, 0.3, **seed),
        lambda **seed: ds.chain(ds.add_noise(0.1, **seed), ds.gd(0.01)),
    ):
        with compilations() as seen:
            ends = [minimize(bumpy, jnp.ones(2), make(seed=s), max_steps=50, tol=0.0).x
                    for s in (0, 1, np.int64(2), jnp.int32(3))]  # fmt: skip
            default = minimize(bumpy, jnp.ones(2), make(), max_steps=50, tol=0.0).x
        assert seen("minimize_run") == 1
        np.testing.assert_array_equal(default, ends[0])
        assert len({tuple(np.asarray(x).tolist()) for x in ends}) == 4  # four walks
    assert repr(ds.annealing(seed=np.int64(7))).endswith("seed=7)")


def test_python_numbers_keep_their_meaning_when_cached_on_the_device(compilations):
    """minimize hands Python numbers to its program as cached device scalars (a copy per call
    saved): they stay weakly typed (a float16 run stays float16 with lr=0.1, as with the
    number itself), 0 and 0.0 stay apart, x64 makes its own, and new values compile nothing."""

    def bowl(x):
        return jnp.sum((x - 0.5) ** 2)

    half = minimize(bowl, jnp.zeros(2, jnp.float16), ds.gd(0.1), max_steps=20)
    assert half.x.dtype == jnp.float16 and half.history.rows.dtype == jnp.float16
    expected = 0.5 - 0.5 * 0.8**20  # x_{t+1} = x_t - 0.1 * 2 (x_t - 0.5)
    np.testing.assert_allclose(np.asarray(half.x, float), expected, rtol=2e-3)
    with compilations() as seen:
        runs = [minimize(bowl, jnp.zeros(2), ds.gd(lr), max_steps=20) for lr in (0.1, 0.2, 0.1)]
    assert seen("minimize_run") == 1
    np.testing.assert_allclose(runs[0].x, runs[2].x)
    np.testing.assert_allclose(runs[1].x, 0.5 - 0.5 * 0.6**20, rtol=1e-6)
    for tol in (0, 0.0):  # an int and a float, each as given
        assert minimize(bowl, jnp.zeros(2), ds.gd(0.5), max_steps=5, tol=tol).stop_reason
    with jax.enable_x64(True):
        wide = minimize(bowl, jnp.zeros(2, jnp.float64), ds.gd(0.1), max_steps=20)
    assert wide.x.dtype == jnp.float64
    np.testing.assert_allclose(wide.x, 0.5 - 0.5 * 0.8**20, rtol=1e-14)


def test_numbers_first_seen_under_jit_serve_later_calls():
    """The device scalars are cached: one made while ``jax.jit`` traces must be made eagerly,
    or the second call of that program fails ("Execution supplied 1 arguments but compiled
    program expected 7", found by ``benchmarks.history``)."""
    x0 = jnp.array([-1.2, 1.0])
    for tol, every in ((0.123, 100), (0.123, 1), (0.125, 1)):
        run = jax.jit(
            jax.vmap(
                lambda lr, tol=tol, every=every: minimize(
                    rosenbrock, x0, ds.adam(lr), max_steps=100, tol=tol, record_every=every
                )
            )
        )
        lrs = jnp.array([1e-3, 1e-2])
        first, again = run(lrs), run(lrs)  # the second call takes the compiled fast path
        one = minimize(rosenbrock, x0, ds.adam(1e-2), max_steps=100, tol=tol, record_every=every)
        np.testing.assert_allclose(first.loss[1], one.loss, rtol=1e-6)
        np.testing.assert_array_equal(again.loss, first.loss)


def test_a_surfaces_start_made_once_keeps_its_dtype_and_values():
    """A surface's start is put on the device once and shared (a copy per call saved): it
    is the start's numbers, float32 by default and float64 under x64 (each made apart),
    also when first made while ``jax.jit`` traces; a float array given as x0 is taken as it
    is, and a list of numbers as the same float array."""
    s = ds.surfaces.get("rosenbrock")
    traced_first = jax.jit(lambda lr: minimize(s, None, ds.gd(lr), max_steps=3).x)(1e-3)
    runs = [minimize(s, None, ds.gd(1e-3), max_steps=3) for _ in range(2)]
    given = minimize(s, jnp.asarray(s.start), ds.gd(1e-3), max_steps=3)
    as_list = minimize(s, list(s.start), ds.gd(1e-3), max_steps=3)
    for r in (*runs, given, as_list):
        assert r.x.dtype == jnp.float32
        np.testing.assert_array_equal(r.x, traced_first)
        np.testing.assert_array_equal(r.history.path[0], np.float32(s.start))
    with jax.enable_x64(True):
        wide = minimize(s, None, ds.gd(1e-3), max_steps=3)
        assert wide.x.dtype == jnp.float64
        np.testing.assert_array_equal(wide.history.path[0], np.float64(s.start))
    assert minimize(s, None, ds.gd(1e-3), max_steps=3).x.dtype == jnp.float32


def test_an_equal_schedule_is_the_same_program(compilations):
    """A schedule is keyed by its call: a new cosine(...) object with the same arguments
    reuses the program (each new object compiled again before, 0.6 s a call)."""

    def bowl(x):
        return jnp.sum((x - 0.5) ** 2)

    with compilations() as seen:
        for _ in range(3):
            minimize(bowl, jnp.zeros(2), ds.adam(ds.schedules.cosine(1e-2, 100)), max_steps=50)
    assert seen("minimize_run") == 1
    with compilations() as seen:  # other rates: data, the same program, their own values
        other = minimize(bowl, jnp.zeros(2), ds.adam(ds.schedules.cosine(2e-2, 100, 1e-3)),
                         max_steps=50)  # fmt: skip
        again = minimize(bowl, jnp.zeros(2), ds.adam(ds.schedules.cosine(3e-2, 100, 2e-3)),
                         max_steps=50)  # fmt: skip
    assert seen("minimize_run") == 0
    t = np.arange(50)
    for run, (init, final) in ((other, (2e-2, 1e-3)), (again, (3e-2, 2e-3))):
        want = final + (init - final) * (1 + np.cos(np.pi * t / 100)) / 2
        np.testing.assert_allclose(run.history.lr[:50], want, rtol=1e-6)
    with compilations() as seen:  # another length (an integer, structure): its own program
        minimize(bowl, jnp.zeros(2), ds.adam(ds.schedules.cosine(2e-2, 200)), max_steps=50)
    assert seen("minimize_run") == 1


def test_vmap_over_a_number_inside_a_schedule_matches_single_runs(x64):
    """``jax.vmap`` over the learning rate of ``adam(cosine(lr, T))`` with minimize's defaults
    (it failed with a bare AssertionError from JAX's custom_vmap: the schedule closed over the
    batched value)."""
    x0 = jnp.array([-1.2, 1.0])
    lrs = jnp.array([1e-3, 1e-2, 3e-2])
    make = lambda lr: ds.adam(ds.schedules.warmup(ds.schedules.cosine(lr, 400), 20))  # noqa: E731
    batch = jax.vmap(lambda lr: minimize(rosenbrock, x0, make(lr), max_steps=300))(lrs)
    for i, lr in enumerate(lrs):
        one = minimize(rosenbrock, x0, make(float(lr)), max_steps=300)
        np.testing.assert_allclose(batch.loss[i], one.loss, rtol=1e-9)
        np.testing.assert_allclose(batch.history.lr[i], one.history.lr, rtol=1e-12)
    assert float(batch.history.lr[1, 0]) == 0.0  # warm-up from 0
    np.testing.assert_allclose(batch.history.lr[:, 20], lrs, rtol=1e-12)  # then the cosine


def test_a_small_run_does_no_work_per_history_record():
    """XLA:CPU's client runs a program in the caller's thread when its cost analysis counts
    under 1,000 flops (a loop's body counted once), and on a pool thread otherwise; the
    hand-over costs about what a thousand steps of a 2-D run take. The history is the rows the
    loop wrote (steps and columns are read from them lazily), so a run of 10,000 steps (4,097
    records) costs no more flops outside its loop than one of 100 (101 records); and the
    evaluation of the start is grouped into one conditional (see ``_batching.grouped``)."""
    x0 = jnp.array([-1.2, 1.0])

    def program(steps: int, records: int = 4097):
        opt = ds.adam(1e-3)
        run = jax.jit(lambda x: minimize(rosenbrock, x, opt, max_steps=steps, max_records=records))
        return run.lower(x0).compile()

    def flops(program) -> float:
        return program.cost_analysis()["flops"]

    long = program(3000)
    assert flops(long) == flops(program(100))  # 3,001 records against 101
    thinned = [flops(program(10_000, records)) for records in (65, 4097)]
    assert thinned[0] == thinned[1], thinned
    assert max(flops(long), *thinned, flops(program(10**9))) < 1000
    assert "conditional(" in long.as_text()


def test_history_reads_the_same_on_device_on_host_and_batched():
    """The history's attributes are views of its rows: the same after ``jax.device_get``
    (NumPy) and, run by run, in a batch from ``jax.vmap``; a thinned history's steps follow its
    final record interval."""
    x0 = jnp.array([-1.2, 1.0])
    res = minimize(rosenbrock, x0, ds.adam(1e-2), max_steps=3000, tol=0.0, max_records=101)
    host = jax.device_get(res).history
    assert isinstance(host.rows, np.ndarray)
    for name in ("step", "loss", "grad_norm", "lr", "path"):
        np.testing.assert_array_equal(getattr(host, name), np.asarray(getattr(res.history, name)))
    h = host.trimmed()
    assert h["step"][-1] == 3000 and int(host.count) == len(h["step"])
    assert (np.diff(h["step"][:-1]) == h["step"][1]).all()  # thinned evenly
    assert (host.step[int(host.count) :] == -1).all()
    lrs = jnp.array([1e-3, 1e-2])
    batch = jax.vmap(lambda lr: minimize(rosenbrock, x0, ds.adam(lr), max_steps=300))(lrs)
    assert batch.history.path.shape == (2, 301, 2)
    for i, lr in enumerate(lrs):
        one = minimize(rosenbrock, x0, ds.adam(float(lr)), max_steps=300).history
        np.testing.assert_array_equal(batch.history.step[i], one.step)
        np.testing.assert_allclose(batch.history.path[i], one.path, rtol=1e-6)


def test_minimize_gives_reduce_on_plateau_the_loss():
    """On f = x^2 gradient descent at lr 1 jumps between 1 and -1, the loss stuck at 1. With
    PyTorch's plateau rule (patience 3, factor 0.5) the fifth update without improvement
    halves the next steps, and the sixth lands on the minimum: x = 0 at step 6 exactly."""
    opt = ds.chain(ds.gd(1.0), ds.reduce_on_plateau(factor=0.5, patience=3))
    res = minimize(lambda x: jnp.sum(x**2), jnp.array([1.0]), opt, max_steps=50)
    assert int(res.steps) == 6 and float(res.x[0]) == 0.0
    np.testing.assert_array_equal(res.history.trimmed()["loss"], [1, 1, 1, 1, 1, 1, 0])


def test_minimize_gives_optax_reduce_on_plateau_its_value():
    """Optax's plateau rule reads ``value=`` and applies a new scale at once: the same jumps
    between 1 and -1 end on x = 0 at step 4 (the fourth update is the first halved)."""
    optax = pytest.importorskip("optax")
    plateau = optax.contrib.reduce_on_plateau(factor=0.5, patience=3, accumulation_size=1)
    opt = optax.chain(optax.sgd(1.0), plateau)
    res = minimize(lambda x: jnp.sum(x**2), jnp.array([1.0]), opt, max_steps=50)
    assert int(res.steps) == 4 and float(res.x[0]) == 0.0


def test_lookahead_nesterov_equals_the_reparametrised_form():
    """Sutskever's form u_t = beta u + grad(theta - lr beta u) has iterates theta_t; the
    PyTorch/Optax form's iterates are phi_{t+1} = theta_{t+1} + beta (theta_{t+1} - theta_t)."""
    lr, beta, x0 = 1e-3, 0.9, jnp.array([-1.2, 1.0])
    with jax.enable_x64(True):
        x0 = jnp.asarray(x0, jnp.float64)
        theta = minimize(rosenbrock, x0, lookahead_nesterov(lr, beta), max_steps=500, tol=0.0)
        phi = minimize(rosenbrock, x0, ds.nesterov(lr, beta), max_steps=500, tol=0.0)
        th, ph = theta.history.trimmed()["path"], phi.history.trimmed()["path"]
    np.testing.assert_allclose(ph[1:], th[1:] + beta * (th[1:] - th[:-1]), rtol=1e-10)
    assert np.abs(th - ph).max() > 1e-4  # the two sequences are not the same points


def test_surface_like_objects_supply_start_and_shape_check():
    class Bowl:
        name, dim, start = "bowl", 2, (1.0, -1.0)

        @staticmethod
        def f(x):
            return jnp.sum(x**2)

    res = minimize(Bowl(), None, ds.gd(0.25), max_steps=100)
    assert res.converged
    with pytest.raises(
        ValueError, match=r"x0 must have shape \(2,\) for surface 'bowl'; got \(3,\)"
    ):
        minimize(Bowl(), jnp.zeros(3), ds.gd(0.1))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"f": lambda x: x**2}, ValueError, r"f must return a scalar; it returned \(2,\)"),
        ({"f": lambda x: jnp.sum(x > 0)}, ValueError, r"floating-point scalar; it returned int"),
        ({"f": lambda x: float(np.sum(np.asarray(x)))}, ValueError, r"could not be evaluated"),
        ({"f": lambda x: jnp.sum(x) if x[0] > 0 else 0.0}, ValueError, r"f could not be evaluated"),
        ({"max_steps": 0}, ValueError, r"max_steps must be an integer >= 1; got 0"),
        ({"max_steps": 10.5}, TypeError, r"max_steps must be an integer >= 1; got 10.5"),
        ({"record_every": 0}, ValueError, r"record_every must be an integer >= 1"),
        ({"tol": -1.0}, ValueError, r"tol must be a finite number >= 0"),
        ({"optimizer": 0.1}, TypeError, r"optimizer must be a Transform .* got float"),
        ({"optimizer": "adam"}, TypeError, r"optimizer must be a Transform .* got str"),
        ({"optimizer": "AdamW"}, TypeError, r"got str 'AdamW': build it, descend\.adamw\(\.\.\.\)"),
        ({"optimizer": "sgd"}, TypeError, r"'sgd', which names no update rule; valid names: gd, "),
        ({"optimizer": "sgd"}, TypeError, r"valid names: gd, .*, nadam \(did you mean gd\?\)$"),
        ({"optimizer": "adamm"}, TypeError, r"'adamm', which .*, nadam \(did you mean adam\?\)$"),
        ({"optimizer": "lbfgs"}, TypeError, r"'lbfgs', which names no update rule; .*, nadam$"),
        ({"x0": None}, ValueError, r"x0 is required unless f is a surface"),
        ({"x0": ds.adam(0.1)}, TypeError, r"^minimize: the x0 given is an optimizer; the "
                                          r"arguments go minimize\(f, x0, optimizer\), or "
                                          r"name it: optimizer=\.\.\.$"),
        ({"f": ds.gd(0.1)}, TypeError, r"^minimize: the f given is an optimizer;"),
        ({"maximize": 1}, TypeError, r"maximize must be True or False; got 1"),
        ({"record_path": "no"}, TypeError, r"record_path must be True, False or None; got 'no'"),
        ({"progress": 1}, TypeError, r"progress must be True, False or a text stream .*got 1"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_error(kwargs, error, message):
    args = {"f": quad, "x0": jnp.ones(2), "optimizer": ds.gd(0.1), **kwargs}
    f, x0, opt = args.pop("f"), args.pop("x0"), args.pop("optimizer")
    with pytest.raises(error, match=message):
        minimize(f, x0, opt, **args)


def test_default_optimizer_is_adam_at_the_surfaces_rate_and_finds_the_minimum():
    """``minimize(surface)`` and ``minimize(f, x0)`` as a user first writes them: Adam at the
    surface's ``adaptive_lr``, else Adam's own defaults; both reach the known minimum."""
    surface = ds.surfaces.get("rosenbrock")
    res = minimize(surface)
    explicit = minimize(surface, None, ds.adam(surface.adaptive_lr))
    np.testing.assert_array_equal(res.x, explicit.x)
    assert res.converged
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-3)
    res = minimize(lambda x: jnp.sum((x - 3.0) ** 2), jnp.zeros(2))
    np.testing.assert_array_equal(
        res.x, minimize(lambda x: jnp.sum((x - 3.0) ** 2), jnp.zeros(2), ds.adam(1e-3)).x
    )
    assert res.converged
    np.testing.assert_allclose(res.x, [3.0, 3.0], atol=1e-3)


def test_f_that_jax_cannot_differentiate():
    @jax.custom_jvp
    def step(x):
        return jnp.sum(x)

    @step.defjvp
    def _(primals, tangents):
        raise TypeError("no derivative here")

    with pytest.raises(ValueError, match=r"f is not differentiable with JAX at x0: TypeError"):
        minimize(step, jnp.ones(2), ds.gd(0.1))


def test_progress_bar_reports_and_changes_nothing():
    stream = io.StringIO()
    res = minimize(rosenbrock, jnp.array([-1.2, 1.0]), ds.adam(0.01), max_steps=2000, tol=0.0,
                   progress=stream)  # fmt: skip
    plain = minimize(rosenbrock, jnp.array([-1.2, 1.0]), ds.adam(0.01), max_steps=2000, tol=0.0)
    np.testing.assert_array_equal(res.x, plain.x)
    text = stream.getvalue()
    assert "step 2000/2000" in text and "loss" in text and text.endswith("\n")
    assert text.count("\r") >= 10  # redrawn as the run goes, not once at the end
    assert not progress._ACTIVE  # the bar is gone after the run


@pytest.mark.parametrize(
    ("x0", "where"),
    [
        (jnp.array([jnp.nan, 1.0]), r"x0 holds 1 NaN or infinite value\(s\), .* \(0,\)"),
        ([1.0, float("inf")], r"x0 holds 1 .* index \(1,\)"),
        ({"w": jnp.ones(2), "b": np.array([[0.0, -np.inf]])}, r"x0\['b'\] holds 1 .* \(0, 1\)"),
        (np.full(200, np.nan), r"x0 holds 200 NaN"),
    ],
)
def test_a_start_that_is_not_finite_is_refused(x0, where):
    """A NaN start used to run and report 'diverged' at step 0; it is bad input."""

    def f(x):
        return sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(x))

    with pytest.raises(ValueError, match=where + r".*start from finite numbers"):
        minimize(f, x0)


def test_a_traced_start_that_is_not_finite_is_that_runs_divergence_and_sweep_checks_starts():
    starts = jnp.array([[jnp.nan, 1.0], [1.0, 1.0]])
    res = jax.vmap(lambda s: minimize(lambda x: jnp.sum(x**2), s, ds.gd(0.25)))(starts)
    assert list(res.reason) == [ds.StopReason.DIVERGED, ds.StopReason.GRADIENT_TOL]
    with pytest.raises(ValueError, match=r"starts holds 1 NaN .* index \(0, 0\)"):
        ds.sweep(lambda x: jnp.sum(x**2), starts[1], ds.gd, lr=[0.1], starts=starts)
    with pytest.raises(ValueError, match="domain must be finite"):
        ds.restarts(lambda x: jnp.sum(x**2), 4, domain=[(-1, 1), (0, np.inf)])


@pytest.mark.parametrize("x0", [{}, [], jnp.zeros(0)])
def test_a_start_with_no_numbers_is_refused(x0):
    """An empty start 'converged' at step 0."""
    with pytest.raises(ValueError, match="x0 holds no numbers to optimise"):
        minimize(lambda x: jnp.float32(0.0), x0)


def test_an_objective_that_cannot_be_hashed_runs_everywhere():
    """A callable dataclass with eq (no hash) is a usual objective: it runs, compiled again
    on each call instead of cached, in minimize, under vmap, in restarts and in sweep, and
    gradient descent on its bowl follows the closed form x_t = c (1 - (1 - 2 lr)^t)."""
    import dataclasses

    @dataclasses.dataclass
    class Bowl:
        c: float

        def __call__(self, x):
            return jnp.sum((x - self.c) ** 2)

    def closed(lr, t=20):
        return 0.5 * (1 - (1 - 2 * lr) ** t)

    bowl = Bowl(0.5)
    for _ in range(2):
        run = minimize(bowl, jnp.zeros(2), ds.gd(0.1), max_steps=20, tol=0.0)
        np.testing.assert_allclose(run.x, closed(0.1), rtol=1e-5)
    lrs = jnp.array([0.1, 0.2])
    xs = jax.vmap(lambda lr: minimize(bowl, jnp.zeros(2), ds.gd(lr), max_steps=20, tol=0.0).x)(lrs)
    np.testing.assert_allclose(xs[:, 0], [closed(0.1), closed(0.2)], rtol=1e-5)
    swept = ds.sweep(bowl, jnp.zeros(2), ds.gd, lr=[0.1, 0.2], max_steps=20, tol=0.0)
    np.testing.assert_allclose(swept.results.x[:, 0], [closed(0.1), closed(0.2)], rtol=1e-5)
    found = ds.restarts(bowl, ds.gd(0.5), 4, domain=[(-1, 1), (-1, 1)], max_steps=3)
    np.testing.assert_allclose(found.best.x, [0.5, 0.5], atol=1e-6)  # lr 0.5: there in a step
    from descend.insight import basin_map, stability_map

    surface = dataclasses.replace(ds.surfaces.get("quadratic"), name="bowl", f=Bowl(0.0))
    basins = basin_map(surface, ds.gd(0.1), resolution=6, max_steps=200)
    assert basins.shares.tolist() == [1.0] and basins.diverged_share == 0  # one basin: 0
    stable = stability_map(surface, "gd", resolution=5, x_range=(0.1, 1.5), max_steps=200)
    # gd on sum(x^2) (curvature 2) is stable exactly for lr < 1
    np.testing.assert_array_equal(stable.converged.ravel(), stable.x_values < 1)


def test_a_transform_of_the_users_own_class_runs_and_sweeps():
    """A transform written as a class (a dataclass with eq: no hash; or a plain class holding
    its rate) runs, and under jax.vmap over the rate it holds, each run is gradient descent's
    closed form x_t = c (1 - (1 - 2 lr)^t) on the bowl |x - c|^2 (the traced rate was found
    neither by the cache nor by the walk of closures: 'unhashable type', or an AssertionError
    from inside the batched loop)."""
    import dataclasses

    @dataclasses.dataclass
    class Descent:
        lr: float

        def init(self, params):
            return ()

        def update(self, grads, state, params=None):
            return jax.tree.map(lambda g: -self.lr * g, grads), state

    class PlainDescent(Descent):
        __eq__ = object.__eq__  # hashable again, by identity
        __hash__ = object.__hash__

    def bowl(x):
        return jnp.sum((x - 0.5) ** 2)

    lrs = jnp.array([0.1, 0.2])
    want = 0.5 * (1 - (1 - 2 * np.array([0.1, 0.2])) ** 20)
    for kind in (Descent, PlainDescent):
        one = minimize(bowl, jnp.zeros(2), kind(0.1), max_steps=20, tol=0.0)
        np.testing.assert_allclose(one.x, want[0], rtol=1e-5)
        xs = jax.vmap(lambda lr, k=kind: minimize(bowl, jnp.zeros(2), k(lr), max_steps=20,
                                                  tol=0.0).x)(lrs)  # fmt: skip
        np.testing.assert_allclose(xs[:, 0], want, rtol=1e-5)
