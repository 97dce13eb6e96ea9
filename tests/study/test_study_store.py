"""The study's store and its faces: one transaction per chunk, a retried chunk is harmless, a
full disk or a read-only folder is one clear line with nothing half-written, another spec is
refused unless --force, and the results and status read back what the runs computed."""

import io
import json
import os
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _study_helpers import LR_RESULT_COLUMNS, booth_study

import descend as ds
from descend.study import StudyError, run_chunk
from descend.study._driver import _tasks
from descend.study._store import Store

SPEC = """
name = "store"
steps = 200
seeds = 3
chunk_size = 6
[problem]
surface = "himmelblau"
[[optimizers]]
rule = "adam"
[optimizers.grid]
lr = [0.001, 0.01, 0.1, 0.3]
[[optimizers]]
rule = "gd"
[optimizers.grid]
lr = [0.001, 0.01, 0.05]
"""
N_RUNS = (4 + 3) * 3


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """A finished study (and its spec file)."""
    root = tmp_path_factory.mktemp("store")
    (root / "spec.toml").write_text(SPEC)
    ds.Study.from_toml(SPEC).run(root / "study")
    return root


def counts(directory):
    store = Store(directory, readonly=True)
    try:
        return store.counts()
    finally:
        store.close()


def test_the_store_is_sqlite_in_wal_mode_with_the_spec_and_its_hash(done):
    conn = sqlite3.connect(done / "study" / "study.sqlite")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        name, hash_, text, version = conn.execute(
            "SELECT name, hash, json, descend FROM spec"
        ).fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    study = ds.Study.from_toml(SPEC)
    assert (name, hash_, text, version) == (
        "store",
        study.hash,
        study.canonical_json(),
        ds.__version__,
    )
    assert {"spec", "configs", "chunks", "results"} <= tables


def test_a_retried_chunk_adds_nothing(done, tmp_path):
    study = ds.Study.from_toml(SPEC).run(tmp_path)
    before = study.results()
    store = Store(tmp_path)
    try:
        store.conn.execute("UPDATE chunks SET state = 'pending' WHERE chunk_id = 1")
        (task,) = [t for t in _tasks(store, study.canonical_json()) if t.chunk_id == 1]
        out = run_chunk(task)
        assert store.commit_chunk(out) == 0  # the rows are there already: ignored
        assert store.commit_chunk(out) == 0
    finally:
        store.close()
    assert study.results().equals(before)
    assert counts(tmp_path)["done"] == counts(tmp_path)["total"]


def test_a_full_disk_rolls_the_chunk_back_and_says_so(tmp_path):
    # one chunk of 2,000 runs: its rows need pages the file does not have
    study = ds.Study(
        name="full",
        steps=20,
        seeds=100,
        chunk_size=2000,
        problem={"surface": "himmelblau"},
        optimizers=[{"rule": "gd", "grid": {"lr": {"log": [1e-4, 1e-2], "num": 40}}}],
    )
    from descend.study._driver import open_for_run

    store = open_for_run(study.spec, tmp_path, force=False)
    try:
        tasks = _tasks(store, study.canonical_json())
        out = run_chunk(next(tasks))
        # no page may be added: SQLite answers "database or disk is full" (SQLITE_FULL)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StudyError) as err:
            store.commit_chunk(out)
    finally:
        store.close()
    message = str(err.value)
    assert "database or disk is full" in message and "\n" not in message
    assert str(tmp_path) in message
    c = counts(tmp_path)
    assert (c["runs"], c["done"], c["running"]) == (0, 0, 1)  # nothing half-written
    # with room again, resume finishes the study
    ds.Study.load(tmp_path).resume()
    assert counts(tmp_path)["runs"] == 40 * 100


def _as_nobody(fn):
    """Call ``fn`` in a child process without root's rights (root writes anywhere); its
    return value (a short string) comes back through a pipe."""
    if os.geteuid() != 0:
        return fn()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            text = fn()
        except BaseException as err:
            text = f"raised {type(err).__name__}: {err}"
        os.write(write, text.encode()[:60000])
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        text = fh.read()
    os.waitpid(pid, 0)
    return text


@pytest.fixture
def shared_dir():
    """A folder that another user can enter (pytest's own are private to root)."""
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix="descend-study-")
    os.chmod(path, 0o755)
    yield Path(path)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o755)
    shutil.rmtree(path)


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")  # the child runs no JAX
def test_a_read_only_folder_is_one_clear_line_and_nothing_changes(done, shared_dir):
    import shutil

    from descend.cli import main

    target = shared_dir / "ro"
    shutil.copytree(done / "study", target)
    spec = shared_dir / "spec.toml"
    shutil.copy(done / "spec.toml", spec)
    conn = sqlite3.connect(target / "study.sqlite")
    with conn:  # one chunk left to do, so that resume has something to write
        conn.execute("DELETE FROM results WHERE chunk_id = 0")
        conn.execute("UPDATE chunks SET state = 'pending' WHERE chunk_id = 0")
    conn.close()
    before = counts(target)
    for path in [target, *target.iterdir()]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)

    def attempt():
        lines = []
        for argv in (
            ["study", "resume", str(target), "-q"],
            ["study", "run", str(spec), "--dir", str(target / "new")],
        ):
            sys.stderr, saved = io.StringIO(), sys.stderr
            try:
                code = main(argv)
            finally:
                sys.stderr, err = saved, sys.stderr.getvalue()
            lines.append(f"{code}|{err}")
        frame = ds.Study.load(target).results()  # reading needs no write
        return json.dumps([lines, len(frame)])

    (resume, run), rows = json.loads(_as_nobody(attempt))
    for outcome, prog in ((resume, "descend study resume"), (run, "descend study run")):
        code, err = outcome.split("|", 1)
        assert code == "1", err
        assert err.count("\n") == 1 and err.startswith(f"{prog}: error: ")
        assert "read-only" in err
    assert rows == N_RUNS - 2 * 3  # chunk 0's two configurations x three seeds are missing
    assert counts(target) == before


def test_another_spec_is_refused_unless_force(done, tmp_path, cli):
    other = tmp_path / "other.toml"
    other.write_text(SPEC.replace('name = "store"', 'name = "other"'))
    target = tmp_path / "study"
    import shutil

    shutil.copytree(done / "study", target)
    code, _, err = cli("study", "run", str(other), "--dir", str(target), "-q")
    assert code == 2 and err.count("\n") == 1
    old, new = ds.Study.from_toml(SPEC).hash, ds.Study.from_toml(other.read_text()).hash
    assert "holds another study: 'store'" in err and old[:12] in err and new[:12] in err
    assert "--force" in err
    assert ds.Study.load(target).hash == old  # untouched
    code, _, err = cli("study", "run", str(other), "--dir", str(target), "-q", "--force")
    assert code == 0, err
    assert ds.Study.load(target).hash == new and ds.Study.load(target).name == "other"
    # the same spec again continues (here: nothing left to do) and changes nothing
    frame = ds.Study.load(target).results()
    code, _out, err = cli("study", "run", str(other), "--dir", str(target), "-q")
    assert code == 0 and ds.Study.load(target).results().equals(frame)


def test_results_as_csv_json_and_parquet_hold_the_same_rows(done, tmp_path, cli):
    directory = str(done / "study")
    frame = ds.Study.load(directory).results()
    assert len(frame) == N_RUNS
    assert list(frame.columns) == [*LR_RESULT_COLUMNS, "gap"]
    code, out, err = cli("study", "results", directory, "--format", "csv")
    assert code == 0 and err == ""
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(out)), frame)
    code, out, err = cli("study", "results", directory, "--format", "json")
    assert code == 0
    pd.testing.assert_frame_equal(pd.DataFrame(json.loads(out)), frame)
    path = tmp_path / "runs.parquet"
    code, out, err = cli("study", "results", directory, "--format", "parquet", "--out", str(path))
    assert code == 0 and out == ""
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    code, out, err = cli("study", "results", directory, "--format", "parquet")
    assert code == 2 and "--out" in err
    # the rows are the runs: the metric is the gap to Himmelblau's minimum, the reasons names
    himmelblau = ds.surfaces.get("himmelblau")
    np.testing.assert_allclose(frame.gap, frame.final_loss - himmelblau.min_value)
    assert set(frame.stop_reason) <= {r.name.lower() for r in ds.StopReason}


def test_status_json_counts_the_chunks_and_names_the_best_run(done, cli):
    code, out, _ = cli("study", "status", str(done / "study"), "--json")
    assert code == 0
    status = json.loads(out)
    study = ds.Study.from_toml(SPEC)
    total = len(study.chunks())
    assert status["chunks"] == {"done": total, "running": 0, "pending": 0, "total": total}
    assert status["runs"] == {"done": N_RUNS, "total": N_RUNS} and status["complete"]
    assert status["hash"] == study.hash and status["metric"]["name"] == "gap"
    frame = ds.Study.load(done / "study").results()
    ok = frame[frame.stop_reason != "diverged"]
    best = ok.loc[ok.gap.idxmin()]
    assert (status["best"]["config_id"], status["best"]["seed"]) == (best.config_id, best.seed)
    assert status["best"]["gap"] == best.gap
    code, out, _err = cli("study", "status", str(done / "study"))
    assert code == 0 and f"chunks: {total}/{total} done" in out


def test_a_folder_without_a_study_is_refused(tmp_path, cli):
    for action in ("resume", "status", "results"):
        code, _out, err = cli("study", action, str(tmp_path))
        assert code == 2 and "no study in" in err and err.count("\n") == 1
    with pytest.raises(StudyError, match="no study in"):
        ds.Study.load(tmp_path)


def test_a_store_killed_before_its_tables_were_written_is_named_so(tmp_path, cli):
    (tmp_path / "study.sqlite").touch()  # what a run killed as it opened the file leaves
    for action in ("resume", "status", "results"):
        code, _out, err = cli("study", action, str(tmp_path))
        assert code == 2 and "holds no study spec (an interrupted start)" in err
        assert err.count("\n") == 1
    with pytest.raises(StudyError, match="an interrupted start"):
        ds.Study.load(tmp_path)


def test_status_and_report_count_every_trial_of_an_optuna_search_asked_or_not():
    grid = {"lr": {"log": [1e-3, 1e-1], "num": 4}}
    optimizers = [{"rule": "gd", "grid": grid}, {"rule": "adam", "grid": grid}]
    optuna = booth_study(*optimizers, seeds=3, search={"kind": "optuna", "trials": 10})
    assert optuna.total_runs(stored_configs=4) == 2 * 10 * 3  # trials not yet asked count
    plain = booth_study(*optimizers, seeds=3)
    assert plain.total_runs(len(plain.configurations())) == 8 * 3
