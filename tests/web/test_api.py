"""The playground's JSON API against descend's engine: every number it returns is the one
``minimize``, the optimizer's own state or ``jax.hessian`` gives."""

from __future__ import annotations

import json
import logging
import socket
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _web_helpers import post_ok, run_python, send, serve

import descend as ds
from descend.cli import main
from descend.optim import registry
from descend.problems import surfaces
from descend.web._runs import bucket, thin

# eager float32 by hand vs the compiled replay: the same operations, fused differently
RTOL = 1e-5
ROSEN = {"surface": "rosenbrock", "start": [-1.5, 2.0], "tol": 1e-6}


def race(client, **body):
    return post_ok(client, "race", body)


def test_catalog_lists_every_2d_surface_and_registry_optimizer(api_client):
    cat = api_client.get("/api/catalog").json()
    two_d = [n for n in surfaces.names() if surfaces.get(n).dim == 2]
    assert [s["name"] for s in cat["surfaces"]] == two_d
    assert [o["name"] for o in cat["optimizers"]] == registry.names()
    for o in cat["optimizers"]:
        lr = next(h for h in o["hyperparameters"] if h["name"] == "lr")
        assert lr["scale"] == "log" and lr["default"] == registry.get(o["name"]).defaults()["lr"]
        assert o["formula"]
    rosen = next(s for s in cat["surfaces"] if s["name"] == "rosenbrock")
    assert rosen["global_minima"] == [[1.0, 1.0]] and rosen["min_value"] == 0.0
    assert (
        "sin" in cat["functions"]
        and {
            "name": "cosine",
            "parameters": [{"name": "steps", "default": 1000}, {"name": "final", "default": 0.0}],
        }
        in cat["schedules"]
    )
    assert cat["limits"] == {"expression_chars": 500, "steps": 100000, "optimizers": 10,
                             "body_bytes": 65536, "grid": 200}  # fmt: skip


@pytest.mark.parametrize("steps", [300, 1000])
def test_race_equals_minimize(api_client, steps):
    specs = [("gd", {"lr": 0.001}, ds.gd(lr=0.001)), ("adam", {"lr": 0.01}, ds.adam(lr=0.01))]
    out = race(api_client, **ROSEN, steps=steps,
               optimizers=[{"name": n, "hyper": h} for n, h, _ in specs])  # fmt: skip
    surface = surfaces.get("rosenbrock")
    for run, (_, _, opt) in zip(out["runs"], specs, strict=True):
        direct = ds.minimize(surface, jnp.asarray(ROSEN["start"]), opt, max_steps=steps, tol=1e-6)
        assert run["steps"] == int(direct.steps)
        assert run["stop_reason"] == direct.stop_reason
        np.testing.assert_allclose(run["final_loss"], float(direct.loss), rtol=1e-6)
        np.testing.assert_allclose(run["final_x"], np.asarray(direct.x), rtol=1e-6)
        h = direct.history.trimmed()
        mine = dict(zip(run["step"], run["path"], strict=True))
        common = [i for i, s in enumerate(h["step"]) if int(s) in mine]
        assert len(common) > 10 and run["step"][0] == 0 and run["step"][-1] == run["steps"]
        for i in common:
            np.testing.assert_allclose(mine[int(h["step"][i])], h["path"][i], rtol=1e-6)


def test_omitted_hyperparameters_are_the_races_defaults_on_the_surface(api_client, capsys):
    """A request that names only the rules runs each as ``descend race`` runs it on that
    surface, and the catalogue lists those values for the page: gd at the surface's measured
    rate (the registry's 0.01 diverges on Rosenbrock), momentum at 0.3 of it, the adaptive
    rules at the surface's adaptive rate (rmsprop with decay 0.9)."""
    s = surfaces.get("rosenbrock")
    expected = {
        "gd": ds.gd(s.lr),
        "momentum": ds.momentum(0.3 * s.lr, 0.9),
        "rmsprop": ds.rmsprop(s.adaptive_lr, 0.9),
        "adam": ds.adam(s.adaptive_lr),
    }
    out = race(api_client, **ROSEN, steps=3000, optimizers=[{"name": n} for n in expected])
    for run, opt in zip(out["runs"], expected.values(), strict=True):
        direct = ds.minimize(s, jnp.asarray(ROSEN["start"]), opt, max_steps=3000, tol=1e-6)
        assert run["short"] != "diverged" and run["steps"] == int(direct.steps)
        np.testing.assert_allclose(run["final_loss"], float(direct.loss), rtol=1e-6)
    cat = api_client.get("/api/catalog").json()
    listed = next(c for c in cat["surfaces"] if c["name"] == "rosenbrock")["defaults"]
    assert sorted(listed) == sorted(registry.names())
    assert main(["race", "-s", "rosenbrock", "--json", "--steps", "10", *(
        a for n in expected for a in ("-o", n))]) == 0  # fmt: skip
    said = json.loads(capsys.readouterr().out)["results"]
    for row in said:  # the command line ran each rule with the values the catalogue lists
        assert row["hyperparameters"] == pytest.approx(listed[row["optimizer"]], rel=1e-12)
    basins = post_ok(api_client, "basins", {"surface": "rosenbrock", "optimizer": {"name": "gd"},
                                           "resolution": 10, "steps": 50})  # fmt: skip
    assert "lr=0.0015" in basins["python"]
    # a typed function: from_expression's rates (0.01 for gd, 0.05 adaptive), listed apart
    typed = race(api_client, expression="(x-1)^2 + (y+2)^2", start=[2.0, 3.0], steps=20,
                 optimizers=[{"name": "gd"}, {"name": "adam"}])  # fmt: skip
    assert [run["lr"][0] for run in typed["runs"]] == pytest.approx([0.01, 0.05])
    assert cat["function_defaults"]["adam"]["lr"] == pytest.approx(0.05)


def test_converged_and_diverged_runs_report_the_engine_reason(api_client):
    out = race(api_client, surface="quadratic", start=[1.0, 1.0], steps=5000,
               optimizers=[{"name": "gd", "hyper": {"lr": 1.0}},
                           {"name": "gd", "hyper": {"lr": 2.5}}])  # fmt: skip
    ok, bad = out["runs"]
    direct = ds.minimize(surfaces.get("quadratic"), jnp.ones(2), ds.gd(lr=1.0), max_steps=5000)
    assert ok["short"] == "converged" and ok["steps"] == int(direct.steps) < 5000
    assert bad["short"] == "diverged" and bad["diverged_at"] == bad["steps"]
    assert any(w.startswith("gd: lr 2.5 is above 2/lambda_max = 2 ") for w in out["warnings"])
    assert not any("lr 1 " in w for w in out["warnings"])
    (said,) = out["warnings"]  # the warning names the divergence it predicted
    assert said.endswith(f"it diverged at step {bad['diverged_at']}, as the bound predicts")


def test_a_warning_says_when_the_run_got_through(api_client):
    """On Rosenbrock the bound at the start is local: gd at the surface's own rate 0.0015 is
    above 2/lambda_max = 0.00133 there, yet the run does not diverge, and the warning says so."""
    out = race(api_client, surface="rosenbrock", start=[-1.2, 1.0], steps=500,
               optimizers=[{"name": "gd", "hyper": {"lr": 0.0015}}])  # fmt: skip
    (said,) = out["warnings"]
    assert out["runs"][0]["short"] != "diverged"
    assert "this run did not diverge (max_steps after 500 steps)" in said


def test_typed_expression_converges_to_its_minimum(api_client):
    out = race(api_client, expression="(x - 1)^2 + 10*(y + 2)^2", start=[3.0, 2.0], steps=3000,
               optimizers=[{"name": "adam", "hyper": {"lr": 0.05}}])  # fmt: skip
    run = out["runs"][0]
    assert run["short"] == "converged"
    np.testing.assert_allclose(run["final_x"], [1.0, -2.0], atol=1e-3)
    assert run["final_loss"] < 1e-6


class _Compiles(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "Compiling" in record.getMessage()


def test_new_lr_start_and_steps_in_bucket_do_not_recompile(api_client):
    body = dict(surface="himmelblau", steps=300,
                optimizers=[{"name": "momentum", "hyper": {"lr": 0.001}},
                            {"name": "adam", "hyper": {"lr": 0.01}}])  # fmt: skip
    first = race(api_client, **body)
    handler, logger = _Compiles(), logging.getLogger("jax")
    logger.addHandler(handler)
    try:
        with jax.log_compiles():
            for lr in (0.002, 0.003):
                body["optimizers"][0]["hyper"]["lr"] = lr
                again = race(api_client, **body, start=[1.0, lr])
            again = race(api_client, **{**body, "steps": 310})
    finally:
        logger.removeHandler(handler)
    assert handler.count == 0
    assert again["runs"][0]["path"] != first["runs"][0]["path"]
    assert bucket(300) == bucket(310) == 384 and bucket(2000) == 2048 and bucket(1) == 1
    kept = thin(10_001)
    assert len(kept) <= 2000 and kept[0] == 0 and kept[-1] == 10_000


def _by_hand(opt, f, x0, k):
    x, state = x0, opt.init(x0)
    for _ in range(k):
        g = jax.grad(f)(x)
        updates, state = opt.update(g, state, x)
        x = ds.apply_updates(x, updates) if hasattr(ds, "apply_updates") else x + updates
    return x, state


def test_inside_is_the_optimizers_own_state(api_client):
    k, x0 = 7, jnp.asarray([-1.5, 2.0])
    body = dict(
        **ROSEN,
        steps=100,
        step=k,
        optimizers=[
            {"name": "momentum", "hyper": {"lr": 0.0005, "beta": 0.8}},
            {"name": "adam", "hyper": {"lr": 0.01, "b1": 0.8, "b2": 0.99}},
        ],
    )
    mom, adam = post_ok(api_client, "inside", body)["runs"]
    f = surfaces.get("rosenbrock").f
    x, state = _by_hand(ds.momentum(lr=0.0005, beta=0.8), f, x0, k)
    assert mom["step"] == k and mom["state"]["count"] == k
    np.testing.assert_allclose(mom["state"]["buffer"], state.buffer, rtol=RTOL)
    np.testing.assert_allclose(mom["x_after"], x, rtol=RTOL)
    x_before, _ = _by_hand(ds.momentum(lr=0.0005, beta=0.8), f, x0, k - 1)
    np.testing.assert_allclose(mom["x"], x_before, rtol=RTOL)
    np.testing.assert_allclose(mom["grad"], jax.grad(f)(x_before), rtol=1e-5)
    np.testing.assert_allclose(np.add(mom["x"], mom["update"]), mom["x_after"], rtol=RTOL)
    x, state = _by_hand(ds.adam(lr=0.01, b1=0.8, b2=0.99), f, x0, k)
    np.testing.assert_allclose(adam["state"]["m"], state.m, rtol=RTOL)
    np.testing.assert_allclose(adam["state"]["v"], state.v, rtol=RTOL)
    np.testing.assert_allclose(adam["derived"]["m_hat"], np.asarray(state.m) / (1 - 0.8**k),
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(adam["derived"]["v_hat"], np.asarray(state.v) / (1 - 0.99**k),
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(adam["x_after"], x, rtol=RTOL)
    assert "m_hat / (sqrt(v_hat) + eps)" in adam["formula"]
    # the path of the race passes through the same point at step k
    run = race(api_client, **{k_: v for k_, v in body.items() if k_ != "step"})["runs"][1]
    np.testing.assert_allclose(run["path"][run["step"].index(k)], adam["x_after"], rtol=RTOL)


def test_curvature_of_the_quadratic(api_client):
    r = api_client.post("/api/curvature", json={"surface": "quadratic", "point": [0.3, -2.0]})
    c = r.json()
    np.testing.assert_allclose(c["eigenvalues"], [0.01, 1.0], rtol=1e-6)
    np.testing.assert_allclose(c["hessian"], [[1.0, 0.0], [0.0, 0.01]], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(c["condition"], 100.0, rtol=1e-5)
    assert c["gd_lr_bound"] == pytest.approx(2.0)
    assert c["heavy_ball_lr_bound"]["at_beta_0.9"] == pytest.approx(3.8)


def test_grid_is_the_function_on_the_view(api_client):
    r = api_client.post("/api/grid", json={"expression": "x^2 + 10*y^2",
                                           "view": [-1, 1, -2, 2], "n": 11})  # fmt: skip
    g = r.json()
    assert len(g["x"]) == len(g["y"]) == 11 and len(g["z"]) == 11
    f = surfaces.from_expression("x^2 + 10*y^2").f
    assert g["z"][3][5] == pytest.approx(float(f(jnp.asarray([g["x"][5], g["y"][3]]))), rel=1e-6)
    assert g["zmin"] == pytest.approx(0.0, abs=1e-6) and g["zmax"] == pytest.approx(41.0)
    assert len(g["levels"]) == 20 and g["levels"] == sorted(g["levels"])
    r = api_client.post("/api/grid", json={"expression": "log(x)", "view": [-1, 1, -1, 1], "n": 10})
    assert r.status_code == 200 and r.json()["z"][0][0] is None


def test_python_script_reproduces_the_race(api_client):
    body = dict(
        **ROSEN,
        steps=400,
        optimizers=[
            {"name": "momentum", "hyper": {"lr": 0.0005}},
            {
                "name": "gd",
                "hyper": {"lr": 0.001},
                "schedule": {"name": "cosine", "params": {"steps": 300}},
            },
        ],
    )
    out = race(api_client, **body)
    code = api_client.post("/api/python", json=body).json()["code"]
    for run, res in zip(out["runs"], run_python(code)["results"], strict=True):
        np.testing.assert_allclose(run["final_loss"], float(res.loss), rtol=1e-6)
        assert run["stop_reason"] == res.stop_reason
    assert out["runs"][1]["lr"][-1] == pytest.approx(0.0, abs=1e-9)


def test_expression_endpoint(api_client):
    assert api_client.post("/api/expression", json={"text": "x**2+10 * y^2"}).json() == {
        "normalised": "x^2 + 10*y^2", "formula": "x^2 + 10*y^2"}  # fmt: skip
    err = api_client.post("/api/expression", json={"text": "x + z"}).json()["error"]
    assert err["field"] == "expression" and err["column"] == 5 and "allowed" in err["message"]


def test_openapi_lists_every_endpoint_and_the_page_answers(api_client):
    paths = api_client.get("/openapi.json").json()["paths"]
    for p in ("catalog", "expression", "grid", "race", "inside", "curvature", "python"):
        assert f"/api/{p}" in paths
    r = api_client.get("/")
    assert r.status_code == 200 or (r.status_code == 404 and "error" in r.json())


def test_play_bad_input_is_one_line_exit_2(capsys):
    assert main(["play", "--port", "0"]) == 2
    assert main(["play", "--host", "no-such-host.invalid"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["play", "--port", str(busy.getsockname()[1])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("descend play: error: ") for line in err)
    assert "in use" in err[2]


def test_play_without_fastapi(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    assert main(["play"]) == 2
    assert "pip install 'descend[web]'" in capsys.readouterr().err


def test_served_by_uvicorn():
    """Its own server, with the app's lifespan on, as ``descend play`` serves it."""
    import httpx

    from descend.web import create_app

    with serve(create_app()) as url, httpx.Client(base_url=url, timeout=10) as client:
        r = client.get("/api/catalog")
        assert r.status_code == 200 and r.json()["limits"]["steps"] == 100000
        big = send(client, "race", b" " * 70_000)
        assert big.status_code == 413 and big.json()["error"]["limit"] == 65536


def test_runner_budget_bounds_the_engines_programs(api_client):
    from descend.engine import _minimize
    from descend.web._runs import RUNNERS, RunnerBudget

    race(api_client, surface="booth", steps=10, optimizers=[{"name": "gd"}])
    assert len(RUNNERS.seen) >= 1
    budget = RunnerBudget(2)
    budget.note("a")
    budget.note("b")
    budget.note("a")
    assert budget.clears == 0 and _minimize._runner.cache_info().currsize > 0
    budget.note("c")
    assert budget.clears == 1 and budget.seen == {"c"}
    assert _minimize._runner.cache_info().currsize == 0
    # the server still answers, compiling again
    assert race(api_client, surface="booth", steps=10, optimizers=[{"name": "gd"}])["runs"]


def test_a_request_over_its_time_limit_is_a_503(api_client, monkeypatch):
    from descend.web import _app

    monkeypatch.setattr(_app, "TIME_LIMIT_S", 1e-4)
    r = api_client.post("/api/race", json={"surface": "beale", "steps": 5000,
                                           "optimizers": [{"name": "adagrad"}]})  # fmt: skip
    assert r.status_code == 503
    assert r.json()["error"]["limit"] == 1e-4 and "longer than" in r.json()["error"]["message"]
    assert "compiles its programs" in r.json()["error"]["message"]  # why, and to send it again


def test_work_past_its_time_limit_still_counts_against_the_workers(monkeypatch):
    """A computation cannot be interrupted: answered 503, it runs on. It must hold its
    worker until it ends, so that a client repeating slow requests cannot start more than
    WORKERS computations at once; a request still queued when its time is up never runs."""
    import threading
    import time

    from fastapi.testclient import TestClient

    from descend.web import _app, _build, create_app
    from descend.web._limits import WORKERS

    lock, running, peak, started = threading.Lock(), [0], [0], [0]

    def slow_catalog():
        with lock:
            running[0] += 1
            started[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.6)
        with lock:
            running[0] -= 1
        return {}

    monkeypatch.setattr(_build, "catalog", slow_catalog)
    monkeypatch.setattr(_app, "TIME_LIMIT_S", 0.2)
    with TestClient(create_app(freeze_gc=False)) as client:
        codes = []

        def ask():
            codes.append(client.get("/api/catalog").status_code)

        for _ in range(3):  # three waves of 3 x WORKERS requests, each past its limit
            threads = [threading.Thread(target=ask) for _ in range(3 * WORKERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        time.sleep(0.8)  # let the abandoned computations end
    assert codes == [503] * len(codes) and len(codes) == 9 * WORKERS
    assert peak[0] <= WORKERS, f"{peak[0]} computations ran at once; at most {WORKERS}"
    assert started[0] < len(codes)  # those still queued at their limit never started
