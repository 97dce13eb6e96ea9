"""Record reference optimizer trajectories and learning-rate schedules from other libraries.

What it records (all float64, written to this directory):

* ``problems.json``: the three test problems (rosenbrock, a 10-D rotated ill-conditioned
  quadratic, a small logistic regression), with every array the libraries read.
* ``torch.json``, ``optax.json``, ``keras.json``: for each optimizer configuration, on each
  problem and for at least two hyperparameter settings, the parameter vector at the start and
  after each of 200 steps (201 rows). Gradients come from each library's own autodiff (torch
  autograd; ``jax.grad`` for optax and keras).
* ``schedules_torch.json``: the learning rate (and, for OneCycleLR, the momentum) that
  ``torch.optim.lr_scheduler`` schedulers set before each of 300 optimizer steps.

Conventions of the trajectory files:

* ``kwargs`` are exactly the keyword arguments handed to the optimizer constructor, with the
  library's own names (tuples written as lists).
* When a schedule drives the learning rate: for torch, ``kwargs["lr"]`` is the base lr handed to
  the optimizer and ``scheduler.step()`` is called after each ``optimizer.step()``; for optax and
  keras the schedule object is passed as ``learning_rate`` and ``kwargs["learning_rate"]`` is
  recorded as ``null``. ``schedule`` holds the schedule's class/function name and its kwargs.
* ``objective: "-f"`` (torch only): the loss handed to torch was ``-f`` and the optimizer ran
  with ``maximize=True``, so ``f`` still decreases along the trajectory.

Library quirks worth knowing when comparing against these files:

* optax 0.2.8 ``exponential_decay`` computes in float32 even with ``jax_enable_x64`` (its step
  count is int32 and ``count / transition_steps`` gives float32), so the learning rates of the
  ``sgd+exponential_decay`` cases carry float32 rounding (relative error up to ~2e-6 for the
  smooth case, ~3e-8 for the staircase case). ``cosine_decay_schedule`` is float64-accurate.
* torch ``OneCycleLR`` overwrites the optimizer's lr (to ``max_lr / div_factor``) and, with
  ``cycle_momentum=True`` on Adam, ``betas[0]`` (to ``max_momentum``) when it is constructed, so
  the ``lr`` in the optimizer kwargs of those cases has no effect.
* torch ``PolynomialLR`` reaches exactly 0 at ``total_iters`` and stays there.

Run from the repository root::

    .venv/bin/python tests/reference/record.py

Only this script needs torch (2.13.0, CPU wheel) and keras (3, JAX backend); the tests only read
the JSON files. The script is deterministic (seeded ``numpy.random.default_rng``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from functools import partial
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import jaxlib  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import torch  # noqa: E402

keras.config.set_floatx("float64")
torch.set_default_dtype(torch.float64)

HERE = Path(__file__).resolve().parent
RECORDED_BY = "tests/reference/record.py"
STEPS = 200
SCHEDULE_STEPS = 300
PROBLEM_NAMES = ("rosenbrock", "quadratic", "logistic")


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


def make_problems() -> dict:
    """Build the problem data with seeded numpy generators."""
    rng = np.random.default_rng(20240101)
    q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    lam = np.logspace(0, -2, 10)
    a = q @ np.diag(lam) @ q.T
    a = (a + a.T) / 2
    c = rng.normal(size=10)

    rng = np.random.default_rng(20240102)
    x = rng.normal(size=(40, 3))
    w_true = np.array([1.5, -2.0, 0.75])
    b_true = 0.3
    logits = x @ w_true + b_true + rng.normal(scale=1.0, size=40)
    y = (logits > 0).astype(np.float64)

    return {
        "rosenbrock": {"x0": [-1.2, 1.0]},
        "quadratic": {"A": a.tolist(), "c": c.tolist(), "x0": np.ones(10).tolist()},
        "logistic": {"X": x.tolist(), "y": y.tolist(), "x0": np.zeros(4).tolist()},
    }


def f_numpy(problem: str, data: dict, x: np.ndarray) -> float:
    """Objective in numpy, used only for the summary and the sanity checks."""
    x = np.asarray(x, dtype=np.float64)
    if problem == "rosenbrock":
        return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)
    if problem == "quadratic":
        d = x - np.asarray(data["c"])
        return float(0.5 * d @ np.asarray(data["A"]) @ d)
    z = np.asarray(data["X"]) @ x[:3] + x[3]
    return float(np.mean(np.logaddexp(0.0, z) - np.asarray(data["y"]) * z))


def objective(problem: str, data: dict, array, mean_log_loss):
    """Objective as a function of one flat float64 array of a library: ``array`` makes the
    library's float64 arrays, ``mean_log_loss(z, y)`` is its own mean logistic loss of the
    logits ``z`` for the labels ``y``; the rest is written once for every library."""
    if problem == "rosenbrock":
        return lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    if problem == "quadratic":
        a = array(data["A"])
        c = array(data["c"])

        def quad(x):
            d = x - c
            return 0.5 * (d @ (a @ d))

        return quad
    xm = array(data["X"])
    y = array(data["y"])

    def logistic(theta):
        z = xm @ theta[:3] + theta[3]
        return mean_log_loss(z, y)

    return logistic


def f_torch(problem: str, data: dict):
    """Objective as a torch function of one flat float64 tensor."""
    loss = torch.nn.functional.binary_cross_entropy_with_logits
    return objective(problem, data, partial(torch.tensor, dtype=torch.float64), loss)


def f_jax(problem: str, data: dict):
    """Objective as a jax function of one flat float64 array."""

    def loss(z, y):
        return jnp.mean(jax.nn.softplus(z) - y * z)

    return objective(problem, data, partial(jnp.asarray, dtype=jnp.float64), loss)


# --------------------------------------------------------------------------------------------
# Case specifications
# --------------------------------------------------------------------------------------------


def per(rosenbrock, quadratic, logistic) -> dict:
    """A hyperparameter value that depends on the problem."""
    return {"rosenbrock": rosenbrock, "quadratic": quadratic, "logistic": logistic}


def resolve(spec: dict | None, problem: str) -> dict | None:
    """Pick the problem's value for every per-problem entry of a kwargs spec."""
    if spec is None:
        return None
    out = {}
    for key, value in spec.items():
        if isinstance(value, dict) and set(value) == set(PROBLEM_NAMES):
            value = value[problem]
        out[key] = value
    return out


def expand(library_configs: list) -> list[dict]:
    """Turn (config, optimizer, objective, settings) tuples into one spec per case."""
    cases = []
    for config, optimizer, objective, settings in library_configs:
        for setting, kwargs, schedule in settings:
            for problem in PROBLEM_NAMES:
                sched = None
                if schedule is not None:
                    sched = {"name": schedule[0], "kwargs": resolve(schedule[1], problem)}
                cases.append(
                    {
                        "id": f"{config}/{setting}/{problem}",
                        "problem": problem,
                        "optimizer": optimizer,
                        "kwargs": resolve(kwargs, problem),
                        "schedule": sched,
                        "objective": objective,
                    }
                )
    return cases


def rmsprop_configs(name: str, names: tuple[str, str, str], plain: list) -> list:
    """The RMSprop cases of one library, in its argument names ``names`` for the learning
    rate, the squared-gradient decay and epsilon: plain at lr 0.01 and at the library's own
    settings ``plain``, then centered and with momentum at the same two settings in every
    library."""
    lr, decay, eps = names
    tuned = {decay: 0.95, eps: 1e-3}
    return [
        (name, name, "f", [("default", {lr: 0.01}, None), *plain]),
        (
            f"{name}-centered",
            name,
            "f",
            [
                ("default", {lr: 0.01, "centered": True}, None),
                (f"{decay}0.95-eps1e-3", {lr: 0.005, **tuned, "centered": True}, None),
            ],
        ),
        (
            f"{name}-momentum",
            name,
            "f",
            [
                ("m0.9", {lr: 1e-3, "momentum": 0.9}, None),
                (
                    "m0.9-centered-eps1e-3",
                    {lr: 5e-4, **tuned, "momentum": 0.9, "centered": True},
                    None,
                ),
            ],
        ),
    ]


# Each entry: (config name, optimizer class, objective, [(setting, kwargs, schedule or None)]).
TORCH_CONFIGS = [
    (
        "SGD",
        "SGD",
        "f",
        [
            ("lr-a", {"lr": per(1e-3, 0.2, 0.2)}, None),
            ("lr-b", {"lr": per(1.5e-3, 0.5, 0.5)}, None),
        ],
    ),
    (
        "SGD-momentum",
        "SGD",
        "f",
        [
            ("m0.9-d0.5", {"lr": per(3e-4, 0.05, 0.1), "momentum": 0.9, "dampening": 0.5}, None),
            ("m0.8-d0.1", {"lr": per(5e-4, 0.1, 0.2), "momentum": 0.8, "dampening": 0.1}, None),
        ],
    ),
    (
        "SGD-nesterov",
        "SGD",
        "f",
        [
            ("m0.9", {"lr": per(2e-4, 0.05, 0.1), "momentum": 0.9, "nesterov": True}, None),
            ("m0.8", {"lr": per(4e-4, 0.1, 0.2), "momentum": 0.8, "nesterov": True}, None),
        ],
    ),
    (
        "SGD-maximize",
        "SGD",
        "-f",
        [
            (
                "m0.9-wd0.01",
                {
                    "lr": per(2e-4, 0.05, 0.1),
                    "momentum": 0.9,
                    "weight_decay": 0.01,
                    "maximize": True,
                },
                None,
            ),
            (
                "m0.7-d0.3-wd0.05",
                {
                    "lr": per(5e-4, 0.1, 0.2),
                    "momentum": 0.7,
                    "dampening": 0.3,
                    "weight_decay": 0.05,
                    "maximize": True,
                },
                None,
            ),
        ],
    ),
    (
        "Adagrad",
        "Adagrad",
        "f",
        [
            ("default", {"lr": 0.05}, None),
            (
                "decay-init-eps",
                {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-3},
                None,
            ),
        ],
    ),
    *rmsprop_configs(
        "RMSprop",
        ("lr", "alpha", "eps"),
        [("alpha0.9-eps1e-3", {"lr": 0.005, "alpha": 0.9, "eps": 1e-3}, None)],
    ),
    (
        "Adam",
        "Adam",
        "f",
        [
            ("default", {"lr": 0.02}, None),
            ("betas-eps1e-3", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3}, None),
        ],
    ),
    (
        "Adam-weight_decay",
        "Adam",
        "f",
        [
            ("wd0.01", {"lr": 0.02, "weight_decay": 0.01}, None),
            (
                "wd0.1-eps1e-3",
                {"lr": 0.01, "betas": (0.85, 0.995), "eps": 1e-3, "weight_decay": 0.1},
                None,
            ),
        ],
    ),
    (
        "AdamW",
        "AdamW",
        "f",
        [
            ("wd0.1", {"lr": 0.02, "weight_decay": 0.1}, None),
            (
                "wd0.5-eps1e-3",
                {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.5},
                None,
            ),
        ],
    ),
    (
        "Adam-amsgrad",
        "Adam",
        "f",
        [
            ("default", {"lr": 0.02, "amsgrad": True}, None),
            (
                "betas-eps1e-3",
                {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3, "amsgrad": True},
                None,
            ),
        ],
    ),
    (
        "NAdam",
        "NAdam",
        "f",
        [
            ("default", {"lr": 0.02}, None),
            (
                "md0.01-eps1e-3",
                {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3, "momentum_decay": 0.01},
                None,
            ),
        ],
    ),
    (
        "SGD+StepLR",
        "SGD",
        "f",
        [
            (
                "m0.9",
                {"lr": per(4e-4, 0.1, 0.1), "momentum": 0.9},
                ("StepLR", {"step_size": 50, "gamma": 0.5}),
            ),
        ],
    ),
    (
        "Adam+CosineAnnealingLR",
        "Adam",
        "f",
        [
            (
                "default",
                {"lr": 0.02},
                ("CosineAnnealingLR", {"T_max": 200, "eta_min": 1e-4}),
            ),
        ],
    ),
    (
        "Adam+OneCycleLR",
        "Adam",
        "f",
        [
            (
                "max0.05",
                {"lr": 0.01},
                (
                    "OneCycleLR",
                    {"max_lr": 0.05, "total_steps": 200},  # the rest as a user leaves them
                ),
            ),
        ],
    ),
]


def sgd_configs(name: str) -> list:
    """The SGD cases that Optax and Keras share (both name the arguments ``learning_rate``,
    ``momentum`` and ``nesterov``): plain at two rates, then heavy-ball and Nesterov momentum."""

    def moment(nesterov: bool) -> list:
        extra = {"nesterov": True} if nesterov else {}
        return [
            ("m0.9", {"learning_rate": per(2e-4, 0.05, 0.1), "momentum": 0.9, **extra}, None),
            ("m0.8", {"learning_rate": per(4e-4, 0.1, 0.2), "momentum": 0.8, **extra}, None),
        ]

    plain = [
        ("lr-a", {"learning_rate": per(1e-3, 0.2, 0.2)}, None),
        ("lr-b", {"learning_rate": per(1.5e-3, 0.5, 0.5)}, None),
    ]
    return [
        (name, name, "f", plain),
        (f"{name}-momentum", name, "f", moment(nesterov=False)),
        (f"{name}-nesterov", name, "f", moment(nesterov=True)),
    ]


OPTAX_CONFIGS = [
    *sgd_configs("sgd"),
    (
        "adam",
        "adam",
        "f",
        [
            ("default", {"learning_rate": 0.02}, None),
            ("b-eps1e-3", {"learning_rate": 0.01, "b1": 0.8, "b2": 0.99, "eps": 1e-3}, None),
            ("eps_root1e-4", {"learning_rate": 0.02, "eps": 1e-6, "eps_root": 1e-4}, None),
        ],
    ),
    (
        "adamw",
        "adamw",
        "f",
        [
            ("wd0.1", {"learning_rate": 0.02, "weight_decay": 0.1}, None),
            (
                "wd0.5-eps1e-3",
                {"learning_rate": 0.01, "b1": 0.8, "b2": 0.99, "eps": 1e-3, "weight_decay": 0.5},
                None,
            ),
        ],
    ),
    *rmsprop_configs(
        "rmsprop",
        ("learning_rate", "decay", "eps"),
        [
            (
                "decay0.99-eps1e-3-init0.1",
                {"learning_rate": 0.005, "decay": 0.99, "eps": 1e-3, "initial_scale": 0.1},
                None,
            ),
            ("eps_in_sqrt-false", {"learning_rate": 0.01, "eps": 1e-3, "eps_in_sqrt": False}, None),
        ],
    ),
    (
        "adagrad",
        "adagrad",
        "f",
        [
            ("default", {"learning_rate": 0.05}, None),
            (
                "init1-eps1e-3",
                {"learning_rate": 0.1, "initial_accumulator_value": 1.0, "eps": 1e-3},
                None,
            ),
        ],
    ),
    (
        "nadam",
        "nadam",
        "f",
        [
            ("default", {"learning_rate": 0.02}, None),
            ("b-eps1e-3", {"learning_rate": 0.01, "b1": 0.8, "b2": 0.99, "eps": 1e-3}, None),
        ],
    ),
    (
        "amsgrad",
        "amsgrad",
        "f",
        [
            ("default", {"learning_rate": 0.02}, None),
            ("b-eps1e-3", {"learning_rate": 0.01, "b1": 0.8, "b2": 0.99, "eps": 1e-3}, None),
        ],
    ),
    (
        "adam+cosine_decay_schedule",
        "adam",
        "f",
        [
            (
                "init0.02-alpha0.1",
                {"learning_rate": None},
                ("cosine_decay_schedule", {"init_value": 0.02, "decay_steps": 200, "alpha": 0.1}),
            ),
        ],
    ),
    (
        "sgd+exponential_decay",
        "sgd",
        "f",
        [
            (
                "smooth",
                {"learning_rate": None, "momentum": 0.9},
                (
                    "exponential_decay",
                    {"init_value": per(4e-4, 0.1, 0.1), "transition_steps": 1, "decay_rate": 0.99},
                ),
            ),
            (
                "staircase",
                {"learning_rate": None, "momentum": 0.9},
                (
                    "exponential_decay",
                    {
                        "init_value": per(4e-4, 0.1, 0.1),
                        "transition_steps": 50,
                        "decay_rate": 0.5,
                        "staircase": True,
                    },
                ),
            ),
        ],
    ),
]

KERAS_CONFIGS = [
    *sgd_configs("SGD"),
    *rmsprop_configs(
        "RMSprop",
        ("learning_rate", "rho", "epsilon"),
        [("rho0.99-eps1e-3", {"learning_rate": 0.005, "rho": 0.99, "epsilon": 1e-3}, None)],
    ),
    (
        "Adam",
        "Adam",
        "f",
        [
            ("default", {"learning_rate": 0.02}, None),
            (
                "betas-eps1e-3",
                {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
                None,
            ),
        ],
    ),
    (
        "Adam-amsgrad",
        "Adam",
        "f",
        [
            ("default", {"learning_rate": 0.02, "amsgrad": True}, None),
            (
                "betas-eps1e-3",
                {
                    "learning_rate": 0.01,
                    "beta_1": 0.8,
                    "beta_2": 0.99,
                    "epsilon": 1e-3,
                    "amsgrad": True,
                },
                None,
            ),
        ],
    ),
    (
        "Adam+ExponentialDecay",
        "Adam",
        "f",
        [
            (
                "smooth",
                {"learning_rate": None},
                (
                    "ExponentialDecay",
                    {"initial_learning_rate": 0.02, "decay_steps": 20, "decay_rate": 0.7},
                ),
            ),
            (
                "staircase",
                {"learning_rate": None, "beta_1": 0.8, "epsilon": 1e-3},
                (
                    "ExponentialDecay",
                    {
                        "initial_learning_rate": 0.02,
                        "decay_steps": 50,
                        "decay_rate": 0.5,
                        "staircase": True,
                    },
                ),
            ),
        ],
    ),
]


# --------------------------------------------------------------------------------------------
# Runners
# --------------------------------------------------------------------------------------------


def torch_kwargs(kwargs: dict) -> dict:
    """JSON-style kwargs to torch-style kwargs (lists back to tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def run_torch(case: dict, data: dict) -> np.ndarray:
    f = f_torch(case["problem"], data)
    sign = -1.0 if case["objective"] == "-f" else 1.0
    x = torch.tensor(data["x0"], dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, case["optimizer"])([x], **torch_kwargs(case["kwargs"]))
    sched = None
    if case["schedule"] is not None:
        cls = getattr(torch.optim.lr_scheduler, case["schedule"]["name"])
        sched = cls(opt, **case["schedule"]["kwargs"])
    rows = [x.detach().numpy().copy()]
    for _ in range(STEPS):
        opt.zero_grad()
        loss = sign * f(x)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        rows.append(x.detach().numpy().copy())
    return np.stack(rows)


def run_optax(case: dict, data: dict) -> np.ndarray:
    grad = jax.grad(f_jax(case["problem"], data))
    kwargs = dict(case["kwargs"])
    if case["schedule"] is not None:
        sched = case["schedule"]
        kwargs["learning_rate"] = getattr(optax, sched["name"])(**sched["kwargs"])
    opt = getattr(optax, case["optimizer"])(**kwargs)
    params = jnp.asarray(data["x0"], dtype=jnp.float64)
    state = opt.init(params)
    rows = [np.asarray(params)]
    for _ in range(STEPS):
        g = grad(params)
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        rows.append(np.asarray(params))
    out = np.stack(rows)
    assert out.dtype == np.float64, out.dtype
    return out


def run_keras(case: dict, data: dict) -> np.ndarray:
    grad = jax.grad(f_jax(case["problem"], data))
    kwargs = dict(case["kwargs"])
    if case["schedule"] is not None:
        sched = case["schedule"]
        kwargs["learning_rate"] = getattr(keras.optimizers.schedules, sched["name"])(
            **sched["kwargs"]
        )
    opt = getattr(keras.optimizers, case["optimizer"])(**kwargs)
    var = keras.Variable(np.asarray(data["x0"], dtype=np.float64), dtype="float64")
    rows = [np.asarray(var.value)]
    for _ in range(STEPS):
        g = grad(var.value)
        opt.apply_gradients([(g, var)])
        rows.append(np.asarray(var.value))
    out = np.stack(rows)
    assert out.dtype == np.float64, out.dtype
    return out


def check_keras_plain_sgd(case: dict, traj: np.ndarray, data: dict) -> None:
    """The eager keras loop must give exactly x - lr * g for plain SGD."""
    grad = jax.grad(f_jax(case["problem"], data))
    lr = case["kwargs"]["learning_rate"]
    for t in range(5):
        x = jnp.asarray(traj[t])
        expected = np.asarray(x - lr * grad(x))
        if not np.array_equal(expected, traj[t + 1]):
            raise AssertionError(f"keras plain SGD loop mismatch at step {t} of {case['id']}")


# --------------------------------------------------------------------------------------------
# Schedules (torch.optim.lr_scheduler)
# --------------------------------------------------------------------------------------------


def synthetic_metrics(seed: int) -> list[float]:
    """A deterministic loss curve: fast decay, then a noisy plateau."""
    rng = np.random.default_rng(seed)
    t = np.arange(SCHEDULE_STEPS, dtype=np.float64)
    curve = 1.0 * np.exp(-t / 30.0) + 0.05 + 0.005 * rng.normal(size=SCHEDULE_STEPS)
    return curve.tolist()


ONECYCLE_BASE = {"max_lr": 0.1, "total_steps": SCHEDULE_STEPS}
PLATEAU_BASE = {
    "mode": "min",
    "factor": 0.5,
    "patience": 5,
    "threshold": 1e-2,
    "threshold_mode": "rel",
    "cooldown": 3,
    "min_lr": 1e-3,
}

SCHEDULE_CASES = [
    ("StepLR/s30-g0.5", "StepLR", {"step_size": 30, "gamma": 0.5}),
    ("MultiStepLR/m50-120-200-g0.3", "MultiStepLR", {"milestones": [50, 120, 200], "gamma": 0.3}),
    ("ExponentialLR/g0.99", "ExponentialLR", {"gamma": 0.99}),
    ("CosineAnnealingLR/T300-min1e-3", "CosineAnnealingLR", {"T_max": 300, "eta_min": 0.001}),
    ("CosineAnnealingLR/T300-min0", "CosineAnnealingLR", {"T_max": 300, "eta_min": 0.0}),
    (
        "CosineAnnealingWarmRestarts/T50-mult1-min1e-3",
        "CosineAnnealingWarmRestarts",
        {"T_0": 50, "T_mult": 1, "eta_min": 0.001},
    ),
    (
        "CosineAnnealingWarmRestarts/T20-mult2-min0",
        "CosineAnnealingWarmRestarts",
        {"T_0": 20, "T_mult": 2, "eta_min": 0.0},
    ),
    ("PolynomialLR/T250-p2", "PolynomialLR", {"total_iters": 250, "power": 2.0}),
    ("PolynomialLR/T250-p1", "PolynomialLR", {"total_iters": 250, "power": 1.0}),
    (
        "LinearLR/s0.01-e1-T30",
        "LinearLR",
        {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 30},
    ),
    (
        "SequentialLR/linear30-cosine270",
        "SequentialLR",
        {
            "schedulers": [
                {"name": "LinearLR", "kwargs": {"start_factor": 0.01, "total_iters": 30}},
                {"name": "CosineAnnealingLR", "kwargs": {"T_max": 270, "eta_min": 0.0}},
            ],
            "milestones": [30],
        },
    ),
    ("OneCycleLR/cos", "OneCycleLR", {**ONECYCLE_BASE, "anneal_strategy": "cos"}),
    ("OneCycleLR/linear", "OneCycleLR", {**ONECYCLE_BASE, "anneal_strategy": "linear"}),
    (
        "OneCycleLR/three_phase",
        "OneCycleLR",
        {**ONECYCLE_BASE, "anneal_strategy": "cos", "three_phase": True},
    ),
    ("ReduceLROnPlateau/rel", "ReduceLROnPlateau", dict(PLATEAU_BASE)),
    ("ReduceLROnPlateau/abs", "ReduceLROnPlateau", {**PLATEAU_BASE, "threshold_mode": "abs"}),
    ("ReduceLROnPlateau/max-rel", "ReduceLROnPlateau", {**PLATEAU_BASE, "mode": "max"}),
]


def run_schedule(case_id: str, name: str, kwargs: dict) -> dict:
    base_lr = 0.1
    opt_kwargs = {"lr": base_lr, "momentum": 0.9}
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], **opt_kwargs)
    lr_sched = torch.optim.lr_scheduler
    if name == "SequentialLR":
        subs = [getattr(lr_sched, s["name"])(opt, **s["kwargs"]) for s in kwargs["schedulers"]]
        sched = lr_sched.SequentialLR(opt, schedulers=subs, milestones=kwargs["milestones"])
    else:
        sched = getattr(lr_sched, name)(opt, **kwargs)
    metrics = None
    if name == "ReduceLROnPlateau":
        metrics = synthetic_metrics(7)
        if kwargs["mode"] == "max":
            metrics = [-m for m in metrics]
    lrs, moms = [], []
    for t in range(SCHEDULE_STEPS):
        lrs.append(float(opt.param_groups[0]["lr"]))
        moms.append(float(opt.param_groups[0]["momentum"]))
        p.grad = torch.zeros_like(p)
        opt.step()
        if metrics is not None:
            sched.step(metrics[t])
        else:
            sched.step()
    return {
        "id": case_id,
        "scheduler": name,
        "kwargs": kwargs,
        "base_lr": base_lr,
        "optimizer": "SGD",
        "optimizer_kwargs": opt_kwargs,
        "lr": lrs,
        "momentum": moms if name == "OneCycleLR" else None,
        "metrics": metrics,
    }


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def dumps(obj, indent: int = 0) -> str:
    """JSON with flat lists and short objects on one line; rows of a trajectory one a line."""
    compact = json.dumps(obj, separators=(", ", ": "), allow_nan=False)
    flat_list = isinstance(obj, list) and all(_is_scalar(v) for v in obj)
    if _is_scalar(obj) or flat_list or (len(compact) <= 90 and "[[" not in compact):
        return compact
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + dumps(v, indent + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def write_json(name: str, obj) -> None:
    path = HERE / name
    path.write_text(dumps(obj) + "\n")
    # Round-trip check: the file must reproduce the Python floats exactly.
    if json.loads(path.read_text()) != json.loads(json.dumps(obj)):
        raise AssertionError(f"{name} does not round-trip")


def base_versions() -> dict:
    return {"numpy": np.__version__, "python": platform.python_version()}


def record_library(library: str, configs: list, runner, problems: dict, versions: dict) -> dict:
    cases = []
    for spec in expand(configs):
        data = problems[spec["problem"]]
        traj = runner(spec, data)
        if library == "keras" and spec["id"].startswith("SGD/"):
            check_keras_plain_sgd(spec, traj, data)
        f_start = f_numpy(spec["problem"], data, traj[0])
        f_end = f_numpy(spec["problem"], data, traj[-1])
        moved = float(np.max(np.abs(traj[-1] - traj[0])))
        print(f"{library:6s} {spec['id']:55s} {f_start:14.6e} {f_end:14.6e}")
        if traj.shape[0] != STEPS + 1 or not np.all(np.isfinite(traj)):
            raise AssertionError(f"{library} {spec['id']}: bad trajectory")
        if not (f_end < f_start and math.isfinite(f_end)) or moved < 1e-3:
            raise AssertionError(f"{library} {spec['id']}: f did not decrease or x did not move")
        cases.append({**spec, "trajectory": traj.tolist()})
    return {
        "library": library,
        "versions": versions,
        "recorded_by": RECORDED_BY,
        "dtype": "float64",
        "steps": STEPS,
        "cases": cases,
    }


def main() -> None:
    start = time.perf_counter()
    # the problems are data, kept once made: the QR and products that build the quadratic
    # differ in the last bits between BLAS builds, which would move every trajectory on it
    stored = HERE / "problems.json"
    problems = json.loads(stored.read_text()) if stored.exists() else make_problems()
    write_json("problems.json", problems)

    jax_versions = {"jax": jax.__version__, "jaxlib": jaxlib.__version__}
    print(f"{'lib':6s} {'case':55s} {'f start':>14s} {'f end':>14s}")
    out = record_library(
        "torch", TORCH_CONFIGS, run_torch, problems, {"torch": torch.__version__, **base_versions()}
    )
    write_json("torch.json", out)
    out = record_library(
        "optax",
        OPTAX_CONFIGS,
        run_optax,
        problems,
        {"optax": optax.__version__, **jax_versions, **base_versions()},
    )
    write_json("optax.json", out)
    out = record_library(
        "keras",
        KERAS_CONFIGS,
        run_keras,
        problems,
        {
            "keras": keras.__version__,
            "keras_backend": keras.backend.backend(),
            **jax_versions,
            **base_versions(),
        },
    )
    write_json("keras.json", out)

    sched_cases = [run_schedule(*c) for c in SCHEDULE_CASES]
    for c in sched_cases:
        if not all(math.isfinite(v) and v >= 0 for v in c["lr"]):
            raise AssertionError(f"schedule {c['id']}: bad lr")
        print(f"sched  {c['id']:55s} {c['lr'][0]:14.6e} {c['lr'][-1]:14.6e}")
    write_json(
        "schedules_torch.json",
        {
            "versions": {"torch": torch.__version__, **base_versions()},
            "recorded_by": RECORDED_BY,
            "dtype": "float64",
            "steps": SCHEDULE_STEPS,
            "cases": sched_cases,
        },
    )
    for name in ("problems.json", "torch.json", "optax.json", "keras.json", "schedules_torch.json"):
        print(f"{name:22s} {(HERE / name).stat().st_size / 1e6:8.3f} MB")
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
