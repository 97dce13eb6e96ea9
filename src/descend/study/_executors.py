"""Executors: what runs the chunks. The driver owns the store and the order; an executor only
turns :class:`ChunkTask` values into :class:`ChunkOutput` values.

The contract (:class:`Executor`): ``map(tasks)`` takes an iterator of tasks and yields one
output per task, in any order, pulling a task from the iterator only when it is ready to
start it (the driver marks a chunk running as it hands it over, so a lazy pull keeps the
store honest and bounds the work in flight). An executor may run a task more than once (a
retry after a worker died): the outputs are equal and the store ignores the second. Any
exception ends the study's run; the chunks in flight stay marked running and are run again
on resume.

- :class:`InProcess` (the default) runs each task in this process, one after the other.
- A Ray executor (``--ray``, ``--address``) plugs in here: ``map`` submits
  ``ray.remote(run_chunk)`` tasks with retries, keeps a bounded number in flight and yields
  them as they finish.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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
    """Run each chunk in this process, in the order given (one compiled program at a time,
    using every core XLA sees)."""

    name = "in-process"

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput]:
        for task in tasks:
            yield run_chunk(task)
