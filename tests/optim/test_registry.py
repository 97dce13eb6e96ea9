"""The optimizer registry: every entry builds with its defaults and takes a step, its
metadata agrees with the constructor (defaults, accepted ranges, options), and the faces read
it (the command line accepts exactly its names, the estimators too)."""

import inspect
import math

import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.optim import registry

PUBLIC_RULES = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "amsgrad",
                "nadam"]  # fmt: skip


def test_names_cover_every_public_update_rule():
    assert set(registry.names()) == set(PUBLIC_RULES)
    assert registry.names()[:2] == ["gd", "momentum"]  # simple to elaborate, not sorted
    for name in registry.names():
        assert registry.get(name).constructor is getattr(ds, name)


@pytest.mark.parametrize("name", PUBLIC_RULES)
def test_every_entry_builds_with_its_defaults_and_takes_a_step(name):
    entry = registry.get(name)
    params = {"w": jnp.asarray([1.0, -2.0])}
    opt = entry.build(**entry.defaults())
    state = opt.init(params)
    grads = {"w": jnp.asarray([0.5, -0.5])}
    updates, state = opt.update(grads, state, params)
    new = ds.apply_updates(params, updates)
    assert np.all(np.isfinite(new["w"])) and not np.allclose(new["w"], params["w"])
    # the first step of every rule goes against the gradient, coordinate by coordinate
    assert np.all(np.sign(np.asarray(updates["w"])) == -np.sign(np.asarray(grads["w"])))
    assert entry.description and all(h.help for h in entry.hyperparameters)


@pytest.mark.parametrize("name", PUBLIC_RULES)
def test_metadata_matches_the_constructor(name):
    entry = registry.get(name)
    signature = inspect.signature(entry.constructor).parameters
    numeric = [p.name for p in signature.values() if isinstance(p.default, float)]
    assert entry.hyperparameter_names() == numeric  # the constructor's order
    for h in entry.hyperparameters:
        assert h.default == signature[h.name].default and h.contains(h.default)
    for o in entry.options:
        assert signature[o.name].default == o.default and o.default in o.choices
    assert {o.name for o in entry.options} | set(numeric) == set(signature)


def _outside(h):
    """Values just outside the allowed range, and the bounds themselves when open."""
    values = [h.low] if not h.low_closed else [h.low - 1e-3]
    if math.isfinite(h.high):
        values.append(h.high if not h.high_closed else h.high + 1e-3)
    return values


def _inside(h):
    values = [*h.typical]
    if h.low_closed:
        values.append(h.low)
    if math.isfinite(h.high) and h.high_closed:
        values.append(h.high)
    return values


@pytest.mark.parametrize("name", PUBLIC_RULES)
def test_ranges_are_the_constructors_checks(name):
    entry = registry.get(name)
    for h in entry.hyperparameters:
        for value in _outside(h):
            assert not h.contains(value)
            with pytest.raises(ValueError, match=h.name):
                entry.build(**{h.name: value})
        for value in _inside(h):
            assert h.contains(value)
            entry.build(**{h.name: value})
        assert not h.contains(float("nan")) and not h.contains(float("inf"))


def test_learning_rates_and_epsilons_are_log_scale_betas_linear():
    for name in PUBLIC_RULES:
        entry = registry.get(name)
        assert entry.hyperparameter("lr").scale == "log"
        assert entry.hyperparameter("lr").interval == "[0, inf)"
        for h in entry.hyperparameters:
            if h.name in ("b1", "b2", "beta", "decay"):
                assert h.scale == "linear" and h.interval == "[0, 1)"
            if h.scale == "log":
                assert h.typical[0] > 0


def test_get_normalises_and_rejects():
    assert registry.get(" AdamW ") is registry.get("adam_w") is registry.get("adamw")
    with pytest.raises(ValueError, match=r"unknown optimizer 'lbfgs'; valid names: gd, momentum"):
        registry.get("lbfgs")
    with pytest.raises(TypeError, match=r"must be a registry name \('adam'\) or its constructor"):
        registry.get(3)
    # a constructor names its entry; anything else callable, or what a constructor built, not
    assert registry.get(ds.adam) is registry.get("adam") and registry.get(ds.gd).name == "gd"
    with pytest.raises(ValueError, match=r"'scale' is not one of the registry's update rules"):
        registry.get(ds.scale)
    with pytest.raises(TypeError, match=r"pass the constructor \(descend.adam\), not an optimizer"):
        registry.get(ds.adam(0.1))
    with pytest.raises(ValueError, match="has no hyperparameter 'alpha'; valid: lr, b1"):
        registry.get("adam").hyperparameter("alpha")
    with pytest.raises(TypeError, match=r"unknown hyperparameter\(s\) alpha; valid: lr, b1"):
        registry.get("adam").build(alpha=0.1)


def test_bad_metadata_is_refused():
    with pytest.raises(ValueError, match="scale must be one of"):
        registry.Hyperparameter("x", 1.0, 0, 2, True, True, "cubic", (0.5, 1.5), "x")
    with pytest.raises(ValueError, match="not inside"):
        registry.Hyperparameter("x", 1.0, 0, 1, True, False, "linear", (0.5, 1.5), "x")


def test_reached_from_descend_optim_without_shadowing_the_top_level():
    assert ds.optim.registry.get("adam").name == "adam"
    assert not hasattr(ds, "get") and not hasattr(ds, "names")


def test_the_faces_read_the_registry():
    from descend.cli import _common

    cli_rules = set(_common.OPTIMIZERS) - set(_common.STRATEGIES)
    assert cli_rules == set(registry.names())
    sklearn_base = pytest.importorskip("descend.sklearn._base")
    assert list(sklearn_base.OPTIMIZERS) == registry.names()
    for name, rule in sklearn_base.OPTIMIZERS.items():
        assert rule is registry.get(name).constructor


def test_an_entry_prints_what_a_call_needs():
    assert repr(registry.get("gd")) == "OptimizerEntry(gd: lr=0.01 in [0, inf), log)"
    text = repr(registry.get("adam"))
    assert text.startswith("OptimizerEntry(adam: lr=0.001 in [0, inf), log; b1=0.9 in [0, 1),")
    assert text.endswith("; options eps_hat=False, amsgrad=None)") and "<function" not in text
