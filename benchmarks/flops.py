"""`benchmarks.flops`: the floating-point work of one training step of an MLP, and the
machine's peak rate measured with a large matrix product, so that a runner's time can be read
as a fraction of the physical limit.

**Work of one Adam step** on a mini-batch of ``B`` samples through dense layers of widths
``d_0, d_1, ..., d_L`` (counting a multiply-add as 2 FLOPs, matrix products only for the
forward and backward passes, plus the optimizer's elementwise update):

    forward   F = 2 B sum_l d_{l-1} d_l                     (x W_l, l = 1..L)
    backward  2 B sum_l d_{l-1} d_l                          (dW_l = x_{l-1}^T delta_l)
              + 2 B sum_{l>=2} d_{l-1} d_l                    (delta_{l-1} = delta_l W_l^T; none
                                                              for the input layer)
    update    c P,  P = sum_l (d_{l-1} + 1) d_l parameters, c = 12 for Adam
              (m: 3, v: 4, bias corrections, sqrt, + eps, divide, times lr, subtract: 5)

Biases, activations and the loss add O(B sum_l d_l) and are left out. For the digits MLP
64-32-10 with ``B = 32``: F = 151,552, backward 172,032, update 12 x 2,410 = 28,920, in all
352,504 FLOPs per step. The same count is charged to every runner, so ``FLOP/s / peak`` is the
fraction of the machine each one turns into useful arithmetic (descend's per-epoch evaluation on
all samples is work on top, not counted).

**Peak**: ``2 N^3`` FLOPs of a float32 ``N x N`` product (N = 2048) by ``jnp.dot`` under
``jax.jit``, divided by the median wall time of repeats (all the cores XLA uses).
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from benchmarks._timing import timed

ADAM_FLOPS_PER_PARAMETER = 12


def mlp_step_flops(
    sizes: Sequence[int], batch: int, per_parameter: int = ADAM_FLOPS_PER_PARAMETER
) -> dict[str, int]:
    """FLOPs of one training step (formula in the module docstring), by part and in all."""
    pairs = list(itertools.pairwise(sizes))
    products = sum(a * b for a, b in pairs)
    forward = 2 * batch * products
    backward = 2 * batch * products + 2 * batch * sum(a * b for a, b in pairs[1:])
    parameters = sum((a + 1) * b for a, b in pairs)
    update = per_parameter * parameters
    return {
        "forward": forward,
        "backward": backward,
        "update": update,
        "parameters": parameters,
        "total": forward + backward + update,
    }


def peak_flops(n: int = 2048, repeats: int = 15) -> dict[str, float]:
    """The measured peak: median seconds of a jitted float32 ``n x n`` matrix product."""
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    dot = jax.jit(jnp.dot)
    jax.block_until_ready(dot(a, b))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(dot(a, b))
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {"n": n, "seconds": seconds, "flops_per_second": 2 * n**3 / seconds}


# the products of one step of the digits MLP 64-32-10 on a batch of 32, and of its per-epoch
# evaluation on all 1,797 samples ((m, k, n): an (m, k) @ (k, n) product)
MLP_PRODUCTS = {
    "step: X W1": (32, 64, 32),
    "step: h W2 (and h^T delta2)": (32, 32, 10),
    "step: delta2 W2^T": (32, 10, 32),
    "step: X^T delta1": (64, 32, 32),
    "evaluation: X W1": (1797, 64, 32),
    "evaluation: h W2": (1797, 32, 10),
    "for comparison: h W with 16 outputs": (1797, 32, 16),
    "for comparison: h W with 32 outputs": (1797, 32, 32),
}


def product_rate(m: int, k: int, n: int, inner: int = 200, repeats: int = 7) -> float:
    """FLOP/s of one float32 ``(m, k) @ (k, n)`` product, ``inner`` of them in a compiled
    ``lax.scan`` (each on a slightly changed left operand, so none is hoisted), so that the
    call's own overhead is spread over them; median of ``repeats``."""
    a = jnp.full((m, k), 0.01, jnp.float32)
    w = jnp.full((k, n), 0.01, jnp.float32)

    @jax.jit
    def many(a: jax.Array, w: jax.Array) -> jax.Array:
        def body(c: jax.Array, _: None) -> tuple[jax.Array, None]:
            return c + jnp.sum((a + c * 1e-9) @ w), None

        return jax.lax.scan(body, jnp.float32(0), None, length=inner)[0]

    _, seconds, _ = timed(lambda: many(a, w), repeats)
    return 2 * m * k * n * inner / seconds


def main() -> None:
    """``python -m benchmarks.flops``: the rate of each product of the digits MLP against the
    peak (both measured now, on this machine)."""
    peak = peak_flops()["flops_per_second"]
    print(f"peak (float32 2048 x 2048 jnp.dot): {peak / 1e9:.1f} GFLOP/s\n")
    print("| product | (m, k) @ (k, n) | GFLOP/s | of peak |")
    print("|---|---|---:|---:|")
    for name, (m, k, n) in MLP_PRODUCTS.items():
        rate = product_rate(m, k, n)
        print(f"| {name} | ({m}, {k}) @ ({k}, {n}) | {rate / 1e9:.1f} | {rate / peak:.1%} |")


if __name__ == "__main__":
    main()
