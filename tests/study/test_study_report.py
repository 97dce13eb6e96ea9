"""``descend study report``: one self-contained HTML page whose figures are embedded PNGs; the
fair table's best configurations are the ones a direct pandas groupby/median finds; the stable
region on the learning rate agrees with the theory (2/L for gradient descent, 2(1 + beta)/L
for the heavy ball on a quadratic); a partial study is reported as partial; bad input is one
line and exit status 2, before any work."""

import base64
import io
import re
import shutil
import sqlite3
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

import descend as ds
from descend import _files
from descend.study import _report
from descend.study import _report_figures as figs

# The quadratic 1/2 (x^2 + 0.01 y^2): its largest curvature is L = 1 (lam_0 = 100^0), so
# gradient descent is stable for lr < 2 and the heavy ball for lr < 2 (1 + beta).
L = 1.0
GD_LR = [0.1, 0.5, 1.0, 1.5, 1.9, 2.1, 2.5, 3.0, 4.0]
SPEC = dict(
    name="report",
    steps=100,
    seeds=4,
    chunk_size=64,  # 16 configurations x 4 seeds: gd 1 chunk, momentum 2, adam 1
    problem={"surface": "quadratic"},
    optimizers=[
        {"rule": "gd", "grid": {"lr": GD_LR}},
        {
            "rule": "momentum",
            "grid": {"lr": [0.05, 0.2, 0.8, 1.6, 2.6, 4.5], "beta": [0.0, 0.5, 0.9]},
        },
        {"rule": "adam", "grid": {"lr": [0.01, 0.1, 0.5], "b1": [0.8, 0.9], "b2": [0.99, 0.999]}},
    ],
)
# heatmap figures: momentum (lr x beta) and adam (3 pairs in one figure); lr curves: all
# three; one spread figure
N_FIGURES = 2 + 3 + 1
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report") / "study"
    ds.Study(**SPEC).run(directory)
    return directory


@pytest.fixture(scope="module")
def report(study_dir):
    return _report.build_report(ds.Study.load(study_dir))


@pytest.fixture(scope="module")
def page(study_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("page") / "report.html"
    return ds.Study.load(study_dir).report(out).read_text(encoding="utf-8")


def direct_scores(frame):
    """The rule the page states, computed here with pandas alone: a diverged seed or a
    non-finite gap counts as +inf."""
    failed = (frame["stop_reason"] == "diverged") | ~np.isfinite(frame["gap"])
    return frame.assign(score=np.where(failed, np.inf, frame["gap"]), failed=failed)


def images(text):
    return re.findall(r'<img [^>]*src="([^"]*)"', text)


def test_one_self_contained_page_with_every_figure_a_png(page, report):
    srcs = images(page)
    assert len(srcs) == N_FIGURES == report.n_figures
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        raw = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert raw.startswith(PNG)
        pixels = matplotlib.image.imread(io.BytesIO(raw), format="png")
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100
    # nothing outside the file: no links, scripts or stylesheets to fetch
    assert not re.search(r"(https?:|<link|<script|url\()", page)
    assert page.count("<figure") == N_FIGURES


def test_the_fair_table_holds_each_optimizers_best_by_a_direct_groupby(study_dir, report, page):
    frame = direct_scores(ds.Study.load(study_dir).results())
    medians = {}
    for name, part in frame.groupby("optimizer"):
        med = part.groupby("config_id")["score"].median()
        best = med[med == med.min()].index.min()  # ties to the first configuration
        row = next(r for r in report.table if r["optimizer"] == name)
        assert row["config_id"] == best
        runs = part[part["config_id"] == best]
        for h in ("lr", "beta", "b1", "b2"):
            if h in row["hyper"]:
                assert row["hyper"][h] == runs[h].iloc[0]
        assert row["median"] == pytest.approx(runs["gap"].median(), rel=1e-12)
        assert row["q25"] == pytest.approx(runs["gap"].quantile(0.25), rel=1e-12)
        assert row["q75"] == pytest.approx(runs["gap"].quantile(0.75), rel=1e-12)
        assert row["converged"] == pytest.approx(
            runs["stop_reason"].isin(["gradient_tol", "loss_tol", "precision"]).mean()
        )
        assert row["seeds"] == 4 and row["configs"] == part["config_id"].nunique()
        medians[name] = med[best]
    ranked = [r["optimizer"] for r in report.table]
    assert ranked == sorted(medians, key=medians.get)
    assert [r["rank"] for r in report.table] == [1, 2, 3]
    # the page's table, in rank order, with plain headers that carry units
    table = page[page.index('<table id="fair-table"') :]
    table = table[: table.index("</table>")]
    assert re.findall(r'data-optimizer="([^"]+)"', table) == ranked
    headers = re.findall(r"<th>([^<]*)</th>", table)
    assert all("(" in h and ")" in h for h in headers[2:])  # every numeric column has a unit
    assert "Median gap to the known minimum" in table and "(loss units)" in table
    assert not any(re.search(r"\b(lr|q25|q75|config_id|stop_reason)\b", h) for h in headers)


def test_the_stable_region_of_gd_is_lr_below_2_over_l(report):
    curve = report.lr_curves["gd"]
    np.testing.assert_allclose(curve.lr, GD_LR)
    assert curve.boundary == pytest.approx(2 / L, rel=1e-3)
    assert "2/L" in curve.boundary_text
    np.testing.assert_array_equal(curve.stable, np.asarray(GD_LR) < 2 / L)
    assert curve.intervals == [(0.1, 1.9)]
    # the stable region is where most seeds did not diverge: here every seed, either way
    np.testing.assert_array_equal(curve.ok_share, np.where(np.asarray(GD_LR) < 2, 1.0, 0.0))


def test_the_heavy_balls_boundary_follows_its_best_beta(study_dir, report):
    curve = report.lr_curves["momentum"]
    frame = direct_scores(ds.Study.load(study_dir).results())
    part = frame[frame["optimizer"] == "momentum"]
    med = part.groupby(["lr", "beta"])["score"].median()
    _, best_beta = med.idxmin()
    assert curve.fixed == {"beta": best_beta}
    limit = 2 * (1 + best_beta) / L
    assert curve.boundary == pytest.approx(limit, rel=1e-3)
    away = np.abs(curve.lr - limit) > 0.2 * limit
    np.testing.assert_array_equal(curve.stable[away], (curve.lr < limit)[away])
    # the slice's median per lr is the direct median at that beta
    direct = part[part["beta"] == best_beta].groupby("lr")["score"].median()
    np.testing.assert_allclose(curve.median, direct.to_numpy(), rtol=1e-12)


def test_the_heatmaps_are_medians_over_seeds_with_the_rest_at_the_best(study_dir, report):
    frame = direct_scores(ds.Study.load(study_dir).results())
    (mom,) = report.heatmaps["momentum"]
    assert (mom.x, mom.y, mom.fixed) == ("lr", "beta", {})
    direct = frame[frame["optimizer"] == "momentum"].pivot_table(
        index="beta", columns="lr", values="score", aggfunc="median"
    )
    np.testing.assert_allclose(mom.median, direct.to_numpy(), rtol=1e-12)
    adam = frame[frame["optimizer"] == "adam"]
    med = adam.groupby(["lr", "b1", "b2"])["score"].median()
    best = dict(zip(("lr", "b1", "b2"), med.idxmin(), strict=True))
    panels = {(m.x, m.y): m for m in report.heatmaps["adam"]}
    assert set(panels) == {("lr", "b1"), ("lr", "b2"), ("b1", "b2")}
    m = panels[("lr", "b2")]
    assert m.fixed == {"b1": best["b1"]}
    direct = adam[adam["b1"] == best["b1"]].pivot_table(
        index="b2", columns="lr", values="score", aggfunc="median"
    )
    np.testing.assert_allclose(m.median, direct.to_numpy(), rtol=1e-12)
    assert "at the best configuration" in _report.render_html(report)


def test_the_spread_is_the_best_configurations_seeds(study_dir, report):
    frame = ds.Study.load(study_dir).results()
    spread = report.spread
    assert spread.optimizers == [r["optimizer"] for r in report.table]
    for name, values, seeds in zip(spread.optimizers, spread.values, spread.seeds, strict=True):
        row = next(r for r in report.table if r["optimizer"] == name)
        runs = frame[frame["config_id"] == row["config_id"]].sort_values("seed")
        np.testing.assert_array_equal(values, runs["gap"].to_numpy())
        np.testing.assert_array_equal(seeds, [0, 1, 2, 3])


def test_a_partial_study_is_reported_as_partial(study_dir, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(study_dir, partial)
    conn = sqlite3.connect(partial / "study.sqlite")  # the store as a kill before adam leaves it
    with conn:
        (adam_chunk,) = conn.execute("SELECT chunk_id FROM chunks WHERE optimizer = 2").fetchone()
        conn.execute("DELETE FROM results WHERE chunk_id = ?", (adam_chunk,))
        conn.execute("UPDATE chunks SET state = 'pending' WHERE chunk_id = ?", (adam_chunk,))
    conn.close()
    report = _report.build_report(ds.Study.load(partial))
    assert not report.complete and report.chunks == (3, 4)
    n_runs = (9 + 18 + 12) * 4
    assert report.runs == (n_runs - 12 * 4, n_runs)
    assert report.table[-1]["optimizer"] == "adam" and report.table[-1]["rank"] is None
    assert "adam" not in report.heatmaps and "adam" not in report.lr_curves
    page = _report.write_report(partial).read_text(encoding="utf-8")
    assert re.search(r"Partial study: 3 of 4 chunks done \(108 of 156 runs\)", page)
    assert "no runs yet" in page
    assert len(images(page)) == report.n_figures == 1 + 2 + 1


def test_a_failed_write_leaves_the_old_page_and_a_good_one_is_moved_into_place(
    study_dir, tmp_path, monkeypatch
):
    out = tmp_path / "r.html"
    out.write_text("old")

    def broken(report):
        raise RuntimeError("drawing failed")

    with monkeypatch.context() as m:
        m.setattr(_report, "render_html", broken)
        with pytest.raises(RuntimeError):
            _report.write_report(study_dir, out)
    assert out.read_text() == "old" and list(tmp_path.iterdir()) == [out]
    moves = []
    real = _files.os.replace
    monkeypatch.setattr(_files.os, "replace", lambda a, b: (moves.append((a, b)), real(a, b)))
    _report.write_report(study_dir, out)
    assert moves == [(tmp_path / ".r.partial.html", out)]
    assert out.read_text().startswith("<!DOCTYPE html>") and list(tmp_path.iterdir()) == [out]


def test_the_rules_with_higher_is_better_and_failed_seeds():
    """fair_table on made-up runs: accuracy (higher is better), a failed seed counts as the
    worst value, ranks by the median."""
    spec = ds.Study(**{**SPEC, "optimizers": SPEC["optimizers"][:2]}).spec
    unvaried = dict(beta=0.5, final_loss=1.0, best_loss=1.0, steps=10)  # not read by the rule
    rows = []
    for config_id, (name, lr, accs, reasons) in enumerate(
        [
            ("gd", 0.1, [0.9, 0.8, 0.85], ["max_steps"] * 3),
            ("gd", 0.5, [0.99, 0.99, 0.2], ["max_steps", "diverged", "diverged"]),
            ("momentum", 0.1, [0.95, 0.7, 0.96], ["gradient_tol"] * 3),
        ]
    ):
        for seed, (acc, reason) in enumerate(zip(accs, reasons, strict=True)):
            varied = dict(config_id=config_id, optimizer=name, lr=lr, seed=seed)
            rows.append(dict(varied, stop_reason=reason, accuracy=acc, **unvaried))
    items = figs.prepare(pd.DataFrame(rows), spec, "accuracy", "max")
    table = _report.fair_table(items, "accuracy", "max")
    assert [(r["optimizer"], r["config_id"], r["median"]) for r in table] == [
        ("momentum", 2, 0.95),
        ("gd", 0, 0.85),  # lr 0.5 has the best seed but two of three diverged: -inf median
    ]
    assert table[1]["failed"] == 0.0 and table[0]["converged"] == 1.0


def test_the_command_writes_one_line_and_refuses_bad_input_before_any_work(
    study_dir, tmp_path, cli, monkeypatch
):
    out = tmp_path / "sub" / "page.html"
    code, stdout, err = cli("study", "report", str(study_dir), "--out", str(out))
    assert (code, stdout, err) == (0, "", f"wrote {out}\n")
    assert len(images(out.read_text(encoding="utf-8"))) == N_FIGURES

    def no_work(study):
        raise AssertionError("the report was built despite bad input")

    monkeypatch.setattr(_report, "build_report", no_work)
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for argv, needle in [
        ((str(empty),), "no study in"),
        ((str(study_dir), "--out", str(tmp_path)), "is a folder"),
        ((str(study_dir), "--out", str(a_file / "page.html")), "cannot write"),
    ]:
        code, stdout, err = cli("study", "report", *argv)
        assert code == 2 and needle in err and err.count("\n") == 1, err
        assert err.startswith("descend study report: error: ")
    assert not (empty / "report.html").exists()


def test_the_command_leaves_the_matplotlib_backend_alone(study_dir, tmp_path):
    """In a fresh process: the report imports no pyplot (the user's backend stays as it was)."""
    out = tmp_path / "r.html"
    code = (
        "import sys; from descend.cli import main; "
        f"rc = main(['study', 'report', {str(study_dir)!r}, '--out', {str(out)!r}]); "
        "print(rc, 'matplotlib.pyplot' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["0", "False"], done.stderr
    assert out.is_file()


def test_a_random_search_is_cut_into_bins_on_each_hyperparameters_scale():
    """On a random search each hyperparameter is cut into BINS bins on its registry scale (lr:
    geometric) and a cell's value is its bin's centre; a heatmap's cell is the median over
    every run in it."""
    spec = ds.Study(
        name="random",
        steps=10,
        seeds=2,
        problem={"surface": "quadratic"},
        search={"kind": "random", "n": 50},
        optimizers=[
            {
                "rule": "momentum",
                "grid": {"lr": {"log": [1e-4, 1.0]}, "beta": {"linear": [0.0, 0.9]}},
            }
        ],
    ).spec
    rng = np.random.default_rng(0)
    n = 400
    lr = np.exp(rng.uniform(np.log(1e-4), np.log(1.0), n))
    beta = rng.uniform(0.0, 0.9, n)
    lr[:2], beta[:2] = [1e-4, 1.0], [0.0, 0.9]  # the ends of the ranges
    gap = rng.uniform(0.0, 1.0, n)
    frame = pd.DataFrame(
        dict(
            config_id=np.arange(n) // 2,
            optimizer="momentum",
            lr=lr,
            beta=beta,
            seed=np.arange(n) % 2,
            final_loss=gap,
            best_loss=gap,
            steps=10,
            stop_reason="max_steps",
            gap=gap,
        )
    )
    (item,) = figs.prepare(frame, spec, "gap", "min")
    k_lr = np.minimum((np.log(lr / 1e-4) / np.log(1e4) * figs.BINS).astype(int), figs.BINS - 1)
    centres = 1e-4 * 1e4 ** ((np.arange(figs.BINS) + 0.5) / figs.BINS)
    np.testing.assert_allclose(item.runs["cell:lr"], centres[k_lr], rtol=1e-12)
    k_beta = np.minimum((beta / 0.9 * figs.BINS).astype(int), figs.BINS - 1)
    np.testing.assert_allclose(item.runs["cell:beta"], (k_beta + 0.5) * 0.9 / figs.BINS)
    m = figs.heatmap_data(item, "lr", "beta")
    direct = pd.DataFrame(dict(i=k_beta, j=k_lr, gap=gap)).groupby(["i", "j"])["gap"].median()
    for (i, j), value in direct.items():
        assert m.median[i, j] == pytest.approx(value, rel=1e-12)
    assert np.isnan(m.median).sum() == figs.BINS**2 - len(direct)
