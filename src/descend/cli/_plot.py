"""``descend plot KIND``: draw one figure.

Kinds: surface (3-D, with the path of an optimizer, gradient descent by default), field (the
gradient field over the contour map), lr-sensitivity (final loss against the learning rate,
one curve per optimizer: gd, momentum and adam by default), momentum-map (the heavy ball's
rate over (lr, beta) on a quadratic), flavours (batch, stochastic and mini-batch paths),
basins (the minimum each start of a grid reaches, for one optimizer, gd by default) or
stability (the final loss, or the steps to the tolerance, over two hyperparameters of one
rule, momentum by default, with the theory's boundary where it is known).
The file is written where --out says (PNG or SVG by the suffix), default KIND.png; it is
checked before anything is drawn. basins and stability take --json: the map's numbers as
JSON on standard output (each minimum with its share of the starts; the grid of losses,
steps and stop reasons), and the figure only when --out is given.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from descend import _validation as check
from descend.cli._common import (
    OPTIMIZERS,
    UsageError,
    build_optimizer,
    command_parser,
    finite_or_none,
    float_max,
    integer,
    need_matplotlib,
    number,
    optimizer_from_spec,
    optimizer_option,
    out_option,
    output_path,
    parse_optimizer,
    print_json,
    real,
    surface_by_name,
    surface_of,
    text,
)
from descend.engine import minimize
from descend.engine._stop import StopReason
from descend.insight._maps import MAX_RESOLUTION
from descend.optim import registry

KINDS = ("surface", "field", "lr-sensitivity", "momentum-map", "flavours", "basins", "stability")
SUFFIXES = (".png", ".svg")
SENSITIVITY_DEFAULT = ("gd", "momentum", "adam")
#: The kinds that draw a surface, and those that run an optimizer (-o).
ON_A_SURFACE = ("surface", "field", "lr-sensitivity", "basins", "stability")
WITH_OPTIMIZERS = ("surface", "lr-sensitivity", "basins", "stability")
MAPS = ("basins", "stability")
DEFAULT_RESOLUTION = {"basins": 128, "stability": 64}


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


def _numbers(text: str, option: str, count: int, example: str) -> list[float]:
    """``"-5,5,-4,4"`` -> four floats: ``count`` comma-separated numbers."""
    items = [t.strip() for t in text.split(",")]
    values = [number(t, option) for t in items if t] if len(items) == count else []
    if len(values) != count or not all(np.isfinite(values)):
        raise UsageError(f"{option} must be {count} comma-separated numbers, e.g. {example}; "
                         f"got {text!r}")  # fmt: skip
    return values


def _bounds(text: str) -> list[float]:
    """``--bounds``: four finite numbers whose view has a finite width and height (in the
    run's floats: ``-1e308,1e308`` spans more than any float holds)."""
    bounds = _numbers(text, "--bounds", 4, "-5,5,-4,4")
    widths = (bounds[1] - bounds[0], bounds[3] - bounds[2])
    if not all(0 < w <= float_max() for w in widths):
        raise UsageError(
            f"--bounds must be finite with xmin < xmax and ymin < ymax, and a finite width and "
            f"height (each at most {float_max():.4g}), e.g. -5,5,-4,4; got {text!r}"
        )
    return bounds


def _check_options(args: argparse.Namespace) -> None:
    """Options that belong to other kinds are refused, naming the kinds they apply to."""
    only = {
        "--resolution": (args.resolution, MAPS), "--steps": (args.steps, MAPS),
        "--tol": (args.tol, MAPS), "--json": (args.json or None, MAPS),
        "--function": (args.function, MAPS), "--param": (args.param, MAPS),
        "--bounds": (args.bounds, ("basins",)), "--x": (args.x, ("stability",)),
        "--y": (args.y, ("stability",)), "--x-range": (args.x_range, ("stability",)),
        "--y-range": (args.y_range, ("stability",)), "--metric": (args.metric, ("stability",)),
    }  # fmt: skip
    for option, (value, kinds) in only.items():
        if value is not None and args.kind not in kinds:
            raise UsageError(f"{option} applies to {' and '.join(kinds)}, not {args.kind}")
    if args.resolution is not None and args.resolution > MAX_RESOLUTION:
        raise UsageError(f"--resolution must be an integer in [2, {MAX_RESOLUTION}]; "
                         f"got {args.resolution}")  # fmt: skip
    if args.function and args.surface:
        raise UsageError("give --surface or --function, not both")


def _one_optimizer(args: argparse.Namespace, default: str) -> str:
    specs = args.optimizer or [default]
    if len(specs) > 1:
        raise UsageError(f"{args.kind} maps one optimizer; got {len(specs)}")
    return specs[0]


def _basins(args: argparse.Namespace, out: str | None) -> dict[str, Any]:
    """Check the input of a basin map, then compute it (and draw it to ``out``)."""
    surface = surface_of(args)
    if surface.dim != 2:
        raise UsageError(f"basins draws 2-D surfaces; {surface.name} has dim {surface.dim}")
    name, hyper, opt = optimizer_from_spec(_one_optimizer(args, "gd"), surface)
    bounds = _bounds(args.bounds) if args.bounds else None
    from descend.insight import basin_map

    try:
        m = basin_map(surface, opt, resolution=args.resolution or DEFAULT_RESOLUTION["basins"],
                      bounds=bounds, max_steps=args.steps or 1000, tol=_tol(args))  # fmt: skip
    except (ValueError, TypeError) as err:
        raise _usage(err) from None
    if out:
        from descend.insight import plots

        plots.basin_figure(m, surface, path=out)
    minima = [
        {"point": [float(v) for v in p], "kind": kind, "loss": finite_or_none(value),
         "share": float(share)}
        for p, kind, value, share in zip(m.minima, m.kinds, m.minima_loss, m.shares, strict=True)
    ]  # fmt: skip
    return {
        "kind": "basins",
        "surface": surface.name,
        "optimizer": name,
        "hyperparameters": hyper,
        "resolution": int(m.labels.shape[0]),
        "bounds": list(m.bounds),
        "max_steps": m.max_steps,
        "tol": _tol(args),
        "radius": m.radius,
        "minima": minima,
        "diverged_share": m.diverged_share,
        "unconverged_share": m.unconverged_share,
    }


def _stability(args: argparse.Namespace, out: str | None) -> dict[str, Any]:
    """Check the input of a stability map, then compute it (and draw it to ``out``)."""
    surface = surface_of(args)
    name, fixed = parse_optimizer(_one_optimizer(args, "momentum"))
    if name not in registry.names():
        raise UsageError(f"stability maps a rule of the registry ({', '.join(registry.names())}); "
                         f"got {name}")  # fmt: skip
    names = registry.get(name).hyperparameter_names()
    for option, value in (("--x", args.x), ("--y", args.y)):
        if value is not None and value not in names:
            hint = check.did_you_mean(value, names)
            raise UsageError(
                f"{option}: {name} has no hyperparameter {value!r}{hint}; valid: {', '.join(names)}"
            )
    axes = sorted({args.x or "lr", args.y} & set(fixed))
    if axes:
        raise UsageError(f"-o {name}: {', '.join(axes)} is an axis of the map (--x/--y); "
                         "leave it out of -o")  # fmt: skip
    x_range = _numbers(args.x_range, "--x-range", 2, "0.001,1") if args.x_range else None
    y_range = _numbers(args.y_range, "--y-range", 2, "0,0.99") if args.y_range else None
    build_optimizer(name, fixed)  # the fixed values are checked now
    from descend.insight import stability_map

    try:
        m = stability_map(surface, name, x=args.x or "lr", y=args.y, x_range=x_range,
                          y_range=y_range, fixed=fixed, tol=_tol(args),
                          resolution=args.resolution or DEFAULT_RESOLUTION["stability"],
                          max_steps=args.steps or 1000)  # fmt: skip
    except (ValueError, TypeError) as err:
        raise _usage(err) from None
    if out:
        from descend.insight import plots

        plots.stability_figure(m, metric=args.metric or "loss", path=out)
    boundary = None
    if m.boundary is not None:
        b = m.boundary
        boundary = {
            "label": b["label"],
            "exact": b["exact"],
            "L": b["L"],
            "at": list(b["at"]),
            "x": _floats(b["x"]),
            "y": None if b["y"] is None else _floats(b["y"]),
        }
    return {
        "kind": "stability",
        "surface": surface.name,
        "rule": name,
        "fixed": fixed,
        "start": list(m.start),
        "max_steps": m.max_steps,
        "tol": m.tol,
        "x": {"name": m.x_name, "scale": m.x_scale, "values": _floats(m.x_values)},
        "y": None
        if m.y_name is None
        else {"name": m.y_name, "scale": m.y_scale, "values": _floats(m.y_values)},
        "loss_offset": m.loss_offset,
        "final_loss_is": "f - f*" if m.gap else "f",
        "final_loss": [_floats(row) for row in m.final_loss],
        "steps": m.steps.astype(int).tolist(),
        "reason": [[StopReason(int(r)).short for r in row] for row in m.reason],
        "converged_share": float(np.mean(m.converged)),
        "diverged_share": float(np.mean(m.diverged)),
        "boundary": boundary,
    }


#: The library's argument names, as the options that set them.
OPTION_NAMES = {"bounds": "--bounds", "x_range": "--x-range", "y_range": "--y-range"}


def _usage(err: Exception) -> UsageError:
    """A library error as a usage error, naming the option instead of the argument."""
    text = str(err)
    for name, option in OPTION_NAMES.items():
        if text.startswith(name):
            text = option + text[len(name) :]
    return UsageError(text)


def _tol(args: argparse.Namespace) -> float:
    return 1e-6 if args.tol is None else args.tol


def _floats(values: Any) -> list[float | None]:
    return [finite_or_none(v) for v in np.asarray(values, dtype=float).ravel()]


def _run_map(args: argparse.Namespace) -> int:
    out = None
    if args.out is not None or not args.json:
        out = output_path("--out", args.out or f"{args.kind}.png", SUFFIXES)
        need_matplotlib()
    payload = (_basins if args.kind == "basins" else _stability)(args, out)
    if args.json:
        print_json(payload)
    if out:
        print(f"wrote {out}", file=sys.stderr if args.json else sys.stdout)
    return 0


def run(args: argparse.Namespace) -> int:
    """Check the kind's input and the output file, then draw."""
    _check_options(args)
    if args.kind in MAPS:
        return _run_map(args)
    out = output_path("--out", args.out or f"{args.kind}.png", SUFFIXES)
    if args.optimizer and args.kind not in WITH_OPTIMIZERS:
        raise UsageError(f"-o applies to surface and lr-sensitivity, and to the maps "
                         f"({', '.join(MAPS)}); {args.kind} runs no optimizer of your "
                         "choice")  # fmt: skip
    if args.kind == "surface" and args.optimizer and len(args.optimizer) > 1:
        raise UsageError(f"surface draws one path; got {len(args.optimizer)} optimizers")
    surface = surface_by_name(args.surface or "rosenbrock") if args.kind in ON_A_SURFACE else None
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
        sub, "plot", run, help="draw a figure: surface, field, lr-sensitivity, momentum-map, "
        "flavours, basins, stability",
        doc=__doc__, before="kinds:\n  " + __doc__.split("\n\n")[1].strip().replace("\n", "\n  "),
        examples=["descend plot surface --surface sigmoid_neuron -o momentum",
                  "descend plot lr-sensitivity -o gd -o adam:b1=0.8",
                  "descend plot momentum-map --kappa 1000 --out map.svg",
                  "descend plot basins --surface himmelblau -o gd:lr=0.01 --out basins.png",
                  "descend plot basins --function \"x^4 - 2*x^2 + y^2\" -o adam:lr=0.05 --json",
                  "descend plot stability --surface rosenbrock -o momentum --out map.png",
                  "descend plot stability -s quadratic -p kappa=100 -o adam --x lr --y b1",
                  "descend race --plot race.png --animate race.gif"],
    )  # fmt: skip
    p.add_argument("kind", choices=KINDS, help="which figure")
    p.add_argument(
        "--surface", "-s", type=text("a surface name"), help="surface (default rosenbrock)"
    )
    optimizer_option(
        p,
        "surface: the optimizer whose path is drawn (default gd); lr-sensitivity: the "
        "optimizers compared, without lr (repeatable; default gd, momentum, adam); basins: the "
        "optimizer (default gd, at the surface's rate); stability: the rule mapped (default "
        "momentum), with fixed values for its other hyperparameters",
        repeatable=True,
    )
    maps = p.add_argument_group("basins and stability")
    maps.add_argument(
        "--function",
        "-f",
        metavar="TEXT",
        type=text("a function of x and y"),
        help='a function of x and y instead of --surface, e.g. "x^4 - 2*x^2 + y^2"'
        " (parsed, never evaluated)",
    )
    maps.add_argument(
        "--param",
        "-p",
        action="append",
        metavar="KEY=VALUE",
        help="surface parameter, e.g. kappa=100 (repeatable)",
    )
    maps.add_argument(
        "--resolution",
        type=integer(2),
        metavar="N",
        help=f"grid points per side, 2 to {MAX_RESOLUTION} (default 128 for "
        "basins, 64 for stability)",
    )
    maps.add_argument("--steps", type=integer(1), help="maximum steps of each run (default 1000)")
    maps.add_argument("--tol", type=real(0), help="gradient-norm tolerance (default 1e-6)")
    maps.add_argument(
        "--json", action="store_true", help="print the map as JSON (the figure only with --out)"
    )
    maps.add_argument(
        "--bounds",
        metavar="XMIN,XMAX,YMIN,YMAX",
        help="basins: the view (default the surface's domain); write --bounds=-2,2,-1,1 "
        "when it starts with a minus",
    )
    maps.add_argument("--x", metavar="NAME", help="stability: the x hyperparameter (default lr)")
    maps.add_argument(
        "--y", metavar="NAME", help="stability: the y hyperparameter (default the rule's second)"
    )
    maps.add_argument(
        "--x-range",
        metavar="LOW,HIGH",
        help="stability: range of x (default the registry's typical span)",
    )
    maps.add_argument("--y-range", metavar="LOW,HIGH", help="stability: range of y")
    maps.add_argument(
        "--metric",
        choices=("loss", "steps"),
        help="stability: final loss (default) or steps to the tolerance",
    )
    p.add_argument(
        "--kappa", type=real(1), default=100.0, help="momentum-map: condition number (>= 1)"
    )
    p.add_argument("--seed", type=integer(0), default=0, help="flavours: shuffling seed")
    out_option(p, "file to write (.png or .svg; default KIND.png)", ending="ending in .png or .svg")
