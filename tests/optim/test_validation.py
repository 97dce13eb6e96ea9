"""Bad hyperparameters fail at construction with a message naming what was wrong."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds

BAD = [
    (ds.gd, {"lr": -0.1}, r"lr must be a finite number >= 0; got -0.1"),
    (ds.gd, {"lr": math.nan}, r"lr must be a finite number >= 0; got nan"),
    (ds.adam, {"lr": math.inf}, r"lr must be a finite number >= 0; got inf"),
    (ds.adam, {"b1": 1.0}, r"b1 must be a number in \[0, 1\); got 1.0"),
    (ds.adam, {"b2": -0.1}, r"b2 must be a number in \[0, 1\)"),
    (ds.adam, {"eps": 0.0}, r"eps must be a finite number > 0; got 0.0"),
    (ds.adam, {"eps_root": -1e-8}, r"eps_root must be a finite number >= 0"),
    (ds.adam, {"amsgrad": "max"}, r"amsgrad must be one of None, 'raw', 'corrected'; got 'max'"),
    (ds.amsgrad, {"max_of": "both"}, r"max_of must be one of 'raw', 'corrected'"),
    (ds.adamw, {"weight_decay": -1.0}, r"weight_decay must be a finite number >= 0"),
    (ds.adamw, {"coupling": "paper"}, r"coupling must be one of 'lr', 'schedule'"),
    (ds.momentum, {"beta": 1.5}, r"beta must be a number in \[0, 1\); got 1.5"),
    (ds.momentum, {"form": "keras"}, r"form must be one of 'sum', 'ema', 'velocity'"),
    (ds.momentum, {"dampening": 1.2}, r"dampening must be a number in \[0, 1\]"),
    (ds.momentum, {"form": "ema", "dampening": 0.1}, r"dampening applies only to form='sum'"),
    (ds.momentum, {"nesterov": True, "dampening": 0.1}, r"nesterov requires dampening=0"),
    (ds.nesterov, {"lr": -1}, r"lr must be"),
    (ds.adagrad, {"eps": -1e-10}, r"eps must be a finite number > 0"),
    (ds.adagrad, {"initial_accumulator_value": -0.1}, r"initial_accumulator_value must be"),
    (ds.adagrad, {"eps_in_sqrt": "yes"}, r"eps_in_sqrt must be True or False"),
    (ds.rmsprop, {"decay": 1.0}, r"decay must be a number in \[0, 1\)"),
    (ds.rmsprop, {"momentum": -0.5}, r"momentum must be a number in \[0, 1\)"),
    (ds.nadam, {"momentum_decay": -1.0}, r"momentum_decay must be"),
    (ds.clip_by_global_norm, {"max_norm": 0.0}, r"max_norm must be a finite number > 0"),
    (ds.clip_by_value, {"max_abs": -1.0}, r"max_abs must be a finite number > 0"),
    (ds.weight_decay, {"rate": math.nan}, r"rate must be a finite number >= 0"),
    (ds.reduce_on_plateau, {"factor": 1.0}, r"factor must be a number in \(0.0, 1.0\)"),
    (ds.reduce_on_plateau, {"patience": -1}, r"patience must be an integer >= 0"),
    (ds.schedules.cosine, {"init": 0.1, "steps": 0}, r"steps must be an integer >= 1; got 0"),
    (ds.schedules.step, {"init": -0.1, "step_size": 3}, r"init must be a finite number >= 0"),
    (ds.schedules.one_cycle, {"peak": 0.1, "total_steps": 10, "pct_start": 1.0}, r"pct_start"),
]


def _case_id(value):
    """The rule's name, not its repr (whose address differs between pytest-xdist workers)."""
    return getattr(value, "__name__", str(value)[:40])


@pytest.mark.parametrize(("rule", "kwargs", "message"), BAD, ids=_case_id)
def test_bad_hyperparameters_raise_at_construction(rule, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        rule(**kwargs)


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="lr: expected a number, array or schedule; got 'fast'"):
        ds.adam(lr="fast")
    with pytest.raises(TypeError, match="lr: expected a number"):
        ds.gd(lr=None)


def test_a_call_that_does_not_fit_the_signature_shows_it():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'bogus'; it takes "
                       r"adam\(lr=0.001, b1=0.9, b2=0.999, eps=1e-08, \*, eps_root"):  # fmt: skip
        ds.adam(0.1, bogus=2)
    with pytest.raises(TypeError, match=r"missing a required argument: 'init'; it takes "
                       r"cosine\(init, steps, final=0.0\)$"):  # fmt: skip
        ds.schedules.cosine()
    # a transform handed to another: the way to combine them
    with pytest.raises(TypeError, match=r"chain them: chain\(maximize\(\), other\)"):
        ds.maximize(ds.gd(0.1))


def test_arrays_are_checked_element_by_element():
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0; got invalid entries"):
        ds.adam(lr=jnp.array([1e-3, -1.0, 1e-2]))
    ds.adam(lr=np.array([1e-3, 1e-2]))  # all valid: accepted


def test_validate_checks_a_grid_before_a_sweep():
    grid = ds.validate(ds.adam, lr=[1e-3, 1e-2], b1=[0.9, 0.99])
    assert grid["lr"].shape == (2,)
    with pytest.raises(ValueError, match=r"b1 must be a number in \[0, 1\); got invalid .*1.0"):
        ds.validate(ds.adam, lr=[1e-3, 1e-2], b1=[0.9, 1.0])


def test_traced_values_are_left_to_the_sweep_builder():
    """Inside vmap the value is a tracer: construction must not fail (nor read it)."""
    out = jax.vmap(lambda lr: ds.gd(lr).update(jnp.ones(2), ds.gd(lr).init(jnp.ones(2)))[0])(
        jnp.array([0.1, 0.2])
    )
    np.testing.assert_allclose(out, [[-0.1, -0.1], [-0.2, -0.2]], rtol=1e-6)


def test_from_library_rejects_unknown_names_and_arguments():
    with pytest.raises(ValueError, match=r"library must be one of keras, optax, torch"):
        ds.from_library("jaxopt", "adam")
    with pytest.raises(
        ValueError, match=r"torch optimizer must be one of .*rmsprop.*; got 'LBFGS'"
    ):
        ds.from_library("torch", "LBFGS")
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) beta1; allowed: amsgrad, betas"):
        ds.from_library("torch", "Adam", beta1=0.9)
    with pytest.raises(TypeError, match=r"needs learning_rate"):
        ds.from_library("optax", "adam")
    with pytest.raises(ValueError, match=r"b1 must be a number in \[0, 1\)"):
        ds.from_library("torch", "Adam", betas=(1.0, 0.999))


def test_reduce_on_plateau_asks_for_the_loss():
    opt = ds.reduce_on_plateau()
    with pytest.raises(ValueError, match=r"needs the loss: call update\(grads, state, params"):
        opt.update(jnp.ones(2), opt.init(jnp.ones(2)))
