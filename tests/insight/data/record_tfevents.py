"""Record the TensorBoard event files that ``tests/insight/test_tfevents.py`` reads.

Needs PyTorch and the ``tensorboard`` package (neither is needed by the tests)::

    pip install torch==2.13.0 tensorboard
    python tests/insight/data/record_tfevents.py

Writes, under ``tests/insight/data/tfevents/``:

- ``torch/``: PyTorch's ``SummaryWriter`` during a real run (SGD on a small least-squares
  problem, 3 epochs of 8 batches): ``Loss/train`` every step, ``Loss/val`` every epoch,
  ``lr`` and a weight histogram every epoch (``simple_value`` scalars);
- ``keras/``: the records Keras' ``TensorBoard`` callback writes for its epoch scalars
  (``epoch_loss``, ``epoch_learning_rate``: TF2 tensors with ``float_val``) plus a float64
  tensor given by ``tensor_content``, built with tensorboard's own protocol buffers and its
  event writer (TensorFlow does not install here);
- ``truth.json``: the values written, as logged (float32 rounding included).
"""

import json
import pathlib
import shutil

import numpy as np
import torch
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from torch.utils.tensorboard import SummaryWriter

HERE = pathlib.Path(__file__).parent / "tfevents"


def torch_run() -> dict:
    torch.manual_seed(0)
    X = torch.randn(64, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(64)
    Xv, yv = torch.randn(16, 3), torch.randn(16)
    w = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05)
    writer = SummaryWriter(str(HERE / "torch"))
    train, val, step = [], [], 0
    for _ in range(3):
        for i in range(8):
            xb, yb = X[8 * i : 8 * i + 8], y[8 * i : 8 * i + 8]
            loss = torch.mean((xb @ w - yb) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            writer.add_scalar("Loss/train", loss.item(), step)
            train.append([step, float(np.float32(loss.item()))])
            step += 1
        with torch.no_grad():
            v = torch.mean((Xv @ w - yv) ** 2).item()
        writer.add_scalar("Loss/val", v, step - 1)
        writer.add_scalar("lr", 0.05, step - 1)
        writer.add_histogram("w", w.detach(), step - 1)
        val.append([step - 1, float(np.float32(v))])
    writer.close()
    return {"Loss/train": train, "Loss/val": val}


def keras_like() -> dict:
    writer = EventFileWriter(str(HERE / "keras"))
    scalar = tensor_shape_pb2.TensorShapeProto()
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
    )
    losses = [0.9, 0.5, 0.3, 0.25]
    for epoch, loss in enumerate(losses):
        values = [
            summary_pb2.Summary.Value(tag="epoch_loss", metadata=meta,
                                      tensor=tensor_pb2.TensorProto(dtype=1, tensor_shape=scalar,
                                                                    float_val=[loss])),
            summary_pb2.Summary.Value(tag="epoch_learning_rate", metadata=meta,
                                      tensor=tensor_pb2.TensorProto(dtype=1, tensor_shape=scalar,
                                                                    float_val=[0.001])),
            summary_pb2.Summary.Value(tag="epoch_loss64", metadata=meta,
                                      tensor=tensor_pb2.TensorProto(
                                          dtype=2, tensor_shape=scalar,
                                          tensor_content=np.float64(loss / 3).tobytes())),
        ]  # fmt: skip
        writer.add_event(event_pb2.Event(step=epoch, wall_time=1.7e9 + epoch,
                                         summary=summary_pb2.Summary(value=values)))  # fmt: skip
    writer.close()
    return {
        "epoch_loss": [[e, float(np.float32(v))] for e, v in enumerate(losses)],
        "epoch_loss64": [[e, v / 3] for e, v in enumerate(losses)],
    }


if __name__ == "__main__":
    shutil.rmtree(HERE, ignore_errors=True)
    HERE.mkdir(parents=True)
    truth = {"torch": torch_run(), "keras": keras_like()}
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
