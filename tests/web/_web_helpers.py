"""Helpers of the web tests, written once: posting to the API, checking the error contract,
fuzzing with arbitrary JSON, serving the app with uvicorn and driving a browser page.

The tests import it as ``from _web_helpers import ...`` (pytest puts ``tests/web``, a folder
without ``__init__.py``, on ``sys.path`` for the modules and the conftest in it)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

# -- the JSON API ------------------------------------------------------------------------------

#: The data view's moons run (60 samples, 45 for training: mini-batches of 8 take 6 steps an
#: epoch); the data tests add their epochs, snapshots and seed.
MOONS_RUN = {
    "data": {"name": "moons", "samples": 60, "noise": 0.2, "seed": 1},
    "model": {"name": "mlp", "hidden": [6], "activation": "tanh"},
    "loss": "binary_cross_entropy",
    "optimizer": {"name": "adam", "hyper": {"lr": 0.05}},
    "flavour": "minibatch",
    "batch_size": 8,
    "validation": 0.25,
    "grid": 12,
}


def send(client, endpoint: str, body: Any):
    """POST to ``/api/<endpoint>``: a dict as JSON, bytes as they are (labelled JSON)."""
    if isinstance(body, bytes):
        return client.post(f"/api/{endpoint}", content=body,
                           headers={"content-type": "application/json"})  # fmt: skip
    return client.post(f"/api/{endpoint}", json=body)


def post_ok(client, endpoint: str, body: dict) -> Any:
    """POST ``body`` to ``/api/<endpoint>``, require a 200 and return the JSON answer."""
    r = client.post(f"/api/{endpoint}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def run_python(code: str) -> dict:
    """Run a "Copy as Python" script (the server's own text, its prints silenced) and return
    the variables it left."""
    scope: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<copy as python>", "exec"), scope)
    return scope


# -- hostile requests: the error contract ------------------------------------------------------

ERROR_KEYS = {"field", "message", "limit"}


def check_request(client, app, endpoint, body, status, field=None, limit=None) -> None:
    """Send ``body``: the answer has ``status``; an error (4xx) is the contract's JSON naming
    ``field`` and ``limit`` (None: that one not checked); nothing unexpected was raised."""
    r = send(client, endpoint, body)
    assert r.status_code == status, r.text
    if status >= 400:
        error = r.json()["error"]
        assert set(error) >= ERROR_KEYS and error["message"]
        if field is not None:
            assert error["field"] == field, error
        if limit is not None:
            assert error["limit"] == limit, error
    assert app.state.unexpected == 0


def json_values(text: int = 20, leaves: int = 12):
    """Arbitrary JSON (no NaN or infinity: ``json.dumps`` would write non-JSON)."""
    return st.recursive(
        st.none() | st.booleans() | st.integers(-(10**12), 10**12)
        | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=text),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                      max_size=4),
        max_leaves=leaves,
    )  # fmt: skip


def check_fuzzed(client, app, endpoint, body, may_time_out: bool = False) -> None:
    """Send any JSON: never a 500 (``may_time_out``: but for the server's 503 time-out, in the
    error shape, for bodies that may happen to be valid and train), an error is the contract's
    shape, and nothing unexpected was raised."""
    r = send(client, endpoint, json.dumps(body).encode())
    timed_out = (
        may_time_out and r.status_code == 503 and "longer than" in r.json()["error"]["message"]
    )
    assert r.status_code < 500 or timed_out, r.text
    if r.status_code >= 400:
        assert set(r.json()["error"]) >= ERROR_KEYS
    assert app.state.unexpected == 0


# -- a live server -----------------------------------------------------------------------------


@contextlib.contextmanager
def serve(app, **config) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread of this process on a free port; yields its URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the playground server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# -- a browser page ----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
SHOTS = Path("/tmp/playground-shots")

#: The marks of a browser test module: Playwright, uvicorn and Debian's Chromium are needed.
needs_browser = [
    pytest.mark.skipif(find_spec("playwright") is None, reason="playwright is not installed"),
    pytest.mark.skipif(
        find_spec("uvicorn") is None, reason="the web extra (uvicorn) is not installed"
    ),
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (`make browser` installs it)"
    ),
]


class BrowserPage:
    """A page on the live server in a browser context of its own, with the errors it logged
    (``errors``: console errors and uncaught exceptions; ``page_errors``: the exceptions).
    What it does not define is the Playwright page's: ``page.fill(...)``, ``page.url``.

    A view's tests subclass it with their view's vocabulary and their ``timeout_ms``."""

    timeout_ms = 30_000

    def __init__(self, browser, server: str, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.page.set_default_timeout(self.timeout_ms)
        self.server = server
        self.errors: list[str] = []
        self.page_errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", self._page_error)

    def _page_error(self, error) -> None:
        self.errors.append(f"page error: {error}")
        self.page_errors.append(str(error))

    def __getattr__(self, name: str) -> Any:
        if name == "page":  # (not yet set: no recursion)
            raise AttributeError(name)
        return getattr(self.page, name)

    def __enter__(self) -> BrowserPage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def visit(self, hash_: str = "") -> None:
        """Go to the playground at ``hash_`` (the page's state in its URL)."""
        self.page.goto(self.server + "/" + hash_)

    @staticmethod
    def _counter_js(name: str, on: str) -> str:
        return f"Number(document.querySelector('{on}').dataset.{name} || 0)"

    def counter(self, name: str, on: str = "body") -> int:
        """A counter the page keeps in ``data-<name>`` of the element ``on`` (0 before any)."""
        return int(self.page.evaluate(self._counter_js(name, on)))

    def wait_counter(self, name: str, above: int, on: str = "body") -> None:
        """Wait until that counter passes ``above``."""
        self.page.wait_for_function(f"{self._counter_js(name, on)} > {above}")

    def set_range(self, selector: str, value: int) -> None:
        """Move a range input the way a drag does: set it and fire ``input``."""
        self.page.eval_on_selector(
            selector,
            "(el, v) => { el.value = String(v);"
            " el.dispatchEvent(new Event('input', {bubbles: true})); }",
            value,
        )

    def colours(self, selector: str, every: int, bits: int) -> int:
        """How many distinct colours a canvas holds, reading every ``every``-th pixel with
        ``bits`` bits a channel (8: exact; fewer: shades of one colour count once)."""
        return self.page.eval_on_selector(
            selector,
            """(c, [every, bits]) => {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              const shift = 8 - bits, seen = new Set();
              for (let i = 0; i < d.length; i += 4 * every)
                seen.add(((d[i] >> shift) << (2 * bits)) | ((d[i + 1] >> shift) << bits)
                         | (d[i + 2] >> shift));
              return seen.size;
            }""",
            [every, bits],
        )

    def shot(self, tmp_path: Path, name: str) -> Path:
        """A full-page screenshot in ``tmp_path``, copied to ``/tmp/playground-shots/``."""
        path = tmp_path / name
        self.page.screenshot(path=str(path), full_page=True)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / name)
        return path

    def close(self) -> None:
        self.context.close()
