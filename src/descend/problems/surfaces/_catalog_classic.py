"""Classic two-dimensional test functions from the optimization literature.

Formulas, domains and minima follow the standard collections: Surjanovic & Bingham, *Virtual
Library of Simulation Experiments* (sfu.ca/~ssurjano), and Jamil & Yang, "A literature survey
of benchmark functions for global optimization problems" (2013). Every stationary point listed
here was refined by Newton's method in float64 (from the published values where there are
some) and found again by a grid search of Newton runs over the whole domain, classified by the
eigenvalues of the Hessian; the gradient is below 1e-13 at each stored point.

Learning rates: plain gradient descent and Adam were run from ``start`` (20,000 steps, a grid of
learning rates in float64); the comment at each surface gives what was seen.
"""

from __future__ import annotations

import jax

from descend._validation import as_float
from descend.problems.surfaces._base import Surface, register


@register("rosenbrock")
def rosenbrock() -> Surface:
    """Rosenbrock's banana valley (Rosenbrock 1960): ``(1 - x)^2 + 100 (y - x^2)^2``."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2

    # The only stationary point is the minimum, where the Hessian's eigenvalues are 0.4 and
    # 1001.6, so GD settles only for lr < 2/1001.6 = 2.0e-3. Measured: lr = 1.5e-3 reaches
    # (1, 1) to 1e-5 in 15,000 steps, f decreasing at every step; 1.9e-3 in 12,000; 2e-3 and
    # above never settle (f rises and falls around the minimum; 3e-3 stalls at f = 0.3);
    # 1e-4 crawls (0.56 from (1, 1) after 20,000 steps). Adam: 0.01-0.03 reach the
    # minimum to 1e-5 in 5,000-2,800 steps; from 0.05 on it oscillates around it.
    return Surface(
        name="rosenbrock",
        f=f,
        dim=2,
        formula="(1 - x)^2 + 100 (y - x^2)^2",
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        minima=((1.0, 1.0),),
        min_value=0.0,
        start=(-1.2, 1.0),
        lr=1.5e-3,
        lr_range=(1e-4, 1.9e-3),
        adaptive_lr=0.02,
        description=(
            "A curved, narrow valley: finding the valley is easy, following its floor to (1, 1) "
            "is slow, because the curvature across the valley is 2,500 times the curvature "
            "along it. The classic start (-1.2, 1) is Rosenbrock's own."
        ),
    )


@register("beale")
def beale() -> Surface:
    """Beale's function (Beale 1958).

    ``(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2``.
    """

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    # Measured: GD converges with f decreasing at every step up to lr = 0.03 (to 1e-4 in 900
    # steps), 0.035 still converges, 0.04 overflows in its first steps (the walls at |y| > 1
    # are steep); lr = 0.02 gets there in 1,400 steps with a margin; 1e-3 crawls (0.02 from
    # the minimum after 20,000 steps). Adam: 0.05 converges in 1,300 steps; from 0.1 on it
    # ends oscillating around the minimum.
    return Surface(
        name="beale",
        f=f,
        dim=2,
        formula="(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=((3.0, 0.5),),
        min_value=0.0,
        start=(1.0, 1.5),
        lr=0.02,
        lr_range=(1e-3, 0.035),
        adaptive_lr=0.05,
        saddles=((0.0, 1.0), (0.10053793732415833, -2.6445135850231254)),
        description=(
            "Flat in the middle and very steep at the corners, where x y^3 takes over: a "
            "learning rate that is safe near the minimum at (3, 0.5) blows up a few units away."
        ),
    )


@register("booth")
def booth() -> Surface:
    """Booth's function: ``(x + 2 y - 7)^2 + (2 x + y - 5)^2`` (Jamil & Yang 2013, no. 25)."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2

    # A quadratic with Hessian [[10, 8], [8, 10]]: eigenvalues L = 18 and mu = 2. GD is stable
    # for lr < 2/L = 0.111 and fastest at 2/(L + mu) = 0.1, where it zig-zags across the
    # steep direction; lr = 1/L = 0.056 is the fastest without zig-zag. Measured: 0.05 reaches
    # (1, 3) to 1e-4 in 105 steps, 0.1 in 50, 0.11 in 500, 0.111 in 5,000; 0.112 diverges;
    # 1e-3 takes 5,600. Adam: 0.1 converges in 320 steps, 0.01 in 3,200.
    return Surface(
        name="booth",
        f=f,
        dim=2,
        formula="(x + 2 y - 7)^2 + (2 x + y - 5)^2",
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        minima=((1.0, 3.0),),
        min_value=0.0,
        start=(-6.0, 6.0),
        lr=0.05,
        lr_range=(1e-3, 0.11),
        adaptive_lr=0.1,
        description=(
            "A tilted elliptic bowl (a quadratic of condition number 9): the simplest surface "
            "on which gradient descent zig-zags when the learning rate is near 2/L."
        ),
    )


_HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644034),
)


@register("himmelblau")
def himmelblau() -> Surface:
    """Himmelblau's function (Himmelblau 1972): ``(x^2 + y - 11)^2 + (x + y^2 - 7)^2``."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    # From (-0.5, -0.5), beside the central hill, GD and Adam go to (-2.805, 3.131), whose
    # Hessian has eigenvalues 64.8 and 80.6 (2/L = 0.025). Measured: GD converges for lr up
    # to 0.02 (lr = 0.01: to 1e-4 in 17 steps), 0.025 ends in a 2-cycle, 0.04 overflows;
    # 1e-3 takes 220 steps, 1e-4 2,200. Adam converges for 0.01-0.5 (0.05: 200 steps).
    return Surface(
        name="himmelblau",
        f=f,
        dim=2,
        formula="(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        # Newton from the published (-2.805118, 3.131312), (-3.779310, -3.283186),
        # (3.584428, -1.848126); (3, 2) is exact.
        minima=_HIMMELBLAU_MINIMA,
        min_value=0.0,
        start=(-0.5, -0.5),
        lr=0.01,
        lr_range=(1e-3, 0.02),
        adaptive_lr=0.05,
        # Four saddles between the minima; (-0.270845, -0.923039) is a local maximum.
        saddles=(
            (3.385154183607021, 0.0738518798377493),
            (0.08667750455539636, 2.8842547011747763),
            (-3.0730257507643897, -0.08135304428796751),
            (-0.12796134673068005, -1.9537149802445766),
        ),
        description=(
            "Four global minima of equal depth around a central hill: which one an optimizer "
            "reaches depends on the start, the learning rate and the rule."
        ),
    )


@register("six_hump_camel")
def six_hump_camel() -> Surface:
    """The six-hump camel back function (Dixon & Szego 1978).

    ``(4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2``.
    """

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2

    # From (-1, -1.5) GD runs up the valley to the global minimum (0.090, -0.713) for
    # lr <= 0.03 (0.02: 60 steps), overshoots to the other one, (-0.090, 0.713), for
    # 0.04-0.07, and overflows at 0.08 (the x^6 walls); 1e-3 takes 1,300 steps. Adam reaches
    # (0.090, -0.713) for 0.01-0.1 (0.05: 170 steps) and the other one from 0.2 on.
    return Surface(
        name="six_hump_camel",
        f=f,
        dim=2,
        formula="(4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2",
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        # Newton from the published (+-0.089842, -+0.712656), f = -1.031628.
        minima=(
            (0.08984201310031806, -0.7126564030207396),
            (-0.08984201310031806, 0.7126564030207396),
        ),
        min_value=-1.0316284534898774,
        start=(-1.0, -1.5),
        lr=0.02,
        lr_range=(1e-3, 0.07),
        adaptive_lr=0.05,
        # Newton from (+-1.703607, -+0.796084), f = -0.215464, and (+-1.607105, +-0.568651),
        # f = 2.104250.
        local_minima=(
            (1.7036067149699807, -0.7960835686726251),
            (-1.7036067149699807, 0.7960835686726251),
            (1.6071047529201974, 0.5686514548841314),
            (-1.6071047529201974, -0.5686514548841314),
        ),
        # All seven saddles in the domain (the grid search also finds two local maxima,
        # (+-1.230230, +-0.162335)).
        saddles=(
            (0.0, 0.0),
            (1.1092053368047865, -0.7682680925095399),
            (-1.1092053368047865, 0.7682680925095399),
            (1.638067984189779, 0.22867406904439413),
            (-1.638067984189779, -0.22867406904439413),
            (1.2960702671671092, 0.6050843880386585),
            (-1.2960702671671092, -0.6050843880386585),
        ),
        description=(
            "Two global minima, four local ones and seven saddles in a small box: a map of "
            "basins of attraction, and of how momentum can carry an optimizer across them."
        ),
    )


@register("goldstein_price")
def goldstein_price() -> Surface:
    """The Goldstein-Price function (Goldstein & Price 1971).

    ``[1 + (x + y + 1)^2 (19 - 14 x + 3 x^2 - 14 y + 6 x y + 3 y^2)]
    * [30 + (2 x - 3 y)^2 (18 - 32 x + 12 x^2 + 48 y - 36 x y + 27 y^2)]``.
    """

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        a = 1.0 + (x + y + 1.0) ** 2 * (
            19.0 - 14.0 * x + 3.0 * x**2 - 14.0 * y + 6.0 * x * y + 3.0 * y**2
        )
        b = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (
            18.0 - 32.0 * x + 12.0 * x**2 + 48.0 * y - 36.0 * x * y + 27.0 * y**2
        )
        return a * b

    # f is 10,194 at the start (-0.5, 0.5) and its gradient ~1e5 on the walls. Measured: GD
    # with lr <= 2e-5 settles in the local minimum (-0.6, -0.4), f = 30 (lr = 1e-5: 540
    # steps), 3e-5 jumps across to the global one, 5e-5 overflows at once; 1e-6 takes 11,000
    # steps. Adam with 0.001-0.05 also ends at f = 30; 0.07-0.3 reach f = 3 (0.1: 370 steps).
    return Surface(
        name="goldstein_price",
        f=f,
        dim=2,
        formula=(
            "[1 + (x + y + 1)^2 (19 - 14 x + 3 x^2 - 14 y + 6 x y + 3 y^2)] "
            "[30 + (2 x - 3 y)^2 (18 - 32 x + 12 x^2 + 48 y - 36 x y + 27 y^2)]"
        ),
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=((0.0, -1.0),),
        min_value=3.0,
        start=(-0.5, 0.5),
        lr=1e-5,
        lr_range=(1e-6, 3e-5),
        adaptive_lr=0.1,
        # Newton lands on these exact decimals (gradient ~1e-12 there): f = 30, 84, 840.
        local_minima=((-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)),
        # Saddles with f = 35, 99, 980, 990; (0.8, 0.2) is a local maximum (f = 1155).
        saddles=((-0.4, -0.6), (1.2, -0.2), (1.4, 0.6), (0.6, 0.4)),
        description=(
            "Values from 3 to a million in a small box, and three local minima: a fixed "
            "learning rate cannot suit both the walls and the floor, so it shows why adaptive "
            "steps (or a log-scaled loss) help."
        ),
    )
