"""Animations of runs the engine recorded: the race as a GIF (Pillow) or MP4 (ffmpeg)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from descend import _validation as check
from descend._files import written_whole
from descend._public import listing
from descend.insight.plots._common import (
    COLORS,
    axis_names,
    check_2d,
    contour,
    grid,
    legend_labels,
    mark_points,
    named,
    on_the_host,
    run_path,
)

__all__ = ["animate_race", "frame_indices", "frame_records"]
__dir__ = listing(__all__)

#: The frame helpers count records on the host: traced arguments are refused in one line.
_with_numpy = check.on_the_host("works with NumPy on the host", "call it on finished runs")


@_with_numpy
def frame_indices(n: int, frames: int) -> np.ndarray:
    """``frames`` record indices spread evenly over ``0 .. n-1`` (all of them when ``n`` is
    smaller), always including the first and the last."""
    if n <= frames:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, frames)).astype(int))


@_with_numpy
def frame_records(steps: list[np.ndarray], frames: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The step of each frame, spread over the records of the run that went furthest, and for
    each run the index of its last record at or before that step. Runs thin their histories
    differently as they grow (a long run keeps every fourth step where a short one keeps
    every step), so records are matched by step, never by position."""
    far = max(steps, key=lambda s: s[-1] if len(s) else -1)
    at = far[frame_indices(len(far), frames)]
    return at, [np.maximum(np.searchsorted(s, at, side="right") - 1, 0) for s in steps]


@on_the_host
def animate_race(
    surface: Any,
    runs: Any,
    *,
    path: Any = "race.gif",
    frames: int = 120,
    fps: int = 20,
    trail: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Animate the race: a moving point (and its trail) per run on the contour map, the step
    in the title, and each run's loss curve growing in a panel beside it.

    ``runs`` maps names to :class:`descend.Result` (with recorded paths). The longest run's
    records are subsampled to at most ``frames`` frames; shorter runs stay at their last
    point. ``path`` ending in ``.gif`` is written with Pillow, ``.mp4`` with ffmpeg (a
    ``RuntimeError`` if ffmpeg is not available). Returns the figure of the last frame.
    """
    check_2d(surface)
    runs = named(runs)
    frames = check.positive_int("frames", frames)
    fps = check.positive_int("fps", fps)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        writer: Any = None  # written by _save_gif, frame by frame
    elif suffix == ".mp4":
        if not animation.writers.is_available("ffmpeg"):
            raise RuntimeError(
                f"writing {str(path)!r} needs ffmpeg, which is not available: install ffmpeg "
                "or give a path ending in .gif"
            )
        writer = animation.FFMpegWriter(fps=fps)
    else:
        raise ValueError(f"path must end in .gif or .mp4; got {str(path)!r}")
    labels = legend_labels(labels)
    data = []
    for name, run in runs.items():
        if not hasattr(run, "history"):
            raise TypeError(
                f"runs[{name!r}] must be a descend Result with a recorded path (from "
                f"descend.minimize or descend.compare); got {check.shown(run)} "
                f"({type(run).__name__})"
            )
        h = run.history.trimmed()
        data.append(
            (
                name,
                run_path(run, f"runs[{name!r}]"),
                np.asarray(h["step"]),
                np.asarray(h["loss"], float),
            )
        )
    frame_steps, shown = frame_records([s for _, _, s, _ in data], frames)
    fig = Figure(figsize=(11.0, 4.6))
    FigureCanvasAgg(fig)  # this figure's own canvas: the user's backend is left alone
    ax, lax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
    xs, ys, zs = grid(surface, 150)
    contour(ax, xs, ys, zs, levels=25, log=True, offset=surface.min_value)
    mark_points(ax, surface)
    xn, yn = axis_names(surface)
    (x_lo, x_hi), (y_lo, y_hi) = surface.domain
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=xn, ylabel=yn)
    all_loss = np.concatenate([lo[np.isfinite(lo)] for *_, lo in data])
    positive = all_loss[all_loss > 0]
    max_step = max(float(s[-1]) for _, _, s, _ in data if len(s))
    lax.set_xlim(0, max(max_step, 1.0))
    if positive.size and positive.max() / positive.min() > 100:
        lax.set_yscale("log")
        lax.set_ylim(positive.min() / 2, positive.max() * 2)
        lax.set_ylabel(f"loss f({xn}, {yn}) (log scale)")
    else:
        pad = 0.05 * (all_loss.max() - all_loss.min() + 1e-12)
        lax.set_ylim(all_loss.min() - pad, all_loss.max() + pad)
        lax.set_ylabel(f"loss f({xn}, {yn})")
    lax.set_xlabel("step")
    lax.set_title("loss per step")
    lax.grid(alpha=0.3)
    artists = []
    for i, (name, p, _, _) in enumerate(data):
        c = COLORS[i % len(COLORS)]
        (tr,) = ax.plot([], [], "-", color=c, lw=1.4)
        (pt,) = ax.plot([], [], "o", color=c, mec="k", ms=7, label=labels.get(name, name))
        (cv,) = lax.plot([], [], "-", color=c, lw=1.4, label=name)
        artists.append((tr, pt, cv))
        ax.plot(p[0, 0], p[0, 1], "o", color="k", mfc="white", ms=7, zorder=2)
    ax.legend(fontsize=7, loc="best", framealpha=0.9)
    title = fig.suptitle("")
    moving = [a for trio in artists for a in trio] + [title]  # what each frame redraws

    def draw(k: int) -> list[Any]:
        step = int(frame_steps[k])
        for (_, p, s, lo), (tr, pt, cv), at in zip(data, artists, shown, strict=True):
            m = int(at[k])
            if trail:
                tr.set_data(p[: m + 1, 0], p[: m + 1, 1])
            pt.set_data([p[m, 0]], [p[m, 1]])
            cv.set_data(s[: m + 1], lo[: m + 1])
        title.set_text(f"Optimizer race on {surface.name}: step {step:,}")
        return moving

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(path) as partial:
        if suffix == ".gif":
            _save_gif(fig, moving, draw, len(frame_steps), fps, partial)
        else:
            anim = animation.FuncAnimation(fig, draw, frames=len(frame_steps), blit=False)
            anim.save(str(partial), writer=writer)
    return fig


def _save_gif(fig: Figure, moving: list[Any], draw: Any, n: int, fps: int, path: Path) -> None:
    """Write a GIF by blitting: the contour map, axes and legend are rendered once, and each
    frame restores that background and draws only the ``moving`` artists (the paths, points,
    loss curves and title), several times faster than re-rendering the whole figure a frame."""
    from PIL import Image

    canvas = fig.canvas
    for artist in moving:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for k in range(n):
        canvas.restore_region(background)
        draw(k)
        for artist in moving:
            fig.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())
        images.append(Image.fromarray(rgba[..., :3].copy()))
    for artist in moving:
        artist.set_animated(False)
    # one palette for every frame, cut from the first, middle and last frames (the map is the
    # same in each, the paths grow): mapping a frame to it costs a few ms where a median cut
    # of its own cost 40-60, and frames that share a palette are stored as the regions that
    # changed, so the file is about 10x smaller
    keys = (images[0], images[n // 2], images[-1])
    width, height = images[0].size
    sheet = Image.new("RGB", (width, height * len(keys)))
    for j, im in enumerate(keys):
        sheet.paste(im, (0, height * j))
    palette = sheet.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=1000 / fps,
                   loop=0, optimize=False)  # fmt: skip
