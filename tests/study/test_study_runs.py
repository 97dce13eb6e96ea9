"""A study's configurations, chunks and results: the order and the draws are deterministic,
chunks cover every configuration once (the last one padded), and each row equals the same
configuration run directly with ``ds.minimize`` (through ``ds.restarts``' start) or
``ds.fit``, whatever the order in which the chunks ran."""

import itertools
import math

import jax
import numpy as np
import pytest
from _study_helpers import LR_RESULT_COLUMNS, booth_study

import descend as ds
from descend.engine import StopReason
from descend.study import Executor, InProcess, run_chunk
from descend.study._chunks import enable_compilation_cache, surface_starts
from descend.study._problem import build

SURFACE = dict(
    name="direct",
    steps=300,
    seeds=[0, 5, 7],
    chunk_size=6,  # two configurations (x 3 seeds) per chunk: 5 adam configs -> 3 chunks
    problem={"surface": "rosenbrock"},
    optimizers=[
        {"rule": "adam", "grid": {"lr": [1e-3, 3e-3, 1e-2, 3e-2, 0.1], "b1": [0.9]}},
        {"rule": "momentum", "grid": {"lr": [1e-4, 1e-3]}, "options": {"form": "ema"}},
    ],
)


@pytest.fixture(scope="module")
def surface_study(tmp_path_factory):
    return ds.Study(**SURFACE).run(tmp_path_factory.mktemp("surface"))


def test_grid_order_is_the_product_first_axis_slowest():
    study = booth_study(
        {"rule": "adam", "grid": {"lr": {"log": [1e-3, 1e-1], "num": 3}, "b1": [0.8, 0.9]}},
        {"rule": "gd", "grid": {"lr": {"linear": [0.01, 0.03], "num": 3}}},
    )
    configs = study.configurations()
    want = [
        {"lr": lr, "b1": b1}
        for lr, b1 in itertools.product(np.geomspace(1e-3, 1e-1, 3), [0.8, 0.9])
    ]
    want += [{"lr": lr} for lr in np.linspace(0.01, 0.03, 3)]
    assert [c.values for c in configs] == want
    assert [c.config_id for c in configs] == list(range(9))
    assert [c.optimizer for c in configs] == [0] * 6 + [1] * 3


@pytest.mark.parametrize("kind", ["random", "sobol"])
def test_random_and_sobol_draw_deterministically_inside_the_ranges(kind):
    def make(seed):
        return booth_study(
            {
                "rule": "adam",
                "grid": {
                    "lr": {"log": [1e-4, 1e-1]},
                    "b1": {"linear": [0.5, 0.99]},
                    "b2": [0.99, 0.999],
                },
            },
            search={"kind": kind, "n": 256, "seed": seed},
        )

    a, b, c = make(3).configurations(), make(3).configurations(), make(4).configurations()
    assert [x.values for x in a] == [x.values for x in b]
    assert [x.values for x in a] != [x.values for x in c]
    lr = np.array([x.values["lr"] for x in a])
    b1 = np.array([x.values["b1"] for x in a])
    assert len(a) == 256 and lr.min() >= 1e-4 and lr.max() <= 1e-1
    assert b1.min() >= 0.5 and b1.max() <= 0.99
    assert {x.values["b2"] for x in a} == {0.99, 0.999}
    # log scale: each decade of [1e-4, 1e-1] holds about a third of the draws
    decades = np.histogram(np.log10(lr), bins=[-4, -3, -2, -1])[0]
    assert decades.min() > 256 / 3 * 0.7
    # linear scale: each half of the b1 range about half
    assert abs(np.mean(b1 < (0.5 + 0.99) / 2) - 0.5) < 0.12


def test_chunks_cover_each_configuration_once_the_last_padded():
    study = ds.Study(**SURFACE)
    chunks = study.chunks()
    assert [(c.optimizer, c.config_lo, c.config_hi, c.width) for c in chunks] == [
        (0, 0, 2, 2),
        (0, 2, 4, 2),
        (0, 4, 5, 2),
        (1, 5, 7, 2),
    ]
    covered = [i for c in chunks for i in range(c.config_lo, c.config_hi)]
    assert covered == list(range(len(study.configurations())))


def test_each_row_equals_minimize_run_directly(surface_study):
    frame = surface_study.results()
    assert len(frame) == 7 * 3 and not frame.duplicated(["config_id", "seed"]).any()
    surface = ds.surfaces.get("rosenbrock")
    starts = {
        s: ds.restarts(surface, ds.gd(), n=1, seed=s, max_steps=1).starts[0] for s in (0, 5, 7)
    }
    for row in frame[frame.seed == 5].itertuples():  # every configuration, one seed
        if row.optimizer == "adam":
            opt = ds.adam(lr=row.lr, b1=row.b1)
        else:
            opt = ds.momentum(lr=row.lr, form="ema")
        # the start ds.restarts draws for this seed, run on its own by ds.minimize; a batched
        # program may round float32 differently from a single one (both are XLA's), so the
        # losses agree to rounding, the steps and stop reasons exactly
        x0 = jax.numpy.asarray(starts[row.seed], jax.numpy.float32)
        direct = ds.minimize(surface, x0, opt, max_steps=300, tol=1e-6)
        assert row.steps == int(direct.steps)
        assert row.stop_reason == StopReason(int(direct.reason)).name.lower()
        np.testing.assert_allclose(row.final_loss, float(direct.loss), rtol=1e-3, atol=1e-6)
        np.testing.assert_allclose(row.best_loss, float(direct.best_loss), rtol=1e-3, atol=1e-6)
        assert row.gap == pytest.approx(row.final_loss - surface.min_value)


def test_each_row_equals_the_vmapped_restarts_exactly(surface_study):
    """The same program shape as ds.restarts over the study's seeds: bit-identical."""
    frame = surface_study.results()
    surface = ds.surfaces.get("rosenbrock")
    adam = frame[frame.optimizer == "adam"]
    for (lr, b1), rows in adam.groupby(["lr", "b1"]):
        lr32, b132 = (jax.numpy.float32(v) for v in (lr, b1))
        starts = np.stack(
            [ds.restarts(surface, ds.gd(), n=1, seed=s, max_steps=1).starts[0] for s in (0, 5, 7)]
        )
        assert np.array_equal(starts, surface_starts(build(surface_study.spec.problem), [0, 5, 7]))
        batch = jax.numpy.asarray(starts, jax.numpy.float32)
        res = jax.vmap(
            lambda x, lr32=lr32, b132=b132: ds.minimize(
                surface.f,
                x,
                ds.adam(lr=lr32, b1=b132),
                max_steps=300,
                tol=1e-6,
                record_every=300,
                record_path=False,
            )
        )(batch)
        assert rows.final_loss.tolist() == np.asarray(res.loss, np.float64).tolist()
        assert rows.steps.tolist() == np.asarray(res.steps).tolist()


class Reversed(Executor):
    """Runs the chunks last first (collecting every task before running any)."""

    def map(self, tasks):
        for task in reversed(list(tasks)):
            yield run_chunk(task)


def test_the_order_of_chunks_changes_nothing(surface_study, tmp_path):
    again = ds.Study(**SURFACE).run(tmp_path, executor=Reversed())
    a, b = surface_study.results(), again.results()
    assert a.equals(b)


def test_the_data_problem_equals_fit_run_directly(tmp_path):
    study = ds.Study(
        name="data",
        seeds=[0, 1],
        problem={"data": "moons", "batch_size": 50, "epochs": 4},
        optimizers=[{"rule": "gd", "grid": {"lr": [0.1, 1.0]}}],
    ).run(tmp_path)
    frame = study.results()
    assert list(frame.columns) == [*LR_RESULT_COLUMNS, "accuracy"]
    (data,) = ds.data.standardize(ds.data.moons())
    model = ds.models.logistic(2)
    for row in frame.itertuples():
        fitted = ds.fit(
            model,
            "binary_cross_entropy",
            data,
            ds.gd(lr=row.lr),
            batch_size=50,
            epochs=4,
            seed=row.seed,
        )
        curves = fitted.curves()
        assert row.steps == int(fitted.steps) == 16
        assert row.stop_reason == "max_epochs"
        np.testing.assert_allclose(row.final_loss, curves["loss"][-1], rtol=1e-5)
        np.testing.assert_allclose(row.best_loss, np.nanmin(curves["loss"]), rtol=1e-5)
        np.testing.assert_allclose(row.accuracy, curves["train_metric"][-1], rtol=1e-6)
    assert study.metric.name == "accuracy" and study.metric.goal == "max"


def test_a_chunk_is_plain_data_and_runs_the_same_twice(surface_study):
    from descend.study._driver import _tasks
    from descend.study._store import Store

    store = Store(surface_study.directory, readonly=True)
    try:
        lo, hi = 2, 4
        configs = store.configs(lo, hi)
    finally:
        store.close()
    from descend.study import ChunkTask

    values = {k: tuple(c[4][k] for c in configs) for k in configs[0][4]}
    task = ChunkTask(1, surface_study.canonical_json(), 0, (2, 3), values, 2)
    import pickle

    task = pickle.loads(pickle.dumps(task))  # what a worker process would receive
    first, second = run_chunk(task), run_chunk(task)
    for name in ("config_id", "seed", "final_loss", "best_loss", "steps", "reason", "metric"):
        a, b = getattr(first, name), getattr(second, name)
        assert isinstance(a, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    frame = surface_study.results()
    rows = frame[frame.config_id.isin([2, 3])]
    assert rows.final_loss.tolist() == first.final_loss.tolist()
    assert _tasks  # the driver builds tasks the same way (from the store's configurations)


def test_the_persistent_compilation_cache_is_on(surface_study, study_cache):
    assert enable_compilation_cache() == str(study_cache)
    assert jax.config.jax_compilation_cache_dir == str(study_cache)
    assert any(study_cache.iterdir())  # compiled programs were written there


def test_in_process_is_the_default_executor():
    assert InProcess().name == "in-process" and math.isfinite(1.0)


def test_in_process_runs_one_chunk_a_core_by_default():
    from descend.engine._cores import cores

    assert InProcess().workers == cores() >= 1


def test_chunks_in_threads_give_the_rows_of_one_at_a_time(surface_study, tmp_path):
    threaded = ds.Study(**SURFACE).run(tmp_path, executor=InProcess(workers=3))
    one = ds.Study(**SURFACE).run(tmp_path / "one", executor=InProcess(workers=1))
    assert threaded.results().equals(one.results())
    assert one.results().equals(surface_study.results())


def test_threads_pull_a_task_only_when_one_is_free(surface_study):
    from descend.study._chunks import planned_task

    spec_json, configs = surface_study.canonical_json(), surface_study.configurations()
    tasks = [planned_task(spec_json, plan, configs) for plan in surface_study.chunks()]
    assert len(tasks) >= 4
    pulled = []

    def source():
        for task in tasks:
            pulled.append(task.chunk_id)
            yield task

    outputs = InProcess(workers=2).map(source())
    first = next(outputs)
    assert len(pulled) <= 3  # two started, and at most one more once a thread was free
    rest = list(outputs)
    assert sorted(o.chunk_id for o in [first, *rest]) == sorted(t.chunk_id for t in tasks)


def test_a_failing_chunk_ends_the_map_with_its_error(surface_study):
    from descend.study import ChunkTask

    bad = ChunkTask(0, "{not json", 0, (0,), {"lr": (0.1,)}, 1)
    with pytest.raises(Exception, match=r"."):
        list(InProcess(workers=2).map(iter([bad, bad, bad])))


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2", True])
def test_workers_must_be_a_positive_integer(workers):
    with pytest.raises((TypeError, ValueError), match="workers must be an integer >= 1"):
        InProcess(workers=workers)


def test_the_progress_bar_counts_chunks_run_steps_per_second_and_time_left(tmp_path):
    import io

    stream = io.StringIO()
    study = ds.Study(**SURFACE)
    study.run(tmp_path, progress=stream)
    frames = stream.getvalue().split("\r")
    total = len(study.chunks())
    assert frames[1].startswith(f"chunks 0/{total} [")
    last = frames[-1]
    assert last.startswith(f"chunks {total}/{total} [{'#' * 24}]")
    assert "run-steps/s" in last and "left 0:00:00" in last and last.endswith("\n")
    rate = float(last.split("]")[1].split("run-steps/s")[0])
    assert rate > 0


def test_the_command_takes_workers_and_refuses_bad_ones_in_one_line(cli, tmp_path):
    from _study_helpers import write_spec

    spec = write_spec(tmp_path / "s.toml", SURFACE)
    argv = ["study", "run", str(spec), "--dir", str(tmp_path / "ok"), "-q", "--workers", "2"]
    code, out, err = cli(*argv)
    assert code == 0 and "chunks: 4/4 done" in out, err
    for extra, needle in [
        (("--workers", "0"), "--workers must be an integer >= 1; got 0"),
        (("--workers", "two"), "--workers must be an integer >= 1; got 'two'"),
        (("--workers", "2", "--ray"), "--workers sets the in-process executor's threads"),
    ]:
        code, _, err = cli("study", "run", str(spec), "--dir", str(tmp_path / "bad"), *extra)
        assert code == 2 and needle in err and err.count("\n") == 1, err
    assert not (tmp_path / "bad").exists()  # refused before anything was written
