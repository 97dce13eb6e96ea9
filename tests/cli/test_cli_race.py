"""The command line: `descend race` (the main job), its options, JSON and its errors."""

import importlib.metadata
import json
import subprocess
import sys

import pytest

import descend as ds


def test_race_default_table(cli):
    code, out, _ = cli("race", "--steps", "3000")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("descend race on rosenbrock: f = (1 - x)^2 + 100 (y - x^2)^2")
    header = next(i for i, line in enumerate(lines) if line.startswith("optimizer"))
    for word in ["hyperparameters", "stop", "steps", "final loss", "to minimum", "time"]:
        assert word in lines[header]
    names = [line.split()[0] for line in lines[header + 2 :]]
    assert names == ["gd", "momentum", "nesterov", "rmsprop", "adam"]


def test_race_json_and_options(cli):
    code, out, _ = cli(
        "race", "--surface", "himmelblau", "-o", "adam:lr=0.05", "-o",
        "momentum:lr=0.002,beta=0.8", "--start", "0,0", "--steps", "4000", "--tol", "1e-3",
        "--json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["surface"] == "himmelblau" and data["start"] == [0.0, 0.0]
    adam, mom = data["results"]
    assert adam["optimizer"] == "adam" and adam["hyperparameters"]["lr"] == 0.05
    assert mom["hyperparameters"] == {"lr": 0.002, "beta": 0.8}
    for r in data["results"]:  # both reach one of Himmelblau's four minima
        assert r["stop"] == "converged" and r["distance_to_minimum"] < 1e-3
        assert r["steps"] < 4000 and r["final_loss"] < 1e-6


def test_race_reports_divergence(cli):
    code, out, _ = cli("race", "-o", "gd:lr=10", "--json")
    (row,) = json.loads(out)["results"]
    assert code == 0 and row["stop"] == "diverged" and row["diverged_at"] == row["steps"]


def _strict(text: str):
    """JSON as any reader takes it: NaN and Infinity are not JSON."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_race_json_of_a_run_that_overflowed_is_strict_json(cli):
    """A rate of 1e9 overflows in one step: its final loss was printed as `Infinity`, which
    Python reads but JSON does not (jq, JavaScript's JSON.parse refuse it); it is null."""
    code, out, _ = cli("race", "-o", "gd:lr=1e9", "--steps", "200", "--json")
    (row,) = _strict(out)["results"]
    assert code == 0 and row["stop"] == "diverged" and row["final_loss"] is None
    assert row["best_loss"] == pytest.approx(24.2, rel=1e-6)  # the start's loss, finite


def test_race_surface_parameters(cli):
    code, out, _ = cli("race", "-s", "quadratic", "-p", "kappa=50", "-p", "dim=4",
                       "-o", "gd", "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0 and len(data["start"]) == 4 and data["results"][0]["stop"] == "converged"


def test_unknown_surface_lists_every_valid_one(cli):
    _, _, err = cli("race", "-s", "nope")
    for name in ["rosenbrock", "himmelblau", "sigmoid_neuron", "six_hump_camel", "saddle"]:
        assert name in err


def test_progress_bar_on_request(cli):
    code, _, err = cli("race", "-o", "gd", "--steps", "20000", "--tol", "0",
                       "--progress")  # fmt: skip
    assert code == 0 and "step 20000/20000" in err


@pytest.mark.parametrize("command", [[sys.executable, "-m", "descend"], ["descend"]])
def test_entry_points_and_help(command):
    exe = command if command[0] != "descend" else [sys.executable.replace("python", "descend")]
    out = subprocess.run([*exe, "race", "--help"], capture_output=True, text=True, check=True)
    assert "--surface" in out.stdout and "surfaces: " in out.stdout
    bad = subprocess.run([*exe, "race", "-s", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "valid names" in bad.stderr
    # the version the installed package's metadata gives, as `pip show descend` does
    version = subprocess.run([*exe, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout == f"descend {importlib.metadata.version('descend')}\n"


def test_the_table_runs_keep_no_history(cli, monkeypatch):
    # the table reads each run's end alone, so its programs record nothing inside the loop
    # (they compile in half the time): the runs keep their first and last rows, and the
    # numbers are those of a run with the default history
    from descend.cli import _race

    kept = []

    def minimize(*args, **kwargs):
        res = ds.minimize(*args, **kwargs)
        kept.append((args, kwargs, res))
        return res

    monkeypatch.setattr(_race, "minimize", minimize)
    code, out, _ = cli("race", "-o", "adam", "-o", "gd", "--steps", "3000", "--json")
    assert code == 0 and len(kept) == 4  # a compiling call and the timed one, each
    table = {r["optimizer"]: r for r in json.loads(out)["results"]}
    for name, (args, kwargs, res) in zip(("adam", "gd"), kept[1::2], strict=True):
        assert int(res.history.count) <= 2
        full = ds.minimize(*args, max_steps=kwargs["max_steps"], tol=kwargs["tol"])
        row = table[name]
        assert int(full.steps) == row["steps"] == int(res.steps)
        assert float(full.loss) == row["final_loss"]


def test_race_with_restarts_and_annealing(cli):
    code, out, _ = cli("race", "-s", "himmelblau", "--restarts", "64", "--anneal",
                       "-o", "gd", "--steps", "2000", "--json")  # fmt: skip
    data = json.loads(out)
    gd, anneal = data["results"]
    assert code == 0 and anneal["optimizer"] == "annealing"
    assert gd["minima_found"] == 4  # 64 starts find all four of Himmelblau's minima
    assert anneal["best_loss"] <= anneal["final_loss"]
    code, out, _ = cli("race", "-s", "himmelblau", "--restarts", "8", "-o", "gd",
                       "--steps", "500")  # fmt: skip
    assert "minima found" in out and "8 random starts" in out


def test_race_restarts_must_be_positive(cli):
    code, _, err = cli("race", "--restarts", "0")
    assert code == 2 and "--restarts must be an integer >= 1; got 0" in err


def test_lr_find_on_a_surface_and_on_data(cli):
    code, out, _ = cli("lr-find", "-s", "quadratic", "--start", "1e-4", "--end", "100",
                       "--steps", "200", "--json")  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["stopped_early"]
    assert all(0 < v < 2.0 for v in report["suggestions"].values())  # below 2/L
    code, out, _ = cli("lr-find", "--data", "iris", "-o", "adam", "--steps", "60")
    assert code == 0 and "suggested learning rate:" in out and "smoothed" in out


def test_lr_find_rejects_a_fixed_lr(cli):
    code, _, err = cli("lr-find", "-o", "adam:lr=0.1")
    assert code == 2 and "sweeps lr itself" in err


def test_race_on_a_typed_function(cli):
    code, out, _ = cli("race", "--function", "(x-1)^2 + 10*(y+2)^2", "--start", "3,2",
                       "-o", "gd", "-o", "adam", "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["start"] == [3.0, 2.0]
    for row in data["results"]:  # the minimum of the typed function is (1, -2)
        assert row["stop"] == "converged" and row["final_loss"] < 1e-6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--function", "2x"], "--function: missing operator between '2' and 'x' at column 2"),
        (["--function", "__import__('os')"], "--function: "),
        (["--function", "x^2", "--surface", "rosenbrock"], "give --surface or --function"),
        (["--function", "x^2", "-p", "dim=3"], "--param sets a catalogue surface's"),
    ],
)
def test_a_bad_function_is_one_line(cli, argv, message):
    code, out, err = cli("race", *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1
