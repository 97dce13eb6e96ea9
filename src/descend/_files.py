"""Output files written whole or not at all."""

from __future__ import annotations

import contextlib
import os
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
