"""Test functions in any dimension: Rastrigin, Ackley, Styblinski-Tang and an ill-conditioned
quadratic. Each takes ``dim`` (default 2).

Formulas and domains follow Surjanovic & Bingham, *Virtual Library of Simulation Experiments*
(sfu.ca/~ssurjano). Where a stationary point depends on ``dim`` it is pinned when the surface is
built, by a one-dimensional root search in float64 along a symmetry line of the function; the
fixed ones were refined by Newton's method in float64 once and stored.

Learning rates were measured as for the classic surfaces (plain gradient descent and Adam from
``start`` for 20,000 steps over a grid of rates, at ``dim`` = 2 and 5); see each surface.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from descend._validation import as_float
from descend.problems.surfaces._base import (
    Param,
    Point,
    Surface,
    bisect_root,
    boolean,
    integer,
    number,
    register,
)

#: The largest dimension of Rastrigin, Ackley and Styblinski-Tang: their known minima and
#: saddles are listed point by point (2 dim points of dim coordinates each), so building one
#: takes time and memory in dim^2 (0.5 s at 1,000; dim = 10^9 was killed for 23 GB).
MAX_DIM = 1_000
#: The quadratic keeps only its dim eigenvalues: a larger bound (1.4 s and 0.3 GB to build at
#: 10^6, in its tuples of start, domain and minimum), and MAX_ROTATED rotated
#: (a dim x dim orthogonal matrix from a QR decomposition: 25 s at 3,000).
MAX_QUADRATIC_DIM = 1_000_000
MAX_ROTATED = 2_000

DIM = Param(2, integer(1, MAX_DIM))

# Neighbourhoods of the origin on the integer lattice: every point of {-1, 0, 1}^dim but the
# origin up to this dimension (26 points in 3-D), only the 2 dim points on the axes above it.
_FULL_NEIGHBOURHOOD_UP_TO = 3


def _lattice_neighbours(dim: int) -> list[tuple[int, ...]]:
    if dim <= _FULL_NEIGHBOURHOOD_UP_TO:
        return [s for s in itertools.product((-1, 0, 1), repeat=dim) if any(s)]
    out = []
    for i in range(dim):
        for sign in (1, -1):
            s = [0] * dim
            s[i] = sign
            out.append(tuple(s))
    return out


def _axis_points(dim: int, t: float) -> tuple[Point, ...]:
    return tuple(
        tuple(float(v) * t for v in s) for s in _lattice_neighbours(dim) if sum(map(abs, s)) == 1
    )


# Rastrigin is separable: in each coordinate, 2 x + 2 pi A sin(2 pi x) = 0. Its roots next to
# the origin (Newton from 0.995 and 0.503, float64): a local minimum and a local maximum.
_RASTRIGIN_A = 10.0
_RASTRIGIN_LOCAL_MIN = 0.9949586376523348  # f = 0.9949590570932916 per such coordinate
_RASTRIGIN_LOCAL_MAX = 0.5025460365546747


@register("rastrigin", dim=DIM)
def rastrigin(dim: int) -> Surface:
    """Rastrigin's function (Rastrigin 1974; Muhlenbein et al. 1991 for n dimensions).

    ``A n + sum_i (x_i^2 - A cos(2 pi x_i))`` with ``A = 10``, computed as
    ``sum_i (x_i^2 + 2 A sin^2(pi x_i))`` (the same function, exactly 0 at the origin).
    """

    def f(x: jax.Array) -> jax.Array:
        x = as_float(x)
        return jnp.sum(x**2 + 2.0 * _RASTRIGIN_A * jnp.sin(jnp.pi * x) ** 2)

    local = tuple(tuple(_RASTRIGIN_LOCAL_MIN * v for v in s) for s in _lattice_neighbours(dim))
    # From x_i = 2.4 GD and Adam settle in the nearby local minimum at x_i = 1.99 (f = 7.96
    # in 2-D), where the curvature is 397 per coordinate (2/L = 5.0e-3), at dim 2 and 5 alike
    # (the function is separable). Measured: GD converges for lr <= 5e-3 (2e-3: to 1e-4 in 7
    # steps), 5.5e-3 ends in a 2-cycle; 1e-4 takes 230 steps. Adam: 0.003-0.1 settle,
    # 0.05 within 100 steps; from 0.2 on it keeps rattling in the dimple.
    return Surface(
        name="rastrigin",
        f=f,
        dim=dim,
        formula="10 n + sum_i (x_i^2 - 10 cos(2 pi x_i))",
        domain=((-5.12, 5.12),) * dim,
        minima=((0.0,) * dim,),
        min_value=0.0,
        start=(2.4,) * dim,
        lr=2e-3,
        lr_range=(2e-4, 4.5e-3),
        adaptive_lr=0.05,
        local_minima=local,
        saddles=_axis_points(dim, _RASTRIGIN_LOCAL_MAX),
        description=(
            "An egg box on a bowl: a local minimum near every point of the integer lattice. "
            "Gradient descent stops in the first one it meets; only the global search finds "
            "the origin. Listed local minima: the lattice neighbours of the origin."
        ),
    )


_ACKLEY_A, _ACKLEY_B, _ACKLEY_C = 20.0, 0.2, 2.0 * math.pi


def _safe_sqrt(s: jax.Array) -> jax.Array:
    """``sqrt(s)`` for ``s >= 0`` whose gradient at ``s = 0`` is 0 instead of ``inf * 0``
    (``s`` below the smallest normal number counts as 0).

    The untaken branch of ``where`` still gets differentiated, so the argument of ``sqrt`` is
    replaced by 1 where ``s = 0``: both branches then have finite gradients.
    """
    # subnormal s counts as 0: a GPU flushes subnormals to zero in some operations and not in
    # others, and sqrt's second derivative at s ~ 1e-40 overflows float32 anyway
    positive = s >= jnp.finfo(jnp.result_type(s)).tiny
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, s, 1.0)), 0.0)


def _ackley_stationary(dim: int, k: int) -> tuple[float | None, float | None]:
    """Stationary radii along ``t * (s_1..s_k, 0..0)``, ``s_i = +-1``, for ``t`` in (0, 1].

    On that line the function is
    ``h(t) = -a exp(-b t sqrt(k/n)) - exp(1 - (k/n)(1 - cos(c t)))`` (+ constants), and by
    symmetry the gradient is along the line, so roots of ``h'`` are stationary points.
    Returns (the local minimum near t = 1, the saddle or maximum between it and the origin),
    or Nones when ``h`` has no dip there (the cone term wins when ``n`` is large).
    """
    a, b, c = _ACKLEY_A, _ACKLEY_B, _ACKLEY_C
    q = k / dim

    def dh(t: float) -> float:
        cone = a * b * math.sqrt(q) * math.exp(-b * t * math.sqrt(q))
        ripple = q * c * math.sin(c * t) * math.exp(1.0 - q * (1.0 - math.cos(c * t)))
        return cone + ripple

    ts = np.linspace(0.01, 1.0, 199)
    negative = [t for t in ts if dh(t) < 0]
    if not negative:
        return None, None
    step = ts[1] - ts[0]
    up = bisect_root(dh, max(negative), max(negative) + step)
    down = bisect_root(dh, min(negative) - step, min(negative))
    return up, down


@register("ackley", dim=DIM)
def ackley(dim: int) -> Surface:
    """Ackley's function (Ackley 1987), with a = 20, b = 0.2, c = 2 pi.

    ``-a exp(-b sqrt(mean_i x_i^2)) - exp(mean_i cos(c x_i)) + a + e``, computed as
    ``-a expm1(-b r) - e expm1(-mean_i 2 sin^2(c x_i / 2))`` with ``r = sqrt(mean x^2)``:
    the same function, exactly 0 at the origin. The origin is the tip of a cone; there the
    square root is taken so that the gradient is 0 (a subgradient), not NaN. The domain is
    the box [-5, 5]^n, where the dimples are visible, rather than the usual [-32.768, 32.768]^n.
    """

    def f(x: jax.Array) -> jax.Array:
        x = as_float(x)
        r = _safe_sqrt(jnp.mean(x**2))
        cos_term = -2.0 * jnp.mean(jnp.sin(0.5 * _ACKLEY_C * x) ** 2)  # mean cos(c x) - 1
        return -_ACKLEY_A * jnp.expm1(-_ACKLEY_B * r) - math.e * jnp.expm1(cos_term)

    # Local minima: the lattice neighbours of the origin (as for Rastrigin), each pinned on its
    # own symmetry line (k nonzero coordinates of equal size); saddles on the axes between.
    # (Above dim 17 the axis dimples vanish: the cone's slope outweighs the ripples there.)
    neighbours = _lattice_neighbours(dim)
    radii = {k: _ackley_stationary(dim, k) for k in {sum(map(abs, s)) for s in neighbours}}
    local: list[Point] = []
    for s in neighbours:
        t = radii[sum(map(abs, s))][0]
        if t is not None:
            local.append(tuple(v * t for v in s))
    t_saddle = radii[1][1]
    saddles = _axis_points(dim, t_saddle) if t_saddle is not None else ()
    # From x_i = 2.4 GD and Adam settle in the local minimum near x_i = 1.97 (f = 6.56).
    # f averages over coordinates, so its gradient and curvature scale as 1/dim and the GD
    # rates below scale as dim/2. Measured at dim 2: GD converges for lr <= 0.03 (0.01: to
    # 1e-4 in 18 steps), 0.05 ends in a 2-cycle, 1e-3 takes 220 steps; at dim 5 the same
    # with rates 2.5 times larger (converges up to 0.07, cycles at 0.1). Adam: 0.003-0.1
    # settle at both dims, 0.05 within 100 steps.
    scale = dim / 2.0
    return Surface(
        name="ackley",
        f=f,
        dim=dim,
        formula="-20 exp(-0.2 sqrt(mean_i x_i^2)) - exp(mean_i cos(2 pi x_i)) + 20 + e",
        domain=((-5.0, 5.0),) * dim,
        minima=((0.0,) * dim,),
        min_value=0.0,
        start=(2.4,) * dim,
        lr=1e-2 * scale,
        lr_range=(1e-3 * scale, 3e-2 * scale),
        adaptive_lr=0.05,
        local_minima=tuple(local),
        saddles=saddles,
        description=(
            "A nearly flat outer region full of small dimples around a deep cone at the "
            "origin: local minima everywhere, and a minimum that is not smooth. Listed local "
            "minima: the lattice neighbours of the origin."
        ),
    )


# 4 x^3 - 32 x + 5 = 0 (the derivative of one coordinate, times 2): Newton from the published
# -2.903534 and from 2.746803 and 0.156731, in float64.
_ST_GLOBAL = -2.9035340277711774
_ST_LOCAL = 2.746802770990837
_ST_MAX = 0.1567312567803401
_ST_VALUE = -39.16616570377142  # f per coordinate at _ST_GLOBAL
_ST_FULL_LIST_UP_TO = 6


@register("styblinski_tang", dim=DIM)
def styblinski_tang(dim: int) -> Surface:
    """The Styblinski-Tang function (Styblinski & Tang 1990).

    ``1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i)``; minimum ``-39.16616570... n`` at
    ``x_i = -2.903534...``.
    """

    def f(x: jax.Array) -> jax.Array:
        x = as_float(x)
        return 0.5 * jnp.sum(x**4 - 16.0 * x**2 + 5.0 * x)

    # Separable: every coordinate at one of the two 1-D minima is a minimum (2^n - 1 local
    # ones); one coordinate at the 1-D maximum and the rest at minima is a saddle. Up to
    # dim 6 all of those are listed; above, only the ones next to the global minimum.
    if dim <= _ST_FULL_LIST_UP_TO:
        corners = list(itertools.product((_ST_GLOBAL, _ST_LOCAL), repeat=dim))
        local = [p for p in corners if any(v == _ST_LOCAL for v in p)]
        saddles = [
            (*p[:i], _ST_MAX, *p[i + 1 :])
            for p in itertools.product((_ST_GLOBAL, _ST_LOCAL), repeat=dim)
            for i in range(dim)
            if p[i] == _ST_GLOBAL
        ]
    else:
        base = (_ST_GLOBAL,) * dim
        local = [(*base[:i], _ST_LOCAL, *base[i + 1 :]) for i in range(dim)]
        saddles = [(*base[:i], _ST_MAX, *base[i + 1 :]) for i in range(dim)]
    # From x_i = 0.5 GD and Adam slide into the local minimum at x_i = 2.7468 (f = -50.06 in
    # 2-D), curvature 29.3 per coordinate (2/L = 0.068), at dim 2 and 5 alike. Measured: GD
    # converges for lr <= 0.06 (0.03: in 10 steps), 0.07 ends in a 2-cycle; 1e-3 takes 460
    # steps. Adam converges for 0.003-0.5 (0.05: 120 steps).
    return Surface(
        name="styblinski_tang",
        f=f,
        dim=dim,
        formula="1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i)",
        domain=((-5.0, 5.0),) * dim,
        minima=((_ST_GLOBAL,) * dim,),
        min_value=_ST_VALUE * dim,
        start=(0.5,) * dim,
        lr=0.03,
        lr_range=(1e-3, 0.06),
        adaptive_lr=0.05,
        local_minima=tuple(local),
        saddles=tuple(sorted(set(saddles))),
        description=(
            "Each coordinate is a tilted double well, so there are 2^n minima; from the start "
            "gradient descent slides into the nearer, shallower one at x_i = 2.7468."
        ),
    )


@register(
    "quadratic",
    kappa=Param(100.0, number(1.0)),
    dim=Param(2, integer(1, MAX_QUADRATIC_DIM)),
    rotate=Param(False, boolean),
    seed=Param(0, integer(0)),
)
def quadratic(kappa: float, dim: int, rotate: bool, seed: int) -> Surface:
    """An ill-conditioned quadratic ``1/2 z^T diag(lam) z``, ``lam_i = kappa^(-i/(n-1))``.

    The eigenvalues run geometrically from ``L = 1`` down to ``mu = 1/kappa`` (``lam = (1,)``
    when ``n = 1``). ``z = x``, or ``z = Q^T x`` when ``rotate``, with ``Q`` the orthogonal
    factor of the QR decomposition of a standard normal matrix drawn with
    ``numpy.random.default_rng(seed)`` (signs fixed so that ``R`` has a positive diagonal).
    Gradient descent converges for ``lr < 2/L`` and fastest at ``lr = 2/(L + mu)``, contracting
    by ``(kappa - 1)/(kappa + 1)`` per step (the textbook rate, e.g. Nocedal & Wright).
    """
    if rotate and dim > MAX_ROTATED:
        raise ValueError(
            f"quadratic: dim must be at most {MAX_ROTATED:,} with rotate=True (a dim x dim "
            f"rotation); got {dim:,}"
        )
    lam_np = np.ones(1) if dim == 1 else kappa ** (-np.arange(dim) / (dim - 1))
    lam_np.setflags(write=False)
    q_np: np.ndarray | None = None
    if rotate:
        q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
        q_np = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        q_np.setflags(write=False)

    def f(x: jax.Array) -> jax.Array:
        x = as_float(x)
        z = x  # rotated at full float32 precision, also on a GPU (whose default is TF32)
        if q_np is not None:
            z = jnp.matmul(jnp.asarray(q_np.T, x.dtype), x, precision=jax.lax.Precision.HIGHEST)
        return 0.5 * jnp.sum(jnp.asarray(lam_np, dtype=x.dtype) * z**2)

    big, small = float(lam_np.max()), float(lam_np.min())
    # GD: lr = 2/(L + mu) is the fastest fixed rate; lr_range runs from a crawl (0.05/L) to
    # halfway between it and the stability limit 2/L. Measured at kappa = 100, dim = 2:
    # 2/(L + mu) = 1.980 reaches the origin to 1e-4 in 475 steps, 1.99 in 920, 2.0 never,
    # 2.01 diverges, 0.05 takes 18,000; the same picture at kappa = 1000, dim = 5, rotated.
    # Adam from x_i = 1: 0.01-0.5 converge (0.05: 130 steps at kappa = 100, dim = 2;
    # 1,800 at kappa = 1000, dim = 5).
    lr = 2.0 / (big + small)
    z_text = f"Q^T x with Q from seed {seed}" if rotate else "x"
    if dim == 1:
        formula = f"1/2 z^2, z = {z_text}"
        what = "A one-dimensional parabola with curvature 1 (kappa has no effect at dim 1)."
    else:
        formula = f"1/2 sum_i lam_i z_i^2, lam_i = {kappa:g}^(-i/(n-1)), i = 0..n-1, z = {z_text}"
        what = (
            f"A bowl {kappa:g} times steeper in one direction than in another: gradient "
            "descent zig-zags across the steep direction and crawls along the shallow one; "
            "momentum and adaptive rules shorten the crawl."
        )
    return Surface(
        name="quadratic",
        f=f,
        dim=dim,
        formula=formula,
        domain=((-2.0, 2.0),) * dim,
        minima=((0.0,) * dim,),
        min_value=0.0,
        start=(1.0,) * dim,
        lr=lr,
        lr_range=(0.05 / big, 0.5 * (lr + 2.0 / big)),
        adaptive_lr=0.05,
        description=what,
    )
