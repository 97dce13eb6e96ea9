"""The maps view's endpoints (in progress): basin and stability maps, the fair race and seed
fans, each one vmapped program of the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI


def register(app: FastAPI, compute: Callable[..., Any]) -> None:
    """Add the maps endpoints to ``app``; ``compute(fn, *args)`` runs ``fn`` in a worker
    thread under the server's time limit and answers its JSON."""
