"""One playground app and test client for the web API tests (compiled programs are reused
across tests, so the suite stays fast)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from descend.web import create_app


@pytest.fixture(scope="session")
def api_app():
    """The app under test (its ``state.unexpected`` counts unexpected exceptions)."""
    return create_app()


@pytest.fixture(scope="session")
def api_client(api_app):
    """A TestClient that answers unexpected exceptions as the server would."""
    with TestClient(api_app, raise_server_exceptions=False) as client:
        yield client
