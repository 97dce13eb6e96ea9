"""Kill -9 and resume, tested the way Ray Tune and SQLite test theirs: the driver runs as a
subprocess (``python -m descend study run/resume``), is killed with SIGKILL at random points
several times (one of them inside a chunk's commit transaction), and is resumed until the
study is done. Its store must then hold exactly the rows of an uninterrupted run, bit for
bit: nothing lost, nothing duplicated."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
from _study_helpers import write_spec

from descend.cli import main

SPEC = dict(
    name="kill-resume",
    steps=1500,
    seeds=4,
    chunk_size=16,  # 4 configurations x 4 seeds per chunk: 48 chunks
    problem={"surface": "rosenbrock"},
    optimizers=[
        {
            "rule": "adam",
            "grid": {"lr": {"log": [1e-3, 1e-1], "num": 24}, "b1": [0.8, 0.9, 0.95, 0.99]},
        },
        {
            "rule": "momentum",
            "grid": {"lr": {"log": [1e-5, 1e-3], "num": 32}, "beta": [0.5, 0.9, 0.99]},
        },
    ],
)
N_RUNS = (24 * 4 + 32 * 3) * 4
N_CHUNKS = 24 + 24


def driver(args, env=None):
    """Start ``descend study ...`` in a new process (its output kept for the failure message)."""
    return subprocess.Popen(
        [sys.executable, "-m", "descend", "study", *args, "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def query(directory, sql):
    """One read of the store (None while it does not exist yet or has no tables)."""
    path = directory / "study.sqlite"
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return None


def done_chunks(directory):
    rows = query(directory, "SELECT count(*) FROM chunks WHERE state = 'done'")
    return rows[0][0] if rows else 0


def has_spec(directory):
    rows = query(directory, "SELECT count(*) FROM spec")
    return bool(rows and rows[0][0])


def start(directory, spec_path, env=None):
    """``run`` while the store has no spec yet (a kill before it was written), else
    ``resume``."""
    if has_spec(directory):
        return driver(["resume", str(directory)], env)
    return driver(["run", str(spec_path), "--dir", str(directory)], env)


def kill(proc):
    """SIGKILL; True if it landed (False: the driver had just finished on its own)."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode in (-signal.SIGKILL, 0), proc.stderr.read().decode()[-2000:]
    return proc.returncode == -signal.SIGKILL


def all_rows(directory):
    return query(directory, "SELECT * FROM results ORDER BY config_id, seed")


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_rows(tmp_path):
    spec_path = write_spec(tmp_path / "spec.toml", SPEC)
    rng = np.random.default_rng(2026)
    evidence = []

    # the reference: one uninterrupted run, in its own process
    reference = tmp_path / "reference"
    t0 = time.perf_counter()
    proc = driver(["run", str(spec_path), "--dir", str(reference)])
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    uninterrupted = time.perf_counter() - t0

    study = tmp_path / "killed"
    hook = tmp_path / "commit-hook.txt"

    def kill_at_start(k):
        """At a random moment of the start (importing, opening the store, compiling, or the
        first chunks)."""
        proc = start(study, spec_path)
        delay = float(rng.uniform(0.2, 0.8 * uninterrupted))
        time.sleep(delay)
        before = done_chunks(study)
        landed = kill(proc)
        return {
            "kill": k,
            "moment": f"{delay:.2f} s after the start",
            "done": before,
            "landed": landed,
        }

    def kill_after_progress(k):
        """A random 1-4 chunks further on, then a random 0-50 ms later."""
        proc = start(study, spec_path)
        target = min(done_chunks(study) + int(rng.integers(1, 5)), N_CHUNKS - 2)
        deadline = time.monotonic() + 60
        while done_chunks(study) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        extra = float(rng.uniform(0.0, 0.05))
        time.sleep(extra)
        before = done_chunks(study)
        landed = proc.poll() is None and kill(proc)
        moment = f"{extra * 1000:.0f} ms after {target} chunks were done"
        return {"kill": k, "moment": moment, "done": before, "landed": landed}

    def kill_in_commit(k):
        """Inside the next chunk's commit transaction: its results written, its done mark
        not (the test hook sleeps there)."""
        proc = start(
            study,
            spec_path,
            {"DESCEND_STUDY_COMMIT_HOOK": str(hook), "DESCEND_STUDY_COMMIT_SLEEP": "60"},
        )
        deadline = time.monotonic() + 60
        while not (hook.exists() and hook.read_text().strip()) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            time.sleep(0.005)
        chunk = int(hook.read_text().split()[0])
        # while it holds the study, a second driver is refused (one line, exit 1)
        assert main(["study", "resume", str(study), "-q"]) == 1
        before = done_chunks(study)
        landed = kill(proc)
        # that transaction rolled back: the chunk is not done and none of its rows are there
        state = query(study, f"SELECT state FROM chunks WHERE chunk_id = {chunk}")[0][0]
        rows = query(study, f"SELECT count(*) FROM results WHERE chunk_id = {chunk}")[0][0]
        assert landed and state == "running" and rows == 0
        return {
            "kill": k,
            "moment": f"inside the commit of chunk {chunk} (rolled back: "
            f"{rows} rows, state {state})",
            "done": before,
            "landed": landed,
        }

    plan = [
        kill_at_start,
        kill_after_progress,
        kill_after_progress,
        kill_in_commit,
        kill_after_progress,
    ]
    for k, step in enumerate(plan, 1):
        evidence.append(step(k))
    assert sum(e["landed"] for e in evidence) >= 4

    # resume until done
    resumes = 0
    while done_chunks(study) < N_CHUNKS:
        proc = start(study, spec_path)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
        resumes += 1

    # the same rows as the uninterrupted run, bit for bit; each run once
    got, want = all_rows(study), all_rows(reference)
    assert len(want) == N_RUNS
    assert len(got) == len(want)
    assert got == want
    distinct = query(study, "SELECT count(DISTINCT config_id || ':' || seed) FROM results")
    assert distinct[0][0] == N_RUNS
    states = query(study, "SELECT state, count(*) FROM chunks GROUP BY state")
    assert states == [("done", N_CHUNKS)]
    attempts = query(study, "SELECT max(attempts) FROM chunks")[0][0]
    assert attempts >= 2  # the chunk killed in its commit ran again
    evidence.append(
        {
            "rows": len(got),
            "reference_rows": len(want),
            "identical": got == want,
            "max_attempts": attempts,
            "resumes_to_finish": resumes,
            "uninterrupted_s": round(uninterrupted, 2),
        }
    )
    print(json.dumps(evidence, indent=1))
