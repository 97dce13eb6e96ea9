"""The maps view in a real browser: Playwright drives Debian's Chromium against the real server
(``descend.web.create_app`` under uvicorn, in-process). Each sub-view computes, draws its canvas
and its legend or table, and the numbers shown are the library's; the URL round-trips; the
race keeps its state across a visit to the maps; a bad value shows the server's error.

Screenshots go to pytest's ``tmp_path`` and are copied to ``/tmp/playground-shots/``. The
maps are kept small (a 24 x 24 basin map, 12 x 12 stability map) so the module stays fast.
"""

from __future__ import annotations

import pytest
from _web_helpers import BrowserPage, needs_browser

pytestmark = needs_browser

BASINS = "#view=maps&map=basins&s=himmelblau&o=gd:lr=0.01&res=24&n=300"
STABILITY = "#view=maps&map=stability&s=quadratic&rule=momentum&sres=12&sn=200"
FAIR = "#view=maps&map=fair&s=quadratic&rules=gd,adam&budget=200&starts=3&grid=6"
FAN = "#view=maps&map=fan&s=himmelblau&fo=gd:lr=0.01&seeds=4&noise=2&fsteps=300&fseed=3"


class MapsPage(BrowserPage):
    """The maps view: the maps it computed and the ink on its canvases."""

    timeout_ms = 60_000

    def open(self, hash_: str) -> None:
        self.visit(hash_)
        self.wait_map(0)

    def computed(self) -> int:
        return self.counter("computed", on="#maps-view")

    def wait_map(self, before: int) -> None:
        """Wait until a map newer than ``before`` has landed and been drawn."""
        self.wait_counter("computed", before, on="#maps-view")

    def ink(self, canvas_id: str) -> int:
        """How many distinct colours the canvas holds (a drawn map has many)."""
        return self.colours("#" + canvas_id, every=4, bits=8)


@pytest.fixture
def page(browser, live_server):
    with MapsPage(browser, live_server) as p:
        yield p


def test_basins_draw_the_map_and_the_shares(page, tmp_path):
    import descend as ds

    page.open(BASINS)
    assert page.page.get_attribute("#maps-tab-basins", "aria-selected") == "true"
    assert page.ink("maps-canvas-basins") > 5
    shares = page.page.eval_on_selector_all(
        "#maps-legend-basins li[data-kind=basin]",
        "els => els.map(e => [Number(e.dataset.index), Number(e.dataset.share)])",
    )
    m = ds.insight.basin_map(ds.surfaces.get("himmelblau"), ds.gd(lr=0.01), resolution=24,
                             max_steps=300)  # fmt: skip
    assert sorted(k for k, _ in shares) == list(range(len(m.shares)))  # every basin listed
    for k, share in shares:
        assert share == pytest.approx(m.shares[k], abs=1e-5)
    assert "of the starts" in page.page.inner_text("#maps-legend-basins")
    for kind, share in (("diverged", m.diverged_share), ("unconverged", m.unconverged_share)):
        shown = page.page.get_attribute(f"#maps-legend-basins li[data-kind={kind}]", "data-share")
        assert float(shown) == pytest.approx(share, abs=1e-5)
    code = page.page.input_value("#maps-py-basins")
    assert "ds.insight.basin_map(surface, ds.gd(lr=0.01), resolution=24" in code
    assert page.errors == []
    page.shot(tmp_path, "maps-basins.png")


def test_stability_draws_the_heat_map_and_the_boundary(page, tmp_path):
    page.open(STABILITY)
    assert page.ink("maps-canvas-stability") > 5
    legend = page.page.inner_text("#maps-legend-stability")
    assert "2(1 + beta)/L" in legend and "diverged" in legend
    assert "momentum" in page.page.get_attribute("#maps-canvas-stability", "aria-label")
    assert "stability_map(surface, 'momentum'" in page.page.input_value("#maps-py-stability")
    page.shot(tmp_path, "maps-stability.png")
    # another form of the rule moves the boundary: the heavy ball's ema form
    before = page.computed()
    page.page.select_option("#maps-fixed-form", "ema")
    page.wait_map(before)
    assert "2(1 + beta)/(1 - beta)/L" in page.page.inner_text("#maps-legend-stability")
    assert "fixed={'form': 'ema'}" in page.page.input_value("#maps-py-stability")
    page.page.wait_for_function("location.hash.includes('fx=form=ema')")
    assert page.errors == []


def test_fair_race_ranks_with_its_metric_stated(page, tmp_path):
    import descend as ds

    page.open(FAIR)
    rows = page.page.eval_on_selector_all(
        "#maps-fair-table tbody tr",
        "rs => rs.map(r => ({name: r.dataset.name, lr: Number(r.dataset.lr),"
        " steps: Number(r.dataset.medianSteps)}))",
    )
    race = ds.insight.fair_race(ds.surfaces.get("quadratic"), ("gd", "adam"), budget=200,
                                starts=3, grid=6)  # fmt: skip
    assert [r["name"] for r in rows] == [e.name for e in race.entries]
    for row, e in zip(rows, race.entries, strict=True):
        assert row["lr"] == pytest.approx(e.hyperparameters["lr"], rel=1e-5)
        assert row["steps"] == pytest.approx(e.median_steps)
    assert "median steps to tolerance" in page.page.inner_text("#maps-fair-metric")
    assert "tuned" in page.page.inner_text("#maps-fair-table")
    assert page.ink("maps-canvas-fair") > 3
    assert page.errors == []
    page.shot(tmp_path, "maps-fair.png")


def test_seed_fan_draws_the_paths_and_the_share(page, tmp_path):
    page.open(FAN)
    page.page.wait_for_function("document.querySelector('#maps-legend-fan .maps-share')")
    share = page.page.get_attribute("#maps-legend-fan .maps-share", "data-share")
    assert 0.0 <= float(share) <= 1.0
    assert "reached the global minimum" in page.page.inner_text("#maps-legend-fan")
    assert page.ink("maps-canvas-fan") > 10 and page.ink("maps-fan-loss") > 3
    assert "seed_fan(surface, ds.gd(lr=0.01), seeds=4" in page.page.input_value("#maps-py-fan")
    assert page.errors == []
    page.shot(tmp_path, "maps-fan.png")


def test_the_url_round_trips(browser, live_server, page):
    page.open(BASINS)
    before = page.computed()
    page.page.fill("#maps-n", "250")
    page.page.press("#maps-n", "Enter")
    page.wait_map(before)
    page.page.wait_for_function("location.hash.includes('n=250')")
    url = page.page.url
    legend = page.page.inner_text("#maps-legend-basins")
    with MapsPage(browser, live_server) as other:
        other.open(url[url.index("#") :])
        assert other.page.input_value("#maps-n") == "250"
        assert other.page.input_value("#maps-res") == "24"
        assert other.page.inner_text("#maps-legend-basins") == legend
        assert other.page.url == url
        assert other.errors == []


def test_sub_view_tabs_write_the_url_and_reload_restores(page):
    page.open(BASINS)
    before = page.computed()
    page.page.focus("#maps-tab-basins")
    page.page.keyboard.press("ArrowRight")  # the tabs follow the arrow keys
    page.wait_map(before)
    assert page.page.evaluate("document.activeElement.id") == "maps-tab-stability"
    page.page.wait_for_function("location.hash.includes('map=stability')")
    page.page.reload()
    page.wait_map(0)
    assert page.page.get_attribute("#maps-tab-stability", "aria-selected") == "true"
    assert not page.page.is_hidden("#maps-canvas-stability")


def test_race_keeps_its_state_across_a_visit_to_the_maps(page):
    race = "#s=rosenbrock&x0=-1.5,1&o=gd:lr=0.0015&n=300&tol=0.000001"
    page.visit(race)
    page.wait_counter("races", 0)
    rows = page.page.inner_text("#results tbody")
    page.page.click("#tab-maps")
    page.wait_map(0)
    page.page.click("#tab-race")
    page.page.wait_for_function("!document.getElementById('race-view').hidden")
    assert page.page.input_value("#start-x") == "-1.5"
    assert page.page.inner_text("#results tbody") == rows
    assert "x0=-1.5,1" in page.page.url and "gd:lr=0.0015" in page.page.url
    assert page.errors == []


def test_a_bad_value_shows_the_servers_error(page):
    page.open(BASINS)
    errors_before = page.counter("errors", on="#maps-view")
    page.page.fill("#maps-res", "999")
    page.page.press("#maps-res", "Enter")
    page.wait_counter("errors", errors_before, on="#maps-view")
    error = page.page.inner_text("#maps-error-basins")
    assert "resolution" in error and "128" in error
    assert page.page.get_attribute("#maps-res", "aria-invalid") == "true"


def test_phone_width_has_no_horizontal_overflow(browser, live_server):
    with MapsPage(browser, live_server, width=390, height=844) as phone:
        phone.open(STABILITY)
        scroll, client = phone.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client
        form = phone.page.locator("#maps-form-stability").bounding_box()
        canvas = phone.page.locator("#maps-canvas-stability").bounding_box()
        assert canvas["y"] >= form["y"] + form["height"]  # the settings and the map stack
        assert phone.errors == []
