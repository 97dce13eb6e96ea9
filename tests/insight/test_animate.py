"""descend.insight.animate: the race GIF has the frames asked for; bad paths are refused."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import descend as ds
from descend.insight.animate import animate_race, frame_indices, frame_records


@pytest.fixture(scope="module")
def race():
    surface = ds.surfaces.get("rosenbrock")
    runs = ds.compare(surface, None, {"gd": ds.gd(0.0015), "adam": ds.adam(0.02)}, max_steps=200)
    return surface, runs


def test_gif_has_the_requested_frames(race, tmp_path):
    surface, runs = race
    out = tmp_path / "anim" / "race.gif"
    fig = animate_race(surface, runs, path=out, frames=12, fps=10)
    assert out.stat().st_size > 0
    with Image.open(out) as im:
        assert im.n_frames == 12
    assert fig.texts[0].get_text().endswith("step 200")  # the title's step counter
    assert fig.axes[1].get_xlabel() == "step" and fig.axes[0].get_xlabel() == "x"


def test_frames_show_the_figure_in_its_colours(race, tmp_path):
    """The frames share one palette (cut from a few frames): the last frame still shows the
    figure as matplotlib draws it, the paths' colours included."""
    surface, runs = race
    out = tmp_path / "race.gif"
    fig = animate_race(surface, runs, path=out, frames=12, fps=10)
    fig.canvas.draw()
    drawn = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    with Image.open(out) as im:
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"), dtype=float)
    off = np.abs(last - drawn).max(axis=2)
    assert off.mean() < 4 and np.mean(off > 48) < 0.005
    for line in fig.axes[1].get_lines():  # each loss curve's colour is in the frame
        rgb = 255 * np.array(to_rgb(line.get_color()))
        assert (np.abs(last - rgb).max(axis=2) < 24).any(), line.get_label()


def test_frame_indices_subsample_and_keep_the_ends():
    idx = frame_indices(1000, 30)
    assert len(idx) == 30 and idx[0] == 0 and idx[-1] == 999
    np.testing.assert_array_equal(frame_indices(5, 30), np.arange(5))


def test_bad_suffix_and_missing_ffmpeg(race, tmp_path, monkeypatch):
    surface, runs = race
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        animate_race(surface, runs, path=tmp_path / "race.avi", frames=3)
    from matplotlib import animation

    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        animate_race(surface, runs, path=tmp_path / "race.mp4", frames=3)


def test_every_run_is_drawn_at_the_frame_step_though_histories_thin_differently(tmp_path):
    """A 10,000-step run keeps every fourth record, a 3,000-step one every record: at each
    frame both are drawn up to the same step (before, records were matched by index)."""
    surface = ds.surfaces.get("rosenbrock")
    runs = {
        "long": ds.minimize(surface, None, ds.gd(1e-3), max_steps=10_000, tol=0.0,
                            record_path=True, max_records=2_600),
        "short": ds.minimize(surface, None, ds.gd(1e-3), max_steps=3_000, tol=0.0,
                             record_path=True, max_records=2_600),
    }  # fmt: skip
    assert runs["long"].history.trimmed()["step"][1] > 1  # thinned
    fig = animate_race(surface, runs, path=tmp_path / "race.gif", frames=5, fps=5)
    assert fig.texts[0].get_text().endswith("step 10,000")
    curves = {line.get_label(): line for line in fig.axes[1].get_lines()}
    assert curves["short"].get_xdata()[-1] == 3_000 and curves["long"].get_xdata()[-1] == 10_000


def test_frames_match_records_by_step():
    long, short = np.arange(0, 10_001, 4), np.arange(0, 3_001)
    at, (i_short, i_long) = frame_records([short, long], 6)
    np.testing.assert_array_equal(at, long[frame_indices(len(long), 6)])
    np.testing.assert_array_equal(long[i_long], at)  # every frame step is one of long's
    np.testing.assert_array_equal(short[i_short], np.minimum(at, 3_000))
