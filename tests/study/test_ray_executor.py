"""The Ray executor (issue 13): the same rows as in process, bit for bit; a worker that dies
mid-chunk is retried harmlessly; a bounded number of chunks in flight; ``import ray`` only
when asked for, and a one-line exit 2 when it is missing. One local 2-CPU cluster
(``ray_cluster``) serves every test."""

import os
import sqlite3
import subprocess
import sys

import pytest
from _study_helpers import write_spec

import descend as ds
from descend.study import InProcess, run_chunk
from descend.study._chunks import ChunkTask, planned_task

pytest.importorskip("ray")

from descend.study import Ray

SPEC = dict(
    name="ray-vs-in-process",
    steps=400,
    seeds=3,
    chunk_size=12,  # 4 configurations x 3 seeds per chunk
    problem={"surface": "rosenbrock"},
    optimizers=[
        {"rule": "adam", "grid": {"lr": {"log": [1e-3, 3e-1], "num": 6}, "b1": [0.8, 0.95]}},
        {"rule": "momentum", "grid": {"lr": {"log": [1e-5, 1e-3], "num": 5}}},
    ],
)
N_RUNS = (6 * 2 + 5) * 3
N_CHUNKS = 3 + 2


def stored(directory):
    """Every table row that a study writes (the results as raw bytes of their floats)."""
    conn = sqlite3.connect(directory / "study.sqlite")
    try:
        results = conn.execute(
            "SELECT config_id, seed, final_loss, best_loss, steps, reason, metric, chunk_id "
            "FROM results ORDER BY config_id, seed"
        ).fetchall()
        configs = conn.execute("SELECT * FROM configs ORDER BY config_id").fetchall()
        chunks = conn.execute(
            "SELECT chunk_id, config_lo, config_hi, width, state, attempts FROM chunks"
        ).fetchall()
    finally:
        conn.close()
    return results, configs, chunks


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    directory = tmp_path_factory.mktemp("in-process")
    ds.Study(**SPEC).run(directory, executor=InProcess())
    return stored(directory)


def test_ray_gives_the_in_process_rows_bit_for_bit(ray_cluster, tmp_path, in_process):
    with Ray(max_in_flight=2) as executor:
        ds.Study(**SPEC).run(tmp_path, executor=executor)
    assert ray_cluster.is_initialized()  # the executor joined the session's cluster, left it up
    results, configs, chunks = stored(tmp_path)
    assert len(results) == N_RUNS and len(chunks) == N_CHUNKS
    assert (results, configs, chunks) == in_process
    assert all(state == "done" and attempts == 1 for *_, state, attempts in chunks)


def test_a_chunk_runs_in_a_worker_on_the_same_program_and_cache(ray_cluster, study_cache):
    study = ds.Study(**SPEC)
    task = planned_task(study.canonical_json(), study.chunks()[1], study.configurations())
    here = run_chunk(task)
    (there,) = Ray(max_in_flight=1).map([task])
    assert there.extra["pid"] != os.getpid()
    assert there.extra["cache"] == str(study_cache)  # the worker's persistent cache
    for name in ("config_id", "seed", "final_loss", "best_loss", "steps", "reason", "metric"):
        a, b = getattr(here, name), getattr(there, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_a_worker_that_dies_mid_chunk_is_retried_harmlessly(
    ray_cluster, tmp_path, monkeypatch, in_process
):
    marker = tmp_path / "died"
    monkeypatch.setenv("DESCEND_STUDY_WORKER_DIE", f"2:{marker}")
    with Ray(max_in_flight=2, max_retries=2) as executor:
        ds.Study(**SPEC).run(tmp_path / "study", executor=executor)
    # the first attempt of chunk 2 killed its worker (os._exit inside the Ray task) ...
    assert marker.is_file() and int(marker.read_text()) != os.getpid()
    # ... Ray ran it again, and the store holds each run once, equal to the in-process rows
    results, configs, chunks = stored(tmp_path / "study")
    assert len(results) == N_RUNS
    assert len({(r[0], r[1]) for r in results}) == N_RUNS
    assert (results, configs, chunks) == in_process


def test_a_worker_death_without_retries_ends_the_run_and_resume_finishes(
    ray_cluster, tmp_path, monkeypatch, in_process
):
    """With max_retries=0 the dying chunk fails the run: it stays 'running' (not done) and
    the chunks already committed stay; a resume runs what is left, to the same rows."""
    monkeypatch.setenv("DESCEND_STUDY_WORKER_DIE", f"1:{tmp_path / 'died'}")
    study = ds.Study(**SPEC)
    executor = Ray(max_in_flight=1, max_retries=0)
    with pytest.raises(Exception, match=r"(?i)worker|died|crash|exit"), executor:
        study.run(tmp_path / "study", executor=executor)
    _, _, chunks = stored(tmp_path / "study")
    states = {c[0]: c[4] for c in chunks}
    assert states[0] == "done" and states[1] == "running"
    with Ray(max_in_flight=2) as executor:
        ds.Study.load(tmp_path / "study").resume(executor=executor)
    results, configs, chunks = stored(tmp_path / "study")
    assert (results, configs) == in_process[:2]
    assert {c[0]: c[5] for c in chunks}[1] == 2  # chunk 1 was handed over twice


def test_no_more_than_max_in_flight_chunks_are_pulled_ahead(ray_cluster):
    study = ds.Study(**{**SPEC, "chunk_size": 3})  # one configuration per chunk: 17 chunks
    spec_json = study.canonical_json()
    tasks = [
        ChunkTask(p.chunk_id, spec_json, p.optimizer, (c.config_id,), dict_of(c), 1)
        for p, c in zip(study.chunks(), study.configurations(), strict=True)
    ][:8]
    pulled = 0

    def source():
        nonlocal pulled
        for task in tasks:
            pulled += 1
            yield task

    ahead, ids = [], []
    for out in Ray(max_in_flight=3).map(source()):
        ahead.append(pulled - len(ids))  # pulled and not yet yielded, this one included
        ids.append(out.chunk_id)
    assert sorted(ids) == list(range(8))
    assert max(ahead) == 3 and all(a <= 3 for a in ahead)


def dict_of(config):
    return {k: (v,) for k, v in config.values.items()}


def test_the_command_line_runs_and_resumes_on_ray(ray_cluster, cli, tmp_path, in_process):
    spec = write_spec(tmp_path / "spec.toml", SPEC)
    code, out, err = cli("study", "run", str(spec), "--dir", str(tmp_path / "s"), "--ray", "-q")
    assert code == 0, err
    assert "chunks: 5/5 done" in out
    code, out, err = cli("study", "resume", str(tmp_path / "s"), "--ray", "-q")
    assert code == 0, err
    assert stored(tmp_path / "s") == in_process


LAZY = """
import sys
import descend
from descend.cli import main
code = main(["study", "run", sys.argv[1], "--dir", sys.argv[2], "-q"])
assert code == 0, code
loaded = sorted(m for m in ("ray", "optuna") if m in sys.modules)
assert not loaded, loaded
print("lazy")
"""

BLOCK_RAY = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "ray":
            raise ModuleNotFoundError("No module named 'ray'")
sys.meta_path.insert(0, Block())
from descend.cli import main
raise SystemExit(main(["study", "run", sys.argv[1], "--dir", sys.argv[2], "--ray", "-q"]))
"""


def test_importing_descend_or_running_in_process_never_imports_ray(tmp_path):
    spec = write_spec(tmp_path / "spec.toml", {**SPEC, "steps": 50})
    proc = subprocess.run(
        [sys.executable, "-c", LAZY, str(spec), str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "lazy" in proc.stdout, proc.stderr[-2000:]


def test_without_ray_the_option_is_one_line_and_exit_2(tmp_path):
    spec = write_spec(tmp_path / "spec.toml", SPEC)
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_RAY, str(spec), str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1
    assert "descend study run: error:" in proc.stderr
    assert "pip install 'descend[study]'" in proc.stderr
    assert not (tmp_path / "s").exists()  # refused before anything was written


def test_bad_executor_arguments_are_refused():
    with pytest.raises(ValueError, match="max_in_flight"):
        Ray(max_in_flight=0)
    with pytest.raises(ValueError, match="max_retries"):
        Ray(max_retries=-1)


def test_an_optuna_study_on_ray_asks_and_stores_what_in_process_does(ray_cluster, tmp_path):
    """Each optimizer's chunks go one after the other (the trials of one depend on the values
    of the ones before); the two optimizers' chunks run side by side on the cluster."""
    spec = {
        **SPEC,
        "chunk_size": 12,
        "optimizers": [
            {"rule": "adam", "grid": {"lr": {"log": [1e-3, 3e-1]}, "b1": [0.8, 0.95]}},
            {"rule": "momentum", "grid": {"lr": {"log": [1e-5, 1e-3]}}},
        ],
        "search": {"kind": "optuna", "sampler": "tpe", "trials": 10},
    }
    ds.Study(**spec).run(tmp_path / "here")
    with Ray(max_in_flight=2) as executor:
        ds.Study(**spec).run(tmp_path / "there", executor=executor)
    here, there = stored(tmp_path / "here"), stored(tmp_path / "there")
    assert len(here[0]) == 2 * 10 * 3 and here == there
