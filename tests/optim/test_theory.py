"""Gradient descent and the heavy ball against convergence theory on a quadratic.

On ``f(x) = 1/2 x^T diag(lam) x`` with ``mu = min(lam)``, ``L = max(lam)`` and condition
number ``kappa = L/mu`` every coordinate evolves independently and linearly, so the asymptotic
contraction of ``||x_k||`` per step is a spectral radius that is known in closed form:

* gradient descent, ``x <- x - lr*lam*x``, contracts at ``max_i |1 - lr*lam_i|``. With
  ``lr = 2/(L + mu)`` this is ``(kappa - 1)/(kappa + 1)``; for ``lr > 2/L`` it exceeds 1 and the
  iterates diverge.
* the heavy ball, ``x_{k+1} = x_k - lr*g_k + beta*(x_k - x_{k-1})``, contracts at the largest
  modulus of the eigenvalues of ``[[1 + beta - lr*lam_i, -beta], [1, 0]]``. With
  ``lr = (2/(sqrt L + sqrt mu))^2`` and ``beta = ((sqrt kappa - 1)/(sqrt kappa + 1))^2`` this is
  ``(sqrt kappa - 1)/(sqrt kappa + 1)`` (Polyak 1964); the roots at ``lam = mu`` and ``lam = L``
  are double, so there ``||x_k||`` decays like ``k * r^k``. For fixed ``beta`` the iteration is
  stable exactly when ``lr*L < 2 + 2*beta``.

Each run is one ``jax.lax.scan`` of the descend transform in float64 (gradient ``lam * x``);
the rate is the slope of ``log ||x_k||`` fitted over the second half of the run, and it must
match the theory within 1% for kappa in {10, 100, 1000}. Near 1 (gradient descent at
kappa = 1000 contracts at 0.998) a 1% tolerance on the rate cannot tell convergence from
divergence, so the per-step exponent ``log(rate)`` must match within 1% as well.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds

KAPPAS = [10, 100, 1000]
RTOL = 1e-2
THRESHOLD_MARGIN = 0.01  # lr at (1 -/+ 1%) of the stability threshold
MOMENTUM = 0.9  # the heavy ball's beta for the threshold tests: lr*L < 2 + 2*beta = 3.8
# Run length: long enough that ||x_k|| changes by e^NATS (so that the transient of the faster
# modes is long gone in the second half of the run), capped at MAX_STEPS, and short enough
# that the iterates stay far from float64 under- and overflow: e^-300 ~ 1e-130, whose square
# (the norm squares the coordinates) is still ~1e-261, far above the subnormals.
NATS = 300.0
MAX_STEPS = 20_000


@pytest.fixture(autouse=True)
def _float64():
    """Every test runs in float64; the process-wide default (float32) is left alone."""
    with jax.enable_x64(True):
        yield


def spectrum(kappa):
    """Eigenvalues from mu = 1/kappa to L = 1, both ends included, spaced geometrically."""
    return np.geomspace(1.0 / kappa, 1.0, 6)


def start_point(n):
    """A fixed start with every coordinate nonzero (and of both signs)."""
    return np.linspace(1.0, 2.0, n) * (-1.0) ** np.arange(n)


def gd_radius(lr, lam):
    """Spectral radius of gradient descent on diag(lam): max_i |1 - lr*lam_i|."""
    return float(np.max(np.abs(1.0 - lr * np.asarray(lam))))


def heavy_ball_radius(lr, beta, lam):
    """Largest |eigenvalue| of the heavy ball's 2x2 iteration matrices over the spectrum."""
    return max(
        float(np.max(np.abs(np.linalg.eigvals([[1.0 + beta - lr * v, -beta], [1.0, 0.0]]))))
        for v in np.asarray(lam)
    )


def run_length(theory_rate):
    """Number of steps for a run whose asymptotic rate is ``theory_rate`` (see NATS)."""
    return min(MAX_STEPS, math.ceil(NATS / abs(math.log(theory_rate))))


def norms(opt, lam, x0, steps):
    """``||x_k||`` for k = 0..steps of ``opt`` on 1/2 x^T diag(lam) x, as one compiled scan."""
    lam, x0 = jnp.asarray(lam), jnp.asarray(x0)

    @jax.jit
    def trajectory(x0):
        def step(carry, _):
            x, state = carry
            updates, state = opt.update(lam * x, state, x)
            x = ds.apply_updates(x, updates)
            return (x, state), jnp.linalg.norm(x)

        _, out = jax.lax.scan(step, (x0, opt.init(x0)), None, length=steps)
        return jnp.concatenate([jnp.linalg.norm(x0)[None], out])

    out = np.asarray(trajectory(x0))
    assert out.dtype == np.float64
    assert np.all(np.isfinite(out) & (out > 0)), "||x_k|| under- or overflowed"
    return out


def measured_rate(norm, jordan=0):
    """Asymptotic contraction per step: exp of the least-squares slope of log ||x_k|| over the
    second half of the run, after dividing out a factor k**jordan (a Jordan block of size
    jordan + 1 makes ||x_k|| ~ C k**jordan r**k)."""
    k = np.arange(len(norm))[len(norm) // 2 :]
    log_norm = np.log(norm[k]) - jordan * np.log(k)
    return float(np.exp(np.polyfit(k, log_norm, 1)[0]))


def assert_rate(measured, theory):
    """The rate within 1%, and the exponent log(rate) within 1% (the stricter near 1)."""
    assert abs(measured - theory) / theory < RTOL, (measured, theory)
    assert abs(math.log(measured) - math.log(theory)) < RTOL * abs(math.log(theory)), (
        measured,
        theory,
    )


def rate_of(opt, lam, theory, jordan=0):
    """Run ``opt`` on diag(lam) from the fixed start and measure its asymptotic rate."""
    return measured_rate(norms(opt, lam, start_point(len(lam)), run_length(theory)), jordan)


@pytest.mark.parametrize("kappa", KAPPAS)
def test_gd_optimal_rate(kappa):
    lam = spectrum(kappa)
    mu, L = lam.min(), lam.max()
    lr = 2.0 / (L + mu)  # a Python float
    theory = (kappa - 1) / (kappa + 1)
    assert gd_radius(lr, lam) == pytest.approx(theory, rel=1e-12)
    assert_rate(rate_of(ds.gd(lr), lam, theory), theory)


@pytest.mark.parametrize("kappa", KAPPAS)
def test_heavy_ball_optimal_rate(kappa):
    lam = spectrum(kappa)
    mu, L = lam.min(), lam.max()
    lr = (2.0 / (math.sqrt(L) + math.sqrt(mu))) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    theory = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    # the closed form is the spectral radius (eigvals of the defective double root are only
    # accurate to ~sqrt(machine epsilon))
    assert heavy_ball_radius(lr, beta, lam) == pytest.approx(theory, rel=1e-6)
    opt = ds.momentum(jnp.float64(lr), jnp.float64(beta), form="sum")  # JAX scalars
    # The double roots at mu and L make ||x_k|| ~ (a + b k) r^k (the other modes rotate with
    # modulus r and stay bounded relative to that). Dividing by k leaves log(1 + a/(b k)) plus
    # O(1/k) oscillation, which over the window [n/2, n] shifts the fitted log-rate by
    # O(1/n^2): measured, below 1e-5 of log(r) (n >= 459 steps). Not dividing by k would add
    # about log(2)/(n/2) to the log-rate, i.e. log(2)/(NATS/2) ~ 0.5% of log(r): inside the
    # tolerance, but not by far.
    assert_rate(rate_of(opt, lam, theory, jordan=1), theory)


@pytest.mark.parametrize("kappa", KAPPAS)
@pytest.mark.parametrize("side", [-1, +1], ids=["below", "above"])
def test_gd_divergence_threshold(kappa, side):
    lam = spectrum(kappa)
    lr = 2.0 / lam.max() * (1 + side * THRESHOLD_MARGIN)
    theory = gd_radius(lr, lam)
    assert (theory > 1) == (side > 0)
    measured = rate_of(ds.gd(lr), lam, theory)
    assert (measured > 1) == (side > 0), measured
    assert_rate(measured, theory)


@pytest.mark.parametrize("kappa", KAPPAS)
@pytest.mark.parametrize("side", [-1, +1], ids=["below", "above"])
def test_heavy_ball_divergence_threshold(kappa, side):
    lam = spectrum(kappa)
    lr = (2 + 2 * MOMENTUM) / lam.max() * (1 + side * THRESHOLD_MARGIN)
    theory = heavy_ball_radius(lr, MOMENTUM, lam)
    assert (theory > 1) == (side > 0)
    measured = rate_of(ds.momentum(lr, MOMENTUM, form="sum"), lam, theory)
    assert (measured > 1) == (side > 0), measured
    assert_rate(measured, theory)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: ds.gd(2.0 / L * (1 + THRESHOLD_MARGIN)),
        lambda L: ds.momentum((2 + 2 * MOMENTUM) / L * (1 + THRESHOLD_MARGIN), MOMENTUM),
    ],
    ids=["gd", "heavy_ball"],
)
def test_divergence_is_real(make):
    """Just above the threshold ||x|| really blows up: by more than 1e3 in 1000 steps
    (theory: 1.02^1000 ~ 4e8 for gradient descent, 1.166^1000 ~ 1e66 for the heavy ball)."""
    lam = spectrum(100)
    out = norms(make(lam.max()), lam, start_point(len(lam)), 1000)
    assert np.all(np.isfinite(out))
    assert out[-1] > 1e3 * out[0], out[-1] / out[0]
