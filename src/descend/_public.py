"""What ``dir()`` shows of a public module: the names it exports, not those it imports to do
its work (``jax``, ``np``, ``check``, ...), so that tab completion and ``help()`` list the API.
A module sets ``__dir__ = listing(__all__)`` (PEP 562)."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def listing(exported: Iterable[str], *packages: str) -> Callable[[], list[str]]:
    """A module-level ``__dir__`` returning ``exported`` and the public subpackages named in
    ``packages``, sorted."""
    names = sorted({*exported, *packages})

    def shown() -> list[str]:
        return list(names)

    return shown
