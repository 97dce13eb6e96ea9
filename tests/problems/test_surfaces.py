"""The test surfaces: each stored fact checked against the function itself, in float64.

For every surface (and the n-D ones at dim 5 too): f at each global minimum is ``min_value``;
the gradient vanishes (to 1e-8) at every listed minimum, local minimum and saddle; the Hessian
is positive semi-definite at minima, and at saddles indefinite (or, for the degenerate monkey
saddle, f takes values above and below f(saddle) arbitrarily close to it); local minima lie above
the global minimum; every listed point and the start lie in the domain; gradients are finite at
random points of the domain; and plain gradient descent with the surface's own ``lr`` lowers f
from ``start`` within 2,000 steps. The registry (names, caching, errors) and the special cases
(Ackley's cone, the published 6-digit minima, the quadratic's spectrum) have tests of their own.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from descend.problems import surfaces
from descend.problems.surfaces import SIGMOID_NEURON_X, SIGMOID_NEURON_Y, Surface

pytestmark = pytest.mark.usefixtures("x64")

NAMES = [
    "ackley",
    "beale",
    "booth",
    "double_well",
    "goldstein_price",
    "himmelblau",
    "monkey_saddle",
    "plateau",
    "quadratic",
    "rastrigin",
    "rosenbrock",
    "saddle",
    "sigmoid_neuron",
    "six_hump_camel",
    "styblinski_tang",
]
CASES = [(name, {}) for name in NAMES] + [
    ("rastrigin", {"dim": 5}),
    ("ackley", {"dim": 3}),
    ("ackley", {"dim": 5}),
    ("styblinski_tang", {"dim": 5}),
    ("quadratic", {"dim": 5, "kappa": 1000.0, "rotate": True}),
    ("quadratic", {"dim": 1}),
]
IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]
GRAD_TOL = 1e-8


@pytest.fixture(params=CASES, ids=IDS)
def surface(request) -> Surface:
    name, params = request.param
    return surfaces.get(name, **params)


@functools.cache
def compiled(s: Surface, what: str):
    """``f``, its gradient or its Hessian, vmapped over points and jitted (once per surface)."""
    fn = {"f": s.f, "grad": jax.grad(s.f), "hessian": jax.hessian(s.f)}[what]
    return jax.jit(jax.vmap(fn))


def values_at(s: Surface, points) -> np.ndarray:
    return np.asarray(compiled(s, "f")(jnp.asarray(points, dtype=jnp.float64)))


def grads_at(s: Surface, points) -> np.ndarray:
    return np.asarray(compiled(s, "grad")(jnp.asarray(points, dtype=jnp.float64)))


def hessians_at(s: Surface, points) -> np.ndarray:
    return np.asarray(compiled(s, "hessian")(jnp.asarray(points, dtype=jnp.float64)))


def in_domain(s: Surface, point) -> bool:
    return all(lo <= v <= hi for v, (lo, hi) in zip(point, s.domain, strict=True))


# ---------------------------------------------------------------------------------------------
# The registry


def test_names_lists_every_surface_sorted():
    assert surfaces.names() == NAMES


def test_get_returns_the_same_object_for_the_same_arguments():
    s = surfaces.get("rosenbrock")
    assert surfaces.get("Rosenbrock") is s
    assert surfaces.get(" ROSENBROCK ") is s
    assert surfaces.get("six-hump-camel") is surfaces.get("Six_Hump_Camel")
    assert surfaces.get("rastrigin") is surfaces.get("rastrigin", dim=2)
    assert surfaces.get("quadratic", kappa=100) is surfaces.get("quadratic", kappa=100.0)
    assert surfaces.get("quadratic", dim=np.int64(3)) is surfaces.get("quadratic", dim=3)
    assert surfaces.get("rastrigin", dim=3) is not surfaces.get("rastrigin", dim=2)
    assert surfaces.get("quadratic", kappa=10.0).f is surfaces.get("quadratic", kappa=10.0).f


def test_get_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'rosenbrok'.*rosenbrock") as err:
        surfaces.get("rosenbrok")
    for name in NAMES:
        assert name in str(err.value)
    with pytest.raises(TypeError, match="string"):
        surfaces.get(3)


@pytest.mark.parametrize(
    ("name", "params", "error", "pattern"),
    [
        ("rosenbrock", {"dim": 3}, TypeError, r"'dim'.*takes no parameters"),
        ("rastrigin", {"dims": 3}, TypeError, r"'dims'.*allowed: dim"),
        ("quadratic", {"condition": 3}, TypeError, r"'condition'.*kappa"),
        (
            "rastrigin",
            {"dim": 0},
            ValueError,
            r"rastrigin: dim must be an integer in \[1, 1000\]; got 0",
        ),
        ("ackley", {"dim": 2.0}, TypeError, r"ackley: dim must be an integer"),
        ("ackley", {"dim": True}, TypeError, r"ackley: dim must be an integer"),
        ("quadratic", {"kappa": 0.5}, ValueError, r"quadratic: kappa must be a finite number"),
        ("quadratic", {"kappa": math.inf}, ValueError, r"kappa .*got inf"),
        ("quadratic", {"kappa": "10"}, TypeError, r"kappa .*got '10'"),
        ("quadratic", {"rotate": 1}, TypeError, r"quadratic: rotate must be True or False"),
        ("quadratic", {"seed": -1}, ValueError, r"quadratic: seed must be an integer >= 0"),
    ],
)
def test_get_rejects_bad_parameters_naming_them(name, params, error, pattern):
    with pytest.raises(error, match=pattern):
        surfaces.get(name, **params)


def test_surface_checks_its_fields_and_is_frozen():
    s = surfaces.get("booth")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.lr = 1.0
    with pytest.raises(ValueError, match="lr must lie in lr_range"):
        dataclasses.replace(s, lr=1.0)
    with pytest.raises(ValueError, match=r"minima and Surface\.min_value"):
        dataclasses.replace(s, min_value=None)
    with pytest.raises(ValueError, match="3 coordinates"):
        dataclasses.replace(s, dim=3, domain=((0.0, 1.0),) * 3)
    with pytest.raises(ValueError, match="domain"):
        dataclasses.replace(s, domain=((0.0, 1.0),))


# ---------------------------------------------------------------------------------------------
# Every surface: the stored facts against the function


def test_fields_are_consistent(surface):
    s = surface
    assert s.name in NAMES
    assert s.formula and s.description
    assert len(s.start) == len(s.domain) == s.dim
    assert s.bounded_below == (s.min_value is not None) == bool(s.minima)
    assert 0 < s.lr_range[0] <= s.lr <= s.lr_range[1]
    assert s.adaptive_lr > 0
    assert in_domain(s, s.start)
    for point in s.minima + s.local_minima + s.saddles:
        assert in_domain(s, point), point


def test_global_minima_have_min_value(surface):
    s = surface
    if not s.minima:
        pytest.skip("unbounded below")
    f = values_at(s, s.minima)
    np.testing.assert_allclose(f, s.min_value, rtol=1e-9, atol=1e-9)
    assert float(s(s.start)) > s.min_value


def test_gradient_vanishes_at_every_listed_point(surface):
    s = surface
    points = s.minima + s.local_minima + s.saddles
    norms = np.linalg.norm(grads_at(s, points), axis=1)
    assert np.all(norms < GRAD_TOL), dict(zip(points, norms, strict=True))


def test_hessian_is_psd_at_minima_and_local_minima_lie_higher(surface):
    s = surface
    points = s.minima + s.local_minima
    if not points:
        pytest.skip("no minima")
    for point, h in zip(points, hessians_at(s, points), strict=True):
        eig = np.linalg.eigvalsh(h)
        assert eig.min() >= -1e-9 * max(1.0, abs(eig).max()), (point, eig)
    if s.local_minima:
        assert np.all(values_at(s, s.local_minima) > s.min_value + 1e-6)


def test_saddles_are_saddles(surface):
    s = surface
    if not s.saddles:
        pytest.skip("no saddles listed")
    rng = np.random.default_rng(0)
    for point, h in zip(s.saddles, hessians_at(s, s.saddles), strict=True):
        eig = np.linalg.eigvalsh(h)
        scale = max(1.0, abs(eig).max())
        if eig.min() < -1e-6 * scale and eig.max() > 1e-6 * scale:
            continue  # indefinite Hessian
        # Degenerate (the monkey saddle): f must rise and fall in every small neighbourhood.
        assert abs(eig).max() < 1e-9, (point, eig)
        directions = rng.normal(size=(64, s.dim))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        around = values_at(s, np.asarray(point) + 1e-3 * directions) - float(s(point))
        assert around.min() < 0 < around.max(), point


def test_gradients_are_finite_on_random_points_of_the_domain(surface):
    s = surface
    rng = np.random.default_rng(1)
    low, high = np.array(s.domain).T
    points = rng.uniform(low, high, size=(512, s.dim))
    points[:4] = np.clip(0.0, low, high)  # the origin (Ackley's cone tip) too
    grad = compiled(s, "grad")
    assert np.all(np.isfinite(np.asarray(grad(jnp.asarray(points)))))
    with jax.enable_x64(False):
        g32 = grad(jnp.asarray(points, dtype=jnp.float32))
        assert g32.dtype == jnp.float32
        assert np.all(np.isfinite(np.asarray(g32)))


def test_f_works_under_jit_vmap_and_keeps_the_input_dtype(surface):
    s = surface
    rng = np.random.default_rng(2)
    low, high = np.array(s.domain).T
    points = rng.uniform(low, high, size=(8, s.dim))
    looped = np.array([float(s(p)) for p in points])
    np.testing.assert_allclose(values_at(s, points), looped, rtol=1e-12)
    assert s.f(jnp.asarray(points[0], dtype=jnp.float32)).dtype == jnp.float32
    assert s.f(jnp.asarray(points[0])).dtype == jnp.float64
    assert s.f(jnp.asarray(points[0])).shape == ()
    assert np.isfinite(float(s([1] * s.dim)))  # integers are accepted by __call__


def test_distance_to_minimum(surface):
    s = surface
    if not s.minima:
        assert math.isnan(s.distance_to_minimum(s.start))
        return
    assert s.distance_to_minimum(s.minima[0]) == 0.0
    expected = min(np.linalg.norm(np.subtract(s.start, m)) for m in s.minima)
    assert s.distance_to_minimum(s.start, include_local=False) == pytest.approx(expected)
    if s.local_minima:
        assert s.distance_to_minimum(s.local_minima[0]) == 0.0
        assert s.distance_to_minimum(s.local_minima[0], include_local=False) > 0.0
    with pytest.raises(ValueError, match="coordinates"):
        s.distance_to_minimum([0.0] * (s.dim + 1))


def run_gd(s: Surface, steps: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(f, x) after each of ``steps`` plain gradient-descent steps with ``s.lr`` from
    ``s.start``, as one jitted scan."""
    grad = jax.grad(s.f)

    @jax.jit
    def path(x0):
        def step(x, _):
            x = x - s.lr * grad(x)
            return x, (s.f(x), x)

        return jax.lax.scan(step, x0, None, length=steps)[1]

    f, x = path(jnp.asarray(s.start, dtype=jnp.float64))
    return np.asarray(f), np.asarray(x)


def test_gradient_descent_with_lr_lowers_f_from_start(surface):
    s = surface
    if not s.bounded_below:
        pytest.skip("unbounded below: descent leaves the domain by design")
    f, _ = run_gd(s)
    assert np.all(np.isfinite(f))
    assert f[-1] < float(s(s.start)) - 1e-3 * max(1.0, abs(float(s(s.start))))


@pytest.mark.parametrize("name", ["saddle", "monkey_saddle"])
def test_descent_escapes_the_unbounded_saddles(name):
    s = surfaces.get(name)
    f, _ = run_gd(s, steps=300)
    # Down a valley, not stuck at the saddle (f = 0 there); finite until f runs off (the
    # monkey saddle's cubic overflows some steps after leaving the domain).
    assert np.nanmin(f) < -10.0
    first_bad = np.argmax(~np.isfinite(f)) if not np.all(np.isfinite(f)) else len(f)
    assert first_bad > 100


# ---------------------------------------------------------------------------------------------
# Special cases


def test_published_minima_are_within_1e_5_of_the_refined_ones():
    published = {
        "himmelblau": [
            (3.0, 2.0),
            (-2.805118, 3.131312),
            (-3.779310, -3.283186),
            (3.584428, -1.848126),
        ],
        "six_hump_camel": [(0.089842, -0.712656), (-0.089842, 0.712656)],
    }
    for name, points in published.items():
        s = surfaces.get(name)
        for p in points:
            assert min(np.linalg.norm(np.subtract(p, m)) for m in s.minima) < 1e-5, (name, p)
    camel = surfaces.get("six_hump_camel")
    assert camel.min_value == pytest.approx(-1.031628, abs=1e-6)
    for p in [
        (1.703607, -0.796084),
        (-1.703607, 0.796084),
        (1.607105, 0.568651),
        (-1.607105, -0.568651),
    ]:
        assert min(np.linalg.norm(np.subtract(p, m)) for m in camel.local_minima) < 1e-5
    for dim in (1, 2, 5):
        st = surfaces.get("styblinski_tang", dim=dim)
        np.testing.assert_allclose(st.minima[0], -2.903534, atol=1e-5)
        assert st.min_value == pytest.approx(-39.16616570 * dim, abs=1e-7 * dim)


def test_ackley_cone_tip_has_zero_gradient_and_no_nan_nearby():
    tiny = np.array([0.0, 1e-300, 1e-200, 1e-40, 1e-30, 1e-20, 1e-10, -1e-10])
    for dim in (1, 2, 5):
        s = surfaces.get("ackley", dim=dim)
        for dtype in (jnp.float32, jnp.float64):
            x = jnp.asarray(np.repeat(tiny[:, None], dim, axis=1), dtype=dtype)
            assert float(s.f(x[0])) == 0.0
            grads = np.asarray(compiled(s, "grad")(x))
            assert np.all(grads[0] == 0.0)
            assert np.all(np.isfinite(grads))
            assert np.all(np.isfinite(np.asarray(compiled(s, "hessian")(x))))
    # Just off the tip the cone's slope a*b/sqrt(n) per unit of r is there, not 0.
    s = surfaces.get("ackley")
    g = np.asarray(jax.grad(s.f)(jnp.array([1e-8, 0.0])))
    assert g[0] == pytest.approx(20 * 0.2 / math.sqrt(2), rel=1e-3)


def test_ackley_and_rastrigin_list_the_lattice_neighbours():
    assert len(surfaces.get("rastrigin").local_minima) == 8
    assert len(surfaces.get("rastrigin", dim=3).local_minima) == 26
    assert len(surfaces.get("rastrigin", dim=5).local_minima) == 10
    assert len(surfaces.get("ackley").local_minima) == 8
    assert len(surfaces.get("ackley", dim=5).local_minima) == 10
    # Above dim 17 the cone outweighs the ripples and the dimples on the axes are gone.
    s17 = surfaces.get("ackley", dim=17)
    assert len(s17.local_minima) == 34
    assert np.all(np.linalg.norm(grads_at(s17, s17.local_minima[:2]), axis=1) < GRAD_TOL)
    assert surfaces.get("ackley", dim=18).local_minima == ()


def test_sigmoid_neuron_fits_its_data_exactly_at_the_minimum():
    s = surfaces.get("sigmoid_neuron")
    w, b = s.minima[0]
    x, y = np.array(SIGMOID_NEURON_X), np.array(SIGMOID_NEURON_Y)
    np.testing.assert_allclose(1 / (1 + np.exp(-(w * x + b))), y, rtol=1e-14)
    assert "SIGMOID_NEURON_X" in s.description
    # The start is on the plateau: a small but nonzero gradient.
    g = np.linalg.norm(np.asarray(jax.grad(s.f)(jnp.asarray(s.start))))
    assert 1e-3 < g < 2e-2


def test_plateau_start_is_flat_and_double_well_start_ends_in_the_local_minimum():
    plateau = surfaces.get("plateau")
    g = np.linalg.norm(np.asarray(jax.grad(plateau.f)(jnp.asarray(plateau.start))))
    assert 1e-4 < g < 1e-3
    f, _ = run_gd(plateau, steps=500)
    assert f[-1] > 0.99  # still crawling after 500 steps

    well = surfaces.get("double_well")
    _, x = run_gd(well, steps=500)
    assert np.linalg.norm(x[-1] - well.local_minima[0]) < 1e-6


def test_quadratic_spectrum_rotation_and_learning_rate():
    for dim, kappa in [(2, 100.0), (5, 1000.0)]:
        plain = surfaces.get("quadratic", dim=dim, kappa=kappa)
        turned = surfaces.get("quadratic", dim=dim, kappa=kappa, rotate=True)
        lam = kappa ** (-np.arange(dim) / (dim - 1))
        h_plain = hessians_at(plain, [plain.start])[0]
        h_turned = hessians_at(turned, [turned.start])[0]
        np.testing.assert_allclose(h_plain, np.diag(lam), atol=1e-14)
        np.testing.assert_allclose(np.linalg.eigvalsh(h_turned), np.sort(lam), rtol=1e-10)
        assert np.abs(h_turned - np.diag(np.diag(h_turned))).max() > 1e-3  # not diagonal
        assert plain.lr == pytest.approx(2 / (1 + 1 / kappa))
        assert plain.lr < plain.lr_range[1] < 2.0
    a = surfaces.get("quadratic", rotate=True, seed=0)
    b = surfaces.get("quadratic", rotate=True, seed=1)
    assert float(a([1.0, 0.0])) != float(b([1.0, 0.0]))
    one = surfaces.get("quadratic", dim=1)
    assert float(one([2.0])) == 2.0


def test_calling_a_surface_takes_a_point_or_a_batch_and_refuses_another_dimension():
    """Rosenbrock's f read a (2, 2) batch as one point ([100, 100] for f(1,1) = 0 and
    f(0,0) = 1) and a 3-vector as a 2-D point, without a word."""
    ros = surfaces.get("rosenbrock")
    np.testing.assert_allclose(ros(jnp.array([[1.0, 1.0], [0.0, 0.0]])), [0.0, 1.0])
    grid = jnp.stack(jnp.meshgrid(jnp.linspace(-1, 1, 3), jnp.linspace(0, 2, 4)), axis=-1)
    values = ros(grid)
    assert values.shape == (4, 3)
    np.testing.assert_allclose(values[2, 1], ros(grid[2, 1]))
    for bad in (jnp.zeros(3), jnp.zeros((2, 5)), 1.0):
        with pytest.raises(ValueError, match=r"'rosenbrock' takes points of 2 coordinates"):
            ros(bad)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rastrigin", {"dim": 10**9}, r"rastrigin: dim must be an integer in \[1, 1000\]"),
        ("ackley", {"dim": 1001}, r"ackley: dim must be an integer in \[1, 1000\]"),
        ("quadratic", {"dim": 10**9}, r"quadratic: dim must be an integer in \[1, 1000000\]"),
        ("quadratic", {"dim": 60_000, "rotate": True}, r"at most 2,000 with rotate=True"),
    ],
)
def test_a_dimension_that_would_not_fit_is_refused_before_anything_is_built(name, params, message):
    """dim = 10^9 had the kernel kill `descend race` at 23 GB; a rotated quadratic of dim
    60,000 asked NumPy for 27 GiB."""
    with pytest.raises(ValueError, match=message):
        surfaces.get(name, **params)


def test_distance_to_minimum_runs_under_vmap_and_jit():
    """Traced, it is a JAX scalar equal to the float of the concrete path (the nearest of
    Himmelblau's four minima, by hand); nan for a surface with no minimum either way."""
    s = surfaces.get("himmelblau")
    points = np.array([[3.0, 2.0], [0.0, 0.0], [-2.8, 3.1], [4.0, -2.0]])
    minima = np.array(s.minima)
    by_hand = [np.min(np.linalg.norm(minima - p, axis=1)) for p in points]
    traced = jax.vmap(s.distance_to_minimum)(jnp.asarray(points))
    np.testing.assert_allclose(traced, by_hand, rtol=1e-6, atol=1e-6)
    assert [s.distance_to_minimum(p) for p in points] == pytest.approx(by_hand, abs=1e-12)
    assert float(jax.jit(s.distance_to_minimum)(jnp.zeros(2))) == pytest.approx(by_hand[1])
    saddle = surfaces.get("saddle")
    assert np.isnan(jax.vmap(saddle.distance_to_minimum)(jnp.asarray(points))).all()
    assert math.isnan(saddle.distance_to_minimum([1.0, 1.0]))
