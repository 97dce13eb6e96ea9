"""``Study``: the Python face of a study (the command line is ``descend study``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from descend.study import _driver
from descend.study._configs import ChunkPlan, Config, configurations, plan_chunks
from descend.study._executors import Executor
from descend.study._problem import Metric, build
from descend.study._results import best_run, columns, rows
from descend.study._spec import Spec, from_canonical, from_toml, parse
from descend.study._store import Store


class Study:
    """A study: a spec (problem x optimizers x search space x seeds x budget), and once run
    or loaded, the directory whose store holds its results.

    ::

        study = ds.Study(name="lr", steps=500, seeds=4, problem={"surface": "rosenbrock"},
                         optimizers=[{"rule": "adam", "grid": {"lr": {"log": [1e-4, 1e-1],
                                                                      "num": 16}}}])
        study.run("runs/lr")                      # or ds.Study.from_toml("lr.toml")
        ds.Study.load("runs/lr").results()        # a pandas DataFrame, one row per run

    The arguments are the TOML's fields (see :mod:`descend.study._spec`); every one is
    checked here, before anything runs (``ValueError``/``TypeError`` naming the field).
    """

    def __init__(
        self,
        *,
        name: str,
        seeds: int | Sequence[int],
        problem: Mapping[str, Any],
        optimizers: Sequence[Mapping[str, Any]],
        steps: int | None = None,
        search: Mapping[str, Any] | None = None,
        chunk_size: int | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "name": name,
            "seeds": list(seeds) if isinstance(seeds, (list, tuple, range)) else seeds,
            "problem": problem,
            "optimizers": list(optimizers) if isinstance(optimizers, (list, tuple)) else optimizers,
        }
        if steps is not None:
            data["steps"] = steps
        if search is not None:
            data["search"] = search
        if chunk_size is not None:
            data["chunk_size"] = chunk_size
        self._set(parse(data), None)

    def _set(self, spec: Spec, directory: Path | None) -> Study:
        self.spec = spec
        self.directory = directory
        return self

    @classmethod
    def from_spec(cls, spec: Spec, directory: str | Path | None = None) -> Study:
        """A study of a validated :class:`Spec` (bound to ``directory`` when given)."""
        return cls.__new__(cls)._set(spec, None if directory is None else Path(directory))

    @classmethod
    def from_toml(cls, source: str | Path) -> Study:
        """A study from a TOML file (a path) or TOML text."""
        return cls.from_spec(from_toml(source))

    @classmethod
    def load(cls, directory: str | Path) -> Study:
        """The study stored in ``directory`` (read-only: nothing is written)."""
        with Store(directory, readonly=True) as store:
            row = store.spec_row()
        if row is None:
            from descend.study._store import StudyError

            raise StudyError(f"{str(directory)!r} holds no study spec (an interrupted start)")
        return cls.from_spec(from_canonical(row["json"]), directory)

    def __repr__(self) -> str:
        where = f", directory={str(self.directory)!r}" if self.directory else ""
        return (
            f"Study({self.spec.name!r}, {len(self.configurations())} configurations x "
            f"{len(self.spec.seeds)} seeds, spec {self.hash[:12]}{where})"
        )

    # -- the spec ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the spec."""
        return self.spec.hash

    def canonical_json(self) -> str:
        """The spec in canonical JSON (every default filled in)."""
        return self.spec.canonical_json()

    @property
    def metric(self) -> Metric:
        """The problem's metric: its column name, ``"min"`` or ``"max"``, and its meaning."""
        return build(self.spec.problem).metric

    def configurations(self) -> list[Config]:
        """Every configuration, in the study's order (an Optuna search's are the trials asked
        so far, read from its directory's store: none before it runs)."""
        if self.spec.search.kind != "optuna":
            return configurations(self.spec)
        if self.directory is None or not (self.directory / "study.sqlite").is_file():
            return []
        with Store(self.directory, readonly=True) as store:
            return [Config(i, k, values) for i, k, _, _, values in store.configs()]

    def chunks(self) -> list[ChunkPlan]:
        """How the configurations are grouped into chunks (programs)."""
        if self.spec.search.kind == "optuna":
            from descend.study._optuna import plan

            return plan(self.spec)
        return plan_chunks(self.spec, self.configurations())

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        directory: str | Path,
        *,
        force: bool = False,
        executor: Executor | None = None,
        progress: bool | TextIO = False,
    ) -> Study:
        """Run the study in ``directory`` to the end (continuing it there if it was started
        with the same spec; another spec is refused unless ``force``). Returns ``self``,
        bound to the directory."""
        _driver.run(self.spec, directory, force=force, executor=executor, progress=progress)
        self.directory = Path(directory)
        return self

    def resume(self, *, executor: Executor | None = None, progress: bool | TextIO = False) -> Study:
        """Continue this study in its directory from its store, to the end."""
        _driver.resume(self._dir(), executor=executor, progress=progress)
        return self

    # -- reading -----------------------------------------------------------------------------

    def _dir(self) -> Path:
        if self.directory is None:
            raise ValueError(
                "this study has no directory yet: run it (study.run(DIR)) or load "
                "one (Study.load(DIR))"
            )
        return self.directory

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """The columns and the rows of the runs done so far (no pandas needed)."""
        with Store(self._dir(), readonly=True) as store:
            return columns(self.spec), rows(store, self.spec)

    def results(self) -> Any:
        """The runs done so far as a pandas DataFrame, one row per run (configuration x
        seed; see :mod:`descend.study._results` for the columns)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Study.results() needs pandas: pip install 'descend[study]'"
            ) from None
        cols, table = self.table()
        frame = pd.DataFrame(table, columns=cols)
        for c in ("config_id", "seed", "steps"):
            frame[c] = frame[c].astype("int64")
        return frame

    def report(self, path: str | Path | None = None) -> Path:
        """Write this study's report, one self-contained HTML page (default
        ``DIR/report.html``; see :mod:`descend.study._report`), atomically. Returns its path."""
        from descend.study._report import write_report

        return write_report(self._dir(), path)

    def total_runs(self, stored_configs: int) -> int:
        """Every run the study will have made when complete: its configurations (an Optuna
        search's trials, asked or not; otherwise the ``stored_configs``) times its seeds."""
        configs = stored_configs
        if self.spec.search.kind == "optuna":  # trials not asked yet count too
            configs = len(self.spec.optimizers) * int(self.spec.search.trials or 0)
        return configs * len(self.spec.seeds)

    def status(self) -> dict[str, Any]:
        """Where the study stands: chunks (done, running, pending, total), runs (done,
        total), run-steps and seconds spent, whether it is complete, and the best run so
        far by the metric."""
        with Store(self._dir(), readonly=True) as store:
            counts = store.counts()
            metric = self.metric
            cols, table = columns(self.spec), rows(store, self.spec, best=metric.goal)
        total_runs = self.total_runs(counts["configs"])
        return {
            "name": self.spec.name,
            "hash": self.spec.hash,
            "directory": str(self._dir()),
            "complete": counts["done"] == counts["total"],
            "chunks": {k: counts[k] for k in ("done", "running", "pending", "total")},
            "runs": {"done": counts["runs"], "total": total_runs},
            "run_steps": counts["run_steps"],
            "seconds": round(counts["seconds"], 3),
            "metric": {"name": metric.name, "goal": metric.goal, "text": metric.text},
            "best": best_run(cols, table),
        }
