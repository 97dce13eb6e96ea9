"""The learning-rate range test: its smoothing, stop rule and suggestions, on closed-form
curves and on problems whose stable learning rates are known."""

import numpy as np
import pytest

import descend as ds
from descend.insight import lr_find
from descend.insight.lr_find import smooth, steep, stop_index, suggest, valley


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
