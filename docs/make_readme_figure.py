"""Draw docs/race.png, the figure on the README's first screen: the paths of `descend race`'s
default optimizers on Rosenbrock. Needs matplotlib (`pip install matplotlib`); run from the
repository root: `.venv/bin/python docs/make_readme_figure.py`."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import descend as ds
from descend.cli import DEFAULT_RACE, OPTIMIZERS

STEPS = 3000


def main() -> None:
    surface = ds.surfaces.get("rosenbrock")
    (x_lo, x_hi), (y_lo, y_hi) = (-1.6, 1.6), (-0.6, 1.8)
    xs, ys = np.meshgrid(np.linspace(x_lo, x_hi, 400), np.linspace(y_lo, y_hi, 400))
    zs = (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2
    fig, (ax, curves) = plt.subplots(
        1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [1.25, 1]}
    )
    ax.contour(xs, ys, np.log10(zs + 1e-3), levels=25, cmap="Greys", linewidths=0.6)
    colors = plt.cm.tab10.colors
    for i, name in enumerate(DEFAULT_RACE):
        build, defaults = OPTIMIZERS[name]
        hyper = defaults(surface)
        res = ds.minimize(surface, None, build(**hyper), max_steps=STEPS)
        h = res.history.trimmed()
        label = f"{name} ({', '.join(f'{k}={v:g}' for k, v in hyper.items())})"
        ax.plot(h["path"][:, 0], h["path"][:, 1], color=colors[i], lw=1.2, label=label)
        curves.semilogy(h["step"], h["loss"], color=colors[i], lw=1.2, label=name)
    ax.plot(*surface.start, "ko", ms=5)
    ax.plot(1, 1, "*", color="gold", ms=14, mec="k")
    ax.set(
        xlim=(x_lo, x_hi),
        ylim=(y_lo, y_hi),
        xlabel="x",
        ylabel="y",
        title=f"descend race on Rosenbrock: paths of the first {STEPS:,} steps",
    )
    ax.legend(fontsize=7, loc="lower right")
    curves.set(xlabel="step", ylabel="loss f(x, y) (log scale)", title="loss per step")
    curves.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(__file__).with_name("race.png")
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
