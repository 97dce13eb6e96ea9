"""The learning-rate range test: its smoothing, stop rule and suggestions, on closed-form
curves and on problems whose stable learning rates are known."""

import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.insight import lr_find
from descend.insight._lr_find import (
    falling_range,
    smooth,
    steep,
    stop_index,
    suggest,
    valley,
)
from descend.problems.data._prepare import standardize


def test_smoothing_is_the_bias_corrected_ema():
    losses = np.array([4.0, 2.0, 3.0, 1.0])
    beta, avg, want = 0.9, 0.0, []
    for i, v in enumerate(losses):
        avg = beta * avg + (1 - beta) * v
        want.append(avg / (1 - beta ** (i + 1)))
    np.testing.assert_allclose(smooth(losses, beta), want, rtol=1e-12)
    assert smooth(losses, beta)[0] == 4.0  # bias correction: the first value is unbiased


def test_stop_rule():
    assert stop_index(np.array([5.0, 4.0, 2.0, 7.9, 8.1, 1.0]), 4.0) == 4  # 8.1 > 4 * 2
    assert stop_index(np.array([5.0, 4.0, np.inf]), 4.0) == 2
    assert stop_index(np.array([3.0, 2.0, 1.0]), 4.0) == 3


def test_rules_on_hand_made_curves():
    lrs = np.geomspace(1e-5, 1.0, 11)
    losses = np.array([5, 5.1, 4.9, 4.0, 2.5, 1.5, 1.2, 1.1, 1.05, 3.0, 9.0])
    # longest decreasing subsequence: 5.1, 4.9, 4.0, 2.5, 1.5, 1.2, 1.1, 1.05 (indices 1..8)
    third = (8 - 0) / 3  # the run is counted from the index before its first element
    assert valley(losses) == int(third) + int(third / 2)
    assert steep(lrs, losses) == 4  # the biggest drop per log step: 4.0 -> 2.5
    s = suggest(lrs, losses)
    assert s["minimum"] == pytest.approx(lrs[8] / 10)
    assert s["steep"] == pytest.approx(lrs[4])


def test_quadratic_stops_past_the_stability_bound_and_suggests_below_it():
    """Gradient descent on a quadratic with L = 1 diverges for lr > 2/L = 2."""
    q = ds.surfaces.get("quadratic", kappa=100.0)
    res = lr_find(q, None, ds.gd, start=1e-4, end=100.0, num_steps=200)
    assert res.stopped_early and 2.0 < res.lrs[-1] < 100.0
    assert all(0 < lr < 2.0 for lr in res.suggestions.values())
    assert len(res.lrs) == len(res.losses) == len(res.smoothed)
    np.testing.assert_allclose(res.lrs, 1e-4 * (1e6) ** (np.arange(len(res.lrs)) / 199))


def test_parallel_method_agrees_on_the_bound():
    q = ds.surfaces.get("quadratic", kappa=100.0)
    res = lr_find(q, None, ds.gd, start=1e-4, end=100.0, num_steps=61, method="parallel",
                  steps_each=50)  # fmt: skip
    assert res.method == "parallel" and res.stopped_early
    assert res.lrs[-1] < 2.2  # runs with lr well above 2 blew up, so the curve ends there
    assert all(0 < lr < 2.0 for lr in res.suggestions.values())


def test_model_on_data_with_adam():
    iris = ds.data.standardize(ds.data.load("iris"))[0]
    res = lr_find(ds.models.softmax(4, 3), data=iris, loss="softmax_cross_entropy",
                  rule=ds.adam, batch_size=16, start=1e-5, end=10.0, num_steps=100)  # fmt: skip
    assert 1e-4 < res.suggestion < 1.0
    assert res.losses[0] == pytest.approx(np.log(3), rel=1e-3)  # zero init: uniform softmax
    assert res.table(5)[0][0] == pytest.approx(1e-5)


def test_rules_ignore_a_noisy_flat_start():
    # Mini-batch noise before the rate does anything: over the whole curve, steep picks the
    # biggest jump of the noise (fastai's and Lightning's rule gave 1.45e-7 on models so).
    rng = np.random.default_rng(0)
    lrs = np.geomspace(1e-7, 10.0, 100)
    clean = 1.0 - 0.8 / (1 + np.exp(-3 * (np.log10(lrs) + 2)))  # falls around lr = 1e-2
    clean[85:] += np.linspace(0, 3, 15) ** 2  # blows up from lr ~ 1
    curve = smooth(clean + rng.normal(0, 0.1, 100) * (np.arange(100) < 20), 0.9)
    f, m = falling_range(curve)
    assert 1e-4 < lrs[f] < 1e-2 and lrs[m] < 1.0
    s = suggest(lrs, curve)
    assert all(lrs[f] <= rate <= lrs[m] for rate in s.values()), s
    assert falling_range(np.linspace(2.0, 2.1, 30)) is None  # never falls
    res = lr_find(ds.surfaces.get("quadratic"), None, ds.gd, start=1e-9, end=1e-8, num_steps=20)
    assert np.isnan(res.fall_start) and np.isnan(res.blow_up)


def _rolling_median(values, width=5):
    pad = np.pad(values, width // 2, mode="edge")
    return np.array([np.median(pad[i : i + width]) for i in range(len(values))])


@pytest.mark.parametrize(
    ("name", "kind", "rule"),
    [("digits", "softmax", ds.adam), ("digits", "mlp", ds.adam), ("diabetes", "linear", ds.gd)],
    ids=["digits-softmax-adam", "digits-mlp-adam", "diabetes-linear-gd"],
)
def test_suggestions_lie_where_the_loss_falls(name, kind, rule):
    """Each suggestion lies between the rate where the loss starts to fall and the rate where
    it blows up, both read here from the raw batch losses (a rolling median of 5)."""
    data = standardize(ds.data.load(name), targets=True)[0]
    d = data.n_features
    model, loss = {
        "softmax": (ds.models.softmax(d, 10), "softmax_cross_entropy"),
        "mlp": (ds.models.mlp([d, 32, 10]), "softmax_cross_entropy"),
        "linear": (ds.models.linear(d), "mse"),
    }[kind]
    res = lr_find(model, rule=rule, data=data, loss=loss, batch_size=32, seed=1)
    raw = _rolling_median(res.losses)
    level = np.median(res.losses[:10])
    falls = res.lrs[np.argmax(raw < 0.99 * level)]  # the loss is 1% below its start
    low = int(np.argmin(raw))
    above = np.flatnonzero(raw[low:] > level)
    blows = res.lrs[low + above[0]] if above.size else np.inf
    for rule_name, rate in res.suggestions.items():
        assert falls <= rate <= blows, (rule_name, rate, falls, blows)
    assert res.fall_start <= min(res.suggestions.values())
    assert max(res.suggestions.values()) <= (res.blow_up if np.isfinite(res.blow_up) else np.inf)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 1.0, "end": 0.1}, "end must be greater than start"),
        ({"num_steps": 3}, "num_steps must be at least 5"),
        ({"stop_factor": 0.5}, "stop_factor"),
        ({"method": "grid"}, "method must be one of 'sequential', 'parallel'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lr_find(ds.surfaces.get("rosenbrock"), None, ds.gd, **kwargs)


def test_model_without_data():
    with pytest.raises(ValueError, match=r"needs data=\.\.\. and loss=\.\.\."):
        lr_find(ds.models.linear(2), rule=ds.gd)


def test_a_parallel_test_that_cannot_fit_is_refused_before_it_runs():
    """10^8 rates side by side ran past 300 s, then XLA ran out of memory."""
    rosenbrock = ds.surfaces.get("rosenbrock")
    with pytest.raises(ValueError, match=r"a parallel range test of 100,000,000 rates would"):
        ds.insight.lr_find(rosenbrock, None, ds.adam, method="parallel", num_steps=10**8)
    with pytest.raises(ValueError, match=r"parameters, 10,000 times over would need"):
        ds.insight.lr_find(ds.models.mlp([64, 10**5, 10]), None, ds.adam,
                           data=ds.data.load("digits"), loss="softmax_cross_entropy",
                           method="parallel", num_steps=10**4)  # fmt: skip


def test_a_long_test_pairs_each_loss_with_the_rate_of_its_own_step():
    """Past max_records (4,097) the history is thinned; the rates were read as if every step
    were kept, so 3,000,000 steps all showed 1e-7. Each rate is now its record's step's, the
    same the run recorded."""
    f = lambda x: jnp.sum(x**2)  # noqa: E731
    res = lr_find(f, jnp.ones(2), ds.gd, start=1e-6, end=1e-2, num_steps=20_000)
    growth = (1e-2 / 1e-6) ** (1 / (20_000 - 1))
    run = ds.minimize(f, jnp.ones(2), ds.gd(ds.schedules.exponential(1e-6, growth)),
                      max_steps=19_999, tol=0.0, divergence=1e30, record_path=False)  # fmt: skip
    kept = run.history.trimmed()
    assert len(res.lrs) < 20_000 // 2  # thinned
    # the run evaluates growth**t in float32 (about t * eps apart); unpaired, they were 2x off
    np.testing.assert_allclose(res.lrs, kept["lr"][: len(res.lrs)], rtol=5e-3)
