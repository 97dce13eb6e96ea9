"""The maps endpoints against the library: each answer's numbers are those of
``ds.insight.basin_map``, ``stability_map``, ``fair_race`` and ``seed_fan`` called here with the
same inputs; the JSON has the documented shape; "Copy as Python" reproduces the answer when run;
the limits are published; the compiled programs are bounded. Grids are kept small for speed."""

from __future__ import annotations

import numpy as np
import pytest
from _web_helpers import post_ok, run_python

import descend as ds
from descend.web import _maps_api, _runs
from descend.web._map_limits import DIGITS, published

REL = 10.0 ** (1 - DIGITS)  # the answers round to DIGITS significant digits


def post(client, endpoint, **body):
    return post_ok(client, endpoint, body)


def close(answer, truth):
    """The rounded answer equals the library's numbers (null where they are not finite)."""
    truth = np.asarray(truth, dtype=np.float64).ravel()
    got = np.array([np.nan if v is None else v for v in np.ravel(answer)], dtype=np.float64)
    assert got.shape == truth.shape
    finite = np.isfinite(truth)
    assert np.array_equal(np.isfinite(got), finite)
    np.testing.assert_allclose(got[finite], truth[finite], rtol=REL, atol=1e-300)


def test_basins_equal_basin_map(api_client):
    body = {"surface": "himmelblau", "optimizer": {"name": "gd", "hyper": {"lr": 0.01}},
            "resolution": 20, "steps": 300, "tol": 1e-6}  # fmt: skip
    got = post(api_client, "basins", **body)
    m = ds.insight.basin_map(ds.surfaces.get("himmelblau"), ds.gd(lr=0.01), resolution=20,
                             max_steps=300, tol=1e-6)  # fmt: skip
    assert got["labels"] == m.labels.ravel().tolist()  # row-major: labels[i * n + j]
    assert len(got["labels"]) == 20 * 20
    close(got["xs"], m.xs)
    close(got["ys"], m.ys)
    close(got["minima"], m.minima)
    close(got["shares"], m.shares)
    assert got["diverged_share"] == pytest.approx(m.diverged_share)
    assert got["unconverged_share"] == pytest.approx(m.unconverged_share)
    assert got["kinds"] == list(m.kinds) and got["known_minima"] is True
    assert got["global_minima"] == [k for k, kind in enumerate(m.kinds) if kind == "global"]
    assert got["optimizer"] == m.optimizer
    # Himmelblau's four global minima share the starts, roughly a quarter each
    assert len(got["minima"]) == 4 and sum(got["shares"]) == pytest.approx(1.0, abs=1e-5)
    again = run_python(got["python"])["m"]
    assert again.labels.ravel().tolist() == got["labels"]


def test_basins_of_a_typed_function_find_their_minima(api_client):
    # x^4 - 2x^2 + y^2: two minima, (-1, 0) and (1, 0), both of value -1
    body = {"expression": "x^4 - 2*x^2 + y^2", "bounds": [-2, 2, -1.5, 1.5], "resolution": 16,
            "optimizer": {"name": "gd", "hyper": {"lr": 0.05}}, "steps": 400}  # fmt: skip
    got = post(api_client, "basins", **body)
    assert got["known_minima"] is False and set(got["kinds"]) == {"found"}
    minima = sorted(tuple(p) for p in got["minima"])
    assert np.allclose(minima, [(-1, 0), (1, 0)], atol=1e-2)
    assert sorted(got["global_minima"]) == [0, 1]  # equal values: both are global
    close(got["minima_loss"], [-1.0, -1.0])
    surface = ds.surfaces.from_expression("x^4 - 2*x^2 + y^2")
    m = ds.insight.basin_map(surface, ds.gd(lr=0.05), resolution=16, bounds=(-2, 2, -1.5, 1.5),
                             max_steps=400)  # fmt: skip
    assert got["labels"] == m.labels.ravel().tolist()
    assert run_python(got["python"])["m"].labels.ravel().tolist() == got["labels"]


def test_stability_equals_stability_map(api_client):
    body = {"surface": "quadratic", "rule": "momentum", "resolution": 10, "steps": 200}
    got = post(api_client, "stability", **body)
    m = ds.insight.stability_map(ds.surfaces.get("quadratic"), "momentum", resolution=10,
                                 max_steps=200)  # fmt: skip
    assert (got["rule"], got["x_name"], got["y_name"]) == ("momentum", "lr", "beta")
    close(got["x_values"], m.x_values)
    close(got["y_values"], m.y_values)
    close(got["final_loss"], m.final_loss)
    assert got["steps"] == m.steps.ravel().tolist()
    words = [got["reason_names"][i] for i in got["reason"]]
    assert [w == "diverged" for w in words] == m.diverged.ravel().tolist()
    assert [w == "converged" for w in words] == m.converged.ravel().tolist()
    b = got["boundary"]
    assert b["label"] == m.boundary["label"] and "2(1 + beta)/L" in b["label"] and b["exact"]
    close(b["x"], m.boundary["x"])
    close(b["y"], m.boundary["y"])
    # the heavy ball on f = (x^2 + y^2)/2 (L = 1): lr < 2 (1 + beta) along the curve
    assert np.allclose(b["x"], 2 * (1 + np.asarray(b["y"])), rtol=1e-5)
    assert (got["x_scale"], got["y_scale"]) == ("log", "linear")
    again = run_python(got["python"])["m"]
    close(got["final_loss"], again.final_loss)


def test_stability_of_gd_is_one_row_with_the_two_over_l_limit(api_client):
    got = post(api_client, "stability", surface="quadratic", rule="gd", resolution=12, steps=100,
               x_range=[0.1, 4.0])  # fmt: skip
    assert got["y_name"] is None and got["y_values"] == [None]
    assert len(got["final_loss"]) == 12
    assert got["boundary"]["y"] is None and got["boundary"]["x"] == pytest.approx([2.0])
    assert set(got["reason_names"]) <= {"converged", "max_steps", "diverged", "stalled"}
    # from f = 1 at the start: below 2/L the loss falls, past it it grows (or diverges)
    for lr, loss in zip(got["x_values"], got["final_loss"], strict=True):
        assert (loss is None or loss > 1.0) == (lr > 2.0), (lr, loss)


def test_stability_fixed_values_reach_the_rule(api_client):
    got = post(api_client, "stability", surface="quadratic", rule="momentum", resolution=6,
               steps=100, fixed={"form": "ema"})  # fmt: skip
    assert got["fixed"] == {"form": "ema"}
    m = ds.insight.stability_map(ds.surfaces.get("quadratic"), "momentum", resolution=6,
                                 max_steps=100, fixed={"form": "ema"})  # fmt: skip
    close(got["final_loss"], m.final_loss)
    assert "(1 - beta)" in got["boundary"]["label"]


def test_fair_equals_fair_race(api_client):
    body = {"surface": "quadratic", "rules": ["gd", "momentum"], "budget": 60, "starts": 2,
            "grid": 4, "metric": "steps"}  # fmt: skip
    got = post(api_client, "fair", **body)
    race = ds.insight.fair_race(ds.surfaces.get("quadratic"), ("gd", "momentum"), budget=60,
                                starts=2, grid=4, metric="steps")  # fmt: skip
    assert [e["name"] for e in got["entries"]] == [e.name for e in race.entries]
    assert [e["rank"] for e in got["entries"]] == [1, 2]
    for mine, truth in zip(got["entries"], race.entries, strict=True):
        assert mine["hyperparameters"].keys() == truth.hyperparameters.keys()
        close(list(mine["hyperparameters"].values()), list(truth.hyperparameters.values()))
        assert mine["steps"] == np.asarray(truth.steps).tolist()
        close(mine["final_loss"], truth.final_loss)
        assert mine["median_steps"] == pytest.approx(truth.median_steps)
        assert mine["converged_share"] == pytest.approx(truth.converged_share)
        assert mine["tuned"] == ["lr"]
    assert got["metric"] == "steps" and "median steps to tolerance" in got["metric_text"]
    assert got["budget"] == 60 and len(got["race_starts"]) == 2
    close(got["race_starts"], race.race_starts)
    again = run_python(got["python"])["race"]
    assert [e.name for e in again.entries] == [e["name"] for e in got["entries"]]


def test_fan_equals_seed_fan(api_client):
    body = {"surface": "himmelblau", "optimizer": {"name": "gd", "hyper": {"lr": 0.01}},
            "seeds": 4, "noise": 2.0, "steps": 300, "seed": 3}  # fmt: skip
    got = post(api_client, "fan", **body)
    f = ds.insight.seed_fan(ds.surfaces.get("himmelblau"), ds.gd(lr=0.01), seeds=4, noise=2.0,
                            max_steps=300, seed=3)  # fmt: skip
    assert got["seeds"] == 4 and len(got["paths"]) == 4 and len(got["losses"]) == 4
    # 301 records thinned to the published limit, evenly, the first and the last kept
    limit = published()["fan_points"]
    keep = _runs.thin(len(f.steps), limit)
    assert len(got["step"]) == limit and got["step"][0] == 0 and got["step"][-1] == 300
    assert got["step"] == np.asarray(f.steps)[keep].tolist()
    close(got["paths"], np.asarray(f.paths)[:, keep])
    close(got["losses"], np.asarray(f.losses)[:, keep])
    close(got["spread"]["median"], np.asarray(f.median)[keep])
    close(got["spread"]["low"], np.asarray(f.low)[keep])
    close(got["spread"]["high"], np.asarray(f.high)[keep])
    close(got["final_loss"], f.final_loss)
    close(got["final_x"], f.final_x)
    assert got["global_share"] == pytest.approx(f.global_share)
    assert got["at_global"] == [bool(v) for v in f.at_global]
    assert got["start"] == pytest.approx(list(ds.surfaces.get("himmelblau").start))
    again = run_python(got["python"])["fan"]
    close(got["final_loss"], again.final_loss)


def test_limits_are_published(api_client):
    r = api_client.get("/api/maps/limits")
    assert r.status_code == 200
    limits = r.json()["limits"]
    assert limits == published()
    assert limits["resolution"] == 128 and limits["steps"] >= 1000
    paths = api_client.get("/openapi.json").json()["paths"]
    for endpoint in ("/api/basins", "/api/stability", "/api/fair", "/api/fan", "/api/maps/limits"):
        assert endpoint in paths


def test_the_programs_are_bounded(api_client, monkeypatch):
    budget = _maps_api._ProgramBudget(2)
    monkeypatch.setattr(_maps_api, "PROGRAMS_SEEN", budget)
    from descend.insight import _maps

    for steps in (1, 2, 3):  # each step budget is a program of its own
        post(api_client, "basins", surface="booth", optimizer={"name": "gd"}, resolution=4,
             steps=steps)  # fmt: skip
    assert budget.clears == 1 and len(budget.seen) == 1
    assert _maps._basin_program.cache_info().currsize <= 2
    assert _maps._basin_program in _maps_api._library_caches()
    before = budget.clears
    post(api_client, "basins", surface="booth", optimizer={"name": "gd"}, resolution=4, steps=3)
    assert budget.clears == before  # seen: no new program
