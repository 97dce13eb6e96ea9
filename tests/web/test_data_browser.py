"""The data view in a real browser (Playwright driving Debian's Chromium against the real
server): training draws the boundary and the loss chart and replays the snapshots, the
flavours and seed-fan panels render the server's numbers, the URL round-trips, and a bad
value shows the server's error on the page.

Screenshots go to pytest's ``tmp_path`` and are copied to ``/tmp/playground-shots/``."""

from __future__ import annotations

import math

import pytest
from _web_helpers import BrowserPage, needs_browser

pytestmark = [*needs_browser, pytest.mark.usefixtures("patient_server")]

# 60 moons, 45 for training: mini-batches of 8 take ceil(45 / 8) = 6 steps per epoch; the
# same run as test_data_api's, so that in one session the compiled programs are shared
HASH = "#view=data&n=60&dseed=1&h=6&ep=12&snaps=4&grid=12&bs=8&val=0.25&seed=3&o=adam:lr=0.05"
SHORT = HASH.replace("ep=12&snaps=4", "ep=3&snaps=1")


class DataPage(BrowserPage):
    """The data view (first calls compile for seconds: a patient timeout)."""

    timeout_ms = 90_000

    def shades(self, selector: str) -> int:
        """The distinct colours (rounded to 32 levels) of a canvas's pixels."""
        return self.colours(selector, every=7, bits=3)


@pytest.fixture()
def page(browser, live_server):
    with DataPage(browser, live_server, height=1000) as p:
        yield p
    assert not p.page_errors, p.page_errors


def open_trained(page, hash_=HASH):
    with page.expect_response("**/api/train") as answer:
        page.visit(hash_)
    page.wait_counter("trains", 0)
    return answer.value.json()


def test_training_draws_the_boundary_and_replays_it(page, tmp_path):
    out = open_trained(page)
    assert out["steps_per_epoch"] == 6
    assert [s["epoch"] for s in out["snapshots"]] == [0, 3, 6, 9, 12]
    page.wait_for_function("document.body.dataset.dataEpoch === '12'")  # the replay ends
    assert "epoch 12 of 12" in page.inner_text("#d-epoch")
    summary = page.inner_text("#d-summary")
    last = out["train_loss"][-1]
    assert f"training loss {float(f'{last:.4g}'):g}"[:18] in summary.replace("e-0", "e-")
    assert "6 steps per epoch" in summary
    assert page.shades("#d-canvas") > 6  # two class colours in shades, points, axes
    assert page.shades("#d-loss-chart") > 3
    # the scrubber goes back to the start: the page draws the snapshot of epoch 0
    page.set_range("#d-scrub", 0)
    assert page.inner_text("#d-epoch").startswith("epoch 0")
    assert "ds.fit(model, loss, train, optimizer, batch_size=8" in page.input_value("#d-py")
    page.shot(tmp_path, "data-view.png")


def test_the_url_round_trips(page):
    open_trained(page, SHORT)
    before = page.counter("trains")
    page.fill("#d-seed", "4")
    page.wait_counter("trains", before)
    assert "seed=4" in page.url and "view=data" in page.url
    page.fill("#d-noise", "0.3")
    page.wait_counter("trains", before + 1)
    url = page.url
    assert "noise=0.3" in url
    page.goto("about:blank")
    with page.expect_response("**/api/train") as answer:
        page.goto(url)
    page.wait_counter("trains", 0)
    body = answer.value.request.post_data_json
    assert body["seed"] == 4 and body["data"]["noise"] == 0.3 and body["epochs"] == 3
    assert body["model"]["hidden"] == [6] and body["optimizer"]["hyper"]["lr"] == 0.05
    assert page.input_value("#d-seed") == "4" and page.input_value("#d-noise") == "0.3"


def test_flavours_and_fan_panels(page, tmp_path):
    open_trained(page, SHORT)
    page.click("#d-fl-run")
    page.wait_counter("flavours", 0)
    rows = page.eval_on_selector_all(
        "#d-fl-table tbody tr", "rs => rs.map(r => [r.dataset.flavour, r.dataset.steps])"
    )
    assert rows == [["batch", "1"], ["stochastic", "45"], ["minibatch", str(math.ceil(45 / 8))]]
    assert page.shades("#d-fl-epochs") > 3 and page.shades("#d-fl-time") > 3
    assert "fx=1" in page.url
    page.fill("#d-seeds", "3")
    page.click("#d-fan-run")
    page.wait_counter("fans", 0)
    assert "3 seeds (3..5)" in page.inner_text("#d-fan-summary")
    assert page.shades("#d-fan-chart") > 3
    assert "fan=1" in page.url and "seeds=3" in page.url
    page.select_option("#d-py-which", "fan")
    assert "ds.insight.fit_fan(" in page.input_value("#d-py")
    page.shot(tmp_path, "data-panels.png")


def test_a_bad_value_shows_the_error(page):
    open_trained(page, SHORT)
    page.fill("#d-h", "6,999")
    page.wait_for_function("document.getElementById('d-error').textContent.length > 0")
    text = page.inner_text("#d-error")
    assert "model.hidden[1]" in text and "64" in text
    before = page.counter("trains")
    page.fill("#d-h", "6")
    page.wait_counter("trains", before)
    page.wait_for_function("document.getElementById('d-error').textContent === ''")
