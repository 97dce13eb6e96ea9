"""Losses against closed forms (NumPy/SciPy), scikit-learn and Optax, finite-difference
gradients, reductions, float32 stability at logits of +-1e4, and the name registry."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import expit, logsumexp
from sklearn import metrics

from descend.problems import losses

pytestmark = pytest.mark.usefixtures("x64")

N = 7


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def np_huber(r, delta):
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))


def np_focal(z, y, gamma, alpha):
    """The paper's definition with hard labels, written out case by case."""
    p = expit(z)
    p_t = np.where(y == 1, p, 1 - p)
    alpha_t = 1.0 if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    return -alpha_t * (1 - p_t) ** gamma * np.log(p_t)


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------------
# Values against closed forms


def test_regression_losses_match_closed_forms(rng):
    pred, target = rng.normal(size=N), rng.normal(size=N)
    r = pred - target
    close(losses.mse()(pred, target), r**2)
    close(losses.mae()(pred, target), np.abs(r))
    for delta in (0.3, 1.0, 2.5):
        close(losses.huber(delta)(pred, target), np_huber(r, delta))
    # (n, 1) against (n,) either way round; several outputs averaged per sample
    close(losses.mse()(pred[:, None], target), r**2)
    close(losses.huber(0.5)(pred, target[:, None]), np_huber(r, 0.5))
    P, T = rng.normal(size=(N, 3)), rng.normal(size=(N, 3))
    close(losses.mae()(P, T), np.abs(P - T).mean(axis=1))
    assert losses.mse()(pred, target).shape == (N,)
    assert losses.mse()(pred[:, None], target[:, None]).shape == (N,)


def test_huber_is_quadratic_then_linear():
    r = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    close(losses.huber(1.0)(r, np.zeros_like(r)), [2.5, 0.5, 0.125, 0.0, 0.125, 0.5, 2.5])


def test_binary_cross_entropy_matches_closed_forms(rng):
    z = rng.normal(scale=3, size=N)
    y = rng.integers(0, 2, N).astype(float)
    expected = -(y * np.log(expit(z)) + (1 - y) * np.log(expit(-z)))
    close(losses.binary_cross_entropy()(z, y), expected)
    close(losses.binary_cross_entropy(from_logits=False)(expit(z), y), expected, rtol=1e-9)
    soft = rng.uniform(size=N)  # probabilities as targets
    close(
        losses.binary_cross_entropy()(z[:, None], soft),
        -(soft * np.log(expit(z)) + (1 - soft) * np.log(expit(-z))),
    )


def test_probabilities_are_clipped_to_machine_epsilon():
    p, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    values = losses.binary_cross_entropy(from_logits=False)(p, y)
    eps = np.finfo(np.float64).eps
    close(values, [-np.log(eps), -np.log(eps), -np.log1p(-eps), -np.log1p(-eps)])
    assert np.all(np.isfinite(values))


def test_softmax_cross_entropy_matches_closed_forms(rng):
    z = rng.normal(scale=2, size=(N, 4))
    labels = rng.integers(0, 4, N)
    lse = logsumexp(z, axis=1)
    ce = losses.softmax_cross_entropy()
    close(ce(z, labels), lse - z[np.arange(N), labels])
    close(ce(z, labels[:, None]), lse - z[np.arange(N), labels])
    close(ce(z, np.eye(4)[labels]), lse - z[np.arange(N), labels])
    close(ce(z, labels.astype(float)), lse - z[np.arange(N), labels])  # whole-number floats
    t = rng.dirichlet(np.ones(4), size=N)
    close(ce(z, t), -(t * (z - lse[:, None])).sum(axis=1))
    # a masked class (logit -inf) with zero probability contributes nothing
    zm = z.copy()
    zm[:, 3] = -np.inf
    tm = np.eye(4)[labels % 3]
    close(ce(zm, tm), logsumexp(z[:, :3], axis=1) - z[np.arange(N), labels % 3])


@pytest.mark.parametrize("zero_one", [False, True])
def test_hinge_losses_match_closed_forms(rng, zero_one):
    s = rng.normal(scale=2, size=N)
    y = rng.choice([-1.0, 1.0], N)
    labels = (y + 1) / 2 if zero_one else y
    close(losses.hinge()(s, labels), np.maximum(0, 1 - y * s))
    close(losses.squared_hinge()(s, labels), np.maximum(0, 1 - y * s) ** 2)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_focal_matches_the_paper(rng, gamma, alpha):
    z = rng.normal(scale=3, size=N)
    y = rng.integers(0, 2, N).astype(float)
    close(losses.focal(gamma, alpha)(z, y), np_focal(z, y, gamma, alpha))
    close(
        losses.focal(gamma, alpha, from_logits=False)(expit(z), y),
        np_focal(z, y, gamma, alpha),
        rtol=1e-8,
    )


def test_focal_with_gamma_zero_and_no_alpha_is_cross_entropy(rng):
    z, y = rng.normal(size=N), rng.uniform(size=N)
    close(losses.focal(0.0, None)(z, y), losses.binary_cross_entropy()(z, y))


def test_contrastive_and_triplet_match_closed_forms(rng):
    pairs = rng.normal(size=(N, 2, 5))
    y = rng.integers(0, 2, N).astype(float)
    d = np.linalg.norm(pairs[:, 0] - pairs[:, 1], axis=1)
    for margin in (1.0, 4.0):
        expected = y * d**2 + (1 - y) * np.maximum(0, margin - d) ** 2
        close(losses.contrastive(margin)(pairs, y), expected)
    trip = rng.normal(size=(N, 3, 5))
    d_ap = np.linalg.norm(trip[:, 0] - trip[:, 1], axis=1)
    d_an = np.linalg.norm(trip[:, 0] - trip[:, 2], axis=1)
    close(losses.triplet(0.5)(trip, None), np.maximum(0, d_ap - d_an + 0.5))
    close(losses.triplet(0.5)(trip), np.maximum(0, d_ap - d_an + 0.5))


def test_optax_defines_the_same_focal_huber_and_cross_entropy(rng):
    optax = pytest.importorskip("optax")
    z, y = rng.normal(scale=3, size=N), rng.uniform(size=N)  # soft labels too
    close(losses.focal(2.0, 0.25)(z, y), optax.sigmoid_focal_loss(z, y, alpha=0.25, gamma=2.0))
    close(losses.focal(1.5, None)(z, y), optax.sigmoid_focal_loss(z, y, gamma=1.5))
    close(losses.huber(0.7)(z, y), optax.huber_loss(z, y, delta=0.7))
    Z, c = rng.normal(size=(N, 3)), rng.integers(0, 3, N)
    close(
        losses.softmax_cross_entropy()(Z, c),
        optax.softmax_cross_entropy_with_integer_labels(Z, c),
    )


# ---------------------------------------------------------------------------------------------
# Against scikit-learn, with sample weights


def test_regression_matches_sklearn(rng):
    pred, target, w = rng.normal(size=N), rng.normal(size=N), rng.uniform(0.1, 2, N)
    for loss, metric in [
        (losses.mse(), metrics.mean_squared_error),
        (losses.mae(), metrics.mean_absolute_error),
    ]:
        values = loss(pred, target)
        close(losses.reduce(values), metric(target, pred))
        close(losses.reduce(values, w), metric(target, pred, sample_weight=w))
    P, T = rng.normal(size=(N, 3)), rng.normal(size=(N, 3))
    close(losses.reduce(losses.mse()(P, T), w), metrics.mean_squared_error(T, P, sample_weight=w))


def test_log_loss_matches_sklearn(rng):
    p, y, w = rng.uniform(0.02, 0.98, N), rng.integers(0, 2, N), rng.uniform(0.1, 2, N)
    bce = losses.binary_cross_entropy(from_logits=False)
    close(losses.reduce(bce(p, y)), metrics.log_loss(y, p))
    close(losses.reduce(bce(p, y), w), metrics.log_loss(y, p, sample_weight=w))
    close(
        losses.reduce(losses.binary_cross_entropy()(np.log(p / (1 - p)), y), w),
        metrics.log_loss(y, p, sample_weight=w),
    )
    probs = rng.dirichlet(np.ones(4), size=N)
    labels = np.arange(N) % 4  # every class present, as log_loss infers the classes
    ce = losses.softmax_cross_entropy()
    close(
        losses.reduce(ce(np.log(probs), labels), w),
        metrics.log_loss(labels, probs, sample_weight=w),
    )
    close(
        losses.reduce(ce(np.log(probs), np.eye(4)[labels])),
        metrics.log_loss(labels, probs),
    )


@pytest.mark.parametrize("classes", [(-1, 1), (0, 1)])
def test_hinge_matches_sklearn(rng, classes):
    s, w = rng.normal(size=N), rng.uniform(0.1, 2, N)
    y = np.array(classes)[np.arange(N) % 2]
    close(losses.reduce(losses.hinge()(s, y)), metrics.hinge_loss(y, s))
    close(losses.reduce(losses.hinge()(s, y), w), metrics.hinge_loss(y, s, sample_weight=w))


# ---------------------------------------------------------------------------------------------
# Gradients against central finite differences (float64, away from kinks)


def assert_gradient_matches(loss, pred, target, rng):
    """jax.grad of a random mix of the per-sample values against central differences."""
    pred = np.asarray(pred, dtype=float)
    c = rng.uniform(0.5, 1.5, pred.shape[0])

    def f(p):
        return jnp.sum(c * loss(p, target))

    h = 1e-6
    basis = np.eye(pred.size).reshape((pred.size, *pred.shape))

    @jax.jit  # one compilation instead of one per operation and shape
    def both(p):
        fd = (jax.vmap(f)(p + h * basis) - jax.vmap(f)(p - h * basis)) / (2 * h)
        return jax.grad(f)(p), fd

    grad, fd = both(pred)
    assert np.abs(grad).max() > 1e-3  # the check is not vacuous
    close(grad.ravel(), fd, rtol=1e-6, atol=1e-7)


def away(x, kink, gap=1e-3):
    assert np.min(np.abs(np.asarray(x) - kink)) > gap, "test data sit on a kink"


def test_regression_gradients(rng):
    pred, target = rng.normal(size=N), rng.normal(size=N)
    r = pred - target
    away(r, 0.0)
    away(np.abs(r), 0.8)
    assert_gradient_matches(losses.mse(), pred, target, rng)
    assert_gradient_matches(losses.mae(), pred, target, rng)
    assert_gradient_matches(losses.huber(0.8), pred, target, rng)
    assert_gradient_matches(losses.mse(), rng.normal(size=(N, 2)), rng.normal(size=(N, 2)), rng)


def test_classification_gradients(rng):
    z = rng.normal(scale=2, size=N)
    y = rng.integers(0, 2, N).astype(float)
    y[:2] = [0.0, 1.0]
    assert_gradient_matches(losses.binary_cross_entropy(), z, y, rng)
    assert_gradient_matches(losses.binary_cross_entropy(from_logits=False), expit(z), y, rng)
    for gamma, alpha in [(2.0, 0.25), (0.5, None)]:
        assert_gradient_matches(losses.focal(gamma, alpha), z, y, rng)
        assert_gradient_matches(losses.focal(gamma, alpha, from_logits=False), expit(z), y, rng)
    away(1 - (2 * y - 1) * z, 0.0)
    assert_gradient_matches(losses.hinge(), z, y, rng)
    assert_gradient_matches(losses.squared_hinge(), z, 2 * y - 1, rng)
    Z = rng.normal(size=(N, 4))
    labels = rng.integers(0, 4, N)
    assert_gradient_matches(losses.softmax_cross_entropy(), Z, labels, rng)
    assert_gradient_matches(losses.softmax_cross_entropy(), Z, rng.dirichlet(np.ones(4), N), rng)


def test_embedding_gradients(rng):
    pairs = rng.normal(scale=0.5, size=(N, 2, 3))
    y = np.arange(N) % 2.0
    d = np.linalg.norm(pairs[:, 0] - pairs[:, 1], axis=1)
    away(d, 1.5)
    assert np.any(d[y == 0] < 1.5)  # some dissimilar pairs are inside the margin
    assert_gradient_matches(losses.contrastive(1.5), pairs, y, rng)
    trip = rng.normal(size=(N, 3, 3))
    gap = np.linalg.norm(trip[:, 0] - trip[:, 1], axis=1) - np.linalg.norm(
        trip[:, 0] - trip[:, 2], axis=1
    )
    away(gap + 1.0, 0.0)
    assert np.any(gap + 1.0 > 0) and np.any(gap + 1.0 < 0)
    assert_gradient_matches(losses.triplet(1.0), trip, None, rng)


def values_and_grads(loss, pred, target):
    """Per-sample values and the gradient of their sum, in one compiled call (the target is
    closed over, so it stays concrete and is still validated)."""
    return jax.jit(lambda p: (loss(p, target), jax.grad(lambda q: loss(q, target).sum())(p)))(pred)


def test_distance_gradients_are_finite_where_embeddings_coincide():
    same = np.ones((2, 2, 3))
    values, g = values_and_grads(losses.contrastive(), same, np.array([0.0, 1.0]))
    close(values, [1.0, 0.0])
    assert np.all(np.isfinite(g))
    trip = np.array([[np.ones(3), np.ones(3), np.zeros(3)]])  # anchor == positive
    values, g = values_and_grads(losses.triplet(5.0), trip, None)
    close(values, [5.0 - np.sqrt(3)])
    assert np.all(np.isfinite(g))
    close(g[0, 2], np.ones(3) / np.sqrt(3))  # -d d(a, n) / dn = (a - n) / |a - n|


# ---------------------------------------------------------------------------------------------
# Reductions


def test_reductions_with_and_without_weights(rng):
    v, w = rng.uniform(size=N), rng.uniform(0.1, 2, N)
    close(losses.reduce(v), v.mean())
    close(losses.reduce(v, reduction="sum"), v.sum())
    close(losses.reduce(v, reduction="none"), v)
    close(losses.reduce(v, w), np.average(v, weights=w))
    close(losses.reduce(v, w, "sum"), (w * v).sum())
    close(losses.reduce(v, w, "none"), w * v)
    close(losses.reduce(v, w[:, None]), np.average(v, weights=w))
    for equal in (np.full(N, 3.7), 2.0):
        close(losses.reduce(v, equal), v.mean())
    close(jax.jit(losses.reduce)(v, w), np.average(v, weights=w))


def test_reduction_errors(rng):
    v = rng.uniform(size=N)
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none'.*'avg'"):
        losses.reduce(v, reduction="avg")
    with pytest.raises(ValueError, match=r"weights of shape \(8,\) do not broadcast.*\(7,\)"):
        losses.reduce(v, np.ones(N + 1))
    with pytest.raises(ValueError, match="weights of shape"):
        losses.reduce(v, np.ones((N, 2)))
    with pytest.raises(ValueError, match="weights must be >= 0"):
        losses.reduce(v, -np.ones(N))


# ---------------------------------------------------------------------------------------------
# Stability in float32


LOGITS = [-1e4, -50.0, 0.0, 50.0, 1e4]


@pytest.mark.parametrize(
    "loss",
    [
        losses.binary_cross_entropy(),
        losses.focal(),
        losses.focal(gamma=0.5, alpha=None),
        losses.focal(gamma=0.0),
        losses.hinge(),
        losses.squared_hinge(),
    ],
    ids=["bce", "focal", "focal-0.5", "focal-0", "hinge", "squared_hinge"],
)
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_binary_losses_are_finite_at_huge_logits_in_float32(loss, label):
    with jax.enable_x64(False):
        z = jnp.array(LOGITS, dtype=jnp.float32)
        values, grads = values_and_grads(loss, z, jnp.full(z.shape, label, dtype=jnp.float32))
        assert values.dtype == grads.dtype == jnp.float32
        assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))


def test_softmax_cross_entropy_is_finite_at_huge_logits_in_float32():
    with jax.enable_x64(False):
        z = jnp.array(LOGITS, dtype=jnp.float32)
        Z = jnp.stack([z, -z, jnp.zeros_like(z)], axis=1)
        ce = losses.softmax_cross_entropy()
        for target in (np.array([0, 1, 2, 0, 1]), np.eye(3, dtype=np.float32)[[1, 0, 2, 2, 1]]):
            values, grads = values_and_grads(ce, Z, target)
            assert values.dtype == grads.dtype == jnp.float32
            assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))
        close(ce(Z, np.ones(5, int)), [0, 0, math.log(3), 100, 2e4], rtol=1e-6)


def test_binary_cross_entropy_extremes_are_exact_in_float32():
    with jax.enable_x64(False):
        bce = losses.binary_cross_entropy()
        values = bce(jnp.array([1e4, -1e4], dtype=jnp.float32), jnp.array([1.0, 1.0]))
        assert values[0] == 0.0 and values[1] == 1e4
        # the slope at exactly z = 0 is sigmoid(0) - y, not a subgradient artefact
        g = jax.grad(lambda z: bce(z, jnp.array([1.0, 0.0])).sum())(jnp.zeros(2))
        close(g, [-0.5, 0.5])


# ---------------------------------------------------------------------------------------------
# jit, vmap over hyperparameters, shapes


def test_every_loss_is_the_same_under_jit(rng):
    z, y = rng.normal(size=N), rng.integers(0, 2, N).astype(float)
    cases = [
        (losses.mse(), z, y),
        (losses.huber(), z, y),
        (losses.binary_cross_entropy(), z, y),
        (losses.focal(), z[:, None], y),
        (losses.hinge(), z, y),
        (losses.softmax_cross_entropy(), rng.normal(size=(N, 3)), np.arange(N) % 3),
        (losses.contrastive(), rng.normal(size=(N, 2, 4)), y),
        (losses.triplet(), rng.normal(size=(N, 3, 4)), None),
    ]
    for loss, pred, target in cases:
        close(jax.jit(loss)(pred, target), loss(pred, target))
        # float32 in, float32 out, even with x64 on (parameters do not promote the dtype)
        assert jax.jit(loss)(pred.astype(np.float32), target).dtype == jnp.float32


def test_hyperparameters_are_data_and_can_be_vmapped(rng):
    z, y = rng.normal(scale=2, size=N), rng.integers(0, 2, N).astype(float)
    values = np.array([0.5, 1.0, 2.0])
    r = z - y
    close(
        jax.vmap(lambda d: losses.huber(d)(z, y))(jnp.asarray(values)),
        [np_huber(r, d) for d in values],
    )
    close(
        jax.jit(jax.vmap(lambda g: losses.focal(g)(z, y)))(jnp.asarray(values - 0.5)),
        [np_focal(z, y, g, 0.25) for g in values - 0.5],
    )
    pairs = rng.normal(size=(N, 2, 3))
    d = np.linalg.norm(pairs[:, 0] - pairs[:, 1], axis=1)
    close(
        jax.jit(jax.vmap(lambda m: losses.contrastive(m)(pairs, y)))(jnp.asarray(values)),
        [y * d**2 + (1 - y) * np.maximum(0, m - d) ** 2 for m in values],
    )


def test_labels_out_of_range_under_jit_give_nan():
    values = jax.jit(losses.softmax_cross_entropy())(jnp.zeros((3, 2)), jnp.array([0, 2, -1]))
    assert np.isfinite(values[0]) and np.all(np.isnan(values[1:]))


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: losses.huber(0.0),
            ValueError,
            r"huber: delta must be a finite number > 0.0; got 0.0",
        ),
        (lambda: losses.huber(-1), ValueError, r"huber: delta .* got -1"),
        (lambda: losses.huber(math.inf), ValueError, r"huber: delta .* got inf"),
        (lambda: losses.focal(gamma=-1.0), ValueError, r"focal: gamma must be .*>= 0.0; got -1.0"),
        (lambda: losses.focal(alpha=1.5), ValueError, r"focal: alpha must be .*<= 1.0; got 1.5"),
        (lambda: losses.contrastive(margin=-0.1), ValueError, r"contrastive: margin .* got -0.1"),
        (lambda: losses.triplet(margin=math.nan), ValueError, r"triplet: margin .* got nan"),
        (
            lambda: losses.binary_cross_entropy(from_logits="yes"),
            TypeError,
            r"from_logits .* got 'yes'",
        ),
        (
            lambda: losses.custom(np.abs, task="ranking"),
            ValueError,
            r"task must be one of .*'ranking'",
        ),
    ],
)
def test_bad_parameters_are_named(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_bad_parameter_types():
    with pytest.raises(TypeError, match="huber: delta must be a real scalar"):
        losses.huber("1")
    with pytest.raises(TypeError, match="huber: delta must be a real scalar"):
        losses.huber(np.ones(2))


def test_bad_inputs_are_named():
    z = np.zeros(4)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: targets must lie in \[0, 1\]"):
        losses.binary_cross_entropy()(z, [-1, 1, 1, -1])
    with pytest.raises(ValueError, match=r"hinge: targets must be labels in \{-1, \+1\}"):
        losses.hinge()(z, [0, 2, 0, 2])
    with pytest.raises(ValueError, match=r"labels must be whole numbers in \[0, 3\)"):
        losses.softmax_cross_entropy()(np.zeros((4, 3)), [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"labels must be whole numbers in \[0, 3\)"):
        losses.softmax_cross_entropy()(np.zeros((4, 3)), [0, 1, 1.5, 2])
    with pytest.raises(ValueError, match=r"target must be integer labels of shape \(4,\)"):
        losses.softmax_cross_entropy()(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"mse: pred and target shapes must match.*\(4,\).*\(3,\)"):
        losses.mse()(z, np.zeros(3))
    with pytest.raises(ValueError, match="mae: target is required"):
        losses.mae()(z, None)
    with pytest.raises(ValueError, match=r"triplet: pred must have shape \(n, 3, d\)"):
        losses.triplet()(np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match=r"contrastive: pred must have shape \(n, 2, d\)"):
        losses.contrastive()(np.zeros((4, 3)), np.zeros(4))


# ---------------------------------------------------------------------------------------------
# Registry and custom losses


def test_names_and_aliases():
    canonical = [
        "binary_cross_entropy",
        "contrastive",
        "focal",
        "hinge",
        "huber",
        "mae",
        "mse",
        "softmax_cross_entropy",
        "squared_hinge",
        "triplet",
    ]
    assert losses.names() == canonical
    assert set(canonical) < set(losses.names(aliases=True))
    for name in canonical:
        loss = losses.get(name)
        assert isinstance(loss, losses.Loss) and loss.name == name and loss.task in losses.TASKS
    for alias in ("bce", "log_loss", "logistic", "Log-Loss"):
        assert losses.get(alias).name == "binary_cross_entropy"
    for alias in ("cross_entropy", "categorical_cross_entropy", "Cross Entropy"):
        assert losses.get(alias).name == "softmax_cross_entropy"
    assert losses.get("huber").task == "regression"
    assert losses.get("focal").task == "binary"
    assert losses.get("cross_entropy").task == "multiclass"
    assert losses.get("triplet").task == "embedding"


def test_get_builds_with_parameters_and_passes_losses_through():
    r = np.array([3.0])
    close(losses.get("huber", delta=2.0)(r, [0.0]), [4.0])
    loss = losses.mae()
    assert losses.get(loss) is loss
    with pytest.raises(ValueError, match=r"unknown loss 'l2'; valid names: binary_cross_entropy"):
        losses.get("l2")
    with pytest.raises(TypeError, match=r"loss 'huber' got unknown parameter\(s\) 'beta'.*delta"):
        losses.get("huber", beta=1.0)
    with pytest.raises(TypeError, match=r"'mse' got unknown .* none"):
        losses.get("mse", delta=1.0)
    with pytest.raises(TypeError, match="cannot be applied to an existing Loss"):
        losses.get(loss, delta=1.0)
    with pytest.raises(TypeError, match="expected a loss name, a Loss or a callable"):
        losses.get(3)


def test_custom_losses_work_like_the_built_in_ones(rng):
    def log_cosh(pred, target):
        return jnp.log(jnp.cosh(pred - target))

    pred, target, w = rng.normal(size=N), rng.normal(size=N), rng.uniform(size=N)
    wrapped = losses.get(log_cosh)
    assert wrapped.name == "log_cosh" and wrapped.task == "regression"
    close(
        losses.reduce(wrapped(pred, target), w),
        np.average(np.log(np.cosh(pred - target)), weights=w),
    )
    assert_gradient_matches(wrapped, pred, target, rng)
    named = losses.custom(lambda p, t: jnp.abs(p - t), task="binary")
    assert named.name == "custom" and named.task == "binary"
    assert losses.get(lambda p, t: p, name="identity").name == "identity"
    with pytest.raises(TypeError, match="fn must be callable"):
        losses.custom(3)


@pytest.mark.parametrize("name", ["mse", "huber", "focal", "triplet"])
def test_a_loss_called_on_values_says_it_builds_the_loss(name):
    """``losses.mse(pred, y)``, as Optax's and PyTorch's functional losses are called, said
    "mse() takes 0 positional arguments but 2 were given"; ``focal(pred, y)`` read the
    predictions as its gamma."""
    with pytest.raises(TypeError, match=rf"^{name}\(\) builds the loss, it does not compute "
                                        rf"it: call the loss on the values, descend\.losses\."
                                        rf"{name}\(\)\(pred, target\)$"):  # fmt: skip
        getattr(losses, name)(np.zeros(3), np.zeros(3))
    assert isinstance(getattr(losses, name)(), losses.Loss)  # called without values, it builds
