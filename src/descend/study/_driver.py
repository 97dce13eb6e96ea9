"""The driver: the one process that writes a study's store. It opens (or creates) the store,
takes the directory's lock, hands pending chunks to an executor and commits each chunk's
results with its done mark, drawing a progress bar as it goes.

Run and resume are the same loop: chunks left ``running`` by a driver that was killed go
back to ``pending`` and run again (from the configurations the store holds), chunks ``done``
are never run again. So after a kill at any moment the study continues where its last
commit left it, and ends with the rows an uninterrupted run writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from descend.study._chunks import ChunkTask, task_of
from descend.study._configs import configurations, plan_chunks
from descend.study._executors import Executor, InProcess
from descend.study._spec import Spec, from_canonical
from descend.study._store import Store, StudyError, errors, refuse_system_folder

LOCK = "study.lock"


@contextlib.contextmanager
def driver_lock(directory: Path) -> Iterator[None]:
    """Hold ``DIR/study.lock`` (an exclusive ``flock``, which the system releases when the
    process dies, however it dies): a second driver on the same directory is refused."""
    path = directory / LOCK
    with errors("cannot lock the study in", directory):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StudyError(
                f"another descend study driver is at work in {str(directory)!r}; "
                "wait for it or stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


class Progress:
    """``chunks 12/40 [######..........] 3.1e+07 run-steps/s  left 0:00:42`` on a stream
    (standard error by default), redrawn in place after each chunk. The rate and the time
    left are measured over the chunks of this session."""

    def __init__(self, total: int, done: int, stream: TextIO | None = None, width: int = 24):
        self.total, self.done, self.width = total, done, width
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self.steps = 0
        self.session = 0
        self.draw()

    def update(self, run_steps: int) -> None:
        self.done += 1
        self.session += 1
        self.steps += run_steps
        self.draw()

    def draw(self) -> None:
        elapsed = time.perf_counter() - self.start
        filled = round(self.width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        text = f"\rchunks {self.done:>{len(str(self.total))}}/{self.total} [{bar}]"
        if self.session and elapsed > 0:
            left = (self.total - self.done) * elapsed / self.session
            text += f" {self.steps / elapsed:.2e} run-steps/s  left {_clock(left)}"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def open_for_run(spec: Spec, directory: Path, force: bool) -> Store:
    """The store of ``directory`` for ``spec``: created when new, kept when it holds the
    same spec (the run continues), refused when it holds another unless ``force`` (which
    replaces it: its results are deleted). A search whose packages are missing is refused
    before the store is created, so nothing is written."""
    if spec.search.kind == "optuna":
        from descend.study import _optuna

        _optuna.require(spec)
    store = Store(directory, create=True)
    try:
        row = store.spec_row()
        if row is not None and row["hash"] == spec.hash:
            return store
        if row is not None and not force:
            raise StudyError(
                f"{str(directory)!r} holds another study: {row['name']!r} (spec "
                f"{row['hash'][:12]}), not {spec.name!r} (spec {spec.hash[:12]}); use --force "
                "to replace it (its results are deleted) or choose another --dir"
            )
        if spec.search.kind == "optuna":  # trials are asked chunk by chunk as the study runs
            from descend.study import _optuna

            _optuna.create(store, spec)
            return store
        configs = configurations(spec)
        store.create(spec, configs, plan_chunks(spec, configs))
        return store
    except BaseException:
        store.close()
        raise


def running_task(store: Store, spec_json: str, chunk: tuple[Any, ...]) -> ChunkTask:
    """The store's chunk row ``chunk`` (``chunk_id, optimizer, lo, hi, width, ...``) as a
    task over its stored configurations, the chunk marked running (a new attempt) now; its
    configurations must be in the store."""
    chunk_id, optimizer, lo, hi, width = chunk[:5]
    configs = [(c[0], c[4]) for c in store.configs(lo, hi)]
    attempt = store.mark_running(chunk_id)
    return task_of(chunk_id, spec_json, optimizer, configs, width, attempt)


def _tasks(store: Store, spec_json: str) -> Iterator[ChunkTask]:
    """The pending chunks as tasks, in chunk order; each is marked running (a new attempt)
    just before it is handed over."""
    for chunk in store.chunks("pending"):
        yield running_task(store, spec_json, chunk)


def drive(
    store: Store, executor: Executor | None = None, progress: bool | TextIO = False
) -> dict[str, Any]:
    """Run every chunk of ``store`` that is not done (see the module docstring) and return
    the store's counts afterwards. ``progress``: True for a bar on standard error, or a
    stream to draw it on."""
    spec_json = store.spec_row()["json"]
    spec = from_canonical(spec_json)  # a store written by another version must still be valid
    store.release_running()
    counts = store.counts()
    executor = executor or InProcess()
    bar = None
    if progress:
        stream = progress if hasattr(progress, "write") else None
        bar = Progress(counts["total"], counts["done"], stream)

    def deliver(out: Any) -> None:
        store.commit_chunk(out)
        if bar is not None:
            bar.update(int(out.steps.sum()))

    try:
        if spec.search.kind == "optuna":  # each chunk's trials asked after the ones before
            from descend.study import _optuna

            _optuna.drive(store, spec, spec_json, executor, deliver)
        else:
            for out in executor.map(_tasks(store, spec_json)):
                deliver(out)
    finally:
        if bar is not None:
            bar.close()
    return store.counts()


def run(
    spec: Spec,
    directory: str | Path,
    *,
    force: bool = False,
    executor: Executor | None = None,
    progress: bool | TextIO = False,
) -> dict[str, Any]:
    """Start (or continue) the study ``spec`` in ``directory`` and run it to the end."""
    directory = Path(directory)
    refuse_system_folder(directory)
    with errors("cannot create the study folder", directory):
        directory.mkdir(parents=True, exist_ok=True)
    with driver_lock(directory), open_for_run(spec, directory, force) as store:
        return drive(store, executor, progress)


def resume(
    directory: str | Path, *, executor: Executor | None = None, progress: bool | TextIO = False
) -> dict[str, Any]:
    """Continue the study stored in ``directory`` from its store, to the end."""
    directory = Path(directory)
    if not (directory / "study.sqlite").is_file():
        Store(directory)  # raises the StudyError that says there is no study
    with driver_lock(directory), Store(directory) as store:
        if store.spec_row() is None:
            raise StudyError(
                f"{str(directory)!r} holds no study spec (an interrupted "
                "start); run descend study run SPEC.toml --dir DIR again"
            )
        return drive(store, executor, progress)
