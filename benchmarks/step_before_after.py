"""The time per step of a 10,000-step Adam run on Rosenbrock, at an earlier commit and now,
in one run: ``python -m benchmarks.step_before_after [--before REV] [--rounds 5]``.

Each round runs the old tree (``src/`` of ``REV``, exported by ``git archive``) and the
current one in fresh subprocesses, one after the other; each takes the median of 25 timed
calls (after one compiling call) with the default history and with none. The figures are the
medians over the rounds. Needs the git history.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, statistics, time, jax, jax.numpy as jnp, descend as ds
def f(x): return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
x0 = jnp.asarray((-1.2, 1.0), jnp.float32); opt = ds.adam(1e-3, 0.9, 0.999, 1e-8)
out = {}
for name, kw in [("no history", {"record_every": 10000, "record_path": False}), ("history", {})]:
    run = lambda: ds.minimize(f, x0, opt, max_steps=10000, tol=0.0, **kw)
    jax.block_until_ready(run()); ts = []
    for _ in range(25):
        t = time.perf_counter(); jax.block_until_ready(run()); ts.append(time.perf_counter() - t)
    out[name] = statistics.median(ts) / 10000 * 1e9
print(json.dumps(out))
"""


def export(rev: str) -> str:
    folder = tempfile.mkdtemp()
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return os.path.join(folder, "src")


def measure(src: str, child: str = CHILD) -> dict[str, float]:
    """The JSON that ``child`` prints last, run in a fresh interpreter on the tree ``src``."""
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                         env=env, cwd=tempfile.gettempdir(), check=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def compare(
    argv: list[str] | None, doc: str, child: str, before: str, rounds: int, unit: str, digits: int
) -> int:
    """Parse ``--before REV --rounds N``, run ``child`` on the old tree and the current one,
    alternating, ``N`` times, and print each figure's median and its rounds."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--before", default=before, help=f"the earlier commit (default {before})")
    parser.add_argument("--rounds", type=int, default=rounds)
    args = parser.parse_args(argv)
    trees = {"before": export(args.before), "after": str(ROOT / "src")}
    seen: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for _ in range(args.rounds):
        for label, src in trees.items():
            seen[label].append(measure(src, child))
    for label, runs in seen.items():
        for case in runs[0]:
            values = [r[case] for r in runs]
            print(f"{label:6s} {case:16s} {statistics.median(values):7.{digits}f} {unit}  "
                  f"(rounds: {', '.join(f'{v:.{digits}f}' for v in values)})")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    return compare(argv, __doc__, CHILD, "a9f3cfc", 5, "ns/step", 1)


if __name__ == "__main__":
    raise SystemExit(main())
