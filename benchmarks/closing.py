"""`benchmarks.closing`: vmapped sweeps whose optimizer closes over the swept rate, in one run.

``jax.vmap(lambda lr: minimize(f, x0, make(lr)))`` on 2-D Rosenbrock with the default history
(every step, with path), no early stop, for ``make`` = ``ds.adam`` (the rate is a
hyperparameter descend sees), ``optax.adam`` (the rate sits in optax's closure) and
``ds.adam(lambda t: lr * 0.999**t)`` (a schedule written as a lambda, closing over the
rate), and ``ds.lookahead_nesterov`` with such a schedule (a gradient step, which takes the
objective), at 500 and 2,000 steps. Linear in the steps means a flat run-steps/s column for each.
Run: ``.venv/bin/python -m benchmarks.closing [--quick] [--configs N]``.
"""

from __future__ import annotations

import argparse
import sys

import optax

import descend as ds
from benchmarks import peers
from benchmarks._timing import timed
from benchmarks.history import sweep

MAKERS = {
    "ds.adam(lr)": ds.adam,
    "optax.adam(lr)": optax.adam,
    "ds.adam(lambda t: lr * 0.999**t)": lambda lr: ds.adam(lambda t: lr * 0.999**t),
    # a gradient step (it takes the objective): only its schedule can be traced out
    "ds.lookahead_nesterov(lambda t: lr / (1 + t / 1000))": lambda lr: ds.lookahead_nesterov(
        lambda t: lr / (1.0 + t / 1000)
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--configs", type=int, default=1024, help="learning rates (1,024)")
    args = parser.parse_args(argv)
    repeats, n = (3 if args.quick else 5), args.configs
    print(f"machine: {peers.environment()}\n")
    print(f"### {n:,} learning rates, default history, jit(vmap(minimize))\n")
    print("| optimizer | 500 steps | 2,000 steps | run-steps/s at 500 | at 2,000 |")
    print("|---|---:|---:|---:|---:|")
    for name, make in MAKERS.items():
        walls = [timed(sweep(n, steps, True, make), repeats)[1] for steps in (500, 2000)]
        print(f"| {name} | {walls[0] * 1e3:.1f} ms | {walls[1] * 1e3:.1f} ms | "
              f"{n * 500 / walls[0]:.3g} | {n * 2000 / walls[1]:.3g} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
