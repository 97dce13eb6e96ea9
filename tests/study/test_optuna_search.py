"""The Optuna search (issue 13): chunks of trials asked at once, run as one program, told back;
as good as a coarse grid on Rosenbrock; a study interrupted (between chunks, and after a
chunk's trials were stored but before its results) and resumed ends with exactly the trials
and rows of an uninterrupted run; CMA-ES's population is the chunk; bad fields refused."""

import importlib.util
import json
import pickle
import sqlite3

import numpy as np
import pytest

import descend as ds
from descend.study import Executor, InProcess, StudyError, run_chunk
from descend.study._optuna import make_sampler, rebuild, trial_value
from descend.study._store import Store

pytest.importorskip("optuna")

ADAM = {"rule": "adam", "grid": {"lr": {"log": [1e-3, 3e-1], "num": 4}, "b1": [0.5, 0.9, 0.99]}}
ADAM_RANGE = {"rule": "adam", "grid": {"lr": {"log": [1e-3, 3e-1]}, "b1": {"linear": [0.5, 0.99]}}}
MOMENTUM = {"rule": "momentum", "grid": {"lr": {"log": [1e-5, 1e-2]}, "beta": [0.5, 0.9, 0.99]}}


def spec(sampler="tpe", trials=40, optimizers=(ADAM_RANGE,), seed=0, chunk_size=16, steps=300):
    return dict(
        name=f"optuna-{sampler}",
        steps=steps,
        seeds=2,
        chunk_size=chunk_size,  # 8 trials x 2 seeds per chunk
        problem={"surface": "rosenbrock"},
        optimizers=list(optimizers),
        search={"kind": "optuna", "sampler": sampler, "trials": trials, "seed": seed},
    )


def tables(directory):
    """The rows an Optuna study writes: configurations (the trials' values), the trials'
    numbers and sampler attributes, the results, and the chunks' states."""
    conn = sqlite3.connect(directory / "study.sqlite")
    try:
        return {
            "configs": conn.execute("SELECT * FROM configs ORDER BY config_id").fetchall(),
            "trials": conn.execute("SELECT * FROM optuna_trials ORDER BY config_id").fetchall(),
            "results": conn.execute("SELECT * FROM results ORDER BY config_id, seed").fetchall(),
            "states": conn.execute("SELECT state FROM chunks ORDER BY chunk_id").fetchall(),
        }
    finally:
        conn.close()


#: CMA-ES's pickled state that is no state: a buffer created with numpy.empty (filled as the
#: generations go) and the RNG, which the sampler reseeds before every ask
SCRATCH = ("_rng", "_funhist_values")


def sampler_state(trials):
    """The trials' rows with CMA-ES's pickled optimizer (split over ``cma:optimizer:i``
    attributes) replaced by its state, as bytes, less :data:`SCRATCH`."""
    out = []
    for config_id, optimizer, number, text in trials:
        attrs = json.loads(text)
        keys = sorted(
            (k for k in attrs if k.startswith("cma:optimizer")), key=lambda k: int(k[14:])
        )
        if keys:
            cma = pickle.loads(bytes.fromhex("".join(attrs.pop(k) for k in keys)))
            attrs["cma"] = {
                k: np.asarray(v).tobytes() for k, v in sorted(vars(cma).items()) if k not in SCRATCH
            }
        out.append((config_id, optimizer, number, attrs))
    return out


class StopAfter(Executor):
    """Runs chunks in process, and stops the run (KeyboardInterrupt, as Ctrl-C does) when it
    pulls task number ``after + 1``: that chunk's trials were asked, stored and marked
    running, but it never runs."""

    def __init__(self, after):
        self.after, self.count = after, 0

    def map(self, tasks):
        for task in tasks:
            if self.count == self.after:
                raise KeyboardInterrupt
            self.count += 1
            yield run_chunk(task)


def best_median(frame):
    return frame.groupby("config_id")["gap"].median().min()


def test_chunked_ask_tell_beats_a_coarse_grid_on_rosenbrock(tmp_path):
    grid = ds.Study(**{**spec(), "search": None, "optimizers": [ADAM], "name": "grid"})
    grid.run(tmp_path / "grid")
    coarse = best_median(ds.Study.load(tmp_path / "grid").results())  # 12 configurations
    tuned = ds.Study(**spec(trials=48)).run(tmp_path / "tpe")
    frame = tuned.results()
    assert len(frame) == 48 * 2 and frame["config_id"].nunique() == 48
    assert frame["lr"].between(1e-3, 3e-1).all() and frame["b1"].between(0.5, 0.99).all()
    assert best_median(frame) <= coarse
    status = tuned.status()
    assert status["complete"] and status["chunks"]["done"] == 6


@pytest.mark.parametrize("sampler", ["tpe", "cmaes"])
def test_an_interrupted_study_resumes_to_the_uninterrupted_trials(tmp_path, sampler):
    optimizers = (ADAM_RANGE, MOMENTUM) if sampler == "tpe" else (ADAM_RANGE,)
    study = ds.Study(**spec(sampler, optimizers=optimizers))
    study.run(tmp_path / "whole")
    whole = tables(tmp_path / "whole")
    n_chunks = 5 * len(optimizers)
    assert len(whole["configs"]) == 40 * len(optimizers)
    assert len(whole["results"]) == 40 * len(optimizers) * 2

    directory = tmp_path / "cut"
    for after in (2, 1):  # stop twice, each time with a chunk's trials stored but not run
        with pytest.raises(KeyboardInterrupt):
            study.run(directory, executor=StopAfter(after))
        cut = tables(directory)
        assert 0 < len(cut["results"]) < len(whole["results"])
        assert ("running",) in cut["states"]
    ds.Study.load(directory).resume(executor=InProcess())
    resumed = tables(directory)
    # the same trials (values, numbers), rows and chunks, and the same sampler state
    trials, whole_trials = resumed.pop("trials"), whole.pop("trials")
    assert resumed == whole
    assert sampler_state(trials) == sampler_state(whole_trials)
    assert resumed["states"] == [("done",)] * n_chunks


def test_another_seed_asks_other_trials(tmp_path):
    a = ds.Study(**spec(trials=16)).run(tmp_path / "a")
    b = ds.Study(**spec(trials=16, seed=1)).run(tmp_path / "b")
    assert not np.array_equal(a.results()["lr"], b.results()["lr"])


def test_cmaes_population_is_the_chunk(tmp_path):
    ds.Study(**spec("cmaes", trials=32)).run(tmp_path)
    rows = tables(tmp_path)["trials"]
    generation = [json.loads(attrs).get("cma:generation") for _, _, _, attrs in rows]
    per_chunk = [set(generation[i : i + 8]) for i in range(0, 32, 8)]
    # the first chunk is drawn before any value is known (the start-up sampler); each later
    # chunk is one CMA-ES generation of 8 (the chunk's width), told as the next is asked
    assert per_chunk == [{None}, {0}, {1}, {2}]


def test_the_told_value_is_the_median_over_seeds(tmp_path):
    study = ds.Study(**spec(trials=16, optimizers=(ADAM_RANGE,))).run(tmp_path)
    frame = study.results()
    medians = frame.groupby("config_id")["gap"].median()
    store = Store(tmp_path, readonly=True)
    try:
        rebuilt = rebuild(store, study.spec, 0, make_sampler(study.spec, 0, 8))
    finally:
        store.close()
    assert len(rebuilt.trials) == 16
    for trial in rebuilt.trials:
        assert trial.value == pytest.approx(medians[trial.number], rel=0, abs=0)
        row = frame[frame["config_id"] == trial.number].iloc[0]
        assert trial.params == {"lr": row["lr"], "b1": row["b1"]}


def test_a_diverged_trial_is_worst_and_a_diverged_median_fails():
    assert trial_value(np.array([1.0, np.nan, 3.0]), "min") == 3.0
    assert trial_value(np.array([1.0, np.nan, np.nan]), "min") is None
    assert trial_value(np.array([0.5, np.nan, 0.9]), "max") == 0.5


@pytest.mark.parametrize("sampler", ["tpe", "cmaes", "gp"])
def test_each_sampler_runs(tmp_path, sampler):
    study = ds.Study(**spec(sampler, trials=12, chunk_size=8, steps=100))
    if sampler == "gp" and importlib.util.find_spec("torch") is None:
        with pytest.raises(StudyError, match="'gp' needs PyTorch"):
            study.run(tmp_path)
        assert not (tmp_path / "study.sqlite").exists() or not tables(tmp_path)["configs"]
        return
    study.run(tmp_path)
    frame = study.results()
    assert len(frame) == 24 and frame["config_id"].nunique() == 12
    assert np.isfinite(frame["gap"]).any()


def test_the_command_line_runs_an_optuna_spec(cli, tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(
        'name = "o"\nsteps = 100\nseeds = 2\nchunk_size = 8\n[problem]\nsurface = "booth"\n'
        '[[optimizers]]\nrule = "momentum"\n[optimizers.grid]\nlr = { log = [1e-4, 1e-1] }\n'
        'beta = [0.5, 0.9]\n[search]\nkind = "optuna"\nsampler = "tpe"\ntrials = 8\n'
    )
    code, out, err = cli("study", "run", str(path), "--dir", str(tmp_path / "s"), "-q")
    assert code == 0, err
    assert "chunks: 2/2 done" in out and "runs: 16/16" in out


BAD = [
    ({"kind": "optuna", "sampler": "anneal", "trials": 8}, "search.sampler: 'anneal'"),
    ({"kind": "optuna", "sampler": "tpe"}, "search.trials: kind = 'optuna' needs"),
    ({"kind": "optuna", "trials": 0}, "search.trials: must be"),
    ({"kind": "optuna", "trials": 8, "n": 8}, "search.n: not used by kind = 'optuna'"),
    ({"kind": "optuna", "trials": 8, "seed": -1}, "search.seed"),
]


@pytest.mark.parametrize(("search", "message"), BAD, ids=[b[1][:30] for b in BAD])
def test_bad_optuna_fields_are_refused(search, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        ds.Study(**{**spec(), "search": search})


def test_an_optuna_search_needs_a_hyperparameter():
    with pytest.raises(ValueError, match=r"optimizers\[0\]\.grid: the optuna search needs"):
        ds.Study(**spec(optimizers=({"rule": "adam"},)))


def test_the_study_lists_its_planned_chunks_and_asked_trials(tmp_path):
    study = ds.Study(**spec(trials=20))
    assert study.configurations() == [] and "0 configurations" in repr(study)
    assert [(c.config_lo, c.config_hi, c.width) for c in study.chunks()] == [
        (0, 8, 8),
        (8, 16, 8),
        (16, 20, 8),  # the last chunk padded to the program's width
    ]
    with pytest.raises(KeyboardInterrupt):
        study.run(tmp_path, executor=StopAfter(1))
    loaded = ds.Study.load(tmp_path)
    assert len(loaded.configurations()) == 16  # chunk 0 done, chunk 1 asked and stored
    status = loaded.status()
    assert status["runs"] == {"done": 16, "total": 40} and not status["complete"]
