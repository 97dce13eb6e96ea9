"""`make bench`: descend's compiled runs against the ways people run gradient descent today.

All figures are measured in one run on one machine, and the ratios are taken within that run
(the machines are shared and noisy; every time is a median of repeats):

1. Time per step of a 10,000-step Adam run on 2-D Rosenbrock (lr 1e-3, from (-1.2, 1), no
   stopping): ``descend.minimize`` (defaults: every step recorded, stop rules checked every
   step), the same with no history, and the peers of :mod:`benchmarks.peers` (an optax
   jitted step in a Python loop, ``torch.optim.Adam`` eager, a NumPy loop, a Numba loop).
2. Sweep throughput: run-steps per second for 1, 64, 4,096 and 65,536 Adam configurations
   (learning rates) vmapped in one program, 10,000 steps each, with the peak memory of the
   process (each size runs in its own subprocess so that its peak is its own).
3. The cost of the progress bar: a 10,000,000-step run with and without it.

Run: ``make bench`` (or ``.venv/bin/python -m benchmarks.run [--quick] [--json FILE]``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import descend as ds
from benchmarks import peers

X0 = (-1.2, 1.0)
SWEEP_SIZES = (1, 64, 4096, 65536)


def rosenbrock(x: jax.Array) -> jax.Array:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def run_descend(steps: int = peers.STEPS, **options: Any) -> tuple[np.ndarray, float]:
    """One ``descend.minimize`` call, timed from the call to the ready result (compiled by
    an untimed call first)."""
    x0 = jnp.asarray(X0, jnp.float32)
    opt = ds.adam(peers.LR, peers.B1, peers.B2, peers.EPS)
    kwargs = {"max_steps": steps, "tol": 0.0, **options}
    jax.block_until_ready(ds.minimize(rosenbrock, x0, opt, **kwargs))
    start = time.perf_counter()
    res = jax.block_until_ready(ds.minimize(rosenbrock, x0, opt, **kwargs))
    seconds = time.perf_counter() - start
    assert int(res.steps) == steps
    return np.asarray(res.x, np.float64), seconds


def run_descend_lean(steps: int = peers.STEPS) -> tuple[np.ndarray, float]:
    return run_descend(steps, record_every=steps, record_path=False)


def step_table(repeats: int) -> dict[str, dict[str, Any]]:
    rows = {
        "descend.minimize": peers.time_peer(run_descend, peers.STEPS, repeats),
        "descend.minimize (no history)": peers.time_peer(run_descend_lean, peers.STEPS, repeats),
    }
    for name in peers.available_peers():
        rows[name] = peers.time_peer(peers.PEERS[name], peers.STEPS, repeats)
    peers.check_agreement({k: v for k, v in rows.items()})
    return rows


def _memory_kib(field: str) -> int:
    """A memory figure of this process from /proc (VmHWM: peak resident set, reset by exec,
    unlike getrusage's ru_maxrss, which a subprocess inherits from its parent)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def sweep_once(n: int, steps: int, repeats: int) -> dict[str, Any]:
    """In this process: ``n`` Adam configurations for ``steps`` steps as one program."""
    baseline_kib = _memory_kib("VmHWM")  # the peak so far: imports and JAX start-up
    lrs = jnp.geomspace(1e-4, 1e-1, n).astype(jnp.float32)
    x0 = jnp.asarray(X0, jnp.float32)

    @jax.jit
    def final_losses(lrs: jax.Array) -> jax.Array:
        def one(lr: jax.Array) -> jax.Array:
            res = ds.minimize(rosenbrock, x0, ds.adam(lr), max_steps=steps, tol=0.0,
                              record_every=steps, record_path=False)  # fmt: skip
            return res.loss

        return jax.vmap(one)(lrs)

    jax.block_until_ready(final_losses(lrs))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(final_losses(lrs))
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    peak_kib = _memory_kib("VmHWM")
    return {
        "configurations": n,
        "steps": steps,
        "seconds_median": seconds,
        "run_steps_per_second": n * steps / seconds,
        "peak_rss_mib": peak_kib / 1024,
        "peak_rss_increase_mib": (peak_kib - baseline_kib) / 1024,
        "device": str(jax.devices()[0].platform),
    }


def sweep_table(steps: int, repeats: int, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        cmd = [sys.executable, "-m", "benchmarks.run", "--sweep-one", str(n),
               "--sweep-steps", str(steps), "--repeats", str(repeats)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def progress_overhead(steps: int, repeats: int) -> dict[str, Any]:
    x0 = jnp.asarray(X0, jnp.float32)
    opt = ds.adam(peers.LR)
    kwargs = {"max_steps": steps, "tol": 0.0, "record_every": steps, "record_path": False}
    with open(os.devnull, "w") as sink:
        for progress in (False, sink):  # compile both
            jax.block_until_ready(ds.minimize(rosenbrock, x0, opt, progress=progress, **kwargs))
        plain, shown = [], []
        for _ in range(repeats):
            for progress, times in ((False, plain), (sink, shown)):
                start = time.perf_counter()
                jax.block_until_ready(ds.minimize(rosenbrock, x0, opt, progress=progress, **kwargs))
                times.append(time.perf_counter() - start)
    a, b = statistics.median(plain), statistics.median(shown)
    return {"steps": steps, "seconds_plain": a, "seconds_with_bar": b, "overhead": b / a - 1}


def report(steps: dict[str, dict[str, Any]], sweeps: list[dict[str, Any]], bar: dict) -> str:
    us = {k: v["seconds_per_step_median"] * 1e6 for k, v in steps.items()}
    ours = us["descend.minimize"]
    lines = [
        "### Time per step, 10,000-step Adam run on 2-D Rosenbrock",
        "",
        "| runner | dtype | time per step | peer time / descend time |",
        "|---|---|---:|---:|",
    ]
    for name, t in us.items():
        dtype = peers.DTYPES.get(name, "float32")
        lines.append(f"| {name} | {dtype} | {t * 1e3:.1f} ns | {t / ours:.2f}x |")
    numba = us.get("numba_loop")
    if numba:
        lean = us["descend.minimize (no history)"]
        lines += ["", f"descend.minimize / numba floor: {ours / numba:.2f}x; "
                  f"with no history: {lean / numba:.2f}x"]  # fmt: skip
    if "optax_loop" in us:
        lines.append(f"optax Python loop / descend.minimize: {us['optax_loop'] / ours:.0f}x")
    lines += [
        "",
        "### Sweep throughput (Adam, one learning rate per configuration, vmapped)",
        "",
        "| configurations | steps | time | run-steps per second | peak memory (increase) "
        "| device |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for r in sweeps:
        lines.append(
            f"| {r['configurations']:,} | {r['steps']:,} | {r['seconds_median']:.3f} s | "
            f"{r['run_steps_per_second']:.3g} | {r['peak_rss_mib']:.0f} MiB "
            f"(+{r['peak_rss_increase_mib']:.0f} MiB) | {r['device']} |"
        )
    lines += [
        "",
        f"### Progress bar: {bar['steps']:,}-step run, {bar['seconds_plain']:.3f} s without, "
        f"{bar['seconds_with_bar']:.3f} s with: overhead {100 * bar['overhead']:.1f}%",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sweep-steps", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sweeps")
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--sweep-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sweep_one:
        print(json.dumps(sweep_once(args.sweep_one, args.sweep_steps, args.repeats)))
        return 0
    repeats = 3 if args.quick else args.repeats
    sizes = SWEEP_SIZES[:3] if args.quick else SWEEP_SIZES
    env = peers.environment()
    steps = step_table(repeats)
    sweeps = sweep_table(args.sweep_steps, max(3, repeats // 2), sizes)
    bar = progress_overhead(1_000_000 if args.quick else 10_000_000, repeats)
    print(f"machine: {env}\n")
    print(report(steps, sweeps, bar))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"environment": env, "steps": steps, "sweeps": sweeps, "progress": bar},
                      fh, indent=2, default=float)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
