"""The web tests' fixtures, shared by their modules for the whole session: one playground app
and test client for the JSON API (compiled programs are reused across tests, so the suite
stays fast), one live server (the app under uvicorn) and one headless Chromium for the browser
tests, each of which opens a browser context of its own."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from _web_helpers import CHROMIUM, serve

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


@pytest.fixture(scope="module")
def patient_server():
    """For a module that checks numbers, not speed: a first call compiles for seconds, and on
    a loaded machine that may pass the server's 10 s limit (the other modules keep it)."""
    from descend.web import _app

    limit, _app.TIME_LIMIT_S = _app.TIME_LIMIT_S, 120.0
    yield
    _app.TIME_LIMIT_S = limit


@pytest.fixture(scope="session")
def live_server():
    """The playground (an app of its own) served by uvicorn in-process: its URL."""
    pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
    with serve(create_app(), lifespan="off") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make browser` installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()
