"""Figures from the command line: descend race --plot/--animate and descend plot."""

import pytest
from PIL import Image


def test_race_plot_and_animation_are_written(tmp_path, cli):
    png, gif = tmp_path / "figs" / "race.png", tmp_path / "race.gif"
    code, out, _ = cli("race", "-o", "gd", "-o", "adam", "--steps", "300", "--plot",
                       str(png), "--animate", str(gif))  # fmt: skip
    assert code == 0 and f"wrote {png}" in out and f"wrote {gif}" in out
    assert png.stat().st_size > 10_000
    with Image.open(gif) as im:
        assert im.n_frames > 10


@pytest.mark.parametrize("kind", ["surface", "field", "momentum-map", "flavours"])
def test_plot_kinds(tmp_path, cli, kind):
    out_file = tmp_path / f"{kind}.svg"
    code, out, _ = cli("plot", kind, "-s", "himmelblau", "--out", str(out_file))
    assert f"wrote {out_file}" in out
    assert code == 0 and out_file.stat().st_size > 1000 and "<svg" in out_file.read_text()[:500]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plot", "field", "--out", "x.pdf"], "--out must end in .png or .svg"),
        (["plot", "field", "-s", "rastrigin"], ""),
        (["race", "-s", "styblinski_tang", "-p", "dim=3", "--plot", "r.png"], "2-D surfaces"),
    ],
)
def test_plot_errors(tmp_path, cli, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(*argv)
    if message:
        assert code == 2 and message in err
    else:
        assert code == 0  # rastrigin is 2-D by default: drawn


def test_tour_writes_a_self_contained_report(tmp_path, cli):
    out_file = tmp_path / "tour" / "index.html"
    code, out, _ = cli("tour", "--quick", "--out", str(out_file))
    html = out_file.read_text()
    assert code == 0 and "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html
    assert " 1. Small steps always go downhill: holds" in out
