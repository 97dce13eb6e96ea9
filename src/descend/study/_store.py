"""The study's store: one SQLite file (``DIR/study.sqlite``) in WAL mode, written only by the
driver.

Tables::

    spec     (id = 1, name, hash, json, format, descend, jax, numpy, created)
    configs  (config_id PRIMARY KEY, optimizer, name, rule, hyper)   -- hyper: JSON of values
    chunks   (chunk_id PRIMARY KEY, optimizer, config_lo, config_hi, width,
              state IN ('pending', 'running', 'done'), attempts, seconds, run_steps)
    results  (config_id, seed, final_loss, best_loss, steps, reason, metric, chunk_id,
              PRIMARY KEY (config_id, seed))

A chunk's results and its ``done`` mark are written in one transaction
(:meth:`Store.commit_chunk`): after a kill at any moment a chunk is either done with all its
rows or not done with none, and the primary key makes a chunk delivered twice harmless (its
rows are equal; the second copy is ignored). SQLite stores NaN as NULL; reading gives NaN back.

Every SQLite failure (a read-only folder or file, a full disk, a locked or corrupt file)
becomes a :class:`StudyError` of one line, after the open transaction is rolled back.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descend.engine import StopReason

FILE = "study.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS spec (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL, hash TEXT NOT NULL, json TEXT NOT NULL, format INTEGER NOT NULL,
    descend TEXT NOT NULL, jax TEXT NOT NULL, numpy TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS configs (
    config_id INTEGER PRIMARY KEY, optimizer INTEGER NOT NULL, name TEXT NOT NULL,
    rule TEXT NOT NULL, hyper TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY, optimizer INTEGER NOT NULL, config_lo INTEGER NOT NULL,
    config_hi INTEGER NOT NULL, width INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0, seconds REAL, run_steps INTEGER);
CREATE TABLE IF NOT EXISTS results (
    config_id INTEGER NOT NULL REFERENCES configs, seed INTEGER NOT NULL,
    final_loss REAL, best_loss REAL, steps INTEGER NOT NULL, reason INTEGER NOT NULL,
    metric REAL, chunk_id INTEGER NOT NULL REFERENCES chunks,
    PRIMARY KEY (config_id, seed)) WITHOUT ROWID;
"""
SPEC_COLUMNS = ("name", "hash", "json", "format", "descend", "jax", "numpy", "created")


class StudyError(Exception):
    """A study that cannot be read or written (no study in the folder, a different spec, a
    read-only or full disk, another driver at work): one line saying what and where."""


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, PermissionError) or getattr(err, "errno", None) == errno.EROFS:
        return f"{text} (the folder or the file is read-only)"
    if "readonly" in text or "read-only" in text:
        return f"{text} (the folder or the file is read-only)"
    if "disk is full" in text or "disk I/O" in text:
        return f"{text} (free some space and run descend study resume)"
    return text


@contextlib.contextmanager
def errors(what: str, path: Path) -> Iterator[None]:
    """Turn SQLite and file-system failures inside the block into one-line StudyErrors."""
    try:
        yield
    except (sqlite3.Error, OSError) as err:
        raise StudyError(f"{what} {str(path)!r}: {_reason(err)}") from err


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def _test_hook(chunk_id: int) -> None:
    """For the kill-and-resume test only: with ``DESCEND_STUDY_COMMIT_HOOK=FILE`` set, note
    the chunk in FILE and sleep ``DESCEND_STUDY_COMMIT_SLEEP`` seconds (default 2) inside the
    transaction, between the results and the done mark, so that a kill lands there."""
    import os

    path = os.environ.get("DESCEND_STUDY_COMMIT_HOOK")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{chunk_id}\n")
        time.sleep(float(os.environ.get("DESCEND_STUDY_COMMIT_SLEEP", "2")))


#: Folders of the kernel's virtual file systems: a study stored there would be lost or harm
#: the system (as root, ``--dir /dev`` would write into the device folder). ``/dev/shm``, a
#: plain in-memory file system, is allowed.
SYSTEM_FOLDERS = (Path("/dev"), Path("/proc"), Path("/sys"))


def refuse_system_folder(directory: Path) -> None:
    """Raise :class:`StudyError` when ``directory`` lies in one of :data:`SYSTEM_FOLDERS`."""
    resolved = directory.resolve()
    shm = Path("/dev/shm")
    if resolved == shm or shm in resolved.parents:
        return
    for system in SYSTEM_FOLDERS:
        if resolved == system or system in resolved.parents:
            raise StudyError(
                f"{str(directory)!r} is in {system}, a system folder; give a folder of your "
                "own for the study"
            )


class Store:
    """The SQLite store of one study directory (see the module docstring)."""

    def __init__(self, directory: str | Path, *, create: bool = False, readonly: bool = False):
        self.directory = Path(directory)
        self.path = self.directory / FILE
        if not create and not self.path.is_file():
            raise StudyError(
                f"no study in {str(self.directory)!r} (no {FILE}); start one with "
                "descend study run SPEC.toml --dir DIR"
            )
        with errors("cannot open the study in", self.directory):
            if create:
                self.directory.mkdir(parents=True, exist_ok=True)
            if readonly:
                self.conn = self._open_readonly()
            else:
                self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=FULL")
                self.conn.executescript(SCHEMA)

    def _open_readonly(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
            self._has_schema(conn)
            return conn
        except sqlite3.OperationalError:  # a WAL file in a read-only folder: read as it is
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
            self._has_schema(conn)
            return conn

    def _has_schema(self, conn: sqlite3.Connection) -> None:
        """Refuse a file whose tables were never written (a run killed as it created them)."""
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'spec'").fetchone()
        if found is None:
            conn.close()
            raise StudyError(
                f"{str(self.directory)!r} holds no study spec (an interrupted start); run "
                "descend study run SPEC.toml --dir DIR again"
            )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self, what: str) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any failure rolls the whole block back and
        becomes a StudyError."""
        with errors(what, self.directory):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise

    # -- the spec ----------------------------------------------------------------------------

    def spec_row(self) -> dict[str, Any] | None:
        """The stored spec (name, hash, json, versions), or None in a new store."""
        with errors("cannot read the study in", self.directory):
            cur = self.conn.execute(f"SELECT {', '.join(SPEC_COLUMNS)} FROM spec WHERE id = 1")
            row = cur.fetchone()
        return None if row is None else dict(zip(SPEC_COLUMNS, row, strict=True))

    def create(self, spec: Any, configs: Sequence[Any], chunks: Sequence[Any]) -> None:
        """Write a new study (its spec, configurations and pending chunks) in one
        transaction, replacing whatever the store held."""
        import jax

        import descend

        spec_names = [o.name for o in spec.optimizers]
        spec_rules = [o.rule for o in spec.optimizers]
        with self.transaction("cannot write the study in") as db:
            for table in ("results", "chunks", "configs", "spec"):
                db.execute(f"DELETE FROM {table}")
            db.execute(
                "INSERT INTO spec VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.name,
                    spec.hash,
                    spec.canonical_json(),
                    spec.canonical()["format"],
                    descend.__version__,
                    jax.__version__,
                    np.__version__,
                    time.time(),
                ),
            )
            db.executemany(
                "INSERT INTO configs VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        c.config_id,
                        c.optimizer,
                        spec_names[c.optimizer],
                        spec_rules[c.optimizer],
                        json.dumps(c.values),
                    )
                    for c in configs
                ),
            )
            db.executemany(
                "INSERT INTO chunks (chunk_id, optimizer, config_lo, config_hi, width, state) "
                "VALUES (?, ?, ?, ?, ?, 'pending')",
                ((p.chunk_id, p.optimizer, p.config_lo, p.config_hi, p.width) for p in chunks),
            )

    # -- chunks ------------------------------------------------------------------------------

    def configs(self, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, str, str, dict]]:
        """``(config_id, optimizer, name, rule, values)`` of configurations ``lo .. hi-1``."""
        hi = 2**62 if hi is None else hi
        with errors("cannot read the study in", self.directory):
            rows = self.conn.execute(
                "SELECT config_id, optimizer, name, rule, hyper FROM configs "
                "WHERE config_id >= ? AND config_id < ? ORDER BY config_id",
                (lo, hi),
            ).fetchall()
        return [(i, k, n, r, json.loads(h)) for i, k, n, r, h in rows]

    def chunks(self, state: str | None = None) -> list[tuple[int, int, int, int, int, int]]:
        """``(chunk_id, optimizer, config_lo, config_hi, width, attempts)`` in chunk order,
        of every chunk or of those in ``state``."""
        where = "" if state is None else "WHERE state = ?"
        with errors("cannot read the study in", self.directory):
            return self.conn.execute(
                "SELECT chunk_id, optimizer, config_lo, config_hi, width, attempts FROM chunks "
                f"{where} ORDER BY chunk_id",
                () if state is None else (state,),
            ).fetchall()

    def release_running(self) -> int:
        """Chunks marked running by a driver that is gone go back to pending; how many."""
        with self.transaction("cannot write the study in") as db:
            return db.execute(
                "UPDATE chunks SET state = 'pending' WHERE state = 'running'"
            ).rowcount

    def mark_running(self, chunk_id: int) -> int:
        """Mark a chunk running (a new attempt); returns the attempt's number."""
        with self.transaction("cannot write the study in") as db:
            db.execute(
                "UPDATE chunks SET state = 'running', attempts = attempts + 1 "
                "WHERE chunk_id = ? AND state != 'done'",
                (chunk_id,),
            )
            row = db.execute("SELECT attempts FROM chunks WHERE chunk_id = ?", (chunk_id,))
            return int(row.fetchone()[0])

    def commit_chunk(self, out: Any) -> int:
        """Write a chunk's results and mark it done, in one transaction; returns the rows
        added (0 when the chunk was done already: a retried chunk changes nothing)."""
        rows = zip(
            out.config_id.tolist(),
            out.seed.tolist(),
            out.final_loss.tolist(),
            out.best_loss.tolist(),
            out.steps.tolist(),
            out.reason.tolist(),
            out.metric.tolist(),
            [out.chunk_id] * len(out),
            strict=True,
        )
        with self.transaction("cannot write the results of the study in") as db:
            before = db.total_changes
            db.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (config_id, seed) DO NOTHING",
                rows,
            )
            added = db.total_changes - before
            _test_hook(out.chunk_id)
            db.execute(
                "UPDATE chunks SET state = 'done', seconds = ?, run_steps = ? WHERE chunk_id = ?",
                (out.seconds, int(out.steps.sum()), out.chunk_id),
            )
        return added

    # -- reading -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Chunks by state, runs done, run-steps done and the seconds the chunks took."""
        with errors("cannot read the study in", self.directory):
            states = dict(self.conn.execute("SELECT state, count(*) FROM chunks GROUP BY state"))
            (runs,) = self.conn.execute("SELECT count(*) FROM results").fetchone()
            steps, seconds = self.conn.execute(
                "SELECT coalesce(sum(run_steps), 0), coalesce(sum(seconds), 0) FROM chunks "
                "WHERE state = 'done'"
            ).fetchone()
            (configs,) = self.conn.execute("SELECT count(*) FROM configs").fetchone()
        return {
            "pending": states.get("pending", 0),
            "running": states.get("running", 0),
            "done": states.get("done", 0),
            "total": sum(states.values()),
            "runs": runs,
            "configs": configs,
            "run_steps": int(steps),
            "seconds": float(seconds),
        }

    def results(self, best: str | None = None) -> list[tuple[Any, ...]]:
        """Every result row joined with its configuration, by configuration then seed:
        ``(config_id, name, values, seed, final_loss, best_loss, steps, reason, metric)``.
        With ``best`` ("min" or "max"): only the run with the best finite metric among the
        runs that did not diverge (the first by configuration and seed among equals), found
        by SQLite (an index-free scan, no row in Python but that one)."""
        where, order = "", "r.config_id, r.seed"
        if best is not None:
            where = (
                f"WHERE r.reason != {int(StopReason.DIVERGED)} AND r.metric IS NOT NULL "
                "AND r.metric > -1e308 AND r.metric < 1e308"
            )
            order = f"r.metric {'ASC' if best == 'min' else 'DESC'}, {order} LIMIT 1"
        with errors("cannot read the study in", self.directory):
            rows = self.conn.execute(
                "SELECT r.config_id, c.name, c.hyper, r.seed, r.final_loss, r.best_loss, r.steps, "
                f"r.reason, r.metric FROM results r JOIN configs c USING (config_id) {where} "
                f"ORDER BY {order}"
            ).fetchall()
        return [
            (i, n, json.loads(h), s, _nan(f), _nan(b), st, rs, _nan(m))
            for i, n, h, s, f, b, st, rs, m in rows
        ]
