"""Small surfaces made to show one behaviour of gradient descent each: saddles, a plateau, a
local minimum beside the global one, and the error surface of a single sigmoid neuron.

Learning rates were measured as for the classic surfaces (plain gradient descent and Adam from
``start`` over a grid of rates, in float64); see each surface.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from descend._validation import as_float
from descend.problems.surfaces._base import Surface, register


@register("saddle")
def saddle() -> Surface:
    """The saddle ``x^2 - y^2`` (unbounded below)."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        return p[0] ** 2 - p[1] ** 2

    # Unbounded, so "converges" means: leaves the box after lingering at the saddle. GD moves
    # x by a factor (1 - 2 lr) and y by (1 + 2 lr) per step. Measured: lr = 0.1 leaves the box
    # after 41 steps (closest approach 0.03 at step 16), 0.01 after 380; at lr >= 1 the x
    # coordinate no longer contracts (2/L = 1). Adam: 0.05 leaves after 35 steps, 0.01
    # after 140.
    return Surface(
        name="saddle",
        f=f,
        dim=2,
        formula="x^2 - y^2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(),
        min_value=None,
        start=(1.0, 1e-3),
        lr=0.1,
        lr_range=(0.01, 0.9),
        adaptive_lr=0.05,
        saddles=((0.0, 0.0),),
        description=(
            "A pure saddle, unbounded below. Started almost on the ridge, gradient descent "
            "first runs into the saddle (the gradient vanishes there) and lingers before the "
            "tiny y grows and carries it off; adaptive rules escape much sooner."
        ),
    )


@register("monkey_saddle")
def monkey_saddle() -> Surface:
    """The monkey saddle ``x^3 - 3 x y^2`` (unbounded below)."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return x**3 - 3.0 * x * y**2

    # Unbounded. Near the ridge y = 0 the pull towards the origin is 3 x^2, so GD approaches
    # it slowly and the tiny y (1e-4 at the start) grows until the path turns down the valley
    # at 60 degrees. Measured: lr = 0.1 leaves the box after 153 steps, 38 of them with
    # |grad| < 1e-2; 0.01 after 1,200; 0.3 after 135; from 0.35 on (> 2/L = 1/3 at the start)
    # the first step jumps past the origin and falls down the valley along -x. Adam: 0.05
    # leaves after 35 steps, 0.01 after 130.
    return Surface(
        name="monkey_saddle",
        f=f,
        dim=2,
        formula="x^3 - 3 x y^2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(),
        min_value=None,
        start=(1.0, 1e-4),
        lr=0.1,
        lr_range=(0.01, 0.3),
        adaptive_lr=0.05,
        saddles=((0.0, 0.0),),
        description=(
            "A saddle with three valleys and a zero Hessian at the origin (r^3 cos 3 theta in "
            "polar form): the gradient shrinks like r^2 near it, so descent slows down far more "
            "than at an ordinary saddle before it escapes down a valley."
        ),
    )


@register("plateau")
def plateau() -> Surface:
    """A Gaussian well: ``1 - exp(-(x^2 + y^2))``, almost flat away from the origin."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        return -jnp.expm1(-(p[0] ** 2 + p[1] ** 2))

    # The curvature is at most 2 (at the origin), so GD is stable for lr < 1. Measured from
    # (3, 1): lr = 0.5 (= 1/L) reaches the origin to 1e-4 after 1,250 steps, f above 0.5 for
    # the first 1,249 of them; 0.9 after 720, 0.99 after 940; 1.0 never settles, 1.05 ends in a
    # cycle; 0.05 takes 12,500. Adam crosses the plateau at once: 0.05 converges in 130
    # steps, 0.01 in 250.
    return Surface(
        name="plateau",
        f=f,
        dim=2,
        formula="1 - exp(-(x^2 + y^2))",
        domain=((-4.0, 4.0), (-4.0, 4.0)),
        minima=((0.0, 0.0),),
        min_value=0.0,
        start=(3.0, 1.0),
        lr=0.5,
        lr_range=(0.05, 0.95),
        adaptive_lr=0.05,
        description=(
            "A plateau: at the start the gradient is 2.9e-4, so plain gradient descent crawls "
            "for thousands of steps before the well pulls it in; momentum and adaptive steps "
            "cross the flat region fast. (In float32, f near 1 moves by less than its rounding, "
            "so the loss looks flat even while the point moves.)"
        ),
    )


# 4 x^3 - 4 x + 0.3 = 0 (df/dx; df/dy = 2 y): Newton from -1.04, 0.96 and 0.075, float64.
_DW_GLOBAL = -1.0355787140888537
_DW_LOCAL = 0.9601495555191055
_DW_SADDLE = 0.07542915856974822


@register("double_well")
def double_well() -> Surface:
    """A tilted double well: ``(x^2 - 1)^2 + 0.3 x + y^2``."""

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        x, y = p[0], p[1]
        return (x**2 - 1.0) ** 2 + 0.3 * x + y**2

    # From (1.5, 1) GD settles in the local minimum for every lr up to 0.15 (0.05: 90 steps,
    # curvature 7.1 and 2 there); at 0.2-0.22 the first step overshoots into the global
    # well, from 0.25 on (> 2/8.87, the curvature at the global minimum) it cycles there;
    # 5e-3 takes 900 steps. Adam with 0.003-0.3 settles in the local minimum (0.05: 130
    # steps); 0.5 jumps to the global one.
    return Surface(
        name="double_well",
        f=f,
        dim=2,
        formula="(x^2 - 1)^2 + 0.3 x + y^2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=((_DW_GLOBAL, 0.0),),
        min_value=-0.305428483743916,
        start=(1.5, 1.0),
        lr=0.05,
        lr_range=(5e-3, 0.15),
        adaptive_lr=0.05,
        local_minima=((_DW_LOCAL, 0.0),),
        saddles=((_DW_SADDLE, 0.0),),
        description=(
            "Two valleys separated by a saddle, the right one (f = 0.294) shallower than the "
            "left (f = -0.305). From the start on the right, plain gradient descent settles in "
            "the local minimum; enough momentum carries an optimizer over into the deeper one."
        ),
    )


# The data set of the texts' single-neuron example (e.g. the NPTEL deep-learning course,
# lecture on gradient descent): two points the neuron fits exactly.
SIGMOID_NEURON_X: tuple[float, ...] = (0.5, 2.5)
SIGMOID_NEURON_Y: tuple[float, ...] = (0.2, 0.9)

# sigma(w x + b) = y at both points <=> w x_i + b = logit(y_i): w 0.5 + b = log(1/4) and
# w 2.5 + b = log 9, so w* = (log 9 - log(1/4)) / 2 = log 6 and b* = log(1/4) - log(6)/2.
_SN_W = math.log(6.0)
_SN_B = math.log(0.25) - 0.5 * math.log(6.0)


@register("sigmoid_neuron")
def sigmoid_neuron() -> Surface:
    """The squared error of one sigmoid neuron over its weight and bias.

    ``L(w, b) = 1/2 sum_i (sigma(w x_i + b) - y_i)^2`` on ``x = SIGMOID_NEURON_X = (0.5, 2.5)``
    and ``y = SIGMOID_NEURON_Y = (0.2, 0.9)``, with ``sigma`` the logistic function.
    """

    def f(p: jax.Array) -> jax.Array:
        p = as_float(p)
        xs = jnp.asarray(SIGMOID_NEURON_X, dtype=p.dtype)
        ys = jnp.asarray(SIGMOID_NEURON_Y, dtype=p.dtype)
        return 0.5 * jnp.sum((jax.nn.sigmoid(p[0] * xs + p[1]) - ys) ** 2)

    # At (-2, -2) both points are deep in the neuron's flat tail (|grad| = 0.009). The
    # Hessian at the minimum has eigenvalues 0.010 and 0.080 (2/L = 25). Measured: GD with
    # the texts' lr = 1 needs 80 steps to halve the loss and 960 to converge (to 1e-4);
    # lr = 5 converges in 190 steps with f decreasing at every step, 10 in 84 and 20 in 53
    # (with a few rises), 25 leaves the box; 0.1 takes 9,700 steps. Adam: 0.1 converges in
    # 240 steps, 0.01 in 2,100; 1.0 is thrown out of the box.
    return Surface(
        name="sigmoid_neuron",
        f=f,
        dim=2,
        formula="1/2 sum_i (sigma(w x_i + b) - y_i)^2, x = (0.5, 2.5), y = (0.2, 0.9)",
        domain=((-6.0, 6.0), (-6.0, 6.0)),
        minima=((_SN_W, _SN_B),),
        min_value=0.0,
        start=(-2.0, -2.0),
        lr=5.0,
        lr_range=(0.1, 20.0),
        adaptive_lr=0.1,
        description=(
            "The error of a single sigmoid neuron sigma(w x + b) over (w, b) on the two points "
            "SIGMOID_NEURON_X, SIGMOID_NEURON_Y, which it fits exactly at w = log 6, "
            "b = log(1/4) - log(6)/2. Where the neuron saturates the surface is a plateau, and "
            "gradient descent is slow on its gentle slopes."
        ),
    )
