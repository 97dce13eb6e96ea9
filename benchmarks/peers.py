"""Peers for the Adam-on-Rosenbrock benchmark: the ways people run this loop today.

The problem is 2-D Rosenbrock, f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, started at (-1.2, 1.0) and
minimised with Adam (lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, PyTorch/Optax convention
``m_hat / (sqrt(v_hat) + eps)``) for a fixed number of steps (10,000 by default) with no stopping
rule. Each peer is a function ``run_<peer>(steps) -> (final, seconds)``: ``final`` is the last
iterate as a float64 array of shape (2,), ``seconds`` is the wall time of the timed loop only,
excluding one-off set-up and compilation (each run function does its own untimed warm-up step, so
even a first call reports loop time only).

Peers (dtype in ``DTYPES``):

- ``optax_loop`` (float32): ``optax.adam`` update plus ``jax.value_and_grad``, wrapped in one
  ``jax.jit`` step ``(params, state) -> (params, state, loss)`` and called from a Python ``for``
  loop. Async dispatch is accounted for: ``jax.block_until_ready`` on the final params, state and
  loss before the clock stops, and the whole loop is timed.
- ``torch_eager`` (float32): ``torch.optim.Adam`` (CPU default implementation) on a
  ``torch.nn.Parameter`` of shape (2,), with ``zero_grad()``, ``loss.backward()`` and ``step()`` per
  iteration, in eager mode; ``torch.set_num_threads`` is left at its default.
- ``numpy_loop`` (float64): a plain NumPy loop, analytic gradient and Adam written out on arrays
  of shape (2,).
- ``numba_loop`` (float64): one ``numba.njit`` function running the whole loop on scalars (x, y,
  m_x, m_y, v_x, v_y) with the analytic gradient, the practical floor for one serial run. It is
  compiled by an untimed call before the clock starts.

``jax``/``optax``, ``torch`` and ``numba`` are imported lazily, so this module imports with NumPy
alone; ``available_peers()`` lists the peers whose libraries are installed.

Run from the repository root::

    .venv/bin/python -m benchmarks.peers                      # all peers, 10,000 steps, 5 repeats
    .venv/bin/python -m benchmarks.peers --repeats 3 --peers numba_loop numpy_loop --json out.json

From code: ``time_peer(PEERS["numba_loop"], 10_000, 5)`` and ``check_agreement({...})``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import itertools
import json
import math
import os
import platform
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

STEPS = 10_000
LR = 1e-3
B1 = 0.9
B2 = 0.999
EPS = 1e-8
X0 = (-1.2, 1.0)

# Final iterate after 10,000 steps from X0, float64 NumPy loop (float32 peers agree to ~5e-6).
REFERENCE_FINAL_10K = (0.9808308248216087, 0.961970330989848)

DTYPES = {
    "optax_loop": "float32",
    "torch_eager": "float32",
    "numpy_loop": "float64",
    "numba_loop": "float64",
}

_REQUIRES = {
    "optax_loop": ("jax", "optax"),
    "torch_eager": ("torch",),
    "numpy_loop": ("numpy",),
    "numba_loop": ("numba",),
}

PeerFn = Callable[[int], tuple[np.ndarray, float]]

_cache: dict[str, Any] = {}


def _final(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(2)


# --------------------------------------------------------------------------------------------
# 1. Optax step jitted with jax.jit, driven by a Python loop
# --------------------------------------------------------------------------------------------


def _optax_step():
    if "optax" not in _cache:
        import jax
        import optax

        opt = optax.adam(LR, b1=B1, b2=B2, eps=EPS)

        def loss_fn(p):
            return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2

        @jax.jit
        def step(params, state):
            loss, grads = jax.value_and_grad(loss_fn)(params)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state, loss

        _cache["optax"] = (opt, step)
    return _cache["optax"]


def run_optax_loop(steps: int = STEPS) -> tuple[np.ndarray, float]:
    """Jitted Optax Adam step called ``steps`` times from Python; float32."""
    import jax
    import jax.numpy as jnp

    opt, step = _optax_step()
    # Explicit float32 so that a process that enabled jax_enable_x64 still times float32.
    params = jnp.asarray(X0, dtype=jnp.float32)
    state = opt.init(params)
    jax.block_until_ready(step(params, state))  # compile (first call only) and warm; untimed
    loss = None
    start = time.perf_counter()
    for _ in range(steps):
        params, state, loss = step(params, state)
    jax.block_until_ready((params, state, loss))
    seconds = time.perf_counter() - start
    return _final(params), seconds


# --------------------------------------------------------------------------------------------
# 2. torch.optim.Adam, eager mode
# --------------------------------------------------------------------------------------------


def run_torch_eager(steps: int = STEPS) -> tuple[np.ndarray, float]:
    """``torch.optim.Adam`` on an ``nn.Parameter`` of shape (2,), eager autograd; float32."""
    import torch

    p = torch.nn.Parameter(torch.tensor(X0, dtype=torch.float32))
    opt = torch.optim.Adam([p], lr=LR, betas=(B1, B2), eps=EPS)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        x, y = p[0], p[1]
        loss = (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    return _final(p.detach().numpy()), seconds


# --------------------------------------------------------------------------------------------
# 3. Plain NumPy
# --------------------------------------------------------------------------------------------


def run_numpy_loop(steps: int = STEPS) -> tuple[np.ndarray, float]:
    """Adam written out in NumPy on arrays of shape (2,), analytic gradient; float64."""
    p = np.array(X0, dtype=np.float64)
    m = np.zeros(2)
    v = np.zeros(2)
    start = time.perf_counter()
    for t in range(1, steps + 1):
        x, y = p
        r = y - x * x
        g = np.array([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r])
        m = B1 * m + (1.0 - B1) * g
        v = B2 * v + (1.0 - B2) * g * g
        m_hat = m / (1.0 - B1**t)
        v_hat = v / (1.0 - B2**t)
        p = p - LR * m_hat / (np.sqrt(v_hat) + EPS)
    seconds = time.perf_counter() - start
    return _final(p), seconds


# --------------------------------------------------------------------------------------------
# 4. Numba njit, whole loop on scalars
# --------------------------------------------------------------------------------------------


def _numba_kernel():
    if "numba" not in _cache:
        from numba import njit

        @njit(cache=False)
        def adam_rosenbrock(x, y, steps, lr, b1, b2, eps):
            m_x = 0.0
            m_y = 0.0
            v_x = 0.0
            v_y = 0.0
            b1_t = 1.0
            b2_t = 1.0
            for _ in range(steps):
                r = y - x * x
                g_x = -2.0 * (1.0 - x) - 400.0 * x * r
                g_y = 200.0 * r
                m_x = b1 * m_x + (1.0 - b1) * g_x
                m_y = b1 * m_y + (1.0 - b1) * g_y
                v_x = b2 * v_x + (1.0 - b2) * g_x * g_x
                v_y = b2 * v_y + (1.0 - b2) * g_y * g_y
                b1_t *= b1
                b2_t *= b2
                c1 = 1.0 - b1_t
                c2 = 1.0 - b2_t
                x -= lr * (m_x / c1) / (math.sqrt(v_x / c2) + eps)
                y -= lr * (m_y / c1) / (math.sqrt(v_y / c2) + eps)
            return x, y

        _cache["numba"] = adam_rosenbrock
    return _cache["numba"]


def run_numba_loop(steps: int = STEPS) -> tuple[np.ndarray, float]:
    """Whole Adam loop in one ``numba.njit`` function on scalars, analytic gradient; float64."""
    kernel = _numba_kernel()
    x0, y0 = float(X0[0]), float(X0[1])
    kernel(x0, y0, 0, LR, B1, B2, EPS)  # compiles on the first call only; untimed
    start = time.perf_counter()
    x, y = kernel(x0, y0, int(steps), LR, B1, B2, EPS)
    seconds = time.perf_counter() - start
    return _final((x, y)), seconds


# --------------------------------------------------------------------------------------------
# Registry, timing and checks
# --------------------------------------------------------------------------------------------

PEERS: dict[str, PeerFn] = {
    "optax_loop": run_optax_loop,
    "torch_eager": run_torch_eager,
    "numpy_loop": run_numpy_loop,
    "numba_loop": run_numba_loop,
}


def available_peers() -> list[str]:
    """Names of the peers whose libraries can be imported here (without importing them)."""
    return [
        name
        for name, mods in _REQUIRES.items()
        if all(importlib.util.find_spec(mod) is not None for mod in mods)
    ]


def time_peer(fn: PeerFn, steps: int = STEPS, repeats: int = 5) -> dict[str, Any]:
    """Run ``fn(steps)`` once untimed (warm-up), then ``repeats`` times; per-step seconds.

    Raises ``RuntimeError`` if the repeats do not end at bit-identical points (every peer is
    deterministic, so a difference means state leaked between calls).
    """
    if steps < 1 or repeats < 1:
        raise ValueError("steps and repeats must be >= 1")
    fn(steps)
    per_step: list[float] = []
    finals: list[np.ndarray] = []
    for _ in range(repeats):
        gc.collect()
        final, seconds = fn(steps)
        per_step.append(seconds / steps)
        finals.append(final)
    for other in finals[1:]:
        if not np.array_equal(other, finals[0]):
            raise RuntimeError(f"repeats of {fn.__name__} disagree: {finals[0]} vs {other}")
    return {
        "seconds_per_step_median": float(np.median(per_step)),
        "seconds_per_step_all": per_step,
        "final": finals[0].tolist(),
    }


def check_agreement(results: Mapping[str, Any], rtol: float = 1e-3) -> None:
    """Raise ``AssertionError`` unless all final points agree pairwise, elementwise, to ``rtol``.

    ``results`` maps a name to a final point (anything array-like of shape (2,)) or to a
    ``time_peer`` dict (its ``"final"`` is used). Non-finite points also fail.
    """
    finals = {}
    for name, value in results.items():
        point = value["final"] if isinstance(value, Mapping) else value
        finals[name] = np.asarray(point, dtype=np.float64).reshape(2)
        if not np.all(np.isfinite(finals[name])):
            raise AssertionError(f"{name}: non-finite final point {finals[name]}")
    for (a, pa), (b, pb) in itertools.combinations(finals.items(), 2):
        scale = np.maximum(np.abs(pa), np.abs(pb))
        err = np.abs(pa - pb)
        if np.any(err > rtol * scale + 1e-12):
            rel = float(np.max(err / np.maximum(scale, 1e-300)))
            raise AssertionError(f"{a} {pa} and {b} {pb} disagree (max rel err {rel:.3g})")


def environment() -> dict[str, Any]:
    """Versions and thread settings worth recording next to the timings."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }
    for mod in ("jax", "optax", "numba"):
        if importlib.util.find_spec(mod) is not None:
            env[mod] = __import__(mod).__version__
    if importlib.util.find_spec("torch") is not None:
        import torch

        env["torch"] = torch.__version__
        env["torch_num_threads"] = torch.get_num_threads()
    return env


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peers", nargs="+", choices=list(PEERS), default=None)
    parser.add_argument("--json", default=None, help="write results to this file")
    args = parser.parse_args(argv)

    names = args.peers or available_peers()
    results = {}
    for name in names:
        results[name] = time_peer(PEERS[name], args.steps, args.repeats)
        results[name]["dtype"] = DTYPES[name]
        r = results[name]
        all_us = ", ".join(f"{s * 1e6:.3g}" for s in r["seconds_per_step_all"])
        print(
            f"{name:12s} {DTYPES[name]:8s} median {r['seconds_per_step_median'] * 1e6:9.4g} us/step"
            f"  [{all_us}]  final {np.array(r['final'])}",
            flush=True,
        )
    check_agreement(results)
    print(f"all {len(results)} peers agree on the final point (rtol 1e-3)")
    out = {"steps": args.steps, "repeats": args.repeats, "env": environment(), "peers": results}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
