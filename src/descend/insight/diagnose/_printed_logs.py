"""Printed training logs: lines that name their numbers, as training scripts print them
(``epoch 3 loss 0.25``, ``Epoch 3/10, Loss: 0.2500``, ``step=30 loss=0.25``, Hugging Face's
``{'loss': 0.25, 'epoch': 0.1}`` and, from transformers 5, ``{'loss': '0.25', ...}``, the PyTorch
tutorial's ``[1,  2000] loss: 2.192``, the quickstart's ``loss: 0.23  [ 6464/60000]`` (its
progress counter numbers the losses within epochs, headings or not), a printed tensor
``loss: tensor(2.3020, grad_fn=<NllLossBackward0>)``, thousands separators ``loss: 1,235,412.22``).

One row per line that names a loss, each ``name number`` pair a column (``3/10`` and
``Epoch [3/10]`` are read as 3, MMDetection's ``Epoch [3][50/300]`` as epoch 3). What the
text holds besides is taken out first: colours (ANSI escapes), and progress bars' overwrites
(``\\r`` and backspaces end a line, as a terminal would have shown it).

Kept apart from the training curve: lines whose text before the loss names a held-out set
(``Test net output #1: loss = ...``, fairseq's ``valid on 'valid' subset | loss ...``), and
the line after a heading that does (the PyTorch quickstart's ``Test Error:``), are columns of
their own (``test_loss``, ``valid_loss``); a summary that repeats the per-step lines in
another form (fairseq's ``| train | epoch 001 | loss ...``) is left out; under Keras' ``Epoch
3/10`` headings only the last progress line of each epoch is read (the others are running
averages of the epoch so far). What was left out is said in the reader's notes."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator

import numpy as np

from descend.insight.diagnose._log_columns import (
    LOSS_NAMES,
    NOT_LOSS,
    STEP_NAMES,
    Column,
    Table,
    words,
)

_NUMBER = (
    r"[-+]?(?:nan|inf(?:inity)?|\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][-+]?\d+)?"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
)
_PAIR = re.compile(
    r"(?<![\w./-])([A-Za-z_][\w./-]{0,99}?)['\"]?\s*[:=]?\s*(?:['\"]|\[(?=[\d.]+(?:/\d+)?\]))?("
    + _NUMBER
    + r")(?:/\d+\]?)?(?![\w.-])",
    re.IGNORECASE,
)
#: ``train loss 0.25`` / ``val loss 0.3`` (nanoGPT) read as ``train_loss`` / ``val_loss``.
_QUALIFIED_LOSS = re.compile(r"\b(train(?:ing)?|val(?:id(?:ation)?)?|test|eval)\s+(loss)\b", re.I)
#: LightGBM's ``training's l2: 0.25`` (the data set's name, then the metric's).
_SPLIT_PAIR = re.compile(r"([A-Za-z_]\w{0,99}'s\s+[\w@.-]+):\s*(" + _NUMBER + r")(?![\w.])")
#: The iteration that opens a boosting library's line: XGBoost and LightGBM ``[10]``,
#: CatBoost ``10:``.
_LEADING_STEP = re.compile(r"^\s*(?:\[(\d+)\]|(\d+):)\s")
#: Metrics that fall as a model learns, as boosting libraries name them.
_FALLING_METRICS = ("loss", "rmse", "mse", "mae", "mape", "error", "l1", "l2", "deviance",
                    "huber", "poisson", "gamma", "tweedie", "quantile", "entropy")  # fmt: skip
#: Colours and cursor moves (ANSI escape sequences), as loguru, rich and Keras 3 print them.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
#: A printed tensor: PyTorch's ``tensor(2.3020, grad_fn=<NllLossBackward0>)``, ``tensor([2.3])``,
#: JAX's ``Array(2.302, dtype=float32)``: the number inside.
_TENSOR = re.compile(r"\b(?:tensor|Array)\(\[*\s*(" + _NUMBER + r")\s*\]*(?:,[^)\n]*)?\)")
#: Keras' epoch heading, and the batch counter that opens its progress lines.
_KERAS_EPOCH = re.compile(r"\s*Epoch\s+\d+/\d+\s*")
_KERAS_PROGRESS = re.compile(r"\s*\d+/\d+\s")
#: A progress counter after the loss: the PyTorch quickstart's ``loss: 0.23  [ 6464/60000]``
#: (samples seen of the epoch's).
_COUNTER = re.compile(r"\[\s*(\d+)\s*/\s*(\d+)\s*\]")
#: The words of a line's prefix that tell one kind of line from another: words standing
#: alone, not units glued to numbers (``20ms/step``, ``?it/s``), not timestamps.
_PREFIX_WORDS = re.compile(r"(?<![^\s|,;:\[\]()])[A-Za-z_]{2,}(?![^\s|,;:\[\]()])")
#: How a held-out word is named in a column: ``test_loss``, ``val_loss``, ``eval_loss``.
_HELD_OUT_PREFIX = {w: "test" if w.startswith("test") else w[:4] if w[0] == "e" else "val"
                    for w in NOT_LOSS}  # fmt: skip


def falling_metric(name: str, splits: tuple[str, ...] | None = None) -> bool:
    """Whether a printed name is a boosting library's metric that falls as a model learns
    (not AUC): XGBoost's ``train-rmse``, LightGBM's ``training's l2``, on the data sets
    named ``splits`` (any data set when None: the scikit-learn API of XGBoost names them
    ``validation_0``, ...)."""
    split, _, metric = name.partition("'s ") if "'s " in name else name.partition("-")
    if not (split and metric) or (splits is not None and split not in splits):
        return False
    return any(m in metric for m in _FALLING_METRICS)


def training_metric(name: str) -> bool:
    """Whether a printed name is a boosting library's training loss: CatBoost's ``learn``,
    XGBoost's ``train-rmse``, LightGBM's ``training's l2`` (a metric that falls, not AUC)."""
    return name == "learn" or falling_metric(name, ("train", "training"))


def _names_loss(name: str) -> bool:
    return "loss" in name or name in LOSS_NAMES or training_metric(name)


def clean_text(text: str) -> str:
    """The text as a terminal showed it: colours taken out, a run of backspaces ending a
    line like ``\\r`` (Keras' progress bar), a printed tensor replaced by its number."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\x08" in text:
        text = re.sub("\x08+", "\r", text)
    if "tensor(" in text or "Array(" in text:
        text = _TENSOR.sub(r"\1", text)
    return text


def lines(text: str, keepends: bool = False, chunk: int = 1 << 20) -> Iterator[str]:
    """The lines of a text (``\\r`` ends one too), split a MiB at a time: a list of every
    line of a large log is never held."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + chunk)
        end = size if end < 0 else end + 1
        yield from text[start:end].splitlines(keepends)
        start = end


def _pairs(line: str) -> tuple[dict[str, str], int]:
    """The ``name number`` pairs of a line, and where the first that names a loss starts
    (about: where its name first appears; -1 when none names a loss)."""
    if "oss" in line and ("al" in line or "rain" in line or "est" in line):
        line = _QUALIFIED_LOSS.sub(r"\1_\2", line)
    pairs: dict[str, str] = {}
    if "'s " in line:
        pairs = {name.lower(): value for name, value in _SPLIT_PAIR.findall(line)}
        line = _SPLIT_PAIR.sub(lambda m: " " * len(m.group(0)), line)
    for name, value in _PAIR.findall(line):
        pairs[name.lower()] = value
    loss = next((name for name in pairs if _names_loss(name)), None)
    return pairs, -1 if loss is None else max(line.lower().find(loss), 0)


def names_a_loss(line: str) -> bool:
    """Whether a line names a loss as a printed log does (``loss: 0.25``)."""
    return _pairs(line[:10_000])[1] >= 0


def _held_out_word(text: str) -> str | None:
    low = text.lower()
    if "val" not in low and "test" not in low:  # every word of NOT_LOSS holds one
        return None
    return next((w for w in words(text) if w in NOT_LOSS), None)


class _Reader:
    """The state of a read: the training rows, the held-out rows, and what each training
    row was printed as (its prefix's words and its names, to find a repeating summary)."""

    def __init__(self, apart: bool = True) -> None:
        self.apart = apart  # whether held-out lines are kept apart
        self.train, self.held = Table(), Table()
        self.context: dict[str, str] = {}
        self.context_id = 0
        self.keras = False  # the last heading was Keras' "Epoch 3/10"
        self.stepped = False  # the last training row named its own step
        self.last = -1  # the last training row
        self.last_progress = -1  # the context under which the last row was a progress line
        self.heading: str | None = None  # a held-out heading's word, for the next line
        self.kinds: dict[tuple[str, tuple[str, ...]], int] = {}
        self.examples: list[str] = []
        self.kind = array("i")
        self.collapsed = 0
        self.counted = (0, -1)  # passes counted by a progress counter, its last value

    def line(self, line: str) -> None:
        line = line[:10_000]
        if not line.strip():
            return
        heading, self.heading = self.heading, None
        pairs, first = _pairs(line)
        opening = line.lstrip()[:1]
        lead = _LEADING_STEP.match(line) if opening == "[" or opening.isdigit() else None
        if first < 0 and not (lead and any(falling_metric(n) for n in pairs)):
            self.context.update({k: v for k, v in pairs.items() if k in STEP_NAMES})
            if _KERAS_EPOCH.fullmatch(line):
                self.context_id += 1
                self.keras = True
            elif not pairs:
                self.heading = _held_out_word(line)
            return
        if lead and not any(k in STEP_NAMES for k in pairs):
            pairs = {"iteration": lead.group(1) or lead.group(2), **pairs}
        prefix = line[: max(first, 0)]
        word = heading or _held_out_word(prefix)
        if word is not None and self.apart:
            tag = _HELD_OUT_PREFIX[word]
            named = {
                k if k in STEP_NAMES or any(w in NOT_LOSS for w in words(k)) else f"{tag}_{k}": v
                for k, v in pairs.items()
            }
            self.held.add({**self.context, **named}.items())
            return
        own_step = any(k in STEP_NAMES for k in pairs)
        if not own_step and "epoch" not in self.context and "/" in line:
            pairs, own_step = self._counted(line, first, pairs)
        if not own_step and self.stepped:
            # Caffe follows "Iteration 100, loss = 0.9" with "Train net output #0: loss =
            # 0.9": the same step's loss again, not a step of its own
            self.train.update_last(pairs.items())
            self.stepped = False
            return
        self.stepped = own_step
        progress = self.keras and not own_step and _KERAS_PROGRESS.match(line) is not None
        if progress and self.last_progress == self.context_id and self.last >= 0:
            # a running average of the epoch so far, overwritten by the next
            self.train.drop_last()
            del self.kind[-1]
            self.collapsed += 1
        self.last_progress = self.context_id if progress else -1
        self.train.add({**self.context, **pairs}.items() if self.context else pairs.items())
        self.last = self.train.rows - 1
        key = (" ".join(_PREFIX_WORDS.findall(prefix)), tuple(pairs))
        if key not in self.kinds:
            self.kinds[key] = len(self.kinds)
            self.examples.append(prefix.strip()[:60])
        self.kind.append(self.kinds[key])

    def _counted(self, line: str, first: int, pairs: dict) -> tuple[dict[str, str], bool]:
        """A line's pairs with the epoch that its progress counter tells (``[k/N]`` after
        the loss, with k at most N): an epoch begins where k does not grow. Without
        ``Epoch N`` headings (``grep loss train.log``), these losses are still numbered
        within their epochs, as steps."""
        counter = _COUNTER.search(line, first)
        if counter is None or int(counter[1]) > int(counter[2]):
            return pairs, False
        passes, last = self.counted
        seen = int(counter[1])
        if last < 0 or seen <= last:  # the first counter, or k started again: a new epoch
            passes += 1
        self.counted = (passes, seen)
        return {**pairs, "epoch": str(passes)}, True

    def summaries(self) -> tuple[np.ndarray, str | None]:
        """The training rows to keep, leaving out a summary that repeats the per-step lines
        in another form: rows naming the same numbers as the most frequent kind of row, but
        after other words, at least twice and at most half as often. Also an example."""
        kinds = np.frombuffer(self.kind, dtype=np.int32) if self.kind else np.zeros(0, int)
        keep = np.ones(len(kinds), dtype=bool)
        if len(self.kinds) < 2:
            return keep, None
        tally = np.bincount(kinds, minlength=len(self.kinds))
        by_names: dict[tuple[str, ...], list[int]] = {}
        for (_, names), k in self.kinds.items():
            by_names.setdefault(names, []).append(k)
        example = None
        for group in by_names.values():
            top = max(group, key=lambda k: tally[k])
            for k in group:
                if k != top and 2 <= tally[k] <= tally[top] // 2:
                    keep &= kinds != k
                    example = example or self.examples[k]
        return keep, example


def _read(text: str, apart: bool) -> _Reader:
    reader = _Reader(apart)
    for line in lines(text):
        reader.line(line)
    return reader


def read_printed(text: str, notes: list[str]) -> dict[str, Column]:
    """Columns from lines that name their numbers (see the module docstring); an empty dict
    when no line names a loss. What was left out is added to ``notes``."""
    reader = _read(text, apart=True)
    if not reader.train.rows and reader.held.rows:
        # every line names a held-out set (or a path such as test_run.py does): read them
        notes.append("every line that names a loss mentions test, validation or evaluation")
        reader = _read(text, apart=False)
    train, held = reader.train.columns(), reader.held.columns()
    if not train:
        return {}
    keep, example = reader.summaries()
    if not keep.all():
        notes.append(
            f"left out {int((~keep).sum())} summary lines that repeat the per-step losses "
            f"(such as {example!r})"
        )
        train = {n: Column(c.values[keep], c.present[keep], c.bad) for n, c in train.items()}
    if reader.collapsed:
        notes.append(
            f"read the last progress line of each epoch ({reader.collapsed} running "
            "averages left out)"
        )
    if held:
        lines_ = max(c.count() for c in held.values())
        names = ", ".join(repr(n) for n in held if "loss" in n)
        notes.append(f"kept {lines_} test/validation lines apart (as {names})")
        rows = len(next(iter(train.values())).values)
        extra = len(next(iter(held.values())).values)
        for name in {*train, *held}:
            a, b = train.get(name), held.get(name)
            train[name] = Column(
                np.concatenate([a.values if a else np.full(rows, np.nan),
                                b.values if b else np.full(extra, np.nan)]),
                np.concatenate([a.present if a else np.zeros(rows, bool),
                                b.present if b else np.zeros(extra, bool)]),
                (a.bad if a else None),
            )  # fmt: skip
    return train
