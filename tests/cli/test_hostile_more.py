"""More hostile input to the command line: optimizer options, numbers beyond float32, empty
strings that must not mean "the default", messages that name the option, and standard output
that cannot be written. Each is one line on standard error, never a traceback."""

import errno
import json
import os
import subprocess
import sys

import pytest

from descend.cli import main
from descend.cli._common import UsageError, format_hyper, parse_optimizer


def test_optimizer_options_are_parsed_from_their_choices():
    assert parse_optimizer("momentum:form=ema,nesterov=yes") == (
        "momentum",
        {"form": "ema", "nesterov": True},
    )
    assert parse_optimizer("adam:amsgrad=RAW,eps_hat=0,lr=0.1") == (
        "adam",
        {"amsgrad": "raw", "eps_hat": False, "lr": 0.1},
    )
    assert parse_optimizer("adamw:amsgrad=none")[1] == {"amsgrad": None}
    for word in ("true", "1", "yes"):
        assert parse_optimizer(f"rmsprop:centered={word}")[1] == {"centered": True}
    for word in ("false", "0", "no"):
        assert parse_optimizer(f"nadam:momentum_schedule={word}")[1] == {"momentum_schedule": False}
    with pytest.raises(UsageError, match="choices: none, raw, corrected"):
        parse_optimizer("adam:amsgrad=1")
    assert format_hyper({"lr": 0.1, "amsgrad": "raw", "nesterov": True, "x": None}) == (
        "lr=0.1, amsgrad=raw, nesterov=true, x=none"
    )


def test_the_race_runs_with_options(cli):
    code, out, err = cli(
        "race", "--steps", "20", "-o", "momentum:form=ema", "-o", "adam:amsgrad=raw", "--json"
    )
    assert code == 0, err
    rows = {r["optimizer"]: r for r in json.loads(out)["results"]}
    assert rows["momentum"]["hyperparameters"]["form"] == "ema"
    assert rows["adam"]["hyperparameters"]["amsgrad"] == "raw"
    code, out, err = cli("race", "--steps", "20", "-o", "momentum:form=velocity,nesterov=true")
    assert code == 0 and "form=velocity, nesterov=true" in out, err


def test_fit_prints_an_option(cli):
    code, out, err = cli("fit", "--epochs", "2", "-o", "adam:amsgrad=corrected")
    assert code == 0, err
    assert "amsgrad=corrected" in out


class _Full:
    """Standard output on a full disk: every write and flush fails with ENOSPC."""

    def write(self, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("stdout", [_Full(), None], ids=["full", "closed"])
def test_output_that_cannot_be_written_is_one_line_and_exit_1(capsys, monkeypatch, stdout):
    monkeypatch.setattr(sys, "stdout", stdout)
    code = main(["race", "--steps", "10", "--json"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    reason = "No space left on device" if stdout is not None else "standard output is closed"
    assert err == f"descend: cannot write the output: {reason}\n"
    assert sys.stdout is stdout  # main puts standard output back as it found it


def test_a_usage_error_with_stdout_closed_is_still_exit_2(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["race", "--steps", "x"]) == 2
    assert "--steps must be an integer >= 1" in capsys.readouterr().err


def _descend(*argv, close_stdout=False, **kwargs):
    """``descend ARGV`` in a process of its own (with ``>&-`` when ``close_stdout``: through
    the shell, since a ``preexec_fn`` would fork this threaded process)."""
    code = "import sys; from descend.cli import main; sys.exit(main(sys.argv[1:]))"
    shell = ["sh", "-c", 'exec "$0" "$@" >&-'] if close_stdout else []
    return subprocess.run(
        [*shell, sys.executable, "-c", code, *argv],
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        **kwargs,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_and_a_closed_stdout_in_a_real_process():
    with open("/dev/full", "w") as full:
        done = _descend("race", "--steps", "10", stdout=full)
    assert done.returncode == 1
    assert done.stderr == "descend: cannot write the output: No space left on device\n"
    done = _descend("race", "--steps", "10", close_stdout=True)
    assert done.returncode == 1
    assert done.stderr == "descend: cannot write the output: standard output is closed\n"


def test_a_start_beyond_float32_warns_nothing_in_a_real_process():
    done = _descend("race", "-f", "x^2+y^2", "--start", "1e308,1", stdout=subprocess.PIPE)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "RuntimeWarning" not in done.stderr
    assert "--start: '1e308' is out of range" in done.stderr
