"""Hostile and broken requests to the maps endpoints: each gets the right 4xx and the
contract's error shape naming the field (and the limit where there is one), never a 500 and
never a hang; nothing is computed past the published limits."""

from __future__ import annotations

import pytest
from _web_helpers import check_fuzzed, check_request, json_values, send
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descend.web._map_limits import RES_MAX, SEEDS, STARTS, WORK

GD = {"name": "gd", "hyper": {"lr": 0.01}}
BASIN = {"surface": "booth", "optimizer": GD, "resolution": 4, "steps": 5}
STAB = {"surface": "quadratic", "rule": "momentum", "resolution": 4, "steps": 5}
FAIR = {"surface": "quadratic", "rules": ["gd"], "budget": 5, "starts": 1, "grid": 2}
FAN = {"surface": "booth", "optimizer": GD, "seeds": 2, "steps": 5}
BASE = {"basins": BASIN, "stability": STAB, "fair": FAIR, "fan": FAN}


def b(**changes):
    return {**BASIN, **changes}


def s(**changes):
    return {**STAB, **changes}


def f(**changes):
    return {**FAIR, **changes}


def n(**changes):
    return {**FAN, **changes}


def drop(body, key):
    return {k: v for k, v in body.items() if k != key}


# (endpoint, body: dict -> JSON, bytes -> raw, status, field or None to skip the check)
CASES = [
    # oversize and broken bodies
    ("basins", b"{" + b" " * 70_000 + b"}", 413, "body"),
    ("fan", b'{"surface": "' + b"a" * 66_000 + b'"}', 413, "body"),
    ("stability", b'{"surface": "quadratic",', 422, "body"),
    ("fair", b"not json", 422, "body"),
    ("fan", b"[1, 2]", 422, None),
    # huge grids, steps, seeds, starts, rules
    ("basins", b(resolution=RES_MAX + 1), 422, "resolution"),
    ("basins", b(resolution=10**9), 422, "resolution"),
    ("basins", b(resolution=1), 422, "resolution"),
    ("basins", b(steps=10**9), 422, "steps"),
    ("basins", b(steps=0), 422, "steps"),
    ("stability", s(resolution=100_000), 422, "resolution"),
    ("stability", s(steps=5_000), 422, "steps"),
    ("fan", n(seeds=SEEDS + 1), 422, "seeds"),
    ("fan", n(seeds=0), 422, "seeds"),
    ("fan", n(noise=1e6), 422, "noise"),
    ("fan", n(noise=-1.0), 422, "noise"),
    ("fan", n(decay=-0.5), 422, "decay"),
    ("fan", n(seed=-1), 422, "seed"),
    ("fan", n(seed=2**40), 422, "seed"),
    ("fair", f(starts=STARTS + 1), 422, "starts"),
    ("fair", f(grid=10**6), 422, "grid"),
    ("fair", f(grid=1), 422, "grid"),
    (
        "fair",
        f(rules=["gd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "nadam"]),
        422,
        "rules",
    ),
    ("fair", f(rules=[]), 422, "rules"),
    (
        "fair",
        f(rules=["gd", "adam", "momentum"], grid=64, starts=16, budget=2000, tune="all"),
        422,
        "budget",
    ),
    # NaN, inf and overflowing numbers
    ("basins", b'{"surface": "booth", "optimizer": {"name": "gd"}, "tol": NaN}', 422, "tol"),
    (
        "basins",
        b'{"surface": "booth", "optimizer": {"name": "gd", "hyper": {"lr": Infinity}}}',
        422,
        "optimizer.hyper.lr",
    ),
    (
        "basins",
        b'{"surface": "booth", "optimizer": {"name": "gd"}, "bounds": [0, 1e999, 0, 1]}',
        422,
        "bounds[1]",
    ),
    (
        "stability",
        b'{"surface": "quadratic", "rule": "gd", "x_range": [NaN, 1]}',
        422,
        "x_range[0]",
    ),
    (
        "fan",
        b'{"surface": "booth", "optimizer": {"name": "gd"}, "start": [-Infinity, 0]}',
        422,
        "start[0]",
    ),
    ("fan", b'{"surface": "booth", "optimizer": {"name": "gd"}, "noise": NaN}', 422, "noise"),
    # wrong types
    ("basins", b(resolution="128"), 422, "resolution"),
    ("basins", b(resolution=12.5), 422, "resolution"),
    ("basins", b(bounds=[0, 1, 0]), 422, "bounds"),
    ("basins", b(bounds="0,1,0,1"), 422, "bounds"),
    ("basins", b(optimizer="gd"), 422, "optimizer"),
    ("stability", s(rule=["gd"]), 422, "rule"),
    ("stability", s(x=1), 422, "x"),
    ("stability", s(fixed={"beta": [0.9]}), 422, None),
    ("fair", f(rules="gd"), 422, "rules"),
    ("fair", f(metric="speed"), 422, "metric"),
    ("fair", f(tune=True), 422, "tune"),
    ("fan", n(seeds=True), 422, "seeds"),
    ("fan", n(start=[1, 2, 3]), 422, "start"),
    # bad values the registries refuse
    ("basins", b(bounds=[1, 0, 0, 1]), 422, "bounds"),
    ("basins", b(bounds=[0, 1e300, 0, 1]), 422, "bounds"),
    ("basins", b(optimizer={"name": "adam", "hyper": {"b1": 1.5}}), 422, "optimizer.hyper.b1"),
    ("basins", b(optimizer={"name": "gd", "hyper": {"lr": -1.0}}), 422, "optimizer.hyper.lr"),
    (
        "fan",
        n(optimizer={"name": "adam", "options": {"amsgrad": "maybe"}}),
        422,
        "optimizer.options.amsgrad",
    ),
    ("stability", s(x="beta", y="beta"), 422, "y"),
    ("stability", s(x_range=[1.0, 0.1]), 422, "x_range"),
    ("stability", s(x_range=[0.0, 1.0]), 422, "x_range"),
    ("stability", s(y="beta", y_range=[0.5, 1.5]), 422, "y_range"),
    ("stability", s(rule="gd", y_range=[0.1, 0.5]), 422, "y_range"),
    ("stability", s(fixed={"lr": 0.1}), 422, "fixed.lr"),
    ("stability", s(fixed={"dampening": 2.0}), 422, "fixed.dampening"),
    ("stability", s(fixed={"form": "ema", "dampening": 0.5}), 422, "fixed"),
    ("fair", f(rules=["gd", "gd"]), 422, "rules[1]"),
    ("fair", f(surface=None, expression="x^3 + y^2", metric="loss"), 422, "metric"),
    # unknown names
    ("basins", b(surface="no_such_surface"), 404, "surface"),
    ("basins", b(optimizer={"name": "__import__('os')"}), 404, "optimizer.name"),
    (
        "basins",
        b(optimizer={"name": "adam", "hyper": {"__class__": 1.0}}),
        404,
        "optimizer.hyper.__class__",
    ),
    ("stability", s(rule="sgd_of_doom"), 404, "rule"),
    ("stability", s(x="gamma"), 404, "x"),
    ("stability", s(y="beta2"), 404, "y"),
    ("stability", s(fixed={"nope": 1.0}), 404, "fixed.nope"),
    ("stability", s(fixed={"dampening": True}), 422, "fixed.dampening"),
    ("fair", f(rules=["gd", "warp"]), 404, "rules[1]"),
    (
        "fan",
        n(optimizer={"name": "adam", "options": {"nesterov": True}}),
        404,
        "optimizer.options.nesterov",
    ),
    ("fan", n(surface="rosenbrock", expression="x^2"), 422, "surface"),
    ("fan", n(expression="__import__('os').system('true')", surface=None), 422, "expression"),
    # missing fields
    ("basins", drop(BASIN, "optimizer"), 422, "optimizer"),
    ("basins", drop(BASIN, "surface"), 422, "surface"),
    ("stability", drop(STAB, "rule"), 422, "rule"),
    ("fan", drop(FAN, "optimizer"), 422, "optimizer"),
    ("fair", drop(FAIR, "surface"), 422, "surface"),
    # a field the request does not take is named (it used to be ignored: a misspelt one ran
    # with the default in its place)
    ("basins", {**BASIN, "optimizer ": 1}, 422, "optimizer "),
    ("fan", {**FAN, "bookkeeping": {"a": [1]}}, 422, "bookkeeping"),
]


@pytest.mark.parametrize(("endpoint", "body", "status", "field"), CASES)
def test_hostile_map_request(api_client, api_app, endpoint, body, status, field):
    check_request(api_client, api_app, endpoint, body, status, field)


def test_the_table_covers_every_endpoint():
    assert len(CASES) >= 60
    assert {c[0] for c in CASES} == {"basins", "stability", "fair", "fan"}
    assert all(status < 500 for _, _, status, _ in CASES)


def test_limits_are_named(api_client):
    def error(endpoint, body):
        return send(api_client, endpoint, body).json()["error"]

    assert error("basins", b(resolution=999))["limit"] == RES_MAX
    assert error("fan", n(seeds=10**6))["limit"] == SEEDS
    assert error("fair", f(starts=99))["limit"] == STARTS
    too_much = error("fair", f(rules=["gd", "adam", "momentum"], grid=64, starts=16, budget=2000))
    assert too_much["limit"] == WORK and str(WORK) in too_much["message"]
    assert error("basins", b'{"x": "' + b"a" * 66_000 + b'"}')["limit"] == 65536
    unknown = error("stability", s(rule="warp"))
    assert "momentum" in unknown["message"]  # the valid names are listed


JSON = json_values()
keys = st.sampled_from(["surface", "expression", "optimizer", "resolution", "steps", "tol",
                        "bounds", "rule", "x", "y", "x_range", "y_range", "fixed", "rules",
                        "budget", "starts", "grid", "tune", "metric", "seed", "seeds", "noise",
                        "decay", "start"])  # fmt: skip
endpoints = st.sampled_from(["basins", "stability", "fair", "fan"])
CHEAP = {"resolution": 4, "steps": 4, "budget": 4, "seeds": 2, "starts": 1, "grid": 2}


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=endpoints, body=st.dictionaries(keys, JSON, max_size=6) | JSON,
       valid=st.booleans())  # fmt: skip
def test_fuzz_never_500(api_client, api_app, endpoint, body, valid):
    if isinstance(body, dict):
        if valid:  # start from a valid body so that the fuzz reaches the deeper checks
            body = {**BASE[endpoint], **body}
        for key, value in CHEAP.items():  # keep any run short; the limits are tested above
            if key in body and isinstance(body[key], int) and not isinstance(body[key], bool):
                body[key] = min(abs(body[key]), value)
    check_fuzzed(api_client, api_app, endpoint, body)


def test_still_up_afterwards(api_client):
    assert api_client.get("/api/maps/limits").status_code == 200
    assert api_client.post("/api/basins", json=BASIN).status_code == 200
