"""Fixtures of the study tests: one compilation cache for the session (the driver turns JAX's
persistent cache on; pointing it at a session folder keeps the user's cache untouched)."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def study_cache(tmp_path_factory):
    """``DESCEND_CACHE_DIR`` for this session and the drivers it starts."""
    path = tmp_path_factory.mktemp("descend-jax-cache")
    old = os.environ.get("DESCEND_CACHE_DIR")
    os.environ["DESCEND_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("DESCEND_CACHE_DIR", None)
    else:
        os.environ["DESCEND_CACHE_DIR"] = old
