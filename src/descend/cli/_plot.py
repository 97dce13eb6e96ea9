"""``descend plot KIND``: draw one figure.

Kinds: surface (3-D, with the path of an optimizer, gradient descent by default), field (the
gradient field over the contour map), lr-sensitivity (final loss against the learning rate,
one curve per optimizer: gd, momentum and adam by default), momentum-map (the heavy ball's
rate over (lr, beta) on a quadratic) or flavours (batch, stochastic and mini-batch paths).
The file is written where --out says (PNG or SVG by the suffix), default KIND.png; it is
checked before anything is drawn.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from descend.cli._common import (
    OPTIMIZERS,
    UsageError,
    build_optimizer,
    command_parser,
    integer,
    need_matplotlib,
    optimizer_from_spec,
    output_path,
    parse_optimizer,
    real,
    surface_by_name,
)
from descend.engine import minimize

KINDS = ("surface", "field", "lr-sensitivity", "momentum-map", "flavours")
SUFFIXES = (".png", ".svg")
SENSITIVITY_DEFAULT = ("gd", "momentum", "adam")
#: The kinds that draw a surface, and those that run an optimizer (-o).
ON_A_SURFACE = ("surface", "field", "lr-sensitivity")
WITH_OPTIMIZERS = ("surface", "lr-sensitivity")


def _rules(specs: list[str]) -> dict[str, Any]:
    """lr-sensitivity: each optimizer with its fixed hyperparameters (lr is swept)."""
    rules = {}
    for spec in specs:
        name, given = parse_optimizer(spec)
        if "lr" in given:
            raise UsageError("lr-sensitivity sweeps lr itself: leave it out of -o")
        build_optimizer(name, given)  # the fixed values are checked now, not mid-figure
        rules[name] = (OPTIMIZERS[name][0], given)
    return rules


def run(args: argparse.Namespace) -> int:
    """Check the kind's input and the output file, then draw."""
    out = output_path("--out", args.out or f"{args.kind}.png", SUFFIXES)
    if args.optimizer and args.kind not in WITH_OPTIMIZERS:
        raise UsageError(f"-o applies to {' and '.join(WITH_OPTIMIZERS)}; {args.kind} runs "
                         "no optimizer of your choice")  # fmt: skip
    if args.kind == "surface" and args.optimizer and len(args.optimizer) > 1:
        raise UsageError(f"surface draws one path; got {len(args.optimizer)} optimizers")
    surface = surface_by_name(args.surface) if args.kind in ON_A_SURFACE else None
    if surface is not None and surface.dim != 2 and args.kind != "lr-sensitivity":
        raise UsageError(f"{args.kind} draws 2-D surfaces; {surface.name} has dim "
                         f"{surface.dim}")  # fmt: skip
    if args.kind == "surface":
        _, _, opt = optimizer_from_spec((args.optimizer or ["gd"])[0], surface)
    if args.kind == "lr-sensitivity":
        rules = _rules(args.optimizer or list(SENSITIVITY_DEFAULT))
    need_matplotlib()
    from descend.insight import plots

    try:
        if args.kind == "surface":
            plots.surface_3d(surface, minimize(surface, None, opt, max_steps=2000), path=out)
        elif args.kind == "field":
            plots.gradient_field(surface, path=out)
        elif args.kind == "lr-sensitivity":
            lrs = np.geomspace(surface.lr / 100, max(surface.adaptive_lr, surface.lr) * 20, 12)
            plots.lr_sensitivity(surface, rules, lrs, path=out)
        elif args.kind == "momentum-map":
            plots.momentum_map(args.kappa, path=out)
        else:
            plots.flavours_figure(path=out, seed=args.seed)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    print(f"wrote {out}")
    return 0


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub, "plot", help="draw a figure: surface, field, lr-sensitivity, momentum-map, flavours",
        doc=__doc__, before="kinds:\n  " + __doc__.split("\n\n")[1].strip().replace("\n", "\n  "),
        examples=["descend plot surface --surface sigmoid_neuron -o momentum",
                  "descend plot lr-sensitivity -o gd -o adam:b1=0.8",
                  "descend plot momentum-map --kappa 1000 --out map.svg",
                  "descend race --plot race.png --animate race.gif"],
    )  # fmt: skip
    p.add_argument("kind", choices=KINDS, help="which figure")
    p.add_argument("--surface", "-s", default="rosenbrock", help="surface (default rosenbrock)")
    p.add_argument(
        "--optimizer",
        "-o",
        action="append",
        metavar="NAME[:KEY=VALUE,...]",
        help="surface: the optimizer whose path is drawn (default gd); lr-sensitivity: the "
        "optimizers compared, without lr (repeatable; default gd, momentum, adam)",
    )
    p.add_argument(
        "--kappa", type=real(1), default=100.0, help="momentum-map: condition number (>= 1)"
    )
    p.add_argument("--seed", type=integer(0), default=0, help="flavours: shuffling seed")
    p.add_argument("--out", help="file to write (.png or .svg; default KIND.png)")
    p.set_defaults(run=run)
