"""Schedules value by value: against PyTorch's lr_scheduler (recorded in
tests/reference/schedules_torch.json by tests/reference/record.py), against Optax's
schedules live, and against their closed forms."""

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import descend as ds
from descend import schedules as S

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "schedules_torch.json").read_text()
)
TORCH_CASES = [c for c in REFERENCE["cases"] if c["scheduler"] != "ReduceLROnPlateau"]
PLATEAU_CASES = [c for c in REFERENCE["cases"] if c["scheduler"] == "ReduceLROnPlateau"]

pytestmark = pytest.mark.usefixtures("x64")


def values(schedule, n):
    return np.asarray(jax.vmap(schedule)(jnp.arange(n)))


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: c["id"])
def test_matches_pytorch_lr_scheduler(case):
    base = case["optimizer_kwargs"]["lr"]
    n = REFERENCE["steps"]
    lr = ds.schedule_from_library("torch", case["scheduler"], base, **case["kwargs"])
    np.testing.assert_allclose(values(lr, n), case["lr"], rtol=1e-9, atol=1e-15)
    if case["momentum"] is not None:
        mom = ds.schedule_from_library(
            "torch", case["scheduler"], base, which="momentum", **case["kwargs"]
        )
        np.testing.assert_allclose(values(mom, n), case["momentum"], rtol=1e-9)


@pytest.mark.parametrize("case", PLATEAU_CASES, ids=lambda c: c["id"])
def test_reduce_on_plateau_matches_pytorch(case):
    kw = dict(case["kwargs"])
    base = case["optimizer_kwargs"]["lr"]
    opt = ds.reduce_on_plateau(
        kw["factor"], kw["patience"], kw["threshold"], threshold_mode=kw["threshold_mode"],
        cooldown=kw["cooldown"], min_scale=kw["min_lr"] / base, mode=kw["mode"],
    )  # fmt: skip
    g = jnp.ones(1)
    state, got = opt.init(g), []
    for loss in case["metrics"]:
        u, state = opt.update(g, state, loss=loss)
        got.append(float(u[0]) * base)
    np.testing.assert_allclose(got, case["lr"], rtol=1e-12)
    assert len(set(got)) >= 3  # the case really reduces, more than once


OPTAX_PAIRS = [
    (
        optax.exponential_decay(0.1, 7, 0.8),
        ("exponential_decay", {"init_value": 0.1, "transition_steps": 7, "decay_rate": 0.8}),
    ),
    (
        optax.exponential_decay(0.1, 7, 0.8, staircase=True),
        (
            "exponential_decay",
            {"init_value": 0.1, "transition_steps": 7, "decay_rate": 0.8, "staircase": True},
        ),
    ),
    (
        optax.cosine_decay_schedule(0.1, 150, alpha=0.1),
        ("cosine_decay_schedule", {"init_value": 0.1, "decay_steps": 150, "alpha": 0.1}),
    ),
    (
        optax.polynomial_schedule(0.1, 0.01, 2.0, 120),
        (
            "polynomial_schedule",
            {"init_value": 0.1, "end_value": 0.01, "power": 2.0, "transition_steps": 120},
        ),
    ),
    (
        optax.linear_schedule(0.0, 0.1, 50),
        ("linear_schedule", {"init_value": 0.0, "end_value": 0.1, "transition_steps": 50}),
    ),
    (
        optax.warmup_cosine_decay_schedule(0.0, 0.1, 20, 180, end_value=1e-3),
        (
            "warmup_cosine_decay_schedule",
            {
                "init_value": 0.0,
                "peak_value": 0.1,
                "warmup_steps": 20,
                "decay_steps": 180,
                "end_value": 1e-3,
            },
        ),
    ),
    (optax.constant_schedule(0.3), ("constant_schedule", {"value": 0.3})),
]


@pytest.mark.parametrize(("theirs", "ours"), OPTAX_PAIRS, ids=lambda p: str(p)[:30])
def test_matches_optax_schedules_live(theirs, ours):
    name, kwargs = ours
    mine = ds.schedule_from_library("optax", name, **kwargs)
    expected = np.array([float(theirs(t)) for t in range(250)])
    np.testing.assert_allclose(values(mine, 250), expected, rtol=1e-9, atol=1e-15)


def test_one_cycle_against_optax_where_they_agree():
    """Optax's cosine_onecycle_schedule anneals between pct_start*T and T (PyTorch and
    descend use pct_start*T - 1 and T - 1), so only the shape agrees, within a step."""
    theirs = optax.cosine_onecycle_schedule(200, 0.1, 0.3, 25.0, 1e4)
    ours = values(S.one_cycle(0.1, 200), 200)
    assert abs(int(np.argmax(ours)) - int(np.argmax([theirs(t) for t in range(200)]))) <= 1
    np.testing.assert_allclose(ours.max(), 0.1, rtol=1e-12)
    np.testing.assert_allclose(ours[0], 0.1 / 25, rtol=1e-12)


def test_closed_forms():
    t = np.arange(300.0)
    np.testing.assert_allclose(values(S.constant(0.5), 300), 0.5)
    np.testing.assert_allclose(values(S.inverse_time(0.1, 0.5), 300), 0.1 / (1 + 0.5 * t))
    np.testing.assert_allclose(
        values(S.inverse_time(0.1, 0.5, 10, staircase=True), 300),
        0.1 / (1 + 0.5 * np.floor(t / 10)),
    )
    # scikit-learn's invscaling: eta0 / t^power_t, with its t counting from 1
    np.testing.assert_allclose(values(S.power(0.1, 0.25), 300), 0.1 / (t + 1) ** 0.25)
    np.testing.assert_allclose(values(S.exponential(0.1, 0.9), 300), 0.1 * 0.9**t, rtol=1e-12)
    np.testing.assert_allclose(
        values(S.cosine(0.1, 200, 0.01), 300)[200:], 0.01, rtol=1e-12
    )  # held at the end, as Optax does
    warm = values(S.warmup(S.constant(0.1), 10), 30)
    np.testing.assert_allclose(warm[:11], np.minimum(t[:11] / 10, 1) * 0.1, rtol=1e-12)


def test_schedules_are_jittable_and_vmappable():
    sched = S.cosine_warm_restarts(0.1, 5, 2)
    jitted = jax.jit(sched)
    np.testing.assert_allclose([float(jitted(t)) for t in range(40)], values(sched, 40), rtol=1e-12)
    # restarts happen at 5, 15 and 35 (cycles of 5, 10, 20)
    v = values(sched, 40)
    assert [i for i in range(1, 40) if v[i] > v[i - 1]] == [5, 15, 35]


def test_warm_restarts_whose_cycles_pass_int32_and_polynomial_needs_its_steps():
    """Cycles of 4 * 2^i pass 2^31 (PyTorch's usual T_mult=2): building the table overflowed
    int32. A polynomial's steps defaulted to 1: it reached ``end`` after one step."""
    v = values(S.cosine_warm_restarts(0.1, 4, period_mult=2), 40)
    assert [i for i in range(1, 40) if v[i] > v[i - 1]] == [4, 12, 28]
    np.testing.assert_allclose(v[12:28], 0.05 * (1 + np.cos(np.pi * np.arange(16) / 16)))
    with pytest.raises(TypeError, match=r"polynomial\(\): missing a required argument"):
        S.polynomial(0.1)
    t = np.arange(300.0)
    np.testing.assert_allclose(
        values(S.polynomial(0.1, 0.01, 2.0, 120), 300),
        0.09 * (1 - np.minimum(t, 120) / 120) ** 2 + 0.01,
        rtol=1e-6,
    )


def test_schedule_drives_an_optimizer():
    """adam(lr=step schedule) takes exactly the Adam steps with lr 0.1 then 0.01."""
    g = jnp.array([1.0, -2.0])
    opt = ds.adam(S.step(0.1, 3, 0.1))
    ref_a, ref_b = ds.adam(0.1), ds.adam(0.01)
    s, sa, sb = opt.init(g), ref_a.init(g), ref_b.init(g)
    for t in range(6):
        u, s = opt.update(g, s)
        ua, sa = ref_a.update(g, sa)
        ub, sb = ref_b.update(g, sb)
        np.testing.assert_allclose(u, ua if t < 3 else ub, rtol=1e-12)


def test_from_library_schedule_errors():
    with pytest.raises(ValueError, match="torch schedule must be one of"):
        ds.schedule_from_library("torch", "CyclicLR", 0.1)
    with pytest.raises(TypeError, match="needs T_max"):
        ds.schedule_from_library("torch", "CosineAnnealingLR", 0.1)
    with pytest.raises(TypeError, match="needs base"):
        ds.schedule_from_library("torch", "StepLR", step_size=3)
    assert math.isclose(float(ds.schedule_from_library("keras", "ExponentialDecay",
        initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)(10)), 0.05)  # fmt: skip
