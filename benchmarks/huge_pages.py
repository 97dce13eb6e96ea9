"""`benchmarks.huge_pages`: where a big vmapped sweep's history time goes, and huge pages.

A vmapped sweep of 4,096 configurations x 2,000 steps with the default history returns a
``(4096, 2001, 5)`` float32 buffer of rows: 164 MB, allocated fresh on every call. On Linux
glibc hands XLA:CPU such a block as new 4 KiB pages, and the first touch of each one is a
page fault. ``GLIBC_TUNABLES=glibc.malloc.hugetlb=1`` (glibc 2.35 and later) makes malloc
ask for transparent huge pages instead (the kernel's ``transparent_hugepage/enabled`` set
to ``madvise`` or ``always``): 512 times fewer faults.

A third variant keeps the memory instead: ``glibc.malloc.mmap_max=0`` (no mmap for large
blocks) with a trim threshold of 4 GiB, so a freed history stays in the heap and the next
call's is carved from pages already touched (a process that sweeps again and again keeps
its peak memory).

The tunables are read when a process starts, so each measurement runs in a child process,
the variants alternating (``--pairs`` rounds of them); medians are printed. Each child
times the allocation alone (a jitted ``full`` of the history's shape) and the sweep with
and without history (``benchmarks.history.sweep``); "history / none" is the throughput with
history over the throughput without (issue 9 asks for at least 0.5).

    python -m benchmarks.huge_pages [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

TUNABLE = "glibc.malloc.hugetlb=1"
#: malloc without mmap for large blocks, and never trimming the heap: a freed history stays
#: in the process and the next call's is carved from it, its pages already touched
KEEP = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295"
#: The variants measured: a label and the tunables of each.
VARIANTS = {"default": "", TUNABLE: TUNABLE, "mmap_max=0, no trim": KEEP}
STEPS = 2000


def child() -> None:
    import jax
    import jax.numpy as jnp

    from benchmarks._timing import timed
    from benchmarks.history import CONFIGS, sweep

    fill = jax.jit(lambda: jnp.full((CONFIGS, STEPS + 1, 5), jnp.nan, jnp.float32))
    out = {
        "alloc": timed(fill, 15)[1],
        "history": timed(sweep(CONFIGS, STEPS, True), 9)[1],
        "none": timed(sweep(CONFIGS, STEPS, False), 9)[1],
    }
    print(json.dumps(out))


def measure(tunable: str) -> dict[str, float]:
    env = dict(os.environ)
    mine = ("hugetlb", "mmap_max", "trim_threshold")
    kept = [
        t for t in env.get("GLIBC_TUNABLES", "").split(":") if t and not any(m in t for m in mine)
    ]
    env["GLIBC_TUNABLES"] = ":".join(kept + ([tunable] if tunable else []))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.huge_pages", "--child"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="rounds of alternating children")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child()
        return 0
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in VARIANTS}
    for _ in range(args.pairs):
        for label, tunable in VARIANTS.items():
            runs[label].append(measure(tunable))
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as fh:
            print(f"transparent_hugepage/enabled: {fh.read().strip()}")
    except OSError:
        print("transparent_hugepage/enabled: not reported")
    print(f"\n### {STEPS:,} steps x 4,096 configurations, jit(vmap), medians of {args.pairs}\n")
    print("| malloc | allocate the history | sweep, history | sweep, none | history / none |")
    print("|---|---:|---:|---:|---:|")
    for label, got in runs.items():
        med = {k: statistics.median(r[k] for r in got) for k in got[0]}
        ratios = statistics.median(r["none"] / r["history"] for r in got)
        print(f"| {label} | {med['alloc'] * 1e3:.1f} ms | {med['history'] * 1e3:.1f} ms | "
              f"{med['none'] * 1e3:.1f} ms | {ratios:.2f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
