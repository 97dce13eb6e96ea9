"""`descend diagnose FILE` on the command line: label, evidence, advice, --column, --json, and
the exit status (0 healthy, 1 a problem found, 2 bad input)."""

import argparse
import json

import numpy as np
import pytest

from descend.cli import main as cli_main


def main(argv):
    """The command line, in-process."""
    return cli_main(argv)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def csv_log(tmp_path, losses, name="metrics.csv", extra=None):
    lines = ["epoch,loss" + (",val_loss" if extra is not None else "")]
    for i, value in enumerate(losses):
        tail = f",{extra[i]}" if extra is not None else ""
        lines.append(f"{i},{value}{tail}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_healthy_run_exits_0_with_label_evidence_and_advice(tmp_path, capsys):
    t = np.arange(100)
    path = csv_log(tmp_path, 0.2 + np.exp(-t / 5))
    code, out, err = run(capsys, "diagnose", str(path))
    assert code == 0 and not err
    lines = out.splitlines()
    assert lines[0] == f"descend diagnose: {path} (column 'loss', 100 values)"
    assert lines[1] == "label: converged"
    assert lines[2] == "evidence:" and lines[3].startswith("  - ")
    assert lines[-1].startswith("advice: ")
    assert "epochs" in out  # the epoch column gives the steps of the evidence


def test_a_problem_exits_1(tmp_path, capsys):
    t = np.arange(60)
    path = csv_log(tmp_path, np.exp(-t / 10) + 0.3 * (t % 2) * (t > 20))
    code, out, _ = run(capsys, "diagnose", str(path))
    assert code == 1 and "label: too_high" in out and "Reduce it" in out
    diverged = csv_log(tmp_path, [1.0, 0.5, 3.0, 40.0, "nan"], name="nan.csv")
    code, out, _ = run(capsys, "diagnose", str(diverged))
    assert code == 1 and "label: diverged" in out and "nan at epoch 4" in out


def test_column_and_json(tmp_path, capsys):
    t = np.arange(80)
    path = csv_log(tmp_path, 0.2 + np.exp(-t / 8), extra=5.0 - 0.01 * t)
    code, out, _ = run(capsys, "diagnose", str(path), "--column", "val_loss", "--json")
    report = json.loads(out)
    assert code == 1 and report["column"] == "val_loss" and report["label"] == "too_low"
    assert report["ok"] is False and report["values"] == 80 and report["evidence"]
    assert report["statistics"]["n"] == 80
    code, out, _ = run(capsys, "diagnose", str(path), "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_json_log(tmp_path, capsys):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"loss": [2.0, 1.0, 0.6, 0.45, 0.4, 0.39, 0.388, 0.3875]}))
    code, out, _ = run(capsys, "diagnose", str(path))
    assert code == 0 and "(column 'loss', 8 values)" in out


@pytest.mark.parametrize(
    ("name", "text", "argv", "message"),
    [
        ("missing.csv", None, [], "no such file"),
        ("empty.csv", "", [], "is empty"),
        ("words.csv", "run,city\na,paris\nb,rome\n", [], "no numeric column"),
        (
            "cols.csv",
            "epoch,loss\n0,1\n1,0.5\n2,0.4\n",
            ["--column", "acc"],
            "no column 'acc'; its columns are 'epoch', 'loss'",
        ),
        ("short.csv", "loss\n1.0\n0.5\n", [], "at least 3"),
        ("broken.json", "{", [], "not valid JSON"),
    ],
)
def test_bad_input_exits_2(tmp_path, capsys, name, text, argv, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    code, out, err = run(capsys, "diagnose", str(path), *argv)
    assert code == 2 and not out
    assert err.startswith("descend diagnose: error: ") and message in err


def test_registered_in_descend_cli(tmp_path, capsys):
    from descend import cli

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "diagnose" not in commands.choices:
        pytest.skip("descend.cli does not register the diagnose subcommand yet")
    path = csv_log(tmp_path, [1.0, 0.5, 0.3, 0.25, 0.24, 0.239, 0.2389, 0.2388])
    assert cli.main(["diagnose", str(path)]) == 0
    assert cli.main(["diagnose", str(tmp_path / "none.csv")]) == 2
    capsys.readouterr()


def test_what_the_reader_left_out_is_said_under_the_header(tmp_path, capsys):
    """A CSV appended to by a second run (its header repeats) is read from the last run; the
    reader says so, in the text and in --json ("read")."""
    log = tmp_path / "two.csv"
    log.write_text("step,loss\n1,2.0\n2,1.5\nstep,loss\n" + "".join(
        f"{i},{2.0 / i}\n" for i in range(1, 9)))  # fmt: skip
    assert cli_main(["diagnose", str(log)]) in (0, 1)  # 1: the run has a problem
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("(column 'loss', 8 values)")
    assert lines[1] == "  read: holds 2 runs (its header repeats, last at row 4): read the last"
    assert cli_main(["diagnose", str(log), "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["read"] == [lines[1].removeprefix("  read: ")]
