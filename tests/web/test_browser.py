"""The playground page in a real browser: Playwright drives Debian's Chromium against the real
server (``descend.web.create_app`` under uvicorn, in-process), and the numbers the page shows
are checked against ``descend.minimize`` run here with the same settings.

Screenshots go to pytest's ``tmp_path`` and are copied to ``/tmp/playground-shots/``.
"""

from __future__ import annotations

import re

import pytest
from _web_helpers import BrowserPage, needs_browser

from descend.problems import surfaces

pytestmark = needs_browser

ROSENBROCK = "#s=rosenbrock&x0=-1.2,1&o=gd:lr=0.0015;adam:lr=0.02&n=500&tol=0.000001"


class RacePage(BrowserPage):
    """The race view: its races, its results table, its step and the inside-the-step numbers."""

    timeout_ms = 30_000

    def open(self, hash_: str = "") -> None:
        self.visit(hash_)
        self.wait_race(0)

    def races(self) -> int:
        return self.counter("races")

    def insides(self) -> int:
        return self.counter("insides")

    def wait_race(self, before: int) -> None:
        """Wait until a race newer than ``before`` has landed and been drawn."""
        self.wait_counter("races", before)

    def wait_inside(self, before: int) -> None:
        self.wait_counter("insides", before)

    def rows(self) -> list[dict]:
        return self.page.eval_on_selector_all(
            "#results tbody tr",
            """rows => rows.map(r => ({name: r.dataset.name, steps: Number(r.dataset.steps),
                 loss: Number(r.dataset.finalLoss), short: r.dataset.short,
                 x: JSON.parse(r.dataset.finalX), stop: r.querySelector('.stop').textContent,
                 shown: r.innerText}))""",
        )

    def step_shown(self) -> str:
        return self.page.inner_text("#step-out")

    def inside_numbers(self) -> list[str]:
        return self.page.eval_on_selector_all("#inside article", "a => a.map(x => x.innerText)")


@pytest.fixture
def page(browser, live_server):
    with RacePage(browser, live_server) as p:
        yield p


def engine_run(surface_or_text, start, name, steps, tol, **hyper):
    """What ``descend.minimize`` gives for these settings (the server's float32 start)."""
    import jax.numpy as jnp

    import descend as ds
    from descend.optim import registry

    if surface_or_text in ds.surfaces.names():
        surface = ds.surfaces.get(surface_or_text)
    else:
        surface = ds.surfaces.from_expression(surface_or_text)
    x0 = jnp.asarray(start, dtype=jnp.float32)
    return ds.minimize(surface, x0, registry.get(name).build(**hyper), max_steps=steps, tol=tol)


def path_pixels(page: RacePage, hex_colour: str) -> int:
    """How many pixels of the map are (nearly) the given path colour."""
    return page.page.evaluate(
        """(hex) => {
          const c = document.getElementById('map');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16),
                b = parseInt(hex.slice(5, 7), 16);
          let n = 0;
          for (let i = 0; i < d.length; i += 4)
            if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30) n++;
          return n;
        }""",
        hex_colour,
    )


# -- the tests -------------------------------------------------------------------------------


def test_page_loads_with_no_console_errors(page, tmp_path):
    page.open()
    page.page.wait_for_selector("#inside article")
    page.page.wait_for_selector("#curvature article")
    assert page.page.title().startswith("descend play")
    assert len(page.rows()) == 2  # the default race: gd and adam on rosenbrock
    assert page.errors == []
    page.shot(tmp_path, "desktop.png")


def test_catalogue_race_matches_minimize(page, tmp_path):
    page.open(ROSENBROCK)
    rows = page.rows()
    assert [r["name"] for r in rows] == ["gd", "adam"]
    for row, (name, lr) in zip(rows, [("gd", 0.0015), ("adam", 0.02)], strict=True):
        res = engine_run("rosenbrock", [-1.2, 1.0], name, 500, 1e-6, lr=lr)
        assert row["steps"] == int(res.steps)
        assert row["loss"] == pytest.approx(float(res.loss), rel=1e-6, abs=1e-12)
        assert row["x"] == pytest.approx([float(v) for v in res.x], rel=1e-5, abs=1e-7)
        assert row["short"] == res.short_reason
        assert row["stop"] in {"max_steps", f"converged at step {int(res.steps)}"}
        assert str(int(res.steps)) in row["shown"]
    # both paths are drawn on the map, in their Okabe-Ito colours
    assert path_pixels(page, "#0072B2") > 50
    assert path_pixels(page, "#D55E00") > 50
    page.shot(tmp_path, "race-rosenbrock.png")


def test_typed_function_races_to_its_minimum(page, tmp_path):
    page.open("#s=booth&x0=2,3&o=gd:lr=0.1&n=500&tol=0.000001")
    before = page.races()
    page.page.check("#mode-function")
    page.page.fill("#fn-input", "(x-1)^2 + (y+2)^2")
    page.page.press("#fn-input", "Enter")
    page.wait_race(before)
    page.page.wait_for_function(
        "document.querySelector('#results tbody tr')?.dataset.short === 'converged'"
    )
    assert "f=(x-1)%5E2%20%2B%20(y%2B2)%5E2" in page.page.url
    row = page.rows()[0]
    assert row["short"] == "converged"
    assert row["x"] == pytest.approx([1.0, -2.0], abs=1e-3)
    res = engine_run("(x-1)^2 + (y+2)^2", [2.0, 3.0], "gd", 500, 1e-6, lr=0.1)
    assert row["steps"] == int(res.steps)
    assert page.page.inner_text("#fn-error") == ""
    page.shot(tmp_path, "typed-function.png")
    # a rule added here starts at a typed function's rate (the catalogue's function_defaults,
    # what the API runs when a request omits it), not a catalogue surface's or the registry's
    page.page.select_option("#add-select", "adam")
    page.page.click("#add-btn")
    page.page.wait_for_function("location.hash.includes('adam:lr=')")
    added = float(re.search(r"adam:lr=([^;&]+)", page.page.url).group(1))
    assert added == pytest.approx(0.05)


def test_invalid_expression_shows_its_error_inline(page, tmp_path):
    page.open(ROSENBROCK)
    page.page.check("#mode-function")
    page.page.fill("#fn-input", "2x")
    page.page.press("#fn-input", "Enter")
    error = page.page.locator("#fn-error")
    error.wait_for(state="visible")
    assert "column 2" in error.inner_text()
    caret = page.page.locator("#fn-caret")
    assert caret.is_visible()
    assert caret.get_attribute("data-column") == "2"
    assert caret.inner_text() == " ^"
    assert page.page.get_attribute("#fn-input", "aria-invalid") == "true"
    # the message sits right under the box
    box = page.page.locator("#fn-input").bounding_box()
    where = error.bounding_box()
    assert 0 <= where["y"] - (box["y"] + box["height"]) < 60
    page.shot(tmp_path, "invalid-expression.png")


def test_play_and_scrub_change_the_step_and_the_inside_numbers(page, tmp_path):
    page.open(ROSENBROCK + "&k=10")
    page.page.wait_for_selector("#inside article")
    assert page.step_shown().startswith("step 10 /")
    first = page.inside_numbers()
    before = page.insides()
    page.set_range("#scrubber", 200)
    page.wait_inside(before)
    assert page.step_shown().startswith("step 200 /")
    assert page.page.get_attribute("#inside article", "data-step") == "200"
    scrubbed = page.inside_numbers()
    assert scrubbed != first and "step 200" in scrubbed[0]
    page.page.select_option("#speed", "200")
    page.page.click("#play")
    assert page.page.get_attribute("#play", "aria-pressed") == "true"
    page.page.wait_for_function(
        "!document.getElementById('step-out').textContent.startsWith('step 200 ')"
    )
    page.page.click("#play")
    assert page.page.get_attribute("#play", "aria-pressed") == "false"
    k = int(page.step_shown().split()[1])
    assert k > 200
    page.page.wait_for_function(
        f"document.querySelector('#inside article')?.dataset.step === '{k}'"
    )
    assert page.inside_numbers() != scrubbed
    page.shot(tmp_path, "inside-the-step.png")


def test_a_slider_changes_the_paths_and_numbers(page):
    page.open(ROSENBROCK)
    old = page.rows()[0]
    pixels = path_pixels(page, "#0072B2")
    before = page.races()
    slider = '#cards .card[data-index="0"] .hp[data-hp="lr"] input[type=range]'
    page.set_range(slider, 400)  # lr = 1e-5 * 1e5^0.4 = 0.001
    page.wait_race(before)
    lr = float(page.page.input_value('#cards .card[data-index="0"] .hp[data-hp="lr"] .value'))
    assert lr == pytest.approx(1e-3, rel=1e-2)
    new = page.rows()[0]
    assert new["loss"] != old["loss"]
    res = engine_run("rosenbrock", [-1.2, 1.0], "gd", 500, 1e-6, lr=lr)
    assert new["steps"] == int(res.steps)
    assert new["loss"] == pytest.approx(float(res.loss), rel=1e-6, abs=1e-12)
    assert path_pixels(page, "#0072B2") != pixels
    page.page.wait_for_function(f"location.hash.includes('gd:lr={lr:g}')")


def test_the_url_round_trips(browser, live_server, page, tmp_path):
    page.open(ROSENBROCK)
    before = page.races()
    page.page.select_option("#add-select", "momentum")
    page.page.click("#add-btn")
    page.wait_race(before)
    before = page.races()
    page.page.fill("#start-x", "-1.5")
    page.page.press("#start-x", "Enter")
    page.page.locator("#start-y").focus()  # commits the change
    page.wait_race(before)
    page.set_range("#scrubber", 123)
    page.page.wait_for_function(
        "location.hash.includes('k=123') && location.hash.includes('x0=-1.5,1')"
    )
    url = page.page.url
    # the added momentum starts at the race's default there: 0.3 x the surface's gd rate
    added = float(re.search(r"momentum:lr=([^;&]+)", url).group(1))
    assert added == pytest.approx(0.3 * surfaces.get("rosenbrock").lr, rel=1e-3)
    rows = page.rows()
    with RacePage(browser, live_server) as other:
        other.open(url[url.index("#") :])
        assert other.rows() == rows
        assert other.step_shown() == page.step_shown()
        assert other.page.input_value("#start-x") == "-1.5"
        values = "els => els.map(e => e.value)"
        assert other.page.eval_on_selector_all("#cards input.value", values) == (
            page.page.eval_on_selector_all("#cards input.value", values)
        )
        assert other.page.url == url
        assert other.errors == []


def test_the_curvature_warns_before_a_divergent_run(page):
    page.open("#s=quadratic&x0=1,1&o=gd:lr=2.5&n=200")
    warnings = page.page.inner_text("#warnings")
    assert "gd" in warnings and "2.5" in warnings
    row = page.rows()[0]
    assert row["short"] == "diverged"
    assert row["stop"].startswith("diverged at step ")
    curvature = page.page.locator("#curvature article[data-where=start]")
    curvature.wait_for()
    assert "2/λmax" in curvature.inner_text()


def test_phone_width_has_no_horizontal_overflow(browser, live_server, tmp_path):
    with RacePage(browser, live_server, width=390, height=844) as phone:
        phone.open(ROSENBROCK)
        phone.page.wait_for_selector("#inside article")
        scroll, client = phone.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client
        map_box = phone.page.locator("#map").bounding_box()
        loss_box = phone.page.locator("#loss").bounding_box()
        assert loss_box["y"] >= map_box["y"] + map_box["height"]  # the panels stack
        assert phone.errors == []
        phone.shot(tmp_path, "phone.png")


def test_keyboard_reaches_the_controls_and_space_plays(page):
    page.open(ROSENBROCK + "&k=0")
    seen = set()
    for _ in range(80):
        page.page.keyboard.press("Tab")
        seen.add(page.page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if "play" in seen:
            break
    assert {"mode-surface", "surface-select", "start-x", "map", "play"} <= seen
    outline = page.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.page.keyboard.press("Space")
    assert page.page.get_attribute("#play", "aria-pressed") == "true"
    page.page.keyboard.press("Space")
    assert page.page.get_attribute("#play", "aria-pressed") == "false"
    # away from any control, space and the arrows work on the whole page
    page.page.locator("h1").click()
    k = int(page.step_shown().split()[1])
    page.page.keyboard.press("ArrowRight")
    assert page.step_shown().startswith(f"step {k + 1} /")
    page.page.keyboard.press("Space")
    assert page.page.get_attribute("#play", "aria-pressed") == "true"
    page.page.keyboard.press("Space")
    assert page.page.get_attribute("#play", "aria-pressed") == "false"


def test_copy_as_python(page):
    page.open(ROSENBROCK)
    page.page.click("#py-btn")
    page.page.wait_for_function("document.getElementById('py-code').value.length > 0")
    code = page.page.input_value("#py-code")
    assert "import descend" in code and "rosenbrock" in code
    assert "0.0015" in code
