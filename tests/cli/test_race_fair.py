"""The command line: `descend race --fair`, its ranked table that states the metric and the
budget, and its JSON (the library's numbers, each optimizer's tuned hyperparameters and its
results per start); its bad input is in test_bad_input.py's table."""

import json

import numpy as np
import pytest

import descend as ds
from descend.insight import fair_race

QUAD_ARGS = ("-s", "quadratic", "-p", "kappa=100", "-o", "gd", "-o", "momentum",
             "--starts", "4", "--steps", "1000")  # fmt: skip


def test_fair_table_ranks_and_states_metric_and_budget(cli):
    code, out, err = cli("race", "--fair", *QUAD_ARGS)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("descend race --fair on quadratic: f = ")
    text = "\n".join(lines[:5])
    assert "budget: 1000 steps per run" in text
    assert "ranked by median steps to tolerance (|grad| <= 1e-06)" in text
    assert "counts as 1001" in text
    assert "raced from 4 other starts" in text
    header = next(i for i, line in enumerate(lines) if line.startswith("rank "))
    for word in ["optimizer", "tuned hyperparameters", "median steps", "median final loss"]:
        assert word in lines[header]
    rows = [line.split() for line in lines[header + 2 :] if line.strip()]
    assert [r[:2] for r in rows] == [["1", "momentum"], ["2", "gd"]]  # heavy ball wins
    assert all(r[2].startswith("lr=") and r[-1] == "4/4" for r in rows)


def test_fair_json_is_the_library_race(cli):
    argv = ("-s", "himmelblau", "-o", "adam:b2=0.99", "-o", "gd", "--starts", "3", "--grid",
            "6", "--steps", "60", "--tune", "all", "--metric", "loss", "--seed", "2")  # fmt: skip
    code, out, _ = cli("race", "--fair", *argv, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["fair"] is True and data["metric"] == "loss" and data["budget"] == 60
    assert data["gradient_evaluations"] == 61 and data["tune"] == "all"
    assert "median final loss above the minimum" in data["metric_text"]
    race = fair_race(ds.surfaces.get("himmelblau"), [("adam", {"b2": 0.99}), "gd"], budget=60,
                     starts=3, grid=6, tune="all", metric="loss", seed=2)  # fmt: skip
    np.testing.assert_array_equal(data["race_starts"], race.race_starts)
    np.testing.assert_array_equal(data["tuning_starts"], race.tuning_starts)
    assert [r["optimizer"] for r in data["results"]] == [e.name for e in race.entries]
    for r, e in zip(data["results"], race.entries, strict=True):
        assert r["rank"] == e.rank
        assert r["hyperparameters"] == pytest.approx(e.hyperparameters)
        assert r["tuned"] == list(e.tuned)
        assert r["median_steps"] == e.median_steps
        assert r["median_final_loss"] == pytest.approx(e.median_final_loss)
        assert r["converged_share"] == e.converged_share
        assert len(r["per_start"]) == 3
        for s, start, steps, loss in zip(r["per_start"], race.race_starts, e.steps, e.final_loss,
                                         strict=True):  # fmt: skip
            assert s["start"] == list(start) and s["steps"] == steps
            assert s["final_loss"] == pytest.approx(loss)
    adam = next(r for r in data["results"] if r["optimizer"] == "adam")
    assert set(adam["hyperparameters"]) == {"lr", "b1", "b2", "eps", "eps_root"}
    assert adam["hyperparameters"]["b2"] == 0.99 and adam["tuned"] == ["lr", "b1"]
    gd = next(r for r in data["results"] if r["optimizer"] == "gd")
    assert list(gd["hyperparameters"]) == ["lr"] and gd["tuned"] == ["lr"]


def test_help_describes_the_fair_race(capsys):
    from descend.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["race", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for text in ["--fair", "--starts N", "--metric {steps,loss}", "--tune {lr,all}", "--grid N",
                 "descend race --fair --surface quadratic", "held-out"]:  # fmt: skip
        assert text in out
