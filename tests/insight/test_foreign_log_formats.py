"""Logs as real frameworks write them, read by ``descend diagnose``: printed tensors, thousands
separators, validation lines among the training ones, quoted numbers, progress bars,
fixed-width tables, appended runs, TensorBoard's folders and exports, files cut short or
compressed. Each text is modelled on a framework's real output."""

import gzip
import importlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from descend._files import decode_text
from descend.insight.diagnose import diagnose, read_log

TFEVENTS = Path(__file__).parent / "data" / "tfevents"


def _write(tmp_path, name, text):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _read(tmp_path, name, text, **kwargs):
    return read_log(_write(tmp_path, name, text), **kwargs)


LOSSES = [0.9, 0.5, 0.3]


@pytest.mark.parametrize(
    "template",
    [
        "epoch 0 batch {i} loss: tensor({v:.4f}, grad_fn=<NllLossBackward0>)\n",
        "step {i} loss: tensor({v})\n",
        "step {i} loss: tensor([{v}])\n",
        "step {i} loss: tensor({v}, device='cuda:0', grad_fn=<NllLossBackward0>)\n",
        "step {i} loss: Array({v}, dtype=float32)\n",
    ],
)
def test_a_printed_tensor_is_read_as_its_number(tmp_path, template):
    text = "".join(template.format(i=i, v=v) for i, v in enumerate(LOSSES))
    log = _read(tmp_path, "tensor.log", text)
    assert log["column"] == "loss"
    np.testing.assert_allclose(log["loss"], LOSSES)


def test_thousands_separators_in_printed_logs_and_quoted_csv_cells(tmp_path):
    big = [1235412.22, 1197665.13, 997833.44]
    printed = _read(tmp_path, "t.log", "".join(
        f"Epoch {i}, loss: {v:,.2f}\n" for i, v in enumerate(big, 1)))  # fmt: skip
    np.testing.assert_allclose(printed["loss"], big)
    quoted = _read(tmp_path, "t.csv", "epoch,loss\n" + "".join(
        f'{i},"{v:,.2f}"\n' for i, v in enumerate(big, 1)))  # fmt: skip
    assert quoted["column"] == "loss"
    np.testing.assert_allclose(quoted["loss"], big)


def test_a_step_column_is_never_read_as_the_loss_silently(tmp_path):
    with pytest.raises(ValueError, match=r"steps, times or learning rates.*name the loss column"):
        _read(tmp_path, "text.csv", "epoch,loss\n1,low\n2,lower\n3,lowest\n")


def _quickstart():
    """What PyTorch's quickstart tutorial prints, with its own format strings."""
    out = ["Using cpu device"]
    for epoch, losses, (correct, test_loss) in ((1, (0.9, 0.8), (0.4, 2.15)),
                                                (2, (0.5, 0.3), (0.5, 2.1))):  # fmt: skip
        out += [f"Epoch {epoch}", "-" * 31]
        out += [f"loss: {v:>7f}  [{n:>5d}/60000]" for v, n in zip(losses, (64, 6464), strict=True)]
        out += [
            "Test Error: ",
            f" Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} ",
            "",
        ]
    return "\n".join(out) + "\n"


CAFFE = """I0528 solver.cpp:218] Iteration 100 (52.3 iter/s, 0.38s/20 iters), loss = 0.9
I0528 solver.cpp:237]     Train net output #0: loss = 0.9 (* 1 = 0.9 loss)
I0528 sgd_solver.cpp:105] Iteration 100, lr = 0.01
I0528 solver.cpp:330] Iteration 100, Testing net (#0)
I0528 solver.cpp:397]     Test net output #0: accuracy = 0.9
I0528 solver.cpp:397]     Test net output #1: loss = 2.2 (* 1 = 2.2 loss)
I0528 solver.cpp:218] Iteration 200 (52.3 iter/s, 0.38s/20 iters), loss = 0.8
I0528 solver.cpp:237]     Train net output #0: loss = 0.8 (* 1 = 0.8 loss)
I0528 solver.cpp:218] Iteration 300 (52.3 iter/s, 0.38s/20 iters), loss = 0.5
I0528 solver.cpp:237]     Train net output #0: loss = 0.5 (* 1 = 0.5 loss)
I0528 solver.cpp:330] Iteration 300, Testing net (#0)
I0528 solver.cpp:397]     Test net output #1: loss = 2.1 (* 1 = 2.1 loss)
I0528 solver.cpp:218] Iteration 400 (52.3 iter/s, 0.38s/20 iters), loss = 0.3
"""


def _fairseq():
    out, updates = [], 0
    for epoch, losses in ((1, (0.9, 0.8)), (2, (0.5, 0.3))):
        for i, v in enumerate(losses, 1):
            updates += 10
            out.append(
                f"2024-05-28 12:00:00 | INFO | train_inner | epoch {epoch:03d}:     "
                f"{i * 10} / 20 loss={v}, nll_loss=1.0, num_updates={updates}, lr=0.0005"
            )
        out.append(
            f"2024-05-28 12:00:00 | INFO | valid | epoch {epoch:03d} | valid on 'valid' "
            f"subset | loss 2.{epoch} | nll_loss 1.6 | num_updates {updates}"
        )
        out.append(f"2024-05-28 12:00:00 | INFO | train | epoch {epoch:03d} | loss 1.{epoch} | "
                   f"nll_loss=1.0 | num_updates {updates} | lr 0.0005")  # fmt: skip
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("name", "text", "kept"),
    [("quick.log", _quickstart(), "test_loss"), ("caffe.log", CAFFE, "test_loss"),
     ("fairseq.log", _fairseq(), "val_loss")],
)  # fmt: skip
def test_validation_lines_and_epoch_summaries_are_kept_out_of_the_training_curve(
    tmp_path, name, text, kept
):
    log = _read(tmp_path, name, text)
    assert log["column"] == "loss"
    np.testing.assert_allclose(log["loss"], [0.9, 0.8, 0.5, 0.3])
    assert any("test/validation lines apart" in note for note in log["notes"])
    held = _read(tmp_path, name, text, column=kept)
    assert len(held["loss"]) == 2 and held["loss"][0] > 2
    if name == "fairseq.log":
        assert any("summary lines" in note for note in log["notes"])
        np.testing.assert_array_equal(log["step"], [10, 20, 30, 40])


def test_hugging_face_5_quoted_numbers_are_read(tmp_path):
    text = "".join(
        f"{{'loss': '{v}', 'grad_norm': '0.48', 'learning_rate': '0.1', 'epoch': '{e}'}}\n"
        for v, e in zip(LOSSES, (0.25, 0.5, 0.75), strict=True)
    )
    text += "{'eval_loss': '1.978', 'eval_runtime': '0.0339', 'epoch': '1'}\n"
    log = _read(tmp_path, "hf.log", text)
    np.testing.assert_allclose(log["loss"], LOSSES)
    np.testing.assert_allclose(log["grad_norm"], [0.48] * 3)
    np.testing.assert_allclose(log["step"], [0.25, 0.5, 0.75])


def test_keras_verbose_1_with_backspaces_reads_each_epochs_final_values(tmp_path):
    bar = "\x1b[1m{k}/45\x1b[0m \x1b[32m━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m 20ms/step - loss: {v}"
    text = ""
    for epoch, v in enumerate(LOSSES, 1):
        text += f"Epoch {epoch}/3\n"
        text += "\r" + bar.format(k=1, v=v * 3) + "\x08" * 40
        text += "\r" + bar.format(k=20, v=v * 2) + "\x08" * 40
        text += "\r" + bar.format(k=45, v=v) + f" - val_loss: {v + 1}\n"
    assert decode_text(text.encode(), "log") == text  # backspaces are text
    log = _read(tmp_path, "keras.log", text)
    np.testing.assert_allclose(log["loss"], LOSSES)
    np.testing.assert_array_equal(log["step"], [1, 2, 3])
    assert any("running averages" in note for note in log["notes"])


def test_tqdm_progress_bars_separated_by_carriage_returns(tmp_path):
    text = "\rEpoch 0:   0%|          | 0/3 [00:00<?, ?it/s]"
    for i, v in enumerate(LOSSES):
        text += f"\rEpoch 0:  {i * 33}%|███       | {i}/3 [00:00<00:00, 12.3it/s, loss={v}]"
    log = _read(tmp_path, "tqdm.log", text + "\n")
    np.testing.assert_allclose(log["loss"], LOSSES)


SKLEARN = """      Iter       Train Loss      OOB Improve   Remaining Time 
         1        5368.9355         427.3965            0.18s
         2        4878.6267         370.8381            0.15s
         3        4594.3763         849.9787            0.15s
"""  # noqa: W291
SPACY = """ℹ Saving to output directory: training
ℹ Pipeline: ['tok2vec', 'ner']
ℹ Initial learn rate: 0.001
E    #       LOSS TOK2VEC  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE 
---  ------  ------------  --------  ------  ------  ------  ------
  0       0         23.02    230.20   50.00   50.00   50.00    0.50
  0     200         22.48    224.80   51.00   51.00   51.00    0.51
  1     400         21.95    219.50   52.00   52.00   52.00    0.52
✔ Saved pipeline to output directory
"""  # noqa: W291


@pytest.mark.parametrize(
    ("text", "column", "first"),
    [(SKLEARN, "Train Loss", 5368.9355), (SPACY, "LOSS TOK2VEC", 23.02)],
)
def test_fixed_width_tables_with_names_of_several_words(tmp_path, text, column, first):
    log = _read(tmp_path, "table.log", text)
    assert log["column"] == column and log["loss"][0] == first and len(log["loss"]) == 3
    assert _read(tmp_path, "table.log", text, column="ENTS_F" if "E " in text else "OOB Improve")


def test_appended_runs_read_the_last_and_say_so(tmp_path):
    csv_ = _read(tmp_path, "two.csv", "step,loss\n1,5\n2,4\n3,3\nstep,loss\n1,0.9\n2,0.5\n3,0.3\n")
    np.testing.assert_allclose(csv_["loss"], LOSSES)
    assert any("holds 2 runs" in note for note in csv_["notes"])
    printed = _read(tmp_path, "two.log", "".join(
        f"step {i} loss {v}\n" for i, v in [(1, 5), (2, 4), (3, 3), (1, 0.9), (2, 0.5), (3, 0.3)]
    ))  # fmt: skip
    np.testing.assert_allclose(printed["loss"], LOSSES)
    np.testing.assert_array_equal(printed["step"], [1, 2, 3])
    assert any("2 runs appended" in note for note in printed["notes"])
    # a batch counter that starts again at each epoch is no new run
    epochs = _read(tmp_path, "e.log", "".join(
        f"epoch {e} step {s} loss {v}\n" for e, s, v in [(1, 1, 0.9), (1, 2, 0.5), (2, 1, 0.3)]
    ))  # fmt: skip
    assert len(epochs["loss"]) == 3 and not epochs["notes"]


def test_tensorboard_add_scalars_folders_exports_and_deeper_runs(tmp_path):
    torch = next((TFEVENTS / "torch").glob("events.out.tfevents.*"))
    scalars = tmp_path / "scalars"
    (scalars / "Loss_train").mkdir(parents=True)
    (scalars / "Loss_val").mkdir()
    version = torch.read_bytes()
    first = 12 + int.from_bytes(version[:8], "little") + 4  # the version record alone
    (scalars / "events.out.tfevents.1.host.0").write_bytes(version[:first])
    shutil.copy(torch, scalars / "Loss_train" / torch.name)
    shutil.copy(torch, scalars / "Loss_val" / torch.name)
    log = read_log(scalars, column=None)
    assert log["column"].startswith("Loss_train")
    rows = [[1716900000.17 + i, 3 * i + 1, v] for i, v in enumerate(LOSSES)]
    export = _read(tmp_path, "run-.-tag-train_loss.json", json.dumps(rows))
    assert export["column"] == "train_loss"
    np.testing.assert_allclose(export["loss"], LOSSES)
    np.testing.assert_array_equal(export["step"], [1, 4, 7])
    deep = tmp_path / "tb"
    for run in ("good", "high"):
        shutil.copytree(TFEVENTS / "torch", deep / run / "version_0")
    with pytest.raises(ValueError, match=r"runs below it: 'good/version_0', 'high/version_0'"):
        read_log(deep)


@pytest.mark.parametrize(
    "text",
    [
        "0.9,\n0.5,\n0.3,\n",
        "\x1b[32m2024-05-28 12:00:00.123\x1b[0m | \x1b[1mINFO    \x1b[0m | \x1b[36m__main__\x1b[0m"
        " - \x1b[1mepoch\x1b[0m 1 \x1b[1mloss\x1b[0m 0.9\n"
        "\x1b[32m2024-05-28 12:00:00.123\x1b[0m | \x1b[1mINFO    \x1b[0m | \x1b[36m__main__\x1b[0m"
        " - \x1b[1mepoch\x1b[0m 2 \x1b[1mloss\x1b[0m 0.5\n"
        "\x1b[32m2024-05-28 12:00:00.123\x1b[0m | \x1b[1mINFO    \x1b[0m | \x1b[36m__main__\x1b[0m"
        " - \x1b[1mepoch\x1b[0m 3 \x1b[1mloss\x1b[0m 0.3\n",
    ],
)
def test_the_first_row_of_numbers_is_data_not_a_header(tmp_path, text):
    np.testing.assert_allclose(_read(tmp_path, "first.log", text)["loss"], LOSSES)


def test_columns_are_told_apart_by_whole_words(tmp_path):
    text = (
        '"Step","valiant-dream-7 - loss","valiant-dream-7 - loss__MIN","glowing-sun-3 - loss"\n'
        '"1","0.9","0.9","2.0"\n"2","0.5","0.5","1.0"\n"3","0.3","0.3","0.5"\n'
    )
    log = _read(tmp_path, "wandb.csv", text)
    assert log["column"] == "valiant-dream-7 - loss"
    np.testing.assert_allclose(log["loss"], LOSSES)
    assert any("'glowing-sun-3 - loss'" in note for note in log["notes"])


def test_a_last_line_cut_short_is_left_out(tmp_path):
    mlflow = "1764300000000 0.9 1\n1764300000001 0.5 2\n1764300000002 0.3 3\n1764300000003 0.2"
    log = _read(tmp_path, "train_loss", mlflow)
    np.testing.assert_allclose(log["loss"], LOSSES)
    assert any("cut short" in note for note in log["notes"])
    lines = "".join(json.dumps({"step": i, "loss": v}) + "\n" for i, v in enumerate(LOSSES))
    log = _read(tmp_path, "metrics.jsonl", lines + '{"step": 3, "lo')
    np.testing.assert_allclose(log["loss"], LOSSES)
    csv_ = _read(tmp_path, "m.csv", "step,loss\n1,0.9\n2,0.5\n3,0.3\n4,0.")
    assert len(csv_["loss"]) == 4  # a number cut short cannot be told from a whole one
    csv_ = _read(tmp_path, "m.csv", "step,loss,acc\n1,0.9,1\n2,0.5,1\n3,0.3,1\n4,0.")
    np.testing.assert_allclose(csv_["loss"], LOSSES)


def test_gzip_is_read_within_the_limit(tmp_path, monkeypatch):
    text = "step,loss\n1,0.9\n2,0.5\n3,0.3\n"
    path = _write(tmp_path, "metrics.csv.gz", gzip.compress(text.encode()))
    np.testing.assert_allclose(read_log(path)["loss"], LOSSES)
    bomb = _write(tmp_path, "bomb.csv.gz", gzip.compress(b"loss\n" + b"0.5\n" * 100_000))
    monkeypatch.setattr(
        importlib.import_module("descend.insight.diagnose._logs"), "MAX_BYTES", 10_000
    )
    with pytest.raises(ValueError, match="decompresses to more than"):
        read_log(bomb)


def test_trainer_state_prefers_the_step_counter_to_the_fractional_epoch(tmp_path):
    history = [
        {"loss": v, "grad_norm": 1.0, "learning_rate": 0.1, "epoch": e, "step": s}
        for v, e, s in zip(LOSSES, (0.33, 0.67, 1.0), (10, 20, 30), strict=True)
    ]
    log = _read(tmp_path, "trainer_state.json", json.dumps({"log_history": history}))
    np.testing.assert_array_equal(log["step"], [10, 20, 30])
    assert log["unit"] == "step"


def test_losses_printed_within_each_epoch_are_read_per_step(tmp_path):
    """PyTorch's quickstart prints a batch's loss every 100 batches under an "Epoch N"
    heading: several losses an epoch are steps within it, not epochs, and their batch noise
    around a falling trend is not a rate that is too high."""
    rng = np.random.default_rng(0)
    t = np.arange(180)
    losses = (0.05 + 2.2 * np.exp(-t / 15)) * (1 + 0.3 * rng.standard_normal(t.size))
    lines = []
    for epoch in range(30):
        lines += [f"Epoch {epoch + 1}", "-" * 31]
        lines += [f"loss: {v:>7f}  [{64 * 10 * b:>5d}/60000]"
                  for b, v in enumerate(losses[6 * epoch : 6 * epoch + 6])]  # fmt: skip
    headed = "\n".join(lines) + "\n"
    # `grep loss train.log` keeps no heading: the progress counter [k/60000] tells the epochs
    grepped = "".join(line + "\n" for line in lines if "loss" in line)
    # the pytorch-tutorial repository's "Epoch [1/30], Step [100/600], Loss: 0.2300"
    bracketed = "".join(
        f"Epoch [{e + 1}/30], Step [{100 * (b + 1)}/600], Loss: {v:.4f}\n"
        for e in range(30) for b, v in enumerate(losses[6 * e : 6 * e + 6])
    )  # fmt: skip
    for name, text in (("quick.log", headed), ("grepped.log", grepped), ("tut.log", bracketed)):
        path = tmp_path / name
        path.write_text(text)
        log = read_log(path)
        assert log["per_step"] and log["unit"] == "epoch"
        np.testing.assert_allclose(log["step"][:7], [1, 7 / 6, 8 / 6, 1.5, 10 / 6, 11 / 6, 2])
        d = diagnose(path)
        assert d.label in ("healthy", "converged"), d.evidence
        assert "44 blocks of about 4 losses" in d.evidence[0]
        spans = re.findall(r"over epochs (\S+)-(\S+) ", " ".join(d.evidence))
        assert spans and all(re.fullmatch(r"\d+(\.\d{1,2})?", v) for v in spans[0]), spans


def test_an_epoch_in_brackets_numbers_the_losses_within_it(tmp_path):
    """MMDetection prints ``Epoch [e][k/N]`` and then its losses (``loss_cls`` before the total
    ``loss``): the total is read, numbered by fractions of its epoch."""
    text = "".join(
        f"2024-01-01 12:00:00,000 - mmdet - INFO - Epoch [{e}][{k}/150]\tlr: 1.000e-02, "
        f"time: 0.500, loss_cls: {0.5 / e:.4f}, acc: 90.0, loss: {1.0 / e + k / 1e4:.4f}\n"
        for e in (1, 2, 3) for k in (50, 100, 150)
    )  # fmt: skip
    log = _read(tmp_path, "mmdet.log", text)
    assert log["column"] == "loss" and log["unit"] == "epoch" and log["per_step"]
    np.testing.assert_allclose(log["step"], [1, 4 / 3, 5 / 3, 2, 7 / 3, 8 / 3, 3, 10 / 3, 11 / 3])
    np.testing.assert_allclose(log["loss"][:3], [1.005, 1.01, 1.015])


def test_comment_lines_at_the_top_are_left_out_or_read_as_numpys_header(tmp_path):
    """``np.savetxt(..., header="step,loss")`` writes its header as ``# step,loss``, and R,
    gnuplot and home-made loggers open with notes after ``#``: such a file was "no numeric
    column; its columns are '# run 1'"."""
    losses = 2.0 * np.exp(-np.arange(30) / 8.0) + 0.1
    table = np.c_[np.arange(30), losses]
    np.savetxt(tmp_path / "a.csv", table, delimiter=",", header="step,loss")
    np.savetxt(tmp_path / "b.txt", table, header="step train_loss")
    np.savetxt(tmp_path / "c.txt", table, header="losses of run 3, lr 0.1")
    cases = [("a.csv", "loss", "read the header from the comment line"),
             ("b.txt", "train_loss", "read the header from the comment"),
             ("c.txt", None, "left out 1 comment line(s) at the top")]  # fmt: skip
    for name, column, note in cases:
        log = read_log(tmp_path / name)
        np.testing.assert_allclose(log["loss"], losses)
        assert column is None or log["column"] == column
        assert any(n.startswith(note) for n in log["notes"]), log["notes"]
    notes = "# run 1\n# lr=0.1\n" + "step\tloss\n" + "".join(
        f"{i}\t{v}\n" for i, v in enumerate(losses))  # fmt: skip
    log = _read(tmp_path, "d.tsv", notes)
    np.testing.assert_allclose(log["loss"], losses)
    np.testing.assert_array_equal(log["step"], np.arange(30))
    # a printed log whose every line opens with '#' is read as it was
    printed = "".join(f"# step {i} loss: {v}\n" for i, v in enumerate(losses))
    np.testing.assert_allclose(_read(tmp_path, "e.log", printed)["loss"], losses)


@pytest.mark.parametrize("orient", ["columns", "index", "split", "table", "records", "series"])
def test_pandas_to_json_is_read_in_every_orient_in_the_order_written(tmp_path, orient):
    """``pd.DataFrame(history.history).to_json("h.json")`` writes ``{"loss": {"0": ...}}``,
    which read as "a JSON object needs lists of values"; the other orients and a Series too.
    The frame is written in reverse: its rows come back in the order written, not sorted."""
    pd = pytest.importorskip("pandas")
    losses = 2.0 * np.exp(-np.arange(40) / 10.0) + 0.1
    frame = pd.DataFrame({"loss": losses, "val_loss": losses + 0.2}).iloc[::-1]
    path = tmp_path / f"{orient}.json"
    if orient == "series":
        frame["loss"].to_json(path)
    else:
        frame.to_json(path, orient=orient)
    log = read_log(path)
    assert log["column"] == ("value" if orient == "series" else "loss")
    np.testing.assert_allclose(log["loss"], losses[::-1])


def test_numpy_files_are_read_without_unpickling(tmp_path):
    """``np.save("losses.npy", losses)`` was "binary data (it holds NUL bytes), not text"."""
    losses = 2.0 * np.exp(-np.arange(40) / 10.0) + 0.1
    np.save(tmp_path / "a.npy", losses)
    np.save(tmp_path / "b.npy", np.c_[np.arange(40), losses])
    np.save(tmp_path / "c.npy", np.rec.fromarrays([np.arange(40), losses], names="step,loss"))
    np.savez_compressed(tmp_path / "d.npz", train_loss=losses, val_loss=losses[::4])
    for name, column in [("a.npy", "loss"), ("b.npy", "2"), ("c.npy", "loss"),
                         ("d.npz", "train_loss")]:  # fmt: skip
        log = read_log(tmp_path / name)
        assert log["column"] == column
        np.testing.assert_allclose(log["loss"], losses)
    np.save(tmp_path / "e.npy", np.array([{"loss": 1.0}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"e.npy is a NumPy file that cannot be read as losses: "
                                         r"it holds pickled Python objects"):  # fmt: skip
        read_log(tmp_path / "e.npy")
    np.save(tmp_path / "f.npy", np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"f.npy holds no array of numbers"):
        read_log(tmp_path / "f.npy")


def _noisy_run(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return [float(v) for v in np.exp(-np.arange(n) / 15) + 0.05 + rng.normal(0, 0.01, n)]


def _in_memory_logs():
    """Logs as a user holds them after training, each with the file that holds the same log."""
    loss = _noisy_run()
    keras = {
        "train_loss": loss,
        "val_loss": [v + 0.1 for v in loss],
        "accuracy": [1 - v for v in loss],
    }
    history = [
        {"loss": v, "learning_rate": 1e-3, "epoch": i / 20, "step": i + 1}
        for i, v in enumerate(loss)
    ] + [{"eval_loss": 0.2, "epoch": 3.0, "step": 60}]
    arrays = {"train_loss": np.asarray(loss), "step": np.arange(60)}
    lightning = {
        "epoch": [i // 20 for i in range(60)],
        "step": list(range(60)),
        "train_loss_step": loss,
        "val_loss": [None] * 59 + [0.3],
    }
    yield "a dict of lists without 'loss'", keras, "log.json", json.dumps(keras)
    yield (
        "Hugging Face log_history",
        history,
        "trainer_state.json",
        json.dumps({"log_history": history}),
    )
    yield (
        "a dict of NumPy arrays",
        arrays,
        "log.json",
        json.dumps({k: v.tolist() for k, v in arrays.items()}),
    )
    yield "Lightning metrics.csv in pandas", "metrics.csv", "metrics.csv", lightning  # fmt: skip


@pytest.mark.parametrize("case", list(_in_memory_logs()), ids=lambda c: c[0])
def test_a_log_held_in_memory_reads_as_the_same_log_saved(tmp_path, case):
    """A dict without a "loss" entry, a DataFrame of a Lightning ``metrics.csv`` and Hugging
    Face's ``log_history`` failed (``a dict must have a 'loss' entry``, ``the losses must hold
    numbers only``), though the same logs saved as files read right: now each reads as its
    file does (the file reader is the truth), with the same verdict."""
    from descend.insight.diagnose import as_curve

    _, held, name, saved = case
    if name == "metrics.csv":  # written as Lightning writes it, read back as a user would
        pandas = pytest.importorskip("pandas")
        path = tmp_path / name
        pandas.DataFrame(saved).to_csv(path, index=False)
        held = pandas.read_csv(path)
    else:
        path = _write(tmp_path, name, saved)
    want, got = read_log(path), as_curve(held)
    assert np.array_equal(got.loss, want["loss"])
    if want["step"] is not None:
        assert np.array_equal(got.steps, want["step"])
    assert diagnose(held).label == diagnose(path).label


def test_a_generator_of_losses_reads_as_its_numbers():
    """A generator failed as "the losses must hold numbers only"."""
    loss = _noisy_run()
    want, got = diagnose(loss), diagnose(v for v in loss)
    assert got.label == want.label and got.evidence == want.evidence


def test_a_torch_tensor_that_requires_a_gradient_reads_as_its_numbers():
    """It failed in torch's words: ``Can't call numpy() on Tensor that requires grad``."""
    torch = pytest.importorskip("torch")
    loss = _noisy_run()
    want = diagnose(loss)
    got = diagnose(torch.tensor(loss, dtype=torch.float64, requires_grad=True))
    assert got.label == want.label and got.evidence == want.evidence
