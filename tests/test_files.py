"""Output files are written whole or not at all (descend._files.written_whole), also when
the writing process is killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import time

import pytest

from descend._files import written_whole


def test_the_file_appears_whole_and_the_temporary_name_keeps_the_suffix(tmp_path):
    out = tmp_path / "fig.png"
    with written_whole(out) as partial:
        assert partial.parent == tmp_path and partial.suffix == ".png"
        assert partial.name.startswith(".")  # hidden beside the target
        partial.write_bytes(b"new")
        assert not out.exists()
    assert out.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


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
