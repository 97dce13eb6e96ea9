"""`benchmarks.history_before_after`: issue 9's cases, before and after the engine's rework.

``before`` is ``engine/minimize.py`` at commit 3bcab3e, read from git and loaded beside the
current module; both use today's optimizers. Wall-clock medians after a compiling call, the
two interleaved in one run. Run: ``.venv/bin/python -m benchmarks.history_before_after``
(needs the git history).
"""

from __future__ import annotations

import importlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import descend as ds

BEFORE = "3bcab3e"
X0 = jnp.array([-1.2, 1.0])


def load_before() -> Any:
    """``engine/minimize.py`` as it was at ``BEFORE``, with the rest of that commit's package
    beside it (renamed ``descend_before``, so both versions live in one process)."""
    folder = Path(tempfile.mkdtemp())
    archive = subprocess.run(["git", "archive", BEFORE, "src/descend"], capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    package = folder / "descend_before"
    (folder / "src" / "descend").rename(package)
    for source in package.rglob("*.py"):
        text = source.read_text()
        text = re.sub(r"\b(from|import) descend\b", r"\1 descend_before", text)
        source.write_text(text.replace("descend.", "descend_before."))
    sys.path.insert(0, str(folder))
    return importlib.import_module("descend_before.engine.minimize")


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sweep(module: Any, f: Callable, steps: int, **options: Any) -> Callable[[jax.Array], Any]:
    def one(lr: jax.Array) -> Any:
        return module.minimize(f, X0, ds.adam(lr), max_steps=steps, tol=0.0, **options)

    return jax.jit(jax.vmap(one))


def main() -> int:
    before, after = load_before(), sys.modules["descend.engine._minimize"]
    f = ds.surfaces.get("rosenbrock").f
    print("| case | before | after | after / before |\n|---|---:|---:|---:|")

    def row(name: str, units: Callable[[float], str], make: Callable, repeats: int) -> None:
        b = median_seconds(make(before), repeats)
        a = median_seconds(make(after), repeats)
        print(f"| {name} | {units(b)} | {units(a)} | {b / a:.2f}x faster |")

    cases = [(1024, 500, {}, "default options"), (1024, 2000, {}, "default options"),
             (4096, 2000, {}, "default history"),
             (4096, 2000, {"record_every": 2000, "record_path": False}, "no history")]  # fmt: skip
    for n, steps, options, label in cases:
        lrs = jnp.logspace(-4, -1, n)

        def make(m, steps=steps, options=options, lrs=lrs):
            run = sweep(m, f, steps, **options)
            return lambda: run(lrs)

        row(f"vmap {n} x {steps} steps, {label}",
            lambda s, n=n, steps=steps: f"{n * steps / s:.3g} run-steps/s", make, 3)  # fmt: skip

    steps = 10_000
    lean = {"record_every": steps, "record_path": False}
    for label, options in (("default history", {}), ("no history", lean)):

        def make_one(m, options=options):
            opt = ds.adam(1e-3)
            return lambda: m.minimize(f, X0, opt, max_steps=steps, tol=0.0, **options)

        row(f"one run, {steps} steps, {label}",
            lambda s: f"{s / steps * 1e9:.1f} ns/step", make_one, 9)  # fmt: skip

    rastrigin = ds.surfaces.get("rastrigin")
    starts = jnp.asarray(np.random.default_rng(0).uniform(-5.12, 5.12, (256, 2)), jnp.float32)

    def make_restarts(m):
        run = jax.jit(jax.vmap(lambda x: m.minimize(rastrigin.f, x, ds.adam(0.05),
                                                    max_steps=10_000)))  # fmt: skip
        return lambda: run(starts)

    row("256 restarts on rastrigin, max_steps=10,000, default history",
        lambda s: f"{s * 1e3:.1f} ms", make_restarts, 3)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
