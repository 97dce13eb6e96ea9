"""Figures from the command line: ``descend race --plot/--animate`` and ``descend plot``.

``descend plot KIND``: ``surface`` (3-D, with a gradient-descent path), ``field`` (the
gradient field over the contour map), ``lr-sensitivity`` (final loss against the learning
rate for gd, momentum and adam), ``momentum-map`` (the heavy ball's rate over (lr, beta) on
a quadratic) or ``flavours`` (batch, stochastic and mini-batch paths). Files are written
where ``--out`` says (PNG or SVG by the suffix), default ``KIND.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from descend.engine import minimize
from descend.problems import surfaces

KINDS = ("surface", "field", "lr-sensitivity", "momentum-map", "flavours")


class PlotUsageError(Exception):
    """Bad input: one line, exit status 2."""


def _need_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotUsageError("figures need matplotlib: pip install 'descend[plots]'") from None


def race_figures(args: Any, surface: Any, x0: Any, rows: list[dict], optimizers: dict) -> None:
    """Rerun the race with the path recorded and draw it (``--plot``) and animate it
    (``--animate``)."""
    _need_matplotlib()
    from descend.insight.animate import animate_race
    from descend.insight.plots import race_figure

    runs, labels = {}, {}
    for row in rows:
        name, hyper = row["optimizer"], row["hyperparameters"]
        tol = 0.0 if name == "annealing" else args.tol
        runs[name] = minimize(surface, x0, optimizers[name][0](**hyper), max_steps=args.steps,
                              tol=tol, record_path=True)  # fmt: skip
        labels[name] = f"{name} ({', '.join(f'{k}={v:g}' for k, v in hyper.items())})"
    try:
        if args.plot:
            race_figure(surface, runs, labels=labels, path=args.plot)
            print(f"wrote {args.plot}")
        if args.animate:
            animate_race(surface, runs, labels=labels, path=args.animate)
            print(f"wrote {args.animate}")
    except (ValueError, RuntimeError) as err:
        raise PlotUsageError(str(err)) from None


def cmd_plot(args: argparse.Namespace, optimizers: dict) -> int:
    _need_matplotlib()
    from descend.insight import plots

    out = args.out or f"{args.kind}.png"
    if Path(out).suffix.lower() not in (".png", ".svg"):
        raise PlotUsageError(f"--out must end in .png or .svg; got {out!r}")
    try:
        surface = surfaces.get(args.surface) if args.kind != "momentum-map" else None
        if surface is not None and surface.dim != 2 and args.kind != "lr-sensitivity":
            raise PlotUsageError(f"{args.kind} draws 2-D surfaces; {surface.name} has dim "
                                 f"{surface.dim}")  # fmt: skip
        if args.kind == "surface":
            run = minimize(surface, None, optimizers["gd"][0](lr=surface.lr), max_steps=2000)
            plots.surface_3d(surface, run, path=out)
        elif args.kind == "field":
            plots.gradient_field(surface, path=out)
        elif args.kind == "lr-sensitivity":
            rules = {name: optimizers[name][0] for name in ("gd", "momentum", "adam")}
            lrs = np.geomspace(surface.lr / 100, max(surface.adaptive_lr, surface.lr) * 20, 12)
            plots.lr_sensitivity(surface, rules, lrs, path=out)
        elif args.kind == "momentum-map":
            plots.momentum_map(args.kappa, path=out)
        else:
            plots.flavours_figure(path=out, seed=args.seed)
    except (ValueError, TypeError) as err:
        raise PlotUsageError(str(err)) from None
    print(f"wrote {out}")
    return 0


def add_parser(sub: Any, run: Any) -> None:
    p = sub.add_parser(
        "plot",
        help="draw a figure: surface, field, lr-sensitivity, momentum-map, flavours",
        description=__doc__.splitlines()[0],
        epilog="examples:\n  descend plot surface --surface sigmoid_neuron\n"
        "  descend plot momentum-map --kappa 1000 --out map.svg\n"
        "  descend race --plot race.png --animate race.gif",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=KINDS, help="which figure")
    p.add_argument("--surface", "-s", default="rosenbrock", help="surface (default rosenbrock)")
    p.add_argument("--kappa", type=float, default=100.0, help="momentum-map: condition number")
    p.add_argument("--seed", type=int, default=0, help="flavours: shuffling seed")
    p.add_argument("--out", "-o", help="file to write (.png or .svg; default KIND.png)")
    p.set_defaults(run=run)
