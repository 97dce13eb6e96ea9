"""Hostile and broken requests to the data view's endpoints: each gets a 4xx JSON error that
names the field (and the limit, where there is one), never a 500 or a hang."""

from __future__ import annotations

import json

import pytest
from _web_helpers import MOONS_RUN, check_fuzzed, check_request, json_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descend.web import _data_schemas as lim

GOOD = {**MOONS_RUN, "epochs": 3, "snapshots": 3}
ENDPOINTS = ("train", "flavours", "data-fan")
#: the fields each endpoint takes (a request with any other is refused, naming it): the
#: tables below start from one body and send each endpoint its own part of it
FIELDS = {
    "train": set(lim.TrainRequest.model_fields),
    "flavours": set(lim.FlavoursRequest.model_fields),
    "data-fan": set(lim.FanRequest.model_fields),
}


def own(endpoint, body):
    """``body`` without the top-level fields ``endpoint`` does not take (bytes: as is)."""
    if not isinstance(body, dict):
        return body
    return {k: v for k, v in body.items() if k in FIELDS[endpoint]}


def with_(**changes):
    return {**GOOD, **changes}


def data(**changes):
    return with_(data={**GOOD["data"], **changes})


def model(**changes):
    return with_(model={**GOOD["model"], **changes})


def opt(**changes):
    return with_(optimizer={**GOOD["optimizer"], **changes})


POLY = {"name": "polynomial", "samples": 40, "noise": 0.1}
RAW = b'{"data": {"name": "moons", "noise": %s}, "loss": "bce", "optimizer": {"name": "gd"}}'
# (body: dict -> JSON, bytes -> raw, status, field, limit or None not to check it)
COMMON = [
    (b"{" + b" " * 70_000 + b"}", 413, "body", 65536),
    (b'{"data": ', 422, "body", None),
    (b"\x00\xff", 422, "body", None),
    (b"[1, 2]", 422, "body", None),
    (RAW % b"NaN", 422, "data.noise", None),
    (RAW % b"Infinity", 422, "data.noise", None),
    (RAW % b"1e999", 422, "data.noise", None),
    ({"loss": "bce", "optimizer": {"name": "gd"}}, 422, "data", None),
    (with_(data="moons"), 422, "data", None),
    (data(name="mnist"), 404, "data.name", None),
    (data(name="__import__('os')"), 404, "data.name", None),
    (data(name=7), 422, "data.name", None),
    (data(samples=0), 422, "data.samples", lim.MIN_SAMPLES),
    (data(samples=10**7), 422, "data.samples", lim.MAX_SAMPLES),
    (data(samples="60"), 422, "data.samples", None),
    (data(samples=60.5), 422, "data.samples", None),
    (data(samples=True), 422, "data.samples", None),
    (data(noise=-0.1), 422, "data.noise", 0),
    (data(noise=99.0), 422, "data.noise", lim.MAX_NOISE),
    (data(seed=-1), 422, "data.seed", 0),
    (data(seed=2**40), 422, "data.seed", lim.MAX_SEED),
    (data(name="spiral", classes=99), 422, "data.classes", lim.MAX_CLASSES),
    (data(name="polynomial", degree=0), 422, "data.degree", 1),
    (model(name="resnet"), 404, "model.name", None),
    (model(hidden=[lim.MAX_UNITS + 1]), 422, "model.hidden[0]", lim.MAX_UNITS),
    (model(hidden=[0]), 422, "model.hidden[0]", 1),
    (model(hidden=[4] * (lim.MAX_LAYERS + 1)), 422, "model.hidden", lim.MAX_LAYERS),
    (model(hidden="8,8"), 422, "model.hidden", None),
    (model(hidden=[8.5]), 422, "model.hidden[0]", None),
    (model(activation="gelu"), 404, "model.activation", None),
    (model(name="linear"), 422, "model.name", None),
    (with_(data=POLY, loss="mse", model={"name": "logistic"}), 422, "model.name", None),
    (with_(loss="kl_divergence"), 404, "loss", None),
    (with_(loss="mse"), 422, "loss", None),
    (with_(loss="triplet"), 422, "loss", None),
    (with_(data=POLY, loss="hinge"), 422, "loss", None),
    (with_(data={**GOOD["data"], "name": "spiral"}, loss="bce"), 422, "loss", None),
    (with_(loss=None), 422, "loss", None),
    (with_(data=POLY, loss="huber", loss_params={"delta": -1.0}), 422, "loss_params", None),
    (with_(loss_params={"nope": 1.0}), 422, "loss_params", None),
    (with_(loss_params={"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0}), 422, "loss_params", 4),
    ({k: v for k, v in GOOD.items() if k != "optimizer"}, 422, "optimizer", None),
    (opt(name="sgd_of_doom"), 404, "optimizer.name", None),
    (opt(hyper={"lr": -1.0}), 422, "optimizer.hyper.lr", None),
    (opt(hyper={"lr": "0.1"}), 422, "optimizer.hyper.lr", None),
    (opt(hyper={"__class__": 1.0}), 404, "optimizer.hyper.__class__", None),
    (opt(schedule={"name": "warp"}), 404, "optimizer.schedule.name", None),
    (
        opt(schedule={"name": "cosine", "params": {"steps": 0}}),
        422,
        "optimizer.schedule.params.steps",
        None,
    ),
    (with_(batch_size=0), 422, "batch_size", 1),
    (with_(batch_size=46), 422, "batch_size", 45),  # 45 training samples
    (with_(epochs=0), 422, "epochs", 1),
    (with_(epochs=10**6), 422, "epochs", lim.MAX_EPOCHS),
    (with_(epochs=3.0), 422, "epochs", None),
    (with_(validation=0.9), 422, "validation", lim.MAX_VALIDATION),
    (with_(validation=-0.1), 422, "validation", 0),
    (with_(validation="0.2"), 422, "validation", None),
    (with_(seed=-5), 422, "seed", 0),
    (with_(standardize="yes"), 422, "standardize", None),
]
ONLY = {
    "train": [
        (with_(flavour="turbo"), 404, "flavour", None),
        (with_(snapshots=0), 422, "snapshots", 1),
        (with_(snapshots=lim.MAX_SNAPSHOTS + 1), 422, "snapshots", lim.MAX_SNAPSHOTS),
        (with_(grid=lim.GRID_MIN - 1), 422, "grid", lim.GRID_MIN),
        (with_(grid=lim.GRID_MAX + 1), 422, "grid", lim.GRID_MAX),
        # 1000 epochs of 750 stochastic steps: past the steps of one run
        (
            with_(data=data(samples=1000)["data"], flavour="stochastic", epochs=1000),
            422,
            "epochs",
            lim.MAX_TRAIN_STEPS,
        ),
    ],
    "flavours": [
        (with_(data=data(samples=1000)["data"], epochs=1000), 422, "epochs", lim.MAX_FLAVOUR_STEPS),
        # 200 epochs of 1 + 750 + 94 steps: within one run's budget, past the three's
        (with_(data=data(samples=1000)["data"], epochs=200), 422, "epochs", lim.MAX_FLAVOUR_STEPS),
    ],
    "data-fan": [
        (with_(flavour="turbo"), 404, "flavour", None),
        (with_(seeds=1), 422, "seeds", lim.MIN_SEEDS),
        (with_(seeds=lim.MAX_SEEDS + 1), 422, "seeds", lim.MAX_SEEDS),
        (with_(seeds=64, flavour="stochastic", epochs=500), 422, "seeds", lim.MAX_FAN_STEPS),
    ],
}
CASES = [(e, own(e, body), *rest) for e in ENDPOINTS for body, *rest in COMMON + ONLY[e]]


@pytest.mark.parametrize(("endpoint", "body", "status", "field", "limit"), CASES)
def test_hostile_request(api_client, api_app, endpoint, body, status, field, limit):
    check_request(api_client, api_app, endpoint, body, status, field, limit)


def test_the_table_is_long_enough():
    assert len(CASES) >= 150


JSON = json_values(text=12, leaves=10)  # (smaller values than the other views' fuzz)
KEYS = ["data", "model", "loss", "loss_params", "optimizer", "flavour", "batch_size", "epochs",
        "validation", "seed", "snapshots", "grid", "seeds", "standardize"]  # fmt: skip
SUB = {
    "data": ["name", "samples", "noise", "seed", "classes", "degree"],
    "model": ["name", "hidden", "activation"],
    "optimizer": ["name", "hyper", "options", "schedule"],
}


# The fuzz starts from a body that passes every check but the last, the work budget (1000
# epochs of 750 stochastic steps), so that a mutation that keeps it valid still does not train
BUSY = {**GOOD, "data": {**GOOD["data"], "samples": 1000}, "flavour": "stochastic",
        "epochs": 1000, "seeds": 64}  # fmt: skip


@st.composite
def mutated(draw):
    """The busy body with a few fields (or sub-fields) replaced by arbitrary JSON or left out."""
    body = json.loads(json.dumps(BUSY))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(KEYS))
        if key in SUB and draw(st.booleans()):
            part = body.get(key) if isinstance(body.get(key), dict) else {}
            part[draw(st.sampled_from(SUB[key]))] = draw(JSON)
            body[key] = part
        elif draw(st.booleans()) and key not in ("epochs", "data"):
            body.pop(key, None)
        else:
            body[key] = draw(JSON)
    return body


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=st.sampled_from(ENDPOINTS),
       body=mutated() | st.dictionaries(st.sampled_from(KEYS), JSON, max_size=5)
       | JSON)  # fmt: skip
def test_fuzz_never_500(api_client, api_app, endpoint, body):
    # (a body that happens to be valid trains; on a loaded machine its first compile may
    # pass the server's time limit, which is answered 503 in the same error shape)
    check_fuzzed(api_client, api_app, endpoint, own(endpoint, body), may_time_out=True)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_field_the_endpoint_does_not_take_is_named(api_client, api_app, endpoint):
    # a misspelt field ran with the default in its place; an optimizer's lr outside its hyper
    # trained at the default rate
    check_request(api_client, api_app, endpoint, {**own(endpoint, GOOD), "epoch": 5}, 422,
                  "epoch")  # fmt: skip
    lr_outside = {**own(endpoint, GOOD), "optimizer": {"name": "adam", "lr": 0.1}}
    check_request(api_client, api_app, endpoint, lr_outside, 422, "optimizer.lr")
    r = api_client.post(f"/api/{endpoint}", json={**own(endpoint, GOOD), "epoch": 5})
    assert "allowed: data, model, loss" in r.json()["error"]["message"]


def test_still_up_afterwards(api_client):
    assert api_client.get("/api/data-catalog").status_code == 200
