"""What every command shares: help without markup that lists what is accepted, option letters
with one meaning, standard output that holds only the answer, quiet ends of closed pipes, and
the optimizer names of the registry."""

import argparse
import io
import json
import subprocess
import sys

import pytest

from descend.cli import _common, build_parser, main
from descend.optim import registry
from descend.problems import models


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_help_has_no_markup_and_every_option_is_explained():
    for name, sub in _subparsers().items():
        text = sub.format_help()
        assert "``" not in text and ":mod:" not in text, name
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help text"


def test_fit_help_lists_exactly_the_activations_accepted():
    fit = _subparsers()["fit"]
    action = next(a for a in fit._actions if a.dest == "activation")
    assert set(action.choices) == set(models.ACTIVATIONS)
    text = fit.format_help()
    assert all(name in text for name in models.ACTIVATIONS)


def test_lr_find_explains_method_and_model():
    text = " ".join(_subparsers()["lr-find"].format_help().split())
    assert "sequential: one run whose rate grows each step" in text
    assert "with --data: the model to train" in text


def test_option_letters_mean_the_same_in_every_command():
    meaning = {}
    for name, sub in _subparsers().items():
        for action in sub._actions:
            for option in action.option_strings:
                if len(option) == 2 and option != "-h":
                    meaning.setdefault(option, set()).add(action.dest)
                    assert meaning[option] == {action.dest}, f"{name}: {option}"
    assert meaning["-o"] == {"optimizer"} and meaning["-s"] == {"surface"}
    assert "out" not in {a.dest for a in _subparsers()["plot"]._actions if "-o" in a.option_strings}


def test_the_cli_accepts_exactly_the_registry_and_the_strategies():
    assert list(_common.OPTIMIZERS) == [
        "gd", "momentum", "nesterov", "lookahead-nesterov", "adagrad", "rmsprop", "adam",
        "adamw", "amsgrad", "nadam", "annealing",
    ]  # fmt: skip
    for name in registry.names():
        parsed, given = _common.parse_optimizer(f"{name}:lr=0.01")
        assert parsed == name and given == {"lr": 0.01}
        assert _common.hyperparameter_names(name) == registry.get(name).hyperparameter_names()
        assert _common.OPTIMIZERS[name][0] is registry.get(name).constructor


def test_plot_o_is_the_optimizer_and_out_the_file(tmp_path, cli):
    out_file = tmp_path / "path.svg"
    code, out, _ = cli("plot", "surface", "-s", "himmelblau", "-o", "momentum:beta=0.5",
                       "--out", str(out_file))  # fmt: skip
    assert code == 0 and out == f"wrote {out_file}\n" and "<svg" in out_file.read_text()[:500]


def test_race_json_with_a_plot_keeps_stdout_json(tmp_path, cli):
    png = tmp_path / "j.png"
    code, out, err = cli("race", "-o", "gd", "--steps", "50", "--json", "--plot", str(png))
    assert code == 0 and json.loads(out)["results"][0]["optimizer"] == "gd"
    assert f"wrote {png}" in err and "wrote" not in out and png.stat().st_size > 1000


class _ClosedPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly_in_process(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.csv"
    log.write_text("loss\n" + "".join(f"{1 / (i + 1)}\n" for i in range(30)))
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["diagnose", str(log)]) == 141
    monkeypatch.undo()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["lr-find", "-s", "quadratic", "--steps", "20"],
        ["fit", "--epochs", "2", "--json"],
    ],
)
def test_a_reader_that_closes_the_pipe_early_ends_quietly(argv):
    # "descend lr-find | head -4": the reader is gone before the command writes anything
    proc = subprocess.Popen([sys.executable, "-m", "descend", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.close()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 141
    assert b"Traceback" not in err and b"BrokenPipe" not in err and b"Exception" not in err
