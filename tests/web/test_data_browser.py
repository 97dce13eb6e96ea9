"""The data view in a real browser (Playwright driving Debian's Chromium against the real
server): training draws the boundary and the loss chart and replays the snapshots, the
flavours and seed-fan panels render the server's numbers, the URL round-trips, and a bad
value shows the server's error on the page.

Screenshots go to ``/tmp/playground-shots/``."""

from __future__ import annotations

import math
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (`make browser` installs it)"
)

SHOTS = Path("/tmp/playground-shots")
TIMEOUT_MS = 90_000
# 60 moons, 45 for training: mini-batches of 8 take ceil(45 / 8) = 6 steps per epoch; the
# same run as test_data_api's, so that in one session the compiled programs are shared
HASH = "#view=data&n=60&dseed=1&h=6&ep=12&snaps=4&grid=12&bs=8&val=0.25&seed=3&o=adam:lr=0.05"
SHORT = HASH.replace("ep=12&snaps=4", "ep=3&snaps=1")


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from descend.web import _app, create_app

    limit, _app.TIME_LIMIT_S = _app.TIME_LIMIT_S, 120.0  # first calls compile: be patient
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the playground server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()
    _app.TIME_LIMIT_S = limit


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.server = server
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, errors


def counter(page, name):
    return int(page.evaluate(f"Number(document.body.dataset.{name} || 0)"))


def wait_counter(page, name, above):
    page.wait_for_function(f"Number(document.body.dataset.{name} || 0) > {above}")


def colours(page, selector):
    """The distinct colours (rounded to 32 levels) of a canvas's pixels."""
    return page.eval_on_selector(selector, """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 7)
            seen.add(((d[i] >> 5) << 6) | ((d[i + 1] >> 5) << 3) | (d[i + 2] >> 5));
        return seen.size; }""")  # fmt: skip


def open_trained(page, hash_=HASH):
    with page.expect_response("**/api/train") as answer:
        page.goto(page.server + "/" + hash_)
    wait_counter(page, "trains", 0)
    return answer.value.json()


def test_training_draws_the_boundary_and_replays_it(page):
    out = open_trained(page)
    assert out["steps_per_epoch"] == 6
    assert [s["epoch"] for s in out["snapshots"]] == [0, 3, 6, 9, 12]
    page.wait_for_function("document.body.dataset.dataEpoch === '12'")  # the replay ends
    assert "epoch 12 of 12" in page.inner_text("#d-epoch")
    summary = page.inner_text("#d-summary")
    last = out["train_loss"][-1]
    assert f"training loss {float(f'{last:.4g}'):g}"[:18] in summary.replace("e-0", "e-")
    assert "6 steps per epoch" in summary
    assert colours(page, "#d-canvas") > 6  # two class colours in shades, points, axes
    assert colours(page, "#d-loss-chart") > 3
    # the scrubber goes back to the start: the page draws the snapshot of epoch 0
    page.eval_on_selector(
        "#d-scrub", "el => { el.value = '0'; el.dispatchEvent(new Event('input')); }"
    )
    assert page.inner_text("#d-epoch").startswith("epoch 0")
    assert "ds.fit(model, loss, train, optimizer, batch_size=8" in page.input_value("#d-py")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "data-view.png"), full_page=True)


def test_the_url_round_trips(page):
    open_trained(page, SHORT)
    before = counter(page, "trains")
    page.fill("#d-seed", "4")
    wait_counter(page, "trains", before)
    assert "seed=4" in page.url and "view=data" in page.url
    page.fill("#d-noise", "0.3")
    wait_counter(page, "trains", before + 1)
    url = page.url
    assert "noise=0.3" in url
    page.goto("about:blank")
    with page.expect_response("**/api/train") as answer:
        page.goto(url)
    wait_counter(page, "trains", 0)
    body = answer.value.request.post_data_json
    assert body["seed"] == 4 and body["data"]["noise"] == 0.3 and body["epochs"] == 3
    assert body["model"]["hidden"] == [6] and body["optimizer"]["hyper"]["lr"] == 0.05
    assert page.input_value("#d-seed") == "4" and page.input_value("#d-noise") == "0.3"


def test_flavours_and_fan_panels(page):
    open_trained(page, SHORT)
    page.click("#d-fl-run")
    wait_counter(page, "flavours", 0)
    rows = page.eval_on_selector_all(
        "#d-fl-table tbody tr", "rs => rs.map(r => [r.dataset.flavour, r.dataset.steps])"
    )
    assert rows == [["batch", "1"], ["stochastic", "45"], ["minibatch", str(math.ceil(45 / 8))]]
    assert colours(page, "#d-fl-epochs") > 3 and colours(page, "#d-fl-time") > 3
    assert "fx=1" in page.url
    page.fill("#d-seeds", "3")
    page.click("#d-fan-run")
    wait_counter(page, "fans", 0)
    assert "3 seeds (3..5)" in page.inner_text("#d-fan-summary")
    assert colours(page, "#d-fan-chart") > 3
    assert "fan=1" in page.url and "seeds=3" in page.url
    page.select_option("#d-py-which", "fan")
    assert "ds.insight.fit_fan(" in page.input_value("#d-py")
    page.screenshot(path=str(SHOTS / "data-panels.png"), full_page=True)


def test_a_bad_value_shows_the_error(page):
    open_trained(page, SHORT)
    page.fill("#d-h", "6,999")
    page.wait_for_function("document.getElementById('d-error').textContent.length > 0")
    text = page.inner_text("#d-error")
    assert "model.hidden[1]" in text and "64" in text
    before = counter(page, "trains")
    page.fill("#d-h", "6")
    wait_counter(page, "trains", before)
    page.wait_for_function("document.getElementById('d-error').textContent === ''")
