"""Output files written whole or not at all; input files read within bounds, their text
decoded whatever wrote it, and numbers written with a decimal comma."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def written_whole(path: str | os.PathLike, *, per_process: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; when the block ends without an
    error, move it onto ``path`` with :func:`os.replace` (atomic within a file system).

    A reader never sees half a file under ``path``, and a run killed while writing (``kill
    -9``) leaves at most the hidden ``.NAME.partial.SUFFIX`` beside it, never a truncated
    ``path``. With ``per_process`` the temporary file is ``.NAME.partial-PID.SUFFIX``, so
    that processes writing one ``path`` at once (a shared cache) each write their own (the
    last rename wins, whole). The temporary name keeps the suffix, so a writer that picks its
    format by the suffix (matplotlib's ``savefig``, Pillow, pyarrow) picks the same one. On
    an error the temporary file is removed and ``path`` keeps what it held."""
    path = Path(path)
    mark = f"partial-{os.getpid()}" if per_process else "partial"
    partial = path.with_name(f".{path.stem}.{mark}{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def user_cache(kind: str) -> Path:
    """descend's folder ``kind`` in the user's cache: ``$XDG_CACHE_HOME/descend/KIND``, else
    ``~/.cache/descend/KIND`` (compiled programs of studies, data sets read once)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "descend" / kind


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
            size = os.fstat(fh.fileno()).st_size if kind == "file" else 0
            # a regular file's own size, so that no buffer of ``limit`` bytes is made
            data = fh.read(min(limit, size) + 1 if size else limit + 1)
            if size and len(data) > size:  # it grew while read
                data += fh.read(limit + 1 - len(data))
    if len(data) > limit:
        raise ValueError(f"{os.fspath(path)} is larger than {_size(limit)}, the most read")
    return data


def _size(limit: int) -> str:
    """A byte limit in words: ``1 GiB``, ``64 MiB``."""
    return f"{limit >> 30} GiB" if limit >= 1 << 30 else f"{limit >> 20} MiB"


def is_gzip(data: bytes) -> bool:
    """Whether bytes are gzip-compressed (they open with its magic number, 1f 8b)."""
    return data[:2] == b"\x1f\x8b"


def gunzip(data: bytes, limit: int, where: str) -> bytes:
    """The decompressed bytes of a gzip file (each of its members), at most ``limit`` of
    them: more raise ``ValueError`` naming ``where`` before they fill the memory, and so does
    data that is not gzip. A file cut short gives what it holds."""
    out = bytearray()
    while is_gzip(data):
        stream = zlib.decompressobj(wbits=31)
        try:
            out += stream.decompress(data, limit + 1 - len(out))
        except zlib.error as err:
            raise ValueError(f"{where} is not a readable gzip file ({err})") from None
        if len(out) > limit or stream.unconsumed_tail:
            raise ValueError(f"{where} decompresses to more than {_size(limit)}, the most read")
        data = stream.unused_data
    return bytes(out)


#: Byte-order marks and the codec each one announces (UTF-32 before UTF-16: its mark starts
#: with UTF-16's). Windows PowerShell 5 writes ``python train.py > log.txt`` as UTF-16.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: What text files do not hold: control characters other than backspace (progress bars:
#: Keras' output redirected to a file), tab, newlines, form feed and escape (for colours),
#: and the replacement of an undecodable byte.
_NOT_TEXT = re.compile("[\x00-\x07\x0e-\x1a\x1c-\x1f\ufffd]")


def decode_text(data: bytes, where: str) -> str:
    """The text of an input file, without its byte-order mark.

    UTF-8 (with or without a mark), UTF-16 and UTF-32 with a mark, UTF-16 without one (a NUL
    in every other byte), and otherwise Windows-1252 (spreadsheets' and older Windows tools'
    8-bit text: ``\xe9poque``). Raises ``ValueError`` naming ``where`` for binary data: a NUL
    byte, or more than 1% control characters or undecodable bytes in its first MiB."""
    bom, codec = next(((b, c) for b, c in _BOMS if data.startswith(b)), (b"", None))
    if codec is not None:
        data = data[len(bom) :]
    elif len(data) >= 4 and data[1::2].count(0) > 0.9 * (len(data) // 2) and 0 not in data[::2]:
        codec = "utf-16-le"
    elif len(data) >= 4 and data[::2].count(0) > 0.9 * (len(data) // 2) and 0 not in data[1::2]:
        codec = "utf-16-be"
    elif b"\0" in data:
        raise ValueError(f"{where} is binary data (it holds NUL bytes), not text")
    else:
        try:
            return _text_only(data.decode("utf-8"), "utf-8", where)
        except UnicodeDecodeError:
            codec = "cp1252"
    return _text_only(data.decode(codec, errors="replace"), codec, where)


def _text_only(text: str, codec: str, where: str) -> str:
    sample = text[: 1 << 20]
    if "\0" in text or len(_NOT_TEXT.findall(sample)) > 0.01 * len(sample):
        raise ValueError(f"{where} is binary data, not text (read as {codec})")
    return text


#: A number written with a decimal comma, as spreadsheets write CSV in most of Europe:
#: ``0,25``, ``-1,5e-3``. Only read so where cells are not separated by commas.
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d*,\d+(?:[eE][-+]?\d+)?\s*")


def point_decimal(cell: str) -> str:
    """``cell`` with a decimal comma made a point (``"0,25"`` -> ``"0.25"``); any other text
    as it is. For cells of a file whose delimiter is not the comma."""
    return cell.replace(",", ".") if _DECIMAL_COMMA.fullmatch(cell) else cell
