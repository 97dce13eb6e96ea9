"""Output files written whole or not at all, and input files read within bounds."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def written_whole(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; when the block ends without an
    error, move it onto ``path`` with :func:`os.replace` (atomic within a file system).

    A reader never sees half a file under ``path``, and a run killed while writing (``kill
    -9``) leaves at most the hidden ``.NAME.partial.SUFFIX`` beside it, never a truncated
    ``path``. The temporary name keeps the suffix, so a writer that picks its format by the
    suffix (matplotlib's ``savefig``, Pillow, pyarrow) picks the same one. On an error the
    temporary file is removed and ``path`` keeps what it held."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def input_kind(path: str | os.PathLike) -> str:
    """What ``path`` is as an input: ``"file"`` (a regular file, or a pipe such as
    ``<(grep loss train.log)``, both read), ``"folder"``, ``"device"`` (refused: ``/dev/zero``
    would never end) or ``"missing"``."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) or stat.S_ISFIFO(mode) else "device"


def read_bytes(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of an input file, at most ``limit`` of them; ``"-"`` reads standard input.

    Pipes are read (``<(grep loss train.log)``); a folder raises ``IsADirectoryError``, a
    device (``/dev/zero`` would never end) and anything longer than ``limit`` bytes raise
    ``ValueError`` naming the path, a missing file ``FileNotFoundError``."""
    if os.fspath(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        kind = input_kind(path)
        if kind == "missing":
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fspath(path))
        if kind == "folder":
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if kind == "device":
            raise ValueError(f"{os.fspath(path)} is a device, not a file")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    if len(data) > limit:
        size = f"{limit >> 30} GiB" if limit >= 1 << 30 else f"{limit >> 20} MiB"
        raise ValueError(f"{os.fspath(path)} is larger than {size}, the most read")
    return data
