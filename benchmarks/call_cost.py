"""`benchmarks.call_cost`: what one ``descend.minimize`` call costs besides its steps.

Adam on 2-D Rosenbrock (float32, ``tol=0``), as in :mod:`benchmarks.history`: a 1-step call
(the fixed cost: the checks, the call of the compiled program, waiting for it) and a
10,000-step run with the default history, for this tree and for the package at a commit
(``--before``, default ``bef957a``), in alternating processes (``--rounds`` of each), with the
Numba loop of :mod:`benchmarks.peers` measured in each process. Medians of the rounds' medians.
Run: ``.venv/bin/python -m benchmarks.call_cost [--before REV] [--rounds N]`` (needs git).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = 10_000


def measure() -> dict[str, float]:
    """One process's medians: seconds of a 1-step call, of a 10,000-step run, and Numba's
    seconds a step (None without Numba)."""
    import jax
    import jax.numpy as jnp

    import descend as ds
    from benchmarks import peers

    def rosenbrock(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    x0 = jnp.asarray([-1.2, 1.0], jnp.float32)
    opt = ds.adam(peers.LR, peers.B1, peers.B2, peers.EPS)

    def median(steps: int, repeats: int) -> float:
        jax.block_until_ready(ds.minimize(rosenbrock, x0, opt, max_steps=steps, tol=0.0))
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            jax.block_until_ready(ds.minimize(rosenbrock, x0, opt, max_steps=steps, tol=0.0))
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    numba = None
    if "numba_loop" in peers.available_peers():
        numba = peers.time_peer(peers.PEERS["numba_loop"], STEPS, 31)["seconds_per_step_median"]
    return {"call": median(1, 2001), "run": median(STEPS, 301), "numba": numba}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="bef957a", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=4, help="processes of each version")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp())
    archive = subprocess.run(["git", "archive", args.before, "src"], cwd=root,
                             capture_output=True, check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    sources = {f"before ({args.before})": folder / "src", "this tree": root / "src"}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
    code = "import json; from benchmarks.call_cost import measure; print(json.dumps(measure()))"
    for _ in range(args.rounds):
        for name, src in sources.items():
            env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{root}"}
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True).stdout  # fmt: skip
            results[name].append(json.loads(out.splitlines()[-1]))
    print("| version | 1-step call | 10,000 steps, a step | / Numba |")
    print("|---|---:|---:|---:|")
    for name, rounds in results.items():
        call = statistics.median(r["call"] for r in rounds)
        step = statistics.median(r["run"] for r in rounds) / STEPS
        numbas = [r["numba"] for r in rounds if r["numba"]]
        ratio = f"{step / statistics.median(numbas):.2f}x" if numbas else "n/a"
        print(f"| {name} | {call * 1e6:.1f} us | {step * 1e9:.1f} ns | {ratio} |")
    numbas = [r["numba"] for rounds in results.values() for r in rounds if r["numba"]]
    if numbas:
        print(f"\nNumba loop: {statistics.median(numbas) * 1e9:.1f} ns a step (median of all)")


if __name__ == "__main__":
    main()
