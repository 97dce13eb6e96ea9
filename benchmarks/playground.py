"""Benchmark of the playground server (``descend play``); not a test.

(a) slider: server time from a new learning rate (program already compiled) to the race
    response, 5 optimizers x 2,000 steps on Rosenbrock, p50/p95 over 50 requests
    (goal: p95 <= 50 ms on 2 cores);
(b) a new typed function's first race result (goal <= 2 s);
(c) load: a bounded asyncio client (httpx.AsyncClient) against a real uvicorn on 127.0.0.1,
    50 concurrent clients sending slider requests for 30 s (``--quick``: 10 s): p50, p99,
    requests and errors;
(d) memory: RSS before and after many distinct typed expressions (each parsed, raced for
    20 steps and gridded): flat once the bounded caches are full.

    python benchmarks/playground.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import threading
import time
import warnings
from typing import Any

warnings.simplefilter("ignore")

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from descend.web import create_app  # noqa: E402

FIVE = ["gd", "momentum", "rmsprop", "adam", "nadam"]


def slider_body(lr_scale: float) -> dict[str, Any]:
    return {
        "surface": "rosenbrock",
        "start": [-1.5, 2.0],
        "steps": 2000,
        "tol": 1e-9,
        "optimizers": [
            {"name": n, "hyper": {"lr": (0.0005 if n in ("gd", "momentum") else 0.005) * lr_scale}}
            for n in FIVE
        ],
    }


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def slider(client: TestClient, n: int = 50) -> dict[str, float]:
    client.post("/api/race", json=slider_body(1.0)).raise_for_status()  # compile
    times = []
    for i in range(n):
        body = slider_body(0.5 + i / n)
        start = time.perf_counter()
        r = client.post("/api/race", json=body)
        times.append(time.perf_counter() - start)
        r.raise_for_status()
    return {"p50_ms": 1e3 * pct(times, 50), "p95_ms": 1e3 * pct(times, 95), "requests": n}


def new_function(client: TestClient, n: int = 3) -> dict[str, float]:
    times = []
    for i in range(n):
        body = {
            "expression": f"(x - {i + 1})^2 + {5 + i}*(y + 1)^2 + 0.1*sin(3*x)",
            "steps": 2000,
            "optimizers": [{"name": "adam", "hyper": {"lr": 0.05}}],
        }
        start = time.perf_counter()
        client.post("/api/race", json=body).raise_for_status()
        times.append(time.perf_counter() - start)
    return {"p50_s": statistics.median(times), "max_s": max(times), "functions": n}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(url: str, clients: int, seconds: float) -> dict[str, float]:
    times: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)

    async def one(client: httpx.AsyncClient, seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                r = await client.post(url, json=slider_body(rng.uniform(0.5, 1.5)))
                if r.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            times.append(time.perf_counter() - start)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(one(client, k) for k in range(clients)))
    return {
        "p50_ms": 1e3 * pct(times, 50),
        "p99_ms": 1e3 * pct(times, 99),
        "requests": len(times),
        "errors": errors,
        "clients": clients,
        "seconds": seconds,
    }


def load(seconds: float, clients: int = 50) -> dict[str, float]:
    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/api/race"
    try:
        httpx.post(url, json=slider_body(1.0), timeout=60).raise_for_status()  # compile
        return asyncio.run(_load(url, clients, seconds))
    finally:
        server.should_exit = True
        thread.join(10)


def memory(client: TestClient, n: int) -> dict[str, float]:
    def one(i: int) -> None:
        text = f"{1 + i % 97}*x^2 + {(i * 7) % 13 + 1}*y^2 + {i}*0.001*x*y"
        race = {"expression": text, "steps": 20, "optimizers": [{"name": "gd"}]}
        client.post("/api/race", json=race).raise_for_status()
        client.post("/api/grid", json={"expression": text, "view": [-2, 2, -2, 2],
                                       "n": 10}).raise_for_status()  # fmt: skip

    before = rss_mib()
    marks = []
    for i in range(n):
        one(i)
        if (i + 1) % max(1, n // 5) == 0:
            marks.append(round(rss_mib(), 1))
    return {"rss_before_mib": before, "rss_after_mib": rss_mib(), "rss_marks_mib": marks,
            "functions": n}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s of load, 300 functions")
    parser.add_argument("--json", metavar="FILE", help="also save the figures as JSON")
    args = parser.parse_args()
    with TestClient(create_app()) as client:  # starts the app as uvicorn does
        figures = {
            "slider": slider(client),
            "new_function": new_function(client),
            "load": load(10.0 if args.quick else 30.0),
            "memory": memory(client, 300 if args.quick else 1000),
        }
    s, f, ld, m = (figures[k] for k in ("slider", "new_function", "load", "memory"))
    a_ = f"p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms"
    b_ = f"p50 {f['p50_s']:.2f} s, max {f['max_s']:.2f} s"
    c_ = f"p50 {ld['p50_ms']:.0f} ms, p99 {ld['p99_ms']:.0f} ms"
    d_ = f"{m['rss_before_mib']:.0f} -> {m['rss_after_mib']:.0f} MiB"
    rows = [
        ("(a) slider, 5 optimizers x 2000 steps", a_),
        ("(b) new typed function, first race", b_),
        (f"(c) load, {ld['clients']} clients x {ld['seconds']:g} s", c_),
        ("    requests / errors", f"{ld['requests']} / {ld['errors']}"),
        (f"(d) RSS over {m['functions']} distinct expressions", d_),
        ("    RSS at each fifth (MiB)", str(m["rss_marks_mib"])),
    ]
    print("descend play server benchmark" + (" (--quick)" if args.quick else ""))
    for name, figure in rows:
        print(f"{name:<44}{figure:>36}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)


if __name__ == "__main__":
    main()
