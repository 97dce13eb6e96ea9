"""Studies: sweeps of optimizer configurations that are stored, survive a crash and resume.

::

    import descend as ds
    study = ds.Study.from_toml("adam-vs-momentum.toml")   # or ds.Study(name=..., ...)
    study.run("runs/avm")                                 # chunks of runs, one program each
    ds.Study.load("runs/avm").results()                   # a pandas DataFrame, one row per run

A spec (:mod:`._spec`, :mod:`._problem`) gives the configurations (:mod:`._configs`), grouped
into fixed-shape chunks, each one vmapped compiled program (:mod:`._chunks`), run by an
executor (:mod:`._executors`: in process, or :class:`Ray` tasks, :mod:`._ray`) for the
driver (:mod:`._driver`), which alone writes the SQLite store (:mod:`._store`); an Optuna
search (:mod:`._optuna`) asks each chunk's trials as it goes. On the command line:
``descend study run | resume | status | results``.
"""

from descend.study._chunks import ChunkOutput, ChunkTask, run_chunk
from descend.study._executors import Executor, InProcess
from descend.study._ray import Ray  # imports ray only when a Ray executor is made
from descend.study._store import StudyError
from descend.study._study import Study

__all__ = [
    "ChunkOutput",
    "ChunkTask",
    "Executor",
    "InProcess",
    "Ray",
    "Study",
    "StudyError",
    "run_chunk",
]
