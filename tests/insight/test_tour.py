"""The tour: verdict rules on made-up numbers (every outcome), the HTML page is
self-contained, and a few cheap claims run end to end with verdicts computed, not written."""

from __future__ import annotations

import re

import pytest

from descend.insight import tour
from descend.insight.tour import _gradients as gradients
from descend.insight.tour import _learning_rate as learning_rate
from descend.insight.tour import _verdicts as v
from descend.insight.tour._core import Claim, Context

GOOD = {
    "01": {"rises_small": 0, "steps_small": 100, "start_loss": 5.0, "final_small": 1.0},
    "02": {
        "threshold_measured": 2.005,
        "threshold_theory": 2.0,
        "lr10_diverged": 1,
        "crawl_steps": 1000,
        "best_steps": 50,
        "oscillation_share": 1.0,
    },
    "03": {"gd_steps": 100, "momentum_steps": 20, "gd_gentle_share": 0.8},
    "04": {
        "gd_flip_share": 1.0,
        "momentum_flip_share": 0.1,
        "gd_path_ratio": 7.0,
        "momentum_path_ratio": 4.0,
    },
    "05": {"speedup_a": 4.0, "speedup_b": 9.0},
    "06": {
        "momentum_rises_q": 10,
        "nesterov_rises_q": 2,
        "momentum_steps_q": 100,
        "nesterov_steps_q": 50,
        "momentum_rises_r": 10,
        "nesterov_rises_r": 2,
        "momentum_steps_r": 100,
        "nesterov_steps_r": 50,
    },
    "09": {"gd_escape": 40, "momentum_escape": 20, "adam_escape": 20},
    "10": {"gd_worst": 0.8, "rmsprop_worst": 0.01, "adam_worst": 0.01},
    "12": {"plain_diverged": 1, "clipped_diverged": 0, "start_loss": 40.0, "clipped_final": 1.0},
    "13": {
        "rastrigin_single": 0.0,
        "rastrigin_restarts": 0.5,
        "rastrigin_annealing": 0.4,
        "double_well_single": 0.4,
        "double_well_restarts": 1.0,
        "double_well_annealing": 0.7,
    },
    "14": {"ascent_vs_descent": 1e-6, "ascent_vs_mle": 1e-6},
    "15": {
        "steps_tol": 100,
        "budget": 1000,
        "distance_tol": 1e-3,
        "distance_bound": 1e-3,
        "steps_no_tol": 1000,
    },
    "16": {"relative_difference": 0.5, "l2_vs_ridge": 1e-3},
    "08": {"batch_share": 0.0, "noisy_share": 0.9, "seeds": 20},
    "07": {
        "batch_roughness": 0.001,
        "stochastic_roughness": 4.0,
        "minibatch_roughness": 0.8,
        "batch_ms_to_target": 2.0,
        "stochastic_ms_to_target": 0.6,
        "minibatch_ms_to_target": 0.5,
    },
    "11": {
        "constant_final": 3e-3,
        "inverse_time_final": 1e-4,
        "step_final": 1e-4,
        "cosine_final": 1e-4,
        "warmup_cosine_final": 1e-4,
    },
    "17": {"sigmoid_first_over_last": 0.002, "relu_first_over_last": 0.3},
}
BAD = {
    "01": {"rises_small": 3},
    "02": {"threshold_measured": 1.5},
    "03": {"gd_steps": 20, "momentum_steps": 100, "gd_gentle_share": 0.1},
    "04": {"momentum_path_ratio": 8.0},
    "05": {"speedup_a": 1.5, "speedup_b": 50.0},
    "06": {"nesterov_steps_q": 500, "nesterov_steps_r": 500},
    "09": {"momentum_escape": 50, "adam_escape": 50},
    "10": {"gd_worst": 0.01},
    "12": {"plain_diverged": 0},
    "13": {"double_well_annealing": 0.4},
    "14": {"ascent_vs_mle": 0.1},
    "15": {"steps_no_tol": 10},
    "16": {"relative_difference": 1e-3},
    "08": {"noisy_share": 0.05},
    "07": {"minibatch_roughness": 5.0, "minibatch_ms_to_target": 3.0},
    "11": {"step_final": 2e-3},
    "17": {"sigmoid_first_over_last": 0.2},
}
DEPENDS = {
    "07": {"minibatch_ms_to_target": 3.0},
    "03": {"momentum_steps": 100},
    "05": {"speedup_b": 50.0},
    "06": {"nesterov_steps_r": 500},
    "09": {"adam_escape": 50},
}


@pytest.mark.parametrize("key", sorted(GOOD))
def test_verdict_holds_and_fails(key):
    rule = getattr(v, f"verdict_{key}")
    verdict, why = rule(GOOD[key])
    assert verdict == "holds" and why
    verdict, why = rule({**GOOD[key], **BAD[key]})
    assert verdict == "does not hold" and why


@pytest.mark.parametrize("key", sorted(DEPENDS))
def test_verdict_depends(key):
    verdict, why = getattr(v, f"verdict_{key}")({**GOOD[key], **DEPENDS[key]})
    assert verdict == "depends" and why


def test_every_measured_claim_has_a_rule():
    for n in tour.CLAIMS:
        assert callable(getattr(v, f"verdict_{n:02d}"))


def test_html_is_self_contained_and_lists_every_claim():
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    claims = [
        Claim(1, "First <claim>", "text", {"a": 1.0}, "holds", "why", fig),
        Claim(2, "Second", "text", {}, "not yet measured", "", None),
    ]
    page = tour.render_html(claims)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "http://" not in page and "https://" not in page
    assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]+"', page)
    assert "First &lt;claim&gt;" in page and "Second" in page
    assert "holds" in page and "not yet measured" in page


def test_quick_claims_compute_their_verdicts(monkeypatch):
    ctx = Context(quick=True)
    c1 = learning_rate.claim_01(ctx)
    assert c1.verdict == "holds" and c1.measurements["rises_small"] == 0
    assert c1.figure is not None
    c14 = gradients.claim_14(ctx)
    assert c14.verdict == "holds" and c14.measurements["ascent_vs_mle"] < 1e-3

    # the verdict follows the measurements: make claim 1's run look as if the loss rose
    monkeypatch.setattr(learning_rate, "loss_rises", lambda result: 7)
    bad = learning_rate.claim_01(ctx)
    assert bad.measurements["rises_small"] == 7
    assert bad.verdict == "does not hold" and "7" in bad.explanation


def test_build_tour_selects_claims_in_order(tmp_path):
    claims = tour.build_tour(quick=True, numbers=[12, 14])
    assert [c.number for c in claims] == [12, 14]
    assert claims[0].verdict == "holds" and claims[1].verdict == "holds"
    page = tour.render_html(claims)
    for c in claims:
        assert c.title.split()[0] in page and c.verdict in page


def test_cli_writes_the_page(tmp_path, monkeypatch, capsys):
    import argparse

    from descend.cli import _tour as cli_tour

    monkeypatch.setattr(tour, "CLAIMS", {12: tour.CLAIMS[12]})
    parser = argparse.ArgumentParser()
    cli_tour.add_parser(parser.add_subparsers())
    out = tmp_path / "sub" / "index.html"
    args = parser.parse_args(["tour", "--out", str(out), "--quick"])
    assert args.run(args) == 0
    text = capsys.readouterr().out
    assert "12. Clipping keeps a run stable: holds" in text
    assert out.exists() and "data:image/png;base64," in out.read_text()


def test_every_measurement_of_every_claim_has_a_plain_word_label():
    # the labels name every key a claim may return (the decorator refuses an unlabelled
    # one), so checking them checks every measurement the page can show
    for n, run in tour.CLAIMS.items():
        assert run.labels, f"claim {n} has no labels"
        for key, label in run.labels.items():
            assert "_" not in label, (n, key, label)  # not a variable name
            assert " " in label and label != key, (n, key, label)  # words
            assert re.search(r"\([^)]+\)", label), (n, key, label)  # a unit, in parentheses


def test_run_labels_label_each_measurement_of_each_run():
    from descend.insight.tour._core import rules, run_labels

    labels = run_labels(rules("gd", "adam"), steps=("steps taken", "count"), worst=("w", "0 to 1"))
    assert labels == {
        "gd_steps": "steps taken, gradient descent (count)",
        "adam_steps": "steps taken, Adam (count)",
        "gd_worst": "w, gradient descent (0 to 1)",
        "adam_worst": "w, Adam (0 to 1)",
    }
    assert list(labels) == ["gd_steps", "adam_steps", "gd_worst", "adam_worst"]


def test_an_unlabelled_measurement_is_refused_and_labels_reach_the_page():
    from descend.insight.tour._core import claim

    def rule(m):
        return "holds", "fine"

    @claim(99, "Made up", "text", rule, labels={"steps_taken": "steps taken (count)"})
    def labelled(ctx):
        return {"steps_taken": 3}, None

    @claim(98, "Made up", "text", rule, labels={"steps_taken": "steps taken (count)"})
    def unlabelled(ctx):
        return {"steps_taken": 3, "gd_flip_share": 0.5}, None

    c = labelled(Context(quick=True))
    assert c.labels == {"steps_taken": "steps taken (count)"}
    assert c.measurements == {"steps_taken": 3.0}  # the machine key stays for the verdicts
    page = tour.render_html([c])
    assert "<td>steps taken (count)</td>" in page and 'data-key="steps_taken"' in page
    assert "<td>steps_taken</td>" not in page
    with pytest.raises(KeyError, match="gd_flip_share"):
        unlabelled(Context(quick=True))


def test_claims_keep_their_numbers_and_order():
    assert sorted(tour.CLAIMS) == list(range(1, 22))
    assert tour.CLAIMS[4].__name__ == "claim_04" and tour.CLAIMS[21].__name__ == "claim_21"
