"""Output files are written whole or not at all (descend._files.written_whole), also when
the writing process is killed with SIGKILL; input text is decoded whatever wrote it."""

import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from descend._files import decode_text, point_decimal, read_bytes, written_whole


def test_the_file_appears_whole_and_the_temporary_name_keeps_the_suffix(tmp_path):
    out = tmp_path / "fig.png"
    with written_whole(out) as partial:
        assert partial.parent == tmp_path and partial.suffix == ".png"
        assert partial.name.startswith(".")  # hidden beside the target
        partial.write_bytes(b"new")
        assert not out.exists()
    assert out.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


def test_writers_of_one_shared_file_each_write_their_own_partial_one(tmp_path):
    """Two writers of one path at once (processes sharing a cache): with ``per_process``
    neither truncates the other's temporary file, and the path ends whole."""
    out = tmp_path / "set.npz"
    with written_whole(out, per_process=True) as mine:
        assert mine.name == f".set.partial-{os.getpid()}.npz"
        other = tmp_path / ".set.partial-1.npz"  # another process's, half written
        other.write_bytes(b"hal")
        mine.write_bytes(b"whole")
    assert out.read_bytes() == b"whole" and other.read_bytes() == b"hal"


def test_an_error_keeps_the_old_file_and_removes_the_partial_one(tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("old")
    with pytest.raises(RuntimeError), written_whole(out) as partial:
        partial.write_text("half")
        raise RuntimeError("the writer failed")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_a_writer_killed_mid_write_leaves_the_old_file(tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("old")
    writer = (
        "import sys, time\n"
        "from descend._files import written_whole\n"
        "with written_whole(sys.argv[1]) as partial, open(partial, 'w') as fh:\n"
        "    fh.write('half'); fh.flush(); print('writing', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", writer, str(out)], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.05)
    assert out.read_text() == "old"


def test_inputs_are_read_within_bounds(tmp_path, monkeypatch):
    """Files and pipes are read; devices, folders and files over the limit are refused
    before they fill the memory; "-" is standard input."""
    path = tmp_path / "log.csv"
    path.write_bytes(b"loss\n1\n")
    assert read_bytes(path, 100) == b"loss\n1\n"
    with pytest.raises(ValueError, match=r"log\.csv is larger than 0 MiB, the most read"):
        read_bytes(path, 3)
    with pytest.raises(ValueError, match="/dev/zero is a device, not a file"):
        read_bytes("/dev/zero", 1 << 30)
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path, 100)
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "nope", 100)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"from a pipe"))
    writer.start()
    assert read_bytes(fifo, 100) == b"from a pipe"
    writer.join()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"from stdin")))
    assert read_bytes("-", 100) == b"from stdin"


TEXT = "époque;perte\n1;0,25\n"


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with its byte-order mark: PowerShell 5's ">"
        TEXT.encode("utf-16-le"),  # without one
        TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
        TEXT.encode("cp1252"),  # a spreadsheet's 8-bit text
    ],
)
def test_text_is_decoded_whatever_wrote_it(encoded):
    assert decode_text(encoded, "log.csv") == TEXT


@pytest.mark.parametrize(
    "data", [b"loss\n0.5\x00\x01\x02", bytes(range(1, 32)) * 10, bytes(range(1, 256)) * 16]
)
def test_binary_data_is_refused_naming_the_file(data):
    with pytest.raises(ValueError, match=r"^log\.csv is binary data"):
        decode_text(data, "log.csv")


def test_a_decimal_comma_becomes_a_point_and_nothing_else_changes():
    assert [point_decimal(c) for c in ["0,25", " -1,5e-3 ", ",5", "+2,0"]] == [
        "0.25", " -1.5e-3 ", ".5", "+2.0"
    ]  # fmt: skip
    for cell in ["1,000,000", "a,b", "1.5", "", "12", "1,"]:
        assert point_decimal(cell) == cell
