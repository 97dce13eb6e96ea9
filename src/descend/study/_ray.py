"""The Ray executor: each chunk is one Ray task (``run_chunk`` in a Ray worker), with retries,
and the driver keeps a bounded number in flight.

- ``Ray()`` (``descend study run ... --ray``) starts a local Ray cluster of this machine's
  cores (or uses the one this process has already started), and shuts down what it started
  on :meth:`Ray.close`;
- ``Ray(address="HOST:PORT")`` (``--address``) joins an existing cluster, whose workers must
  have descend (the same version) installed.

The contract is :class:`descend.study._executors.Executor`'s: :meth:`Ray.map` pulls a task
from the driver's iterator only when fewer than ``max_in_flight`` are in flight (the driver
marks a chunk running as it hands it over), submits it and yields outputs as they finish, in
any order. A worker that dies mid-chunk (killed, out of memory, a lost node) has its task run
again by Ray, up to ``max_retries`` times: ``run_chunk`` is a pure function of its task, so
the retry returns the same output, and the store's unique keys would make even a second
delivery harmless. A Python exception inside a chunk is not retried by default
(``retry_exceptions=False``: it is deterministic and would fail again); it ends the run, and
the chunks in flight run again on resume.

Results are bit-identical to the in-process executor on the same machine: a worker runs the
same compiled program on the same inputs. Each task carries the driver's ``DESCEND_*``
settings (:data:`FORWARD`), so workers use the same persistent compilation cache
(``DESCEND_CACHE_DIR``, else each worker machine's user cache).

``import ray`` happens only when a ``Ray`` executor is made: importing descend, or running
in process, never imports Ray.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from descend.study._chunks import ChunkOutput, ChunkTask, run_chunk
from descend.study._executors import Executor
from descend.study._store import StudyError

#: environment variables the driver passes to each task (set in the worker before the chunk)
FORWARD = ("DESCEND_CACHE_DIR", "DESCEND_STUDY_WORKER_DIE")
INSTALL = "pip install 'descend[study]'"


def import_ray() -> Any:
    """``import ray``, or a one-line :class:`StudyError` naming the package to install."""
    try:
        import ray
    except ImportError:
        raise StudyError(
            f"the Ray executor (--ray, --address) needs the ray package: {INSTALL}"
        ) from None
    return ray


def _worker_hook(task: ChunkTask) -> None:
    """For the retry test only: with ``DESCEND_STUDY_WORKER_DIE=CHUNK:FILE``, the first
    attempt of chunk CHUNK (the one that finds no FILE) creates FILE and kills its worker
    process (``os._exit(1)``) in the middle of the chunk, as a crash or an OOM kill would."""
    spec = os.environ.get("DESCEND_STUDY_WORKER_DIE")
    if not spec:
        return
    chunk, _, path = spec.partition(":")
    if int(chunk) == task.chunk_id and path:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        os._exit(1)


def run_in_worker(task: ChunkTask, env: dict[str, str]) -> ChunkOutput:
    """What a Ray worker runs for one task: set the driver's settings, run the chunk, and
    note the worker's process id and compilation cache in ``extra``."""
    for key in FORWARD:
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
    _worker_hook(task)
    out = run_chunk(task)
    import jax

    out.extra = {"pid": os.getpid(), "cache": jax.config.jax_compilation_cache_dir}
    return out


class Ray(Executor):
    """Chunks as Ray tasks (see the module docstring).

    ``address``: ``None`` for a local cluster (started here unless this process has one
    already), or ``"HOST:PORT"`` of a running cluster. ``max_in_flight``: chunks submitted and
    not yet yielded (default: the cluster's CPUs, each task asking ``num_cpus``).
    ``max_retries``: how often a task whose worker died runs again; ``retry_exceptions``:
    whether a Python exception is retried too. ``num_cpus``: the cores of a local cluster
    started here (default: all)."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        max_in_flight: int | None = None,
        max_retries: int = 3,
        retry_exceptions: bool = False,
        num_cpus: int | None = None,
        task_cpus: float = 1.0,
    ) -> None:
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight: at least 1; got {max_in_flight!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries: at least 0; got {max_retries!r}")
        ray = import_ray()
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            try:
                with warnings.catch_warnings():
                    # ray.init starts its processes with fork + exec, which JAX's warning
                    # about os.fork in a threaded process does not concern
                    warnings.filterwarnings("ignore", "os.fork", RuntimeWarning)
                    if address:
                        ray.init(address=address, **kwargs)
                    else:
                        ray.init(num_cpus=num_cpus, **kwargs)
            except Exception as err:  # a wrong address, a cluster that does not answer
                where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
                text = " ".join(str(err).split()) or type(err).__name__
                raise StudyError(f"cannot start or join {where}: {text}") from None
            self._started = True
        self.address = address
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.max_in_flight = max_in_flight or max(1, int(cpus // max(task_cpus, 1e-9)))
        self._remote = ray.remote(
            num_cpus=task_cpus, max_retries=max_retries, retry_exceptions=retry_exceptions
        )(run_in_worker)

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput]:
        """Submit tasks as slots free (at most ``max_in_flight`` at once) and yield their
        outputs as they finish; the ones still in flight are cancelled if the caller stops."""
        ray = self._ray
        env = {k: os.environ[k] for k in FORWARD if k in os.environ}
        source = iter(tasks)
        flight: dict[Any, ChunkTask] = {}
        exhausted = False
        try:
            while True:
                while not exhausted and len(flight) < self.max_in_flight:
                    task = next(source, None)
                    if task is None:
                        exhausted = True
                        break
                    flight[self._remote.remote(task, env)] = task
                if not flight:
                    return
                ready, _ = ray.wait(list(flight), num_returns=1)
                for ref in ready:
                    del flight[ref]
                    yield ray.get(ref)
        finally:
            for ref in flight:  # best effort: those chunks stay 'running' until resumed
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)

    def close(self) -> None:
        """Shut down the local cluster if this executor started it (a joined one stays)."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False
