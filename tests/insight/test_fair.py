"""The fair race: tuning finds the theoretical best rate of gradient descent on a quadratic,
the tuned heavy ball beats tuned gradient descent on an ill-conditioned one, the race starts
are shared and held out from tuning, and every number is the one a plain loop of
``minimize`` gives."""

import math

import numpy as np
import pytest

import descend as ds
from descend.engine._restarts import draw_starts
from descend.insight import fair_race
from descend.optim import registry

KAPPA = 100.0
QUAD = ds.surfaces.get("quadratic", kappa=KAPPA)  # eigenvalues L = 1 and mu = 1/kappa
BUDGET, STARTS, GRID = 1000, 4, 32


@pytest.fixture(scope="module")
def ill():
    return fair_race(QUAD, ("gd", "momentum"), budget=BUDGET, starts=STARTS, grid=GRID)


@pytest.fixture(scope="module")
def short():
    """Five steps: no run reaches tolerance, so every median is budget + 1 = 6."""
    return fair_race(QUAD, ("gd", "momentum", "adam"), budget=5, starts=3, grid=8, metric="loss")


def _entry(race, name):
    return next(e for e in race.entries if e.name == name)


def _plain(entry, starts, budget, tol):
    """Steps to tolerance (budget + 1 if not reached) and final loss from a Python loop."""
    opt = registry.get(entry.name).build(**entry.hyperparameters)
    steps, losses = [], []
    for x0 in starts:
        r = ds.minimize(QUAD, np.asarray(x0, np.float32), opt, max_steps=budget, tol=tol)
        steps.append(int(r.steps) if r.converged else budget + 1)
        losses.append(float(r.loss) - QUAD.min_value)
    return np.array(steps), np.array(losses)


def test_tuned_gd_rate_is_two_over_l_plus_mu_within_the_grid_spacing(ill):
    gd = _entry(ill, "gd")
    low, high = ill.lr_span
    spacing = math.log(high / low) / (GRID - 1)
    best = 2.0 / (1.0 + 1.0 / KAPPA)  # minimises max(|1 - lr L|, |1 - lr mu|)
    assert abs(math.log(gd.hyperparameters["lr"] / best)) <= spacing
    assert gd.tuned == ("lr",) and gd.at_edge == ()
    np.testing.assert_allclose(gd.tuning_grid["lr"], np.geomspace(low, high, GRID))
    assert low <= 1e-5 and high >= QUAD.lr_range[1]  # the registry's span, reaching the surface's


def test_tuned_heavy_ball_beats_tuned_gd_on_an_ill_conditioned_quadratic(ill):
    assert [e.name for e in ill.entries] == ["momentum", "gd"]
    assert [e.rank for e in ill.entries] == [1, 2]
    mom, gd = ill.entries
    assert mom.median_steps < gd.median_steps / 2
    assert mom.converged_share == gd.converged_share == 1.0


def test_every_rule_races_from_the_same_held_out_starts(ill):
    drawn = draw_starts(2 * STARTS, QUAD.domain, 0)
    np.testing.assert_array_equal(ill.tuning_starts, drawn[:STARTS])
    np.testing.assert_array_equal(ill.race_starts, drawn[STARTS:])
    gap = np.linalg.norm(ill.tuning_starts[:, None] - ill.race_starts[None], axis=-1)
    assert gap.min() > 0  # no race start is a tuning start
    for e in ill.entries:  # (the plain-loop test below reruns them from the race starts)
        assert e.results.steps.shape == e.steps.shape == (STARTS,)
        first_loss = np.asarray(e.results.history.loss)[:, 0]
        want = [float(QUAD(np.asarray(x, np.float32))) for x in ill.race_starts]
        np.testing.assert_allclose(first_loss, want, rtol=1e-6)


def test_results_and_tuning_scores_are_those_of_a_plain_loop(ill):
    for e in ill.entries:
        steps, losses = _plain(e, ill.race_starts, BUDGET, ill.tol)
        np.testing.assert_array_equal(e.steps, steps)
        np.testing.assert_allclose(e.final_loss, losses, rtol=1e-4, atol=1e-12)
        assert e.median_steps == np.median(steps)
        assert e.converged_share == np.mean(steps <= BUDGET)
        # the tuning chose the configuration with the best median on the tuning starts
        tuned_steps, _ = _plain(e, ill.tuning_starts, BUDGET, ill.tol)
        best = int(np.argmin(e.tuning_score))
        assert e.hyperparameters["lr"] == e.tuning_grid["lr"][best]
        assert np.median(tuned_steps) == e.tuning_score[best] == e.tuning_score.min()


def test_runs_short_of_tolerance_count_as_budget_plus_one_and_loss_ranks(short):
    assert short.metric == "loss" and short.budget == 5
    medians = [e.median_final_loss for e in short.entries]
    assert medians == sorted(medians) and len(set(medians)) == 3
    for e in short.entries:
        np.testing.assert_array_equal(e.steps, 6)
        assert e.median_steps == 6 and e.converged_share == 0.0
        _, losses = _plain(e, short.race_starts, 5, short.tol)
        np.testing.assert_allclose(e.median_final_loss, np.median(losses), rtol=1e-4)


def test_steps_ties_are_broken_by_the_final_loss(short):
    again = fair_race(QUAD, ("adam", "momentum", "gd"), budget=5, starts=3, grid=8)
    assert again.metric == "steps"
    assert all(e.median_steps == 6 for e in again.entries)  # a three-way tie on steps
    assert [e.name for e in again.entries] == [e.name for e in short.entries]


def test_same_seed_same_race_and_another_seed_other_starts(short):
    same = fair_race(QUAD, ("gd", "momentum", "adam"), budget=5, starts=3, grid=8, metric="loss")
    # the constructors name the same rules: the same race
    built = fair_race(QUAD, (ds.gd, ds.momentum, ds.adam), budget=5, starts=3, grid=8,
                      metric="loss")  # fmt: skip
    for a, b, c in zip(short.entries, same.entries, built.entries, strict=True):
        assert a.name == b.name == c.name and a.hyperparameters == b.hyperparameters
        np.testing.assert_array_equal(a.final_loss, b.final_loss)
        np.testing.assert_array_equal(a.final_loss, c.final_loss)
    other = fair_race(QUAD, ("gd", "momentum", "adam"), budget=5, starts=3, grid=8,
                      metric="loss", seed=1)  # fmt: skip
    assert not np.array_equal(other.race_starts, short.race_starts)


def test_tune_all_adds_the_second_hyperparameter_on_a_decay_grid():
    race = fair_race(QUAD, ("gd", ("momentum", {"dampening": 0.1})), budget=5, starts=3,
                     grid=8, tune="all", second_grid=4)  # fmt: skip
    gd, mom = _entry(race, "gd"), _entry(race, "momentum")
    assert gd.tuned == ("lr",) and mom.tuned == ("lr", "beta")
    betas = np.unique(mom.tuning_grid["beta"])
    np.testing.assert_allclose(betas, 1 - np.geomspace(1.0, 1e-3, 4), rtol=1e-12)  # span [0, .999]
    assert len(mom.tuning_grid["lr"]) == 8 * 4
    assert mom.hyperparameters["dampening"] == 0.1 and mom.hyperparameters["beta"] in betas


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((QUAD, ["nope"]), {}, ValueError, "unknown optimizer 'nope'; valid names: gd"),
        ((QUAD, [3]), {}, TypeError, "each rule must be a name"),
        ((QUAD, [ds.annealing]), {}, ValueError, "'annealing' is not one of the registry's"),
        ((QUAD, [ds.adam(0.1)]), {}, TypeError, "each rule must be a name"),
        ((QUAD, []), {}, TypeError, "rules must be a non-empty list"),
        ((QUAD, ["gd", "GD"]), {}, ValueError, "gd is listed twice"),
        ((QUAD, ["lookahead-nesterov"]), {}, ValueError, "evaluates the gradient twice"),
        ((QUAD, ["annealing"]), {}, ValueError, "is refused"),
        ((QUAD, [("adam", {"lr": 0.1})]), {}, ValueError, "lr is tuned by fair_race"),
        ((QUAD, [("momentum", {"beta": 0.5})]), {"tune": "all"}, ValueError, "beta is tuned"),
        ((QUAD, [("adam", {"b9": 0.5})]), {}, TypeError, "unknown hyperparameter"),
        ((QUAD, [("adam", {"b2": 1.5})]), {}, ValueError, "b2 must be"),
        (("rosenbrock",), {}, TypeError, "surface must be a Surface"),
        ((QUAD,), {"metric": "time"}, ValueError, "metric must be one of 'steps', 'loss'"),
        ((QUAD,), {"tune": "some"}, ValueError, "tune must be one of 'lr', 'all'"),
        ((QUAD,), {"budget": 0}, ValueError, r"budget must be an integer in \[1, 100000\]"),
        ((QUAD,), {"budget": 10.0}, TypeError, "budget must be an integer"),
        ((QUAD,), {"starts": 0}, ValueError, "starts must be an integer in"),
        ((QUAD,), {"grid": 1}, ValueError, r"grid must be an integer in \[2, 1024\]"),
        ((QUAD,), {"tol": -1.0}, ValueError, "tol must be a finite number >= 0"),
        ((QUAD,), {"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ((QUAD,), {"lr_range": (0.1, 0.01)}, ValueError, "lr_range high must be"),
        ((QUAD,), {"lr_range": 0.1}, TypeError, "lr_range must be a"),
        ((QUAD,), {"grid": 1024, "starts": 1024}, ValueError, "runs per rule"),
        ((ds.surfaces.get("saddle"),), {"metric": "loss"}, ValueError, "unbounded below"),
    ],
)
def test_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fair_race(*args, **kwargs)
