"""Scalars from TensorBoard event files (``events.out.tfevents.*``), read without TensorFlow.

An event file is a sequence of TFRecords: ``length`` (uint64, little-endian), a checksum of
it (4 bytes), ``length`` bytes of data, a checksum of the data (4 bytes). Each record is an
``Event`` protocol buffer: ``wall_time`` (field 1), ``step`` (2) and a ``Summary`` (5) of
``Value``s, each with a ``tag`` (1) and either a ``simple_value`` (2, a float: PyTorch's
``SummaryWriter.add_scalar``, TF1) or a ``tensor`` (8: TF2's and Keras' ``tf.summary.scalar``)
holding one number in ``float_val`` (5), ``double_val`` (6) or ``tensor_content`` (4), typed
by ``dtype`` (1). Tensors with a dimension, strings, histograms and images are skipped.

Only the protocol buffer wire format is decoded (varints and fixed-width fields); the
checksums are not checked, and a record cut short (a file still being written) ends the read.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

#: TensorFlow's ``DataType`` codes of the scalar types read (DT_FLOAT, DT_DOUBLE): their
#: struct format and the field of their typed values.
_DTYPES = {1: ("<f", 5), 2: ("<d", 6)}


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("a truncated or overlong varint")
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if byte < 0x80:
            return value, i


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """``(field number, value)`` of a message: an int for varint and fixed fields (their raw
    bits), bytes for length-delimited ones."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = int.from_bytes(data[i : i + 8], "little"), i + 8
        elif wire == 5:
            value, i = int.from_bytes(data[i : i + 4], "little"), i + 4
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        else:
            raise ValueError(f"an unknown wire type {wire}")
        if i > len(data):
            raise ValueError("a truncated field")
        yield number, value


def _tensor_scalar(data: bytes) -> float | None:
    """The number of a scalar float32 or float64 ``TensorProto``; None for anything else."""
    dtype, has_dims, typed, content = 0, False, {}, b""
    for number, value in _fields(data):
        if number == 1 and isinstance(value, int):
            dtype = value
        elif number == 2 and isinstance(value, bytes):
            has_dims = any(n == 2 for n, _ in _fields(value))
        elif number == 4 and isinstance(value, bytes):
            content = value
        elif number in (5, 6):  # float_val, double_val: packed, or one entry unpacked
            width = 4 if number == 5 else 8
            typed[number] = value if isinstance(value, bytes) else value.to_bytes(width, "little")
    if has_dims or dtype not in _DTYPES:
        return None
    fmt, field = _DTYPES[dtype]
    raw = typed.get(field, content)
    size = struct.calcsize(fmt)
    return struct.unpack(fmt, raw[:size])[0] if len(raw) >= size else None


def _scalars(summary: bytes) -> Iterator[tuple[str, float]]:
    for number, value in _fields(summary):
        if number != 1 or not isinstance(value, bytes):
            continue
        tag, number_ = None, None
        for n, v in _fields(value):
            if n == 1 and isinstance(v, bytes):
                tag = v.decode("utf-8", "replace")
            elif n == 2 and isinstance(v, int):
                number_ = struct.unpack("<f", v.to_bytes(4, "little"))[0]
            elif n == 8 and isinstance(v, bytes):
                number_ = _tensor_scalar(v)
        if tag is not None and number_ is not None:
            yield tag, number_


def _records(data: bytes) -> Iterator[bytes]:
    i = 0
    while i + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, i)
        start = i + 12
        if start + length + 4 > len(data):
            return  # cut short: a file still being written
        yield data[start : start + length]
        i = start + length + 4


def is_event_file(head: bytes) -> bool:
    """Whether a file's first bytes are an event file's (its first event names the
    version, ``brain.Event:2``)."""
    return len(head) >= 12 and b"brain.Event:" in head[:200]


def read_scalars(data: bytes) -> list[tuple[int, str, float]]:
    """``(step, tag, value)`` of every scalar in an event file's bytes, in file order.
    Raises ValueError when the bytes are not an event file."""
    out: list[tuple[int, str, float]] = []
    try:
        for record in _records(data):
            step = 0
            summaries = []
            for number, value in _fields(record):
                if number == 2 and isinstance(value, int):
                    step = value - (1 << 64) if value >= 1 << 63 else value
                elif number == 5 and isinstance(value, bytes):
                    summaries.append(value)
            out += [(step, tag, v) for s in summaries for tag, v in _scalars(s)]
    except (ValueError, struct.error) as err:
        raise ValueError(f"is not a readable TensorBoard event file ({err})") from None
    return out


#: How far below a folder event files are looked for, and how many folders at most.
SEARCH_DEPTH, SEARCH_FOLDERS = 3, 1000


def find_runs(folder: str) -> dict[str, list[str]]:
    """The event files under a folder, by run: the run's folder relative to ``folder``
    (``""`` for the folder itself, ``"good/version_0"`` two levels down), and its files,
    oldest first (as their names sort). Looks :data:`SEARCH_DEPTH` levels down at most, in
    :data:`SEARCH_FOLDERS` folders at most (a home folder is not walked whole)."""
    runs: dict[str, list[str]] = {}
    queue, seen = [("", 0)], 0
    while queue and seen < SEARCH_FOLDERS:
        relative, depth = queue.pop(0)
        where = os.path.join(folder, relative) if relative else folder
        seen += 1
        try:
            names = sorted(os.listdir(where))
        except OSError:
            continue
        files = [
            os.path.join(where, n)
            for n in names
            if ".tfevents." in n and os.path.isfile(os.path.join(where, n))
        ]
        if files:
            runs[relative] = files
        if depth < SEARCH_DEPTH:
            queue += [
                (f"{relative}/{n}" if relative else n, depth + 1)
                for n in names
                if not n.startswith(".") and os.path.isdir(os.path.join(where, n))
            ]
    return runs
