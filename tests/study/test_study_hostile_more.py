"""More hostile input to studies: a grid whose axes multiply past the limit, a spec that is a
FIFO, names with control characters, Ray addresses that are malformed or where nothing
listens, empty folder names and too many workers. Each is refused before anything is built or
written: a ValueError naming the field in Python, one line and exit 2 on the command line."""

import os
import re
import socket
import threading
import time

import pytest
from _study_helpers import BOOTH_TOML, toml_spec

import descend as ds
from descend.study import _ray, _spec

#: Adam on a grid of three axes of 3,000 values each: 2.7e10 configurations.
GRID_PRODUCT = {
    "name": "a",
    "steps": 10,
    "seeds": 1,
    "problem": {"surface": "booth"},
    "optimizers": [
        {
            "rule": "adam",
            "grid": {
                "lr": {"log": [1e-4, 1e-1], "num": 3000},
                "b1": {"linear": [0.1, 0.9], "num": 3000},
                "b2": {"linear": [0.1, 0.99], "num": 3000},
            },
        }
    ],
}


def _one_line_exit_2(cli, argv, fragment):
    code, out, err = cli(*argv)
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"descend study {argv[1]}: error: ")
    assert fragment in err, err
    return err


# -- 1. the size of a study -----------------------------------------------------------------


def test_a_grid_whose_axes_multiply_past_the_limit_is_refused_at_once(cli, tmp_path):
    started = time.perf_counter()
    with pytest.raises(ValueError, match="would make 27,000,000,000 runs") as err:
        ds.Study.from_toml(toml_spec(GRID_PRODUCT))
    assert f"at most {_spec.MAX_RUNS:,}" in str(err.value)
    path = tmp_path / "grid.toml"
    path.write_text(toml_spec(GRID_PRODUCT))
    _one_line_exit_2(
        cli,
        ["study", "run", str(path), "--dir", str(tmp_path / "s"), "-q"],
        "27,000,000,000 runs (27,000,000,000 configurations x 1 seed); a study makes at most",
    )
    assert time.perf_counter() - started < 30  # refused, not built
    assert not (tmp_path / "s").exists()


def test_the_seeds_and_the_searches_count_too():
    adam = GRID_PRODUCT["optimizers"][0]
    lr_b1 = {**adam, "grid": {k: v for k, v in adam["grid"].items() if k != "b2"}}
    two_axes = {**GRID_PRODUCT, "seeds": 10, "optimizers": [lr_b1]}
    with pytest.raises(ValueError, match=r"90,000,000 runs \(9,000,000 configurations x 10 seeds"):
        ds.Study.from_toml(toml_spec(two_axes))
    random = BOOTH_TOML.replace("lr = [0.01]", "lr = { log = [1e-4, 1e-1] }") + (
        '[search]\nkind = "random"\nn = 6000000\n'
    )
    with pytest.raises(ValueError, match="12,000,000 runs"):
        ds.Study.from_toml(random)
    # at the limit: accepted (and nothing listed while parsing)
    at_limit = toml_spec(two_axes).replace("num = 3000", "num = 1000")
    spec = _spec.from_toml(at_limit)
    assert _spec.count_runs(spec.optimizers, spec.search, len(spec.seeds)) == _spec.MAX_RUNS


def test_a_surface_too_large_for_memory_is_one_line(cli, tmp_path, monkeypatch):
    spec = BOOTH_TOML.replace(
        'surface = "booth"', 'surface = "quadratic"\nparams = { dim = 1000000000 }'
    )
    path = tmp_path / "dim.toml"
    path.write_text(spec)
    _one_line_exit_2(
        cli, ["study", "run", str(path), "--dir", str(tmp_path / "s"), "-q"], "problem.params:"
    )
    # a constructor that runs out of memory is a ValueError naming the field, not a crash
    from descend.study import _problem

    def no_memory(name, **params):
        raise MemoryError

    monkeypatch.setattr(_problem.surfaces, "get", no_memory)
    with pytest.raises(ValueError, match=r"problem\.params: quadratic .* does not fit in memory"):
        ds.Study.from_toml(spec.replace("1000000000", "3"))
    assert not (tmp_path / "s").exists()


# -- 5. a spec that is not a regular file ----------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_spec_is_refused_without_waiting(cli, tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    link = tmp_path / "link.toml"
    link.symlink_to(fifo)

    def unblock():  # should the command open the FIFO, let it go on (and the test fail)
        time.sleep(20)
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return
        os.close(fd)

    threading.Thread(target=unblock, daemon=True).start()
    for path in (fifo, link):
        started = time.perf_counter()
        _one_line_exit_2(
            cli,
            ["study", "run", str(path), "--dir", str(tmp_path / "s"), "-q"],
            "it is a FIFO (named pipe), not a regular file",
        )
        assert time.perf_counter() - started < 15
    with pytest.raises(ValueError, match="not a regular file"):
        ds.Study.from_toml(fifo)
    assert not (tmp_path / "s").exists()


# -- 7. names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a\\u0000b", "U+0000"),
        ("a\\u202eb", "U+202E"),
        ("a\\u001b[31m", "U+001B"),
        ("a\\nb", "U+000A"),
    ],
    ids=["nul", "rtl-override", "escape", "newline"],
)
def test_names_with_control_or_bidi_characters_are_refused(cli, tmp_path, name, code):
    text = BOOTH_TOML.replace('name = "s"', f'name = "{name}"')
    with pytest.raises(ValueError, match=f"^name: a name may not hold control .*{re.escape(code)}"):
        ds.Study.from_toml(text)
    label = BOOTH_TOML.replace('rule = "momentum"', f'rule = "momentum"\nname = "{name}"')
    with pytest.raises(ValueError, match=f"^optimizers\\[0\\].name: .*{re.escape(code)}"):
        ds.Study.from_toml(label)
    path = tmp_path / "n.toml"
    path.write_text(text)
    err = _one_line_exit_2(cli, ["study", "run", str(path), "--dir", str(tmp_path / "s")], code)
    assert "\u202e" not in err and "\x00" not in err and "\x1b" not in err
    assert ds.Study.from_toml(BOOTH_TOML.replace('name = "s"', 'name = "café – ü"')).spec.name


# -- 2. Ray addresses ------------------------------------------------------------------------


def test_ray_addresses_are_parsed():
    assert _ray.parse_address("auto") is None and _ray.parse_address("local") is None
    assert _ray.parse_address("10.0.0.1:6379") == ("10.0.0.1", 6379)
    assert _ray.parse_address("ray://head.example:10001") == ("head.example", 10001)
    assert _ray.parse_address("[::1]:6379") == ("::1", 6379)
    for bad, message in [
        ("nohost:99999", "the port must be a whole number in 1-65535; got '99999'"),
        ("host:0", "the port must be"),
        ("host:x", "the port must be"),
        ("host", "is not a Ray address; give HOST:PORT"),
        ("http://host:1", "is not a Ray address"),
        (":6379", "is not a Ray address"),
        (" ", "is not a Ray address"),
    ]:
        with pytest.raises(ValueError, match="^" + repr(bad).replace("[", "\\[") + ".*"):
            _ray.parse_address(bad)
        with pytest.raises(ValueError) as err:
            _ray.parse_address(bad)
        assert message in str(err.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


def test_nothing_listening_is_reported_within_seconds():
    port = _closed_port()
    started = time.perf_counter()
    with pytest.raises(ds.study.StudyError, match=f"cannot reach a Ray cluster at x:{port}: "):
        _ray.check_reachable(f"x:{port}", "127.0.0.1", port)
    assert time.perf_counter() - started < 10


def test_a_connection_that_does_not_answer_is_given_up_after_the_timeout(monkeypatch):
    def hangs(address, timeout=None):  # a resolver or a firewall that never answers
        time.sleep(5)
        raise OSError("too late")

    monkeypatch.setattr(_ray.socket, "create_connection", hangs)
    started = time.perf_counter()
    with pytest.raises(ds.study.StudyError, match=r"at far:6379: no answer in 0\.2 s"):
        _ray.check_reachable("far:6379", "far", 6379, timeout=0.2)
    assert time.perf_counter() - started < 2


def test_something_listening_passes():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        _ray.check_reachable("here", "127.0.0.1", server.getsockname()[1])


def test_the_command_refuses_a_bad_address_at_once(cli, tmp_path):
    spec = tmp_path / "ok.toml"
    spec.write_text(BOOTH_TOML)
    started = time.perf_counter()
    run = ["study", "run", str(spec), "--dir", str(tmp_path / "s"), "-q"]
    _one_line_exit_2(
        cli, [*run, "--address", "nohost:99999"], "--address: 'nohost:99999': the port"
    )
    _one_line_exit_2(cli, [*run, "--address", "nohost"], "give HOST:PORT (a port in 1-65535)")
    _one_line_exit_2(cli, [*run, "--address", ""], "--address must be a Ray cluster's HOST:PORT")
    assert time.perf_counter() - started < 30
    assert not (tmp_path / "s").exists()


def test_the_command_reports_an_address_where_nothing_listens(cli, tmp_path):
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray cluster of this session is up: the executor joins it")
    spec = tmp_path / "ok.toml"
    spec.write_text(BOOTH_TOML)
    port = _closed_port()
    started = time.perf_counter()
    _one_line_exit_2(
        cli,
        ["study", "run", str(spec), "--dir", str(tmp_path / "s"), "-q", "--address",
         f"127.0.0.1:{port}"],
        f"cannot reach a Ray cluster at 127.0.0.1:{port}: Connection refused",
    )  # fmt: skip
    assert time.perf_counter() - started < 30
    assert not ray.is_initialized()


# -- 6. and 7. empty folder names, too many workers -----------------------------------------


def test_empty_folder_and_file_names_are_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.toml").write_text(BOOTH_TOML)
    _one_line_exit_2(
        cli, ["study", "run", "ok.toml", "--dir", "", "-q"], "--dir must be a folder, not empty"
    )
    _one_line_exit_2(
        cli, ["study", "run", "", "--dir", "s"], "SPEC.toml must be a spec file (TOML), not empty"
    )
    for action in ("resume", "status", "results", "report"):
        _one_line_exit_2(cli, ["study", action, ""], "DIR must be a folder, not empty")
    for action in ("results", "report"):
        _one_line_exit_2(
            cli, ["study", action, "s", "--out", ""], "--out must be a file name, not empty"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.toml"]  # no study in "."


def test_too_many_workers_are_refused(cli, tmp_path):
    from descend.engine._cores import cores

    spec = tmp_path / "ok.toml"
    spec.write_text(BOOTH_TOML)
    most = 4 * cores()
    run = ["study", "run", str(spec), "--dir", str(tmp_path / "s"), "-q", "--workers"]
    _one_line_exit_2(cli, [*run, "100000"], f"--workers must be at most {most} (4 x the ")
    _one_line_exit_2(cli, [*run, "-1"], "--workers must be an integer >= 1; got -1")
    _one_line_exit_2(
        cli, ["study", "resume", str(tmp_path / "s"), "--workers", "100000"], "at most"
    )
    assert not (tmp_path / "s").exists()
