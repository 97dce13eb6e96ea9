"""Executors: what runs the chunks. The driver owns the store and the order; an executor only
turns :class:`ChunkTask` values into :class:`ChunkOutput` values.

The contract (:class:`Executor`): ``map(tasks)`` takes an iterator of tasks and yields one
output per task, in any order, pulling a task from the iterator only when it is ready to
start it (the driver marks a chunk running as it hands it over, so a lazy pull keeps the
store honest and bounds the work in flight). An executor may run a task more than once (a
retry after a worker died): the outputs are equal and the store ignores the second. Any
exception ends the study's run; the chunks in flight stay marked running and are run again
on resume.

- :class:`InProcess` (the default) runs the tasks in this process, one a core at once: each
  chunk's program runs its small kernels on one core (XLA:CPU does not split a kernel of a
  few thousand runs across threads), so chunks run side by side in threads.
- A Ray executor (``--ray``, ``--address``) plugs in here: ``map`` submits
  ``ray.remote(run_chunk)`` tasks with retries, keeps a bounded number in flight and yields
  them as they finish.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from descend import _validation as check
from descend.engine._cores import cores
from descend.study._chunks import ChunkOutput, ChunkTask, run_chunk


class Executor:
    """The executor interface (see the module docstring). ``name`` says which one ran the
    study (in its status); ``close`` releases what the executor started."""

    name = "executor"

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers or clusters the executor started (nothing by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Executor):
    """Run the chunks in this process, up to ``workers`` at once (default: one a core), each
    in a thread of its own; XLA releases the interpreter while a program runs. Outputs are
    yielded as chunks finish. If the caller stops early or a chunk fails, the chunks not
    started are dropped and those running are waited for (they stay marked running in the
    store and run again on resume)."""

    name = "in-process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = cores() if workers is None else check.positive_int("workers", workers)

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput]:
        if self.workers == 1:
            for task in tasks:
                yield run_chunk(task)
            return
        source = iter(tasks)
        flight: set[Future[ChunkOutput]] = set()
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="descend-chunk")
        try:
            while True:
                while len(flight) < self.workers:  # pull a task only when a thread is free
                    task = next(source, None)
                    if task is None:
                        break
                    flight.add(pool.submit(run_chunk, task))
                if not flight:
                    return
                done, flight = wait(flight, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
