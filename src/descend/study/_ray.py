"""The Ray executor: each chunk is one Ray task (``run_chunk`` in a Ray worker), with retries,
and the driver keeps a bounded number in flight.

- ``Ray()`` (``descend study run ... --ray``) starts a local Ray cluster of this machine's
  cores (or uses the one this process has already started), and shuts down what it started
  on :meth:`Ray.close`;
- ``Ray(address="HOST:PORT")`` (``--address``; also ``ray://HOST:PORT``, ``auto`` or
  ``local``, as ``ray.init`` reads them) joins an existing cluster, whose workers must have
  descend (the same version) installed. A HOST:PORT is checked first (the port in 1-65535,
  then a plain TCP connection within :data:`CONNECT_TIMEOUT` seconds), since ``ray.init``
  waits minutes for an address where nothing answers.

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
import socket
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from descend.study._chunks import ChunkOutput, ChunkTask, run_chunk
from descend.study._executors import Executor
from descend.study._store import StudyError

#: environment variables the driver passes to each task (set in the worker before the chunk)
FORWARD = ("DESCEND_CACHE_DIR", "DESCEND_STUDY_WORKER_DIE")
INSTALL = "pip install 'descend[study]'"
#: The addresses ``ray.init`` reads that name no host: the cluster this machine's ``ray
#: start`` recorded, or a new local one.
ADDRESS_WORDS = ("auto", "local")
#: Seconds the reachability check of a HOST:PORT waits for a TCP connection (and its name).
CONNECT_TIMEOUT = 5.0
ADDRESS_FORMS = "HOST:PORT (a port in 1-65535), ray://HOST:PORT, auto or local"


def parse_address(address: str) -> tuple[str, int] | None:
    """The host and port of a Ray address (``HOST:PORT``, ``ray://HOST:PORT``, ``[::1]:PORT``),
    or None for ``auto`` and ``local``; a ``ValueError`` naming the forms allowed otherwise
    (the message does not name the option: the caller prefixes its own)."""
    text = address.strip() if isinstance(address, str) else ""
    if not text:
        raise ValueError(f"{address!r} is not a Ray address; give {ADDRESS_FORMS}")
    if text.lower() in ADDRESS_WORDS:
        return None
    rest = text[len("ray://") :] if text.lower().startswith("ray://") else text
    host, colon, port = rest.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or "/" in rest or any(c.isspace() for c in rest):
        raise ValueError(f"{address!r} is not a Ray address; give {ADDRESS_FORMS}")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{address!r}: the port must be a whole number in 1-65535; got {port!r}")
    return host, int(port)


def check_reachable(address: str, host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> None:
    """A :class:`StudyError` unless something accepts a TCP connection at ``host:port``
    within ``timeout`` seconds (the name's lookup included: it runs in a thread of its own,
    so that a resolver that does not answer does not hold the command either)."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as err:
            outcome.append(err)
        else:
            outcome.append(None)

    thread = threading.Thread(target=attempt, name="descend-ray-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if not outcome:
        raise StudyError(f"cannot reach a Ray cluster at {address}: no answer in {timeout:g} s")
    err = outcome[0]
    if err is not None:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise StudyError(f"cannot reach a Ray cluster at {address}: {reason}")


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
        try:
            where = parse_address(address) if address else None
        except ValueError as err:
            raise ValueError(f"address: {err}") from None
        ray = import_ray()
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            if where is not None:  # ray.init would wait minutes where nothing listens
                check_reachable(address, *where)
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
