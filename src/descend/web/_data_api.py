"""The data view's endpoints (in progress): training a model on a 2-D data set with the
engine's ``fit``, the three flavours side by side and seed fans of a noisy fit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI


def register(app: FastAPI, compute: Callable[..., Any]) -> None:
    """Add the data endpoints to ``app``; ``compute(fn, *args)`` runs ``fn`` in a worker
    thread under the server's time limit and answers its JSON."""
