"""The figures of descend.insight.plots: content (labels, lines, markers, scales), not pixels."""

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import descend as ds
from descend.insight import plots


@pytest.fixture(scope="module")
def rosen_runs():
    surface = ds.surfaces.get("rosenbrock")
    runs = ds.compare(surface, None, {"gd": ds.gd(0.0015), "adam": ds.adam(0.02)}, max_steps=300)
    return surface, runs


def labelled(fig):
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    return ax


def by_gid(ax, gid):
    return [ln for ln in ax.get_lines() if ln.get_gid() == gid]


def test_race_figure_draws_each_path_and_the_minima(rosen_runs, tmp_path):
    surface, runs = rosen_runs
    fig = plots.race_figure(surface, runs, labels={"gd": "gd (lr=0.0015)"},
                            path=tmp_path / "sub" / "race.png")  # fmt: skip
    ax = labelled(fig)
    for name, res in runs.items():
        (line,) = by_gid(ax, f"path:{name}")
        np.testing.assert_allclose(np.column_stack(line.get_data()),
                                   res.history.trimmed()["path"])  # fmt: skip
    assert by_gid(ax, "path:gd")[0].get_label() == "gd (lr=0.0015)"
    (star,) = by_gid(ax, "global_minima")
    np.testing.assert_allclose(np.column_stack(star.get_data()), [[1.0, 1.0]])
    assert by_gid(ax, "start")
    assert (tmp_path / "sub" / "race.png").stat().st_size > 0


def test_race_figure_marks_local_minima_and_writes_svg(tmp_path):
    names = ds.surfaces.names()
    local = next(
        n for n in names if ds.surfaces.get(n).dim == 2 and ds.surfaces.get(n).local_minima
    )
    surface = ds.surfaces.get(local)
    runs = {"gd": ds.minimize(surface, None, ds.gd(surface.lr), max_steps=50)}
    fig = plots.race_figure(surface, runs, path=tmp_path / "race.svg")
    assert by_gid(fig.axes[0], "local_minima")
    text = (tmp_path / "race.svg").read_text()
    assert text.startswith("<?xml") and "<svg" in text


def test_bad_suffix_and_bad_surface_raise(rosen_runs, tmp_path):
    surface, runs = rosen_runs
    with pytest.raises(ValueError, match=r"png or \.svg"):
        plots.race_figure(surface, runs, path=tmp_path / "race.jpg")
    with pytest.raises(ValueError, match="2-D"):
        plots.race_figure(ds.surfaces.get("quadratic", dim=3), runs)


def test_surface_3d_sigmoid_neuron_axes_and_path(tmp_path):
    surface = ds.surfaces.get("sigmoid_neuron")
    res = ds.minimize(surface, None, ds.gd(5.0), max_steps=100)
    fig = plots.surface_3d(surface, res, path=tmp_path / "s.png", n=30)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w", "b")
    assert "error" in ax.get_zlabel() and ax.get_title()
    (line,) = by_gid(ax, "path")
    np.testing.assert_allclose(np.asarray(line.get_data_3d()[0]),
                               res.history.trimmed()["path"][:, 0])  # fmt: skip
    assert (tmp_path / "s.png").stat().st_size > 0


def test_loss_curves_log_scale_only_for_a_wide_range(rosen_runs, tmp_path):
    _, runs = rosen_runs
    wide = plots.loss_curves({"a": np.geomspace(10, 1e-4, 50)}, path=tmp_path / "w.png")
    assert labelled(wide).get_yscale() == "log"
    narrow = plots.loss_curves({"a": np.linspace(2.0, 1.0, 50)})
    assert labelled(narrow).get_yscale() == "linear"
    forced = plots.loss_curves({"a": np.linspace(2.0, 1.0, 50)}, log=True)
    assert forced.axes[0].get_yscale() == "log"
    fig = plots.loss_curves(runs, validation={"gd": np.linspace(5, 1, 10)})
    ax = labelled(fig)
    assert ax.get_xlabel() == "step"
    (val,) = by_gid(ax, "validation:gd")
    assert val.get_linestyle() == "--"
    (train,) = by_gid(ax, "train:adam")
    np.testing.assert_allclose(train.get_ydata(), runs["adam"].history.trimmed()["loss"])
    assert (tmp_path / "w.png").stat().st_size > 0


def test_loss_curves_reads_a_fit_result_per_epoch():
    data = ds.data.sigmoid_neuron_data()
    fitted = ds.fit(ds.models.sigmoid_neuron(), "mse", data, ds.gd(1.0), epochs=5,
                    validation=data)  # fmt: skip
    ax = labelled(plots.loss_curves({"neuron": fitted}))
    assert ax.get_xlabel() == "epoch"
    assert by_gid(ax, "validation:neuron")


def test_lr_sensitivity_marks_diverged_runs(tmp_path):
    surface = ds.surfaces.get("rosenbrock")
    lrs = [1e-4, 1e-3, 0.5]
    fig = plots.lr_sensitivity(surface, {"gd": ds.gd}, lrs, max_steps=50, path=tmp_path / "l.png")
    ax = labelled(fig)
    assert ax.get_xscale() == "log"
    (x,) = by_gid(ax, "diverged:gd")
    np.testing.assert_allclose(x.get_xdata(), [0.5])
    (ok,) = by_gid(ax, "rule:gd")
    np.testing.assert_allclose(ok.get_xdata(), [1e-4, 1e-3])
    steps = plots.lr_sensitivity(surface, {"gd": ds.gd}, lrs, max_steps=50, metric="steps")
    assert "steps" in steps.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="metric"):
        plots.lr_sensitivity(surface, {"gd": ds.gd}, lrs, metric="time")


def test_momentum_map_marks_the_polyak_optimum(tmp_path):
    kappa = 100.0
    fig = plots.momentum_map(kappa, lrs=np.geomspace(0.1, 5.0, 8), betas=np.linspace(0, 0.95, 6),
                             steps=100, path=tmp_path / "m.png")  # fmt: skip
    ax = labelled(fig)
    (star,) = by_gid(ax, "optimum")
    r = math.sqrt(kappa)
    lr, beta = (2 / (1 + math.sqrt(1 / kappa))) ** 2, ((r - 1) / (r + 1)) ** 2
    np.testing.assert_allclose(np.column_stack(star.get_data())[0], [lr, beta], rtol=1e-12)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel()  # the colour bar
    assert any(c.get_gid() == "diverged" for c in ax.collections)  # lr = 5 diverges
    assert (tmp_path / "m.png").stat().st_size > 0


def test_gradient_field_arrows_point_downhill(tmp_path):
    surface = ds.surfaces.get("quadratic", kappa=4.0, dim=2)
    fig = plots.gradient_field(surface, density=5, path=tmp_path / "g.svg")
    ax = labelled(fig)
    (q,) = [c for c in ax.collections if hasattr(c, "U")]
    u, v, pts = (
        np.asarray(q.U),
        np.asarray(q.V),
        np.asarray(q.XY if hasattr(q, "XY") else q.get_offsets()),
    )
    np.testing.assert_allclose(np.hypot(u, v)[np.hypot(u, v) > 0], 1.0, rtol=1e-5)
    nonzero = np.linalg.norm(pts, axis=1) > 1e-6
    assert np.all((u * pts[:, 0] + v * pts[:, 1])[nonzero] < 0)  # towards the minimum at 0
    assert (tmp_path / "g.svg").stat().st_size > 0


def test_flavours_figure_three_paths(tmp_path):
    fig = plots.flavours_figure(steps=6, path=tmp_path / "f.png")
    ax = labelled(fig)
    lines = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("flavour:")]
    assert len(lines) == 3
    assert all(len(ln.get_xdata()) == 7 for ln in lines)
    starts = {tuple(np.round([ln.get_xdata()[0], ln.get_ydata()[0]], 6)) for ln in lines}
    assert len(starts) == 1
    assert (tmp_path / "f.png").stat().st_size > 0


def test_race_figure_with_curves_draws_each_loss_above_the_minimum(rosen_runs):
    surface, runs = rosen_runs
    fig = plots.race_figure(surface, runs, curves=True)
    loss_ax = next(a for a in fig.axes if a.get_title() == "loss per step")
    assert loss_ax.get_yscale() == "log"
    for name, res in runs.items():
        (line,) = by_gid(loss_ax, f"loss:{name}")
        h = res.history.trimmed()
        np.testing.assert_allclose(line.get_xdata(), h["step"])
        np.testing.assert_allclose(line.get_ydata(), np.asarray(h["loss"]) - surface.min_value)


def test_one_run_or_a_list_of_runs_where_a_mapping_is_expected(rosen_runs):
    """loss_curves(result) raised "'Result' object has no attribute 'items'" though its
    docstring offers a Result; a list did the same in race_figure."""
    surface, runs = rosen_runs
    gd, adam = runs["gd"], runs["adam"]
    ax = plots.loss_curves(adam).axes[0]
    (line,) = by_gid(ax, "train:run")
    np.testing.assert_allclose(line.get_ydata(), adam.history.trimmed()["loss"])
    ax = plots.race_figure(surface, [gd, adam]).axes[0]
    for name, res in (("run 1", gd), ("run 2", adam)):
        (line,) = by_gid(ax, f"path:{name}")
        np.testing.assert_allclose(np.column_stack(line.get_data()), res.history.trimmed()["path"])
    for empty in ({}, [], None):
        with pytest.raises(ValueError, match="runs must name at least one run"):
            plots.race_figure(surface, empty)
