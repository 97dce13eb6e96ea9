"""TensorBoard event files, as PyTorch's SummaryWriter and Keras' TensorBoard callback write
them, read by the doctor without TensorFlow. The files and the values they hold were
recorded by ``tests/insight/data/record_tfevents.py``."""

import json
import pathlib
import shutil

import numpy as np
import pytest

from descend.cli import main
from descend.insight.diagnose import read_log

DATA = pathlib.Path(__file__).parent / "data" / "tfevents"
TRUTH = json.loads((DATA / "truth.json").read_text())


def _file(run: str) -> pathlib.Path:
    (path,) = (DATA / run).glob("events.out.tfevents.*")
    return path


@pytest.mark.parametrize("where", ["folder", "file"])
def test_pytorch_summary_writer_scalars_are_read_exactly(where):
    path = DATA / "torch" if where == "folder" else _file("torch")
    log = read_log(path)
    steps, values = np.array(TRUTH["torch"]["Loss/train"]).T
    assert log["column"] == "Loss/train" and log["unit"] == "step"
    np.testing.assert_array_equal(log["loss"], values)
    np.testing.assert_array_equal(log["step"], steps)
    val = read_log(path, column="Loss/val")
    steps, values = np.array(TRUTH["torch"]["Loss/val"]).T
    np.testing.assert_array_equal(val["loss"], values)
    np.testing.assert_array_equal(val["step"], steps)


def test_tf2_tensor_scalars_float_val_and_tensor_content():
    log = read_log(DATA / "keras")
    steps, values = np.array(TRUTH["keras"]["epoch_loss"]).T
    assert log["column"] == "epoch_loss"
    np.testing.assert_array_equal(log["loss"], values)
    np.testing.assert_array_equal(log["step"], steps)
    wide = read_log(DATA / "keras", column="epoch_loss64")
    np.testing.assert_array_equal(wide["loss"], np.array(TRUTH["keras"]["epoch_loss64"])[:, 1])


def test_a_file_still_being_written_reads_its_whole_records(tmp_path):
    data = _file("torch").read_bytes()
    cut = tmp_path / "events.out.tfevents.1.cut"
    cut.write_bytes(data[: len(data) // 3])
    log = read_log(cut)
    full = np.array(TRUTH["torch"]["Loss/train"])[:, 1]
    assert 0 < len(log["loss"]) < len(full)
    np.testing.assert_array_equal(log["loss"], full[: len(log["loss"])])


def test_damaged_event_files_and_folders_without_them(tmp_path):
    head = _file("torch").read_bytes()[:100]
    bad = tmp_path / "events.out.tfevents.2.bad"
    bad.write_bytes(head[:12] + b"\xff" * 88 + b"\x00" * 300)
    with pytest.raises(ValueError, match="not a readable TensorBoard event file"):
        read_log(bad)
    empty = tmp_path / "run"
    empty.mkdir()
    with pytest.raises(IsADirectoryError):
        read_log(empty)
    only_version = tmp_path / "version"
    only_version.mkdir()
    first = 12 + int.from_bytes(head[:8], "little") + 4  # the version record alone
    (only_version / "events.out.tfevents.3.x").write_bytes(head[:first])
    with pytest.raises(ValueError, match="holds no scalars"):
        read_log(only_version)


def test_descend_diagnose_reads_a_tensorboard_run_folder(tmp_path, capsys):
    run = tmp_path / "runs" / "exp1"
    shutil.copytree(DATA / "torch", run)
    status = main(["diagnose", str(run), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status in (0, 1) and report["column"] == "Loss/train"
    assert report["values"] == len(TRUTH["torch"]["Loss/train"])
    assert main(["diagnose", str(tmp_path)]) == 2
    assert "folder" in capsys.readouterr().err


def test_a_folder_of_runs_reads_its_only_run_or_its_train_run(tmp_path):
    """Keras writes logs/train and logs/validation; Lightning lightning_logs/version_0."""
    lightning = tmp_path / "lightning_logs"
    shutil.copytree(DATA / "torch", lightning / "version_0")
    assert read_log(lightning)["column"] == "Loss/train"
    keras = tmp_path / "logs"
    shutil.copytree(DATA / "keras", keras / "train")
    shutil.copytree(DATA / "torch", keras / "validation")
    assert read_log(keras)["column"] == "epoch_loss"
    shutil.copytree(DATA / "torch", lightning / "version_1")
    with pytest.raises(ValueError, match=r"several TensorBoard runs \(version_0, version_1\)"):
        read_log(lightning)
