"""Basin and stability maps (descend.insight.basin_map, stability_map) and their figures,
checked against single runs, the catalogue's minima, symmetry and the closed-form stability
limits of gradient descent, the heavy ball and Nesterov's momentum on a quadratic."""

import numpy as np
import pytest

import descend as ds
from descend.insight import BasinMap, basin_map, plots, stability_map

RES = 20  # starts per side: every basin test uses this, so they share one compiled program


@pytest.fixture(scope="module")
def himmelblau():
    surface = ds.surfaces.get("himmelblau")
    return surface, basin_map(surface, ds.gd(0.01), resolution=RES, max_steps=1000)


@pytest.fixture(scope="module")
def quadratic():
    return ds.surfaces.get("quadratic", kappa=100.0)


def nearest(points, p):
    return int(np.argmin(np.linalg.norm(np.asarray(points) - np.asarray(p), axis=1)))


def test_himmelblau_each_known_minimum_gets_a_basin(himmelblau):
    surface, m = himmelblau
    np.testing.assert_allclose(m.minima, surface.minima)
    assert m.kinds == ("global",) * 4 and m.known_minima
    assert np.all(m.shares > 0.15)  # four basins of similar size
    total = m.shares.sum() + m.diverged_share + m.unconverged_share
    assert total == pytest.approx(1.0)
    counts = [np.mean(m.labels == k) for k in range(4)]
    np.testing.assert_allclose(counts, m.shares)
    assert m.labels.shape == m.steps.shape == (RES, RES)
    np.testing.assert_allclose(m.xs, np.linspace(-5, 5, RES))


def test_the_start_nearest_each_minimum_is_labelled_by_it(himmelblau):
    surface, m = himmelblau
    for k, p in enumerate(surface.minima):
        i, j = np.argmin(np.abs(m.ys - p[1])), np.argmin(np.abs(m.xs - p[0]))
        assert m.labels[i, j] == k


@pytest.mark.parametrize(("i", "j"), [(0, 0), (3, 17), (10, 9), (9, 10), (19, 5), (12, 2)])
def test_pixels_agree_with_single_runs(himmelblau, i, j):
    surface, m = himmelblau
    start = np.asarray([m.xs[j], m.ys[i]], np.float32)
    run = ds.minimize(surface, start, ds.gd(0.01), max_steps=1000)
    assert run.converged
    assert m.labels[i, j] == nearest(surface.minima, run.x)
    assert m.steps[i, j] == int(run.steps)


def test_a_typed_function_gets_clustered_minima():
    # a double well: minima at (-1, 0) and (1, 0); the grid is symmetric in x, so each
    # basin holds exactly half of the starts (no start lies on the ridge x = 0)
    surface = ds.surfaces.from_expression("(x^2 - 1)^2 + y^2", domain=((-2, 2), (-2, 2)))
    m = basin_map(surface, ds.gd(0.05), resolution=RES, max_steps=1000)
    assert not m.known_minima and m.kinds == ("found", "found")
    np.testing.assert_allclose(np.sort(m.minima[:, 0]), [-1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(m.minima[:, 1], 0.0, atol=1e-3)
    np.testing.assert_allclose(m.shares, [0.5, 0.5])
    assert np.all(np.diff(m.minima_loss) >= 0)  # sorted by loss
    left = nearest(m.minima, (-1.0, 0.0))
    assert np.all(m.labels[:, m.xs < 0] == left) and np.all(m.labels[:, m.xs > 0] == 1 - left)


def test_a_run_stopped_at_a_saddle_reached_no_minimum():
    # with an odd resolution the column x = 0 lies on the ridge: gradient descent from there
    # stops at the saddle (0, 0), which is no minimum (its Hessian is diag(-4, 2))
    surface = ds.surfaces.from_expression("(x^2 - 1)^2 + y^2", domain=((-2, 2), (-2, 2)))
    m = basin_map(surface, ds.gd(0.05), resolution=RES + 1, max_steps=1000)
    assert len(m.minima) == 2 and np.all(np.abs(m.minima[:, 0]) > 0.99)
    ridge = m.xs == 0.0
    assert ridge.sum() == 1 and np.all(m.labels[:, ridge] == BasinMap.NOT_CONVERGED)
    assert m.unconverged_share == pytest.approx(1 / (RES + 1))
    np.testing.assert_allclose(m.shares, [0.5 * RES / (RES + 1)] * 2)


def test_clusters_of_a_plain_function_are_deterministic_and_sorted_by_loss():
    def tilted(p):  # two wells, the left one deeper
        return (p[0] ** 2 - 1) ** 2 + p[1] ** 2 + 0.3 * p[0]

    a = basin_map(tilted, ds.gd(0.05), resolution=RES, bounds=(-2, 2, -2, 2))
    b = basin_map(tilted, ds.gd(0.05), resolution=RES, bounds=(-2, 2, -2, 2))
    np.testing.assert_array_equal(a.labels, b.labels)
    assert len(a.minima) == 2 and a.minima[0, 0] < 0 < a.minima[1, 0]
    assert a.minima_loss[0] < a.minima_loss[1]


def test_diverged_and_unconverged_runs_are_marked(quadratic):
    fast = basin_map(quadratic, ds.gd(2.5), resolution=8, max_steps=200)  # lr > 2/L
    assert fast.diverged_share == pytest.approx(1.0)
    assert np.all(fast.labels == BasinMap.DIVERGED)
    slow = basin_map(quadratic, ds.gd(1e-4), resolution=8, max_steps=5)
    assert np.mean(slow.labels == BasinMap.NOT_CONVERGED) > 0.9  # 5 tiny steps end near no minimum
    assert slow.shares.sum() + slow.unconverged_share == pytest.approx(1.0)


def test_gd_stability_boundary_is_two_over_l(quadratic):
    # the quadratic's Hessian is diag(1, 1/kappa): L = 1, so gradient descent is stable
    # for lr < 2 and diverges above
    below = ds.minimize(quadratic, None, ds.gd(0.98 * 2.0), max_steps=5000)
    above = ds.minimize(quadratic, None, ds.gd(1.02 * 2.0), max_steps=5000)
    assert below.converged and above.diverged
    m = stability_map(quadratic, "gd", x_range=(0.5, 4.0), resolution=33)
    assert m.y_name is None and m.final_loss.shape == (1, 33)
    assert m.boundary["exact"] and m.boundary["L"] == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(m.boundary["x"], [2.0], rtol=1e-5)
    lr = m.x_values
    assert not m.diverged[0, lr < 0.97 * 2.0].any()
    assert m.diverged[0, lr > 1.03 * 2.0].all()


def _check_rows(m, limit):
    """Every row (one beta): stable below 0.97 of the limit, diverged above 1.03 of it."""
    for row, beta in enumerate(m.y_values):
        lr_max = limit(beta)
        assert not m.diverged[row, m.x_values < 0.97 * lr_max].any(), beta
        assert m.diverged[row, m.x_values > 1.03 * lr_max].all(), beta


def test_heavy_ball_boundary_is_two_one_plus_beta_over_l(quadratic):
    # u <- beta u + g, x <- x - lr u: on a quadratic stable iff lr L < 2 (1 + beta), L = 1
    for beta in (0.0, 0.5, 0.9):
        lr_max = 2.0 * (1.0 + beta)
        ok = ds.minimize(quadratic, None, ds.momentum(0.97 * lr_max, beta), max_steps=3000)
        bad = ds.minimize(quadratic, None, ds.momentum(1.03 * lr_max, beta), max_steps=3000)
        assert not ok.diverged and bad.diverged, beta
    m = stability_map(quadratic, "momentum", x_range=(0.5, 8.0), y_range=(0.0, 0.9),
                      resolution=24)  # fmt: skip
    assert (m.x_name, m.y_name) == ("lr", "beta") and m.boundary["exact"]
    np.testing.assert_allclose(m.boundary["x"], 2.0 * (1.0 + m.boundary["y"]), rtol=1e-5)
    _check_rows(m, lambda beta: 2.0 * (1.0 + beta))
    # the constructor names the same rule: the same map
    by_constructor = stability_map(quadratic, ds.momentum, x_range=(0.5, 8.0),
                                   y_range=(0.0, 0.9), resolution=24)  # fmt: skip
    assert by_constructor.rule == "momentum"
    np.testing.assert_array_equal(by_constructor.final_loss, m.final_loss)


def test_nesterov_and_ema_boundaries(quadratic):
    # Nesterov: lr L < 2 (1 + beta) / (1 + 2 beta); form="ema": lr (1 - beta) L < 2 (1 + beta)
    m = stability_map(quadratic, "nesterov", x_range=(0.3, 5.0), y_range=(0.0, 0.9),
                      resolution=24)  # fmt: skip
    _check_rows(m, lambda beta: 2.0 * (1.0 + beta) / (1.0 + 2.0 * beta))
    ema = stability_map(quadratic, "momentum", x_range=(0.5, 40.0), y_range=(0.0, 0.8),
                        resolution=24, fixed={"form": "ema"})  # fmt: skip
    _check_rows(ema, lambda beta: 2.0 * (1.0 + beta) / (1.0 - beta))
    assert "1 - beta" in ema.boundary["label"]


def test_default_ranges_follow_the_registry():
    rosen = ds.surfaces.get("rosenbrock")
    m = stability_map(rosen, "adam", resolution=4, max_steps=50)
    assert (m.x_name, m.y_name, m.x_scale, m.y_scale) == ("lr", "b1", "log", "linear")
    np.testing.assert_allclose(m.x_values, np.geomspace(1e-5, 1.0, 4))
    np.testing.assert_allclose(m.y_values, np.linspace(0.0, 0.999, 4))
    assert m.boundary is None  # no theory for Adam
    assert m.final_loss.shape == m.steps.shape == m.reason.shape == (4, 4)


def test_rosenbrock_boundary_is_local_at_the_minimum():
    # the Hessian at (1, 1) is [[802, -400], [-400, 200]]: L = 501 + sqrt(301^2 + 400^2)
    rosen = ds.surfaces.get("rosenbrock")
    m = stability_map(rosen, "momentum", resolution=4, max_steps=50)
    big = 501.0 + np.hypot(301.0, 400.0)
    assert not m.boundary["exact"] and m.boundary["at"] == (1.0, 1.0)
    assert m.boundary["L"] == pytest.approx(big, rel=1e-4)
    assert "local" in m.boundary["label"]
    np.testing.assert_allclose(m.boundary["x"], 2 * (1 + m.boundary["y"]) / big, rtol=1e-4)


def test_final_loss_is_the_gap_to_the_minimum_value():
    st = ds.surfaces.get("styblinski_tang")  # min_value -78.3 in 2-D
    m = stability_map(st, "gd", x_range=(0.01, 0.05), resolution=3, max_steps=2000)
    run = ds.minimize(st, None, ds.gd(float(m.x_values[1])), max_steps=2000)
    assert m.loss_offset == st.min_value and m.gap
    assert m.final_loss[0, 1] == pytest.approx(float(run.loss) - st.min_value, rel=1e-4)
    assert m.steps[0, 1] == int(run.steps)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: basin_map(s, ds.gd(0.01), resolution=1), ValueError, "resolution"),
        (lambda s: basin_map(s, ds.gd(0.01), resolution=513), ValueError, "[2, 512]"),
        (lambda s: basin_map(s, ds.gd(0.01), resolution=2.5), TypeError, "resolution"),
        (lambda s: basin_map(s, ds.gd(0.01), max_steps=0), ValueError, "max_steps"),
        (lambda s: basin_map(s, ds.gd(0.01), bounds=(1, 0, 0, 1)), ValueError, "xmin < xmax"),
        (lambda s: basin_map(s, ds.gd(0.01), bounds=(0, 1, 0)), ValueError, "four numbers"),
        (lambda s: basin_map(s, ds.gd(0.01), bounds="abcd"), TypeError, "four numbers"),
        (lambda s: basin_map(s, 0.01), TypeError, "Transform"),
        (lambda s: basin_map(lambda p: p @ p, ds.gd(0.1)), ValueError, "bounds are required"),
        (lambda s: basin_map(ds.surfaces.get("rastrigin", dim=3), "gd"), ValueError, "2-D"),
        (lambda s: stability_map(s, "nope"), ValueError, "nope"),
        (lambda s: stability_map(s, 3), TypeError, "rule"),
        (lambda s: stability_map(s, "adam", x="b9"), ValueError, "valid: lr, b1"),
        (lambda s: stability_map(s, "adam", x="b1", y="b1"), ValueError, "different"),
        (lambda s: stability_map(s, "adam", x_range=(0, 1)), ValueError, "log scale"),
        (lambda s: stability_map(s, "adam", y_range=(0.5, 1.5)), ValueError, "[0, 1)"),
        (lambda s: stability_map(s, "adam", x_range=(1, 0.1)), ValueError, "low < high"),
        (lambda s: stability_map(s, "adam", fixed={"b1": 0.5}), ValueError, "axes"),
        (lambda s: stability_map(s, "adam", resolution=600), ValueError, "resolution"),
        (lambda s: stability_map(lambda p: p @ p, "gd"), ValueError, "start is required"),
    ],
)
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error) as info:
        call(ds.surfaces.get("himmelblau"))
    assert message in str(info.value)


# -- figures ---------------------------------------------------------------------------------


def test_basin_figure_stars_the_minima_and_gives_the_shares(himmelblau, tmp_path):
    surface, m = himmelblau
    fig = plots.basin_figure(m, surface, path=tmp_path / "basins.svg")
    ax = fig.axes[0]
    (stars,) = [ln for ln in ax.get_lines() if ln.get_gid() == "global_minima"]
    np.testing.assert_allclose(np.column_stack(stars.get_data()), surface.minima)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    for share in m.shares:
        assert any(f"{share:.1%}" in t for t in texts)
    assert any(t.startswith("diverged: 0.0%") for t in texts)
    assert ax.get_xlabel() and "gd(lr=0.01)" in ax.get_title()
    assert "<svg" in (tmp_path / "basins.svg").read_text()[:500]
    with pytest.raises(TypeError, match="BasinMap"):
        plots.basin_figure(surface)


def test_stability_figure_draws_the_boundary_on_log_axes(quadratic, tmp_path):
    m = stability_map(quadratic, "momentum", x_range=(0.5, 8.0), y_range=(0.0, 0.9),
                      resolution=24)  # fmt: skip
    for metric in ("loss", "steps"):
        fig = plots.stability_figure(m, metric=metric, path=tmp_path / f"{metric}.png")
        ax = fig.axes[0]
        (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "boundary"]
        np.testing.assert_allclose(line.get_xdata(), m.boundary["x"])
        assert ax.get_xscale() == "log" and "learning rate" in ax.get_xlabel()
        assert "beta" in ax.get_ylabel() and (tmp_path / f"{metric}.png").stat().st_size > 0
    strip = plots.stability_figure(stability_map(quadratic, "gd", x_range=(0.5, 4.0),
                                                 resolution=33))  # fmt: skip
    (vline,) = [ln for ln in strip.axes[0].get_lines() if ln.get_gid() == "boundary"]
    assert vline.get_xdata()[0] == pytest.approx(2.0, rel=1e-5)
    with pytest.raises(ValueError, match="metric"):
        plots.stability_figure(m, metric="speed")
