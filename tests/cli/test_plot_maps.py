"""descend plot basins and descend plot stability: the figures written and the JSON (their bad
input is in test_bad_input.py's table)."""

import json

import numpy as np
import pytest

import descend as ds

FAST = ("--resolution", "12", "--steps", "400")


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_basins_figure_is_written(tmp_path, cli, suffix):
    out_file = tmp_path / "maps" / f"basins.{suffix}"
    code, out, _ = cli("plot", "basins", "--surface", "himmelblau", "-o", "gd:lr=0.01", *FAST,
                       "--out", str(out_file))  # fmt: skip
    assert code == 0 and out.strip() == f"wrote {out_file}"
    assert out_file.stat().st_size > 1000
    if suffix == "svg":
        assert "<svg" in out_file.read_text()[:500]


def test_basins_json_lists_each_minimum_with_its_share(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("plot", "basins", "-s", "himmelblau", "-o", "gd:lr=0.01", *FAST,
                         "--json")  # fmt: skip
    assert code == 0 and err == ""
    data = json.loads(out)  # standard output holds the JSON alone
    assert list(tmp_path.iterdir()) == []  # no --out: no figure
    assert (data["surface"], data["optimizer"], data["hyperparameters"]) == (
        "himmelblau", "gd", {"lr": 0.01})  # fmt: skip
    points = [m["point"] for m in data["minima"]]
    np.testing.assert_allclose(points, ds.surfaces.get("himmelblau").minima)
    shares = [m["share"] for m in data["minima"]]
    assert all(s > 0.1 for s in shares)
    assert sum(shares) + data["diverged_share"] + data["unconverged_share"] == pytest.approx(1.0)
    assert (
        data["resolution"] == 12 and data["max_steps"] == 400 and data["bounds"] == [-5, 5, -5, 5]
    )


def test_basins_json_with_out_writes_both(tmp_path, cli):
    out_file = tmp_path / "b.png"
    code, out, err = cli("plot", "basins", "-f", "(x^2 - 1)^2 + y^2", "-o", "gd:lr=0.05",
                         "--bounds=-2,2,-1,1", *FAST, "--json", "--out", str(out_file))  # fmt: skip
    data = json.loads(out)
    assert code == 0 and f"wrote {out_file}" in err and out_file.stat().st_size > 1000
    assert [m["kind"] for m in data["minima"]] == ["found", "found"]
    assert sorted(round(m["point"][0], 2) for m in data["minima"]) == [-1.0, 1.0]
    assert [m["share"] for m in data["minima"]] == [0.5, 0.5]  # the grid is symmetric


def test_stability_figure_and_json(tmp_path, cli):
    out_file = tmp_path / "map.png"
    code, out, _ = cli("plot", "stability", "--surface", "rosenbrock", "-o", "momentum",
                       "--resolution", "6", "--steps", "200", "--out", str(out_file))  # fmt: skip
    assert code == 0 and f"wrote {out_file}" in out and out_file.stat().st_size > 1000
    code, out, _ = cli("plot", "stability", "-s", "quadratic", "-p", "kappa=100", "-o", "gd",
                       "--x-range", "0.5,4", "--resolution", "8", "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["rule"] == "gd" and data["y"] is None
    assert data["final_loss_is"] == "f - f*" and data["loss_offset"] == 0.0
    assert data["boundary"]["exact"] and data["boundary"]["x"] == [pytest.approx(2.0, rel=1e-5)]
    lrs = np.asarray(data["x"]["values"])
    np.testing.assert_allclose(lrs, np.geomspace(0.5, 4.0, 8))
    reasons = np.asarray(data["reason"][0])
    assert (reasons[lrs > 2.06] == "diverged").all() and (reasons[lrs < 1.9] != "diverged").all()
    losses = data["final_loss"][0]
    assert len(losses) == 8 and all(v is None or v >= 0 for v in losses)  # JSON: no NaN


def test_stability_metric_steps_and_other_axes(tmp_path, cli):
    out_file = tmp_path / "adam.svg"
    code, _, _ = cli("plot", "stability", "-s", "quadratic", "-o", "adam:b2=0.99", "--x", "b1",
                       "--y", "lr", "--y-range", "0.01,0.5", "--resolution", "4", "--steps", "100",
                       "--metric", "steps", "--out", str(out_file))  # fmt: skip
    assert code == 0 and "<svg" in out_file.read_text()[:500]
