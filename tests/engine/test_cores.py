"""Runs split across cores (`descend.engine._cores`): a split sweep or set of restarts is the
unsplit one, run for run and bit for bit, whatever the number of parts (padding included);
nothing is split under a trace, inside a part, or below the smallest part."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.engine import _cores


def _cores_here(monkeypatch, n):
    monkeypatch.setattr(_cores, "cores", lambda: n)


def _assert_same_runs(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


HIMMELBLAU = ds.surfaces.get("himmelblau")

# descend splits runs across the cores of a CPU only (a GPU runs one program whole); the tests
# of the split itself run where it happens, the one below them everywhere
on_the_cpu = pytest.mark.skipif(
    jax.default_backend() != "cpu", reason="runs are split across cores on the CPU only"
)


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


@on_the_cpu
@pytest.mark.parametrize("parts", [2, 3, 5])
def test_a_split_sweep_is_the_whole_sweep_bit_for_bit(monkeypatch, parts):
    lrs = np.geomspace(1e-4, 3e-2, 333)  # parts of 167, 111 or 67 runs, each padded to 64k
    kw = dict(lr=lrs, b1=[0.9], max_steps=300)
    _cores_here(monkeypatch, 1)
    whole = ds.sweep(_rosenbrock, jnp.array([-1.2, 1.0]), ds.adam, **kw)
    _cores_here(monkeypatch, parts)
    assert _cores.parts_for(333) == parts
    split = ds.sweep(_rosenbrock, jnp.array([-1.2, 1.0]), ds.adam, **kw)
    assert isinstance(split.results.loss, np.ndarray) and split.results.loss.shape == (333,)
    _assert_same_runs(whole.results, split.results)
    assert whole.best()[0] == split.best()[0]


def test_a_split_sweep_from_several_starts_keeps_both_axes(monkeypatch):
    starts = jnp.array([[-1.2, 1.0], [0.5, -0.5], [2.0, 2.0]])
    kw = dict(lr=np.geomspace(1e-4, 1e-2, 130), starts=starts, max_steps=100)
    _cores_here(monkeypatch, 1)
    whole = ds.sweep(_rosenbrock, starts[0], ds.gd, **kw)
    _cores_here(monkeypatch, 2)
    split = ds.sweep(_rosenbrock, starts[0], ds.gd, **kw)
    assert split.results.loss.shape == (130, 3)
    _assert_same_runs(whole.results, split.results)


def test_split_restarts_are_the_whole_restarts(monkeypatch):
    opt = ds.adam(0.05)
    _cores_here(monkeypatch, 1)
    whole = ds.restarts(HIMMELBLAU, opt, 150, max_steps=500)
    _cores_here(monkeypatch, 2)
    split = ds.restarts(HIMMELBLAU, opt, 150, max_steps=500)
    _assert_same_runs(whole.results, split.results)
    assert whole.best_index == split.best_index
    assert split.found(HIMMELBLAU.minima).all()  # the four minima, as a check


def test_nothing_is_split_below_the_smallest_part_or_off_one_core(monkeypatch):
    _cores_here(monkeypatch, 8)
    assert _cores.parts_for(_cores.MIN_PART - 1) == 1
    assert _cores.parts_for(3 * _cores.MIN_PART) == 3
    _cores_here(monkeypatch, 1)
    assert _cores.parts_for(10_000) == 1


@on_the_cpu
def test_nothing_is_split_under_a_trace_or_inside_a_part(monkeypatch):
    _cores_here(monkeypatch, 2)
    calls = []

    def run(batch):
        calls.append(type(batch))
        return jax.vmap(lambda v: v * 2.0)(batch)

    batch = np.arange(256.0)

    @jax.jit
    def traced(x):  # the batch is concrete, but a jit traces the caller
        return split_over_cores_sum(run, batch) + x

    def split_over_cores_sum(r, b):
        return jnp.sum(_cores.split_over_cores(r, b))

    assert float(traced(1.0)) == 2 * batch.sum() + 1.0
    assert len(calls) == 1  # run once, whole

    def nested(b):  # a part that splits again runs whole inside its thread
        return _cores.split_over_cores(run, np.asarray(b))

    calls.clear()
    out = _cores.split_over_cores(nested, batch)
    np.testing.assert_array_equal(out, 2 * batch)
    assert len(calls) == 2  # two parts, neither split again


def test_nothing_is_split_off_the_cpu(monkeypatch):
    _cores_here(monkeypatch, 2)
    monkeypatch.setattr(_cores.jax, "default_backend", lambda: "gpu")
    calls = []

    def run(batch):
        calls.append(len(batch))
        return jax.vmap(lambda v: v * 2.0)(batch)

    out = _cores.split_over_cores(run, np.arange(256.0))
    np.testing.assert_array_equal(out, 2 * np.arange(256.0))
    assert calls == [256]  # one program, the whole batch


@on_the_cpu
def test_a_forked_child_splits_with_threads_of_its_own(monkeypatch):
    """The parent's pool threads do not exist in a forked child: it must not wait on them."""
    import multiprocessing
    import warnings

    _cores_here(monkeypatch, 2)
    parent = _cores.split_over_cores(jax.vmap(lambda v: v * 3.0), np.arange(256.0))
    assert _cores._pool is not None  # the parent has started its pool
    with warnings.catch_warnings():  # JAX warns about os.fork in a threaded process
        warnings.simplefilter("ignore", RuntimeWarning)
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(1) as pool:
            child = pool.apply_async(_split_in_child).get(timeout=120)
    np.testing.assert_array_equal(child, parent)


def _split_in_child():
    _cores.cores = lambda: 2  # the monkeypatch does not reach a fork's later imports
    return _cores.split_over_cores(jax.vmap(lambda v: v * 3.0), np.arange(256.0))
