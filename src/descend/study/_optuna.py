"""The Optuna search (``[search] kind = "optuna"``): Optuna proposes, descend runs a whole
chunk of trials as one vmapped program and tells the values back.

::

    [search]
    kind = "optuna"
    sampler = "tpe"       # "tpe" (constant liar) | "cmaes" (population = the chunk) | "gp"
    trials = 512          # per optimizer
    seed = 0

The search space of each optimizer is its grid axes: ``{ log = [lo, hi] }`` a
``FloatDistribution(lo, hi, log=True)``, ``{ linear = [lo, hi] }`` a
``FloatDistribution(lo, hi)``, a list of values a ``CategoricalDistribution`` (``num`` is
not used). Each optimizer is its own Optuna study of ``trials`` trials, numbered and stored as
configurations ``k * trials .. (k + 1) * trials - 1`` and run in chunks of
``chunk_size // len(seeds)`` trials (the chunks, planned up front, are those of a grid of that
many configurations; the last is padded).

For each chunk, in order: the Optuna study of its optimizer is rebuilt from the store
(``optuna.trial.create_trial`` + ``study.add_trial`` for every trial of the done chunks, with
its value and the system attributes the sampler wrote on it, e.g. CMA-ES's state), a sampler
is made from ``(search.seed, optimizer, chunk index)``, the chunk's trials are asked at once
(``study.ask`` x width: TPE's constant liar, and CMA-ES's population of that width, see the
earlier ones of the batch as running), written to the store (the configurations and their
attributes, in one transaction) and run through the executor like any chunk. The driver then
commits the results, which are the trials' values for the next chunk: the values reach the
sampler through the rebuilt study (the part ``study.tell`` plays in a long-lived study), so an
uninterrupted run and a resumed one take the same path. The optimizers' chunks
run side by side (one in flight per optimizer); within an optimizer they run one after the
other, since each chunk's trials depend on the values of the ones before.

The value of a trial is the **median over seeds** of the problem's metric (a run whose metric
is NaN counts as the worst value); a trial whose median is not finite (most seeds diverged) is
told as failed (``TrialState.FAIL``), which the samplers ignore.

**Identical after resume.** A chunk's trials are a function of the spec, the chunk's index
and the trials (parameters, values, system attributes) of the chunks before it; the store
holds all of these, and each chunk's study is rebuilt from the store, in an uninterrupted run
too. So for samplers that are deterministic given their seed and history (TPE and CMA-ES are;
GP is on the same machine and library versions), a study killed at any moment and resumed
asks exactly the trials an uninterrupted run asks, and ends with the same rows (and the same
sampler state: CMA-ES's pickled optimizer may differ only in an uninitialised buffer and in
an RNG that the sampler reseeds before every ask). A chunk whose
trials were stored but whose results were not is run again with those trials (never asked
again); nothing is lost or repeated.

``import optuna`` happens only here, when an Optuna study runs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from descend.study._chunks import ChunkOutput, ChunkTask
from descend.study._configs import ChunkPlan, plan_counts
from descend.study._driver import running_task
from descend.study._executors import Executor
from descend.study._problem import build
from descend.study._spec import OptimizerSpec, Spec
from descend.study._store import Store, StudyError

INSTALL = "pip install 'descend[study]'"
TABLE = """
CREATE TABLE IF NOT EXISTS optuna_trials (
    config_id INTEGER PRIMARY KEY REFERENCES configs, optimizer INTEGER NOT NULL,
    number INTEGER NOT NULL, system_attrs TEXT NOT NULL);
"""


def require(spec: Spec) -> None:
    """A one-line :class:`StudyError` when what the search needs is not installed (optuna;
    cmaes for CMA-ES; PyTorch for Optuna's GP sampler)."""
    needs = [("optuna", "optuna")]
    if spec.search.sampler == "cmaes":
        needs.append(("cmaes", "cmaes"))
    for module, package in needs:
        if importlib.util.find_spec(module) is None:
            raise StudyError(
                f"search.kind: 'optuna' (sampler {spec.search.sampler!r}) needs the {package} "
                f"package: {INSTALL}"
            )
    if spec.search.sampler == "gp" and importlib.util.find_spec("torch") is None:
        raise StudyError(
            "search.sampler: 'gp' needs PyTorch (Optuna's GPSampler is built on it): "
            "pip install torch, or use sampler = 'tpe' or 'cmaes'"
        )


def plan(spec: Spec) -> list[ChunkPlan]:
    """The chunks: per optimizer ``k``, configurations ``k * trials ..`` in chunks of
    ``min(chunk_size // len(seeds), trials)`` trials, numbered from 0."""
    return plan_counts(spec, [int(spec.search.trials or 0)] * len(spec.optimizers))


def create(store: Store, spec: Spec) -> None:
    """Write a new Optuna study into ``store``: the spec and the planned chunks (no
    configurations yet: each chunk's are asked when it is about to run)."""
    store.create(spec, [], plan(spec))
    with store.transaction("cannot write the study in") as db:
        db.execute(TABLE)
        db.execute("DELETE FROM optuna_trials")


def distributions(opt: OptimizerSpec) -> dict[str, Any]:
    """The search space of one optimizer (see the module docstring)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    out: dict[str, Any] = {}
    for a in opt.grid:
        if a.scale is None:
            out[a.name] = CategoricalDistribution(list(a.values))
        else:
            out[a.name] = FloatDistribution(a.low, a.high, log=a.scale == "log")
    return out


def trial_value(metric: np.ndarray, goal: str) -> float | None:
    """The median over seeds of ``metric`` (NaN counts as the worst value), or None when it
    is not finite (the trial is told as failed)."""
    worst = math.inf if goal == "min" else -math.inf
    values = np.where(np.isnan(metric), worst, np.asarray(metric, np.float64))
    median = float(np.median(values))
    return median if math.isfinite(median) else None


def chunk_seed(spec: Spec, optimizer: int, index: int) -> int:
    """The sampler's seed for chunk ``index`` of ``optimizer`` (from ``search.seed``)."""
    seq = np.random.SeedSequence([spec.search.seed, optimizer, index])
    return int(seq.generate_state(1)[0])


def make_sampler(spec: Spec, seed: int, width: int) -> Any:
    """The batch-aware sampler of the spec: TPE with ``constant_liar=True``, CMA-ES with
    ``popsize = width`` (the chunk is one generation), or GP."""
    import optuna

    name = spec.search.sampler or "tpe"
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(
            seed=seed, popsize=max(width, 2), warn_independent_sampling=False
        )
    return optuna.samplers.GPSampler(seed=seed)


def rebuild(store: Store, spec: Spec, optimizer: int, sampler: Any) -> Any:
    """The Optuna study of ``optimizer`` holding every trial of its done chunks, in trial
    order, with their values (see :func:`trial_value`) and system attributes."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    goal = build(spec.problem).metric.goal
    study = optuna.create_study(
        direction="minimize" if goal == "min" else "maximize", sampler=sampler
    )
    dists = distributions(spec.optimizers[optimizer])
    db = store.conn
    rows = db.execute(
        "SELECT c.config_id, c.hyper, t.system_attrs FROM configs c "
        "JOIN optuna_trials t USING (config_id) JOIN chunks h "
        "ON c.config_id >= h.config_lo AND c.config_id < h.config_hi "
        "WHERE h.state = 'done' AND c.optimizer = ? ORDER BY c.config_id",
        (optimizer,),
    ).fetchall()
    if not rows:
        return study
    metrics: dict[int, list[float]] = {}
    for config_id, metric in db.execute(
        "SELECT config_id, metric FROM results WHERE config_id >= ? AND config_id <= ? "
        "ORDER BY config_id, seed",
        (rows[0][0], rows[-1][0]),
    ):
        metrics.setdefault(config_id, []).append(math.nan if metric is None else metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for config_id, hyper, attrs in rows:
            value = trial_value(np.asarray(metrics.get(config_id, [math.nan])), goal)
            study.add_trial(
                create_trial(
                    params=json.loads(hyper),
                    distributions=dists,
                    value=value,
                    state=TrialState.COMPLETE if value is not None else TrialState.FAIL,
                    system_attrs=json.loads(attrs),
                )
            )
    return study


def ask_chunk(store: Store, spec: Spec, chunk: tuple[int, ...], index: int) -> None:
    """Ask the trials of ``chunk`` (its configurations ``lo .. hi-1``) and write them as
    configurations, with their system attributes, in one transaction."""
    _, optimizer, lo, hi, width = chunk[:5]
    opt = spec.optimizers[optimizer]
    sampler = make_sampler(spec, chunk_seed(spec, optimizer, index), width)
    dists = distributions(opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = rebuild(store, spec, optimizer, sampler)
        asked = [study.ask(dists) for _ in range(hi - lo)]
        frozen = {t.number: t for t in study.get_trials(deepcopy=False)}
    rows = []
    for i, trial in enumerate(asked):
        values = {a.name: float(trial.params[a.name]) for a in opt.grid}
        attrs = json.dumps(frozen[trial.number].system_attrs, sort_keys=True)
        rows.append((lo + i, trial.number, values, attrs))
    with store.transaction("cannot write the study in") as db:
        db.executemany(
            "INSERT INTO configs VALUES (?, ?, ?, ?, ?)",
            ((i, optimizer, opt.name, opt.rule, json.dumps(v)) for i, _, v, _ in rows),
        )
        db.executemany(
            "INSERT INTO optuna_trials VALUES (?, ?, ?, ?)",
            ((i, optimizer, n, a) for i, n, _, a in rows),
        )


def drive(
    store: Store,
    spec: Spec,
    spec_json: str,
    executor: Executor,
    deliver: Callable[[ChunkOutput], None],
) -> None:
    """Run every chunk of the Optuna study in ``store`` that is not done (see the module
    docstring), handing each output to ``deliver`` (which commits it)."""
    require(spec)
    with store.transaction("cannot write the study in") as db:
        db.execute(TABLE)
    chunks = store.chunks()
    done = {c[0] for c in store.chunks("done")}
    per: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for chunk in chunks:
        index = len(per.setdefault(chunk[1], []))
        per[chunk[1]].append((index, chunk))
    queues = {k: [(i, c) for i, c in v if c[0] not in done] for k, v in per.items()}

    def tasks(round_: list[tuple[int, tuple[int, ...]]]) -> Iterator[ChunkTask]:
        for index, chunk in round_:
            lo, hi = chunk[2:4]
            if not store.configs(lo, hi):  # its trials not asked yet
                ask_chunk(store, spec, chunk, index)
            yield running_task(store, spec_json, chunk)

    while any(queues.values()):
        round_ = [queues[k].pop(0) for k in sorted(queues) if queues[k]]
        for out in executor.map(tasks(round_)):
            deliver(out)
