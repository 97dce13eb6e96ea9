"""What the commands share: the usage error, the parser that reports in one line, the parsing
of numbers, lists, optimizer specs and output paths, and the loading of data and models.

Every check here runs before a command starts its work, so that bad input costs nothing and
says, in one line on standard error, what was wrong and what is allowed (exit status 2).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import jax
import numpy as np

from descend import _validation as check
from descend._validation import finite_or_none
from descend.engine import annealing, lookahead_nesterov
from descend.insight._race_defaults import RACE_DEFAULTS, race_defaults
from descend.optim import registry
from descend.problems import data as data_lib
from descend.problems import losses, models, surfaces
from descend.problems.data._sources import csv_columns
from descend.study._problem import GENERATED as SPEC_GENERATED
from descend.study._problem import MODELS as MODELS  # the models a spec names, re-exported


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit status 2. ``prog`` is the
    command it belongs to when known (``descend race``)."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block) and reach ``main``
    as a :class:`UsageError` instead of exiting: ``descend race: error: --steps must be an
    integer >= 1; got 0 (see descend race --help)``."""

    def error(self, message: str) -> NoReturn:
        # "argument --steps: must be ..." (from the types below) reads "--steps must be ..."
        message = re.sub(r"^argument ([^/\s:]+)(?:/\S+)?: must be", r"\1 must be", message)
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


# -- numbers and lists -------------------------------------------------------------------------


def command_parser(
    sub: Any,
    name: str,
    run: Callable[[argparse.Namespace], int] | None = None,
    *,
    help: str,
    doc: str,
    examples: Sequence[str],
    before: str = "",
    after: str = "",
    description: str | None = None,
) -> Any:
    """One command's parser, built the same way for every command: ``run`` is what the
    command runs (None for a command of actions: given no action, it prints its help and
    exits 2, as ``descend`` does given no command); the description is the first paragraph
    of the command module's docstring in plain text (or ``description``), and the epilog
    holds ``before``, the examples and ``after``."""
    if description is None:
        description = " ".join(doc.split("\n\n")[0].split()).replace("``", "")
    parts = [before, "examples:\n" + "\n".join(f"  {line}" for line in examples), after]
    parser = sub.add_parser(name, help=help, description=description,
                            epilog="\n\n".join(s for s in parts if s),
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip

    def no_action(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(run=run or no_action)
    return parser


def _bound(low: float | None, high: float | None, low_open: bool, kind: str) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"< {high:g}")
    return f"{kind} {' and '.join(parts)}".strip()


def integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer, at least ``low`` and at most ``high`` when given, and at
    most 2^31 - 1 in size (what a compiled program's counters and seeds hold)."""
    if low is not None and high is not None:
        allowed = f"an integer in [{low}, {high}]"
    else:
        allowed = _bound(low, None, False, "an integer")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}; got {value}")
        if abs(value) > check.INT32_MAX:
            raise argparse.ArgumentTypeError(f"must be at most {check.INT32_MAX:,}; got {value}")
        return value

    return parse


def real(
    low: float | None = None, high: float | None = None, *, low_open: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high)`` (``(low, high)`` when
    ``low_open``); either bound may be absent."""
    allowed = _bound(low, high, low_open, "a number")

    def parse(text: str) -> float:
        value = number(text, None)
        if not np.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be {allowed}; got {text!r}")
        too_low = low is not None and (value <= low if low_open else value < low)
        if too_low or (high is not None and value >= high):
            raise argparse.ArgumentTypeError(f"must be {allowed}; got {value!r}")
        return value

    return parse


def float_max() -> float:
    """The largest number a run holds: float32's 3.4e38 (the default), float64's 1.8e308
    with x64 enabled (``JAX_ENABLE_X64=1``)."""
    dtype = np.float64 if jax.config.jax_enable_x64 else np.float32
    return float(np.finfo(dtype).max)


def _range_text() -> str:
    if jax.config.jax_enable_x64:
        return f"|x| <= {float_max():.4g} (float64)"
    return f"|x| <= {float_max():.4g} (descend runs in float32; JAX_ENABLE_X64=1 for float64)"


def number(text: str, what: str | None) -> float:
    """``text`` as a finite float; a one-line error naming ``what`` (argparse's when None).
    ``nan``, ``inf`` and numbers beyond the float range (``1e999``) are refused: no option
    of descend takes one; so are numbers beyond the range of the run's floats (float32's
    3.4e38 unless x64 is enabled), which would become infinite in the run."""
    try:
        value = float(text)
    except ValueError:
        if what is None:
            raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
        raise UsageError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        if what is None:
            raise argparse.ArgumentTypeError(f"must be a finite number; got {text!r}")
        raise UsageError(f"{what}: {text!r} is not a finite number")
    if abs(value) > float_max():
        if what is None:
            raise argparse.ArgumentTypeError(f"must be a number with {_range_text()}; got {text!r}")
        raise UsageError(f"{what}: {text!r} is out of range; allowed: {_range_text()}")
    return value


def int_list(text: str, option: str, low: int = 1) -> list[int]:
    """``"32,16"`` -> ``[32, 16]``: comma-separated integers, each at least ``low``; an
    empty item (``"32,,16"``) is refused, not skipped."""
    items = [t.strip() for t in text.split(",")]
    try:
        values = [int(t) for t in items]
    except ValueError:
        values = []
    if not values or min(values) < low or max(values) > check.INT32_MAX:
        raise UsageError(
            f"{option} must be comma-separated integers >= {low}, e.g. 32,16; got {text!r}"
        )
    return values


def text(what: str) -> Callable[[str], str]:
    """An argparse type: non-empty text (``what`` says what it names, as ``a file name``);
    an empty ``--out ""`` must not quietly mean the default, nor ``--dir ""`` the current
    folder."""

    def parse(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(f"must be {what}, not empty; got {value!r}")
        return value

    return parse


# -- output files ------------------------------------------------------------------------------


def output_path(option: str, path: str, suffixes: Sequence[str] = ()) -> str:
    """Check, before any work, that ``path`` can be written: its suffix is one of
    ``suffixes`` (when given), it is not a folder, and a file can be created there (missing
    parent folders are created, as the writers would). Returns ``path``."""
    try:  # the path shown whole: main cuts a word too long to be a real path
        return _writable(option, path, suffixes)
    except OSError as err:  # a name too long for the file system, or no right to look
        reason = err.strerror or type(err).__name__
        raise UsageError(f"{option}: cannot write {path!r}: {reason.lower()}") from None


def _writable(option: str, path: str, suffixes: Sequence[str]) -> str:
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option}: {path!r} is a folder; give a file name")
    if suffixes and p.suffix.lower() not in suffixes:
        raise UsageError(f"{option} must end in {' or '.join(suffixes)}; got {path!r}")
    above = p.parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise UsageError(f"{option}: cannot write {path!r}: {str(above)!r} is a file, not a folder")
    p.parent.mkdir(parents=True, exist_ok=True)
    existed = p.exists()
    with open(p, "ab"):
        pass
    if not existed:
        p.unlink()
    return path


def cannot_read(path: str, err: Exception) -> UsageError:
    """The usage error for a file that exists but cannot be read: the path and the reason
    (the system's words without its copy of the path)."""
    reason = (getattr(err, "strerror", None) or str(err)).lower()
    return UsageError(f"cannot read {path}: {reason}")


def need_matplotlib() -> None:
    """Figures need matplotlib: a one-line error naming the extra when it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("figures need matplotlib: pip install 'descend[plots]'") from None


def json_ready(value: Any) -> Any:
    """``value`` with every float that JSON cannot hold (NaN, infinite) as None, NumPy and JAX
    scalars and arrays as Python numbers and lists, tuples as lists."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.ndarray, jax.Array)):
        return json_ready(np.asarray(value).tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite_or_none(value)
    return value


def print_json(payload: Any) -> None:
    """Print ``payload`` as indented, strict JSON: NaN and infinities as null (see
    :func:`json_ready`), so that any JSON reader takes a command's ``--json`` output."""
    print(json.dumps(json_ready(payload), indent=2, allow_nan=False, default=str))


def print_report_or_json(
    report: dict[str, Any], as_json: bool, print_report: Callable[[dict[str, Any]], None]
) -> None:
    """Print a command's report as indented JSON (``--json``) or with its ``print_report``."""
    if as_json:
        print_json(report)
    else:
        print_report(report)


def reporting(
    report: Callable[[argparse.Namespace], dict[str, Any]],
    print_report: Callable[[dict[str, Any]], None],
    status: Callable[[dict[str, Any]], int] = lambda report: 0,
) -> Callable[[argparse.Namespace], int]:
    """The ``run`` of a command that answers with a report: compute it from the arguments,
    print it (:func:`print_report_or_json`) and exit with ``status(report)``."""

    def run(args: argparse.Namespace) -> int:
        answer = report(args)
        print_report_or_json(answer, args.json, print_report)
        return status(answer)

    return run


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> None:
    """A plain-text table: the headers, a rule of dashes and the rows, each column as wide as
    its widest cell, the columns in ``right`` aligned right and the others left."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths], *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


# -- optimizers --------------------------------------------------------------------------------


#: Engine strategies the race offers beside the registry's update rules.
STRATEGIES: dict[str, Callable[..., Any]] = {
    "lookahead-nesterov": lookahead_nesterov,
    "annealing": annealing,
}


def _table() -> dict[str, tuple[Callable[..., Any], Callable[[Any], dict[str, float]]]]:
    names = registry.names()
    names.insert(names.index("nesterov") + 1, "lookahead-nesterov")
    names.append("annealing")
    build = {**{n: registry.get(n).constructor for n in registry.names()}, **STRATEGIES}
    return {n: (build[n], RACE_DEFAULTS[n]) for n in names}


#: name -> (constructor, its hyperparameters for a surface): the registry's update rules and
#: the engine's strategies, in the order the command line lists them.
OPTIMIZERS = _table()
DEFAULT_RACE = ("gd", "momentum", "nesterov", "rmsprop", "adam")


def hyperparameter_names(name: str) -> list[str]:
    """The numeric hyperparameters ``-o NAME:KEY=VALUE`` accepts, in the constructor's order."""
    if name in STRATEGIES:
        params = inspect.signature(STRATEGIES[name]).parameters.values()
        return [p.name for p in params if isinstance(p.default, float)]
    return registry.get(name).hyperparameter_names()


def option_choices(name: str) -> dict[str, tuple[Any, ...]]:
    """The structural options ``-o NAME:KEY=VALUE`` accepts (``form=ema``, ``amsgrad=raw``,
    ``nesterov=true``), each with its allowed choices, as the registry lists them."""
    if name in STRATEGIES:
        return {}
    return {o.name: tuple(o.choices) for o in registry.get(name).options}


TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


def _choice_text(choice: Any) -> str:
    if isinstance(choice, bool):
        return "true" if choice else "false"
    return "none" if choice is None else str(choice)


def _option_value(name: str, key: str, text: str, choices: tuple[Any, ...]) -> Any:
    """An option's value among its ``choices``: a name (any case), ``none`` for None, and
    for a switch true/false/1/0/yes/no."""
    word = text.strip().lower()
    for choice in choices:
        if isinstance(choice, bool):
            if word in (TRUE_WORDS if choice else FALSE_WORDS):
                return choice
        elif choice is None:
            if word == "none":
                return None
        elif isinstance(choice, str) and word == choice.lower():
            return choice
    allowed = ", ".join(_choice_text(c) for c in choices)
    raise UsageError(
        f"optimizer {name}, {key}: {text.strip()!r} is not allowed; choices: {allowed}"
    )


def parse_optimizer(spec: str) -> tuple[str, dict[str, Any]]:
    """``adam`` or ``adam:lr=0.01,b1=0.9,amsgrad=raw`` -> ("adam", {"lr": 0.01, "b1": 0.9,
    "amsgrad": "raw"}); the name, the keys (each at most once) and the options' values are
    checked, the numbers' ranges are the constructor's."""
    name, _, rest = spec.partition(":")
    name = name.strip().lower().replace("_", "-")
    if name not in OPTIMIZERS:
        hint = check.did_you_mean(name, OPTIMIZERS)
        raise UsageError(
            f"unknown optimizer {check.shown(name)}{hint}; valid optimizers: "
            f"{', '.join(OPTIMIZERS)}"
        )
    allowed = hyperparameter_names(name)
    options = option_choices(name)
    items: list[tuple[str, str]] = []
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(
                f"optimizer {name}: write hyperparameters as key=value; got {check.shown(item)}"
            )
        key = key.strip()
        if any(key == k for k, _ in items):
            raise UsageError(
                f"optimizer {name}: {check.cut(key)} is given twice; give each key once"
            )
        items.append((key, value))
    unknown = sorted({k for k, _ in items} - set(allowed) - set(options))
    if unknown:
        raise UsageError(
            f"optimizer {name}: unknown hyperparameter(s) "
            f"{', '.join(check.cut(k) for k in unknown)}"
            f"{check.did_you_mean(unknown[0], [*allowed, *options])}; "
            f"valid: {', '.join(allowed)}" + (f"; options: {', '.join(options)}" if options else "")
        )
    values: dict[str, Any] = {}
    for key, value in items:
        if key in options:
            values[key] = _option_value(name, key, value, options[key])
        else:
            values[key] = number(value.strip(), f"optimizer {name}, {key}")
    return name, values


def optimizer_option(
    parser: Any, help: str, *, default: str | None = None, repeatable: bool = False
) -> None:
    """Add a command's ``--optimizer``/``-o``: one spec ``NAME[:KEY=VALUE,...]`` (read by
    :func:`parse_optimizer`), or with ``repeatable`` a list of them; the same letter and
    form in every command."""
    parser.add_argument(
        "--optimizer",
        "-o",
        action="append" if repeatable else "store",
        default=default,
        metavar="NAME[:KEY=VALUE,...]",
        help=help,
    )


def out_option(parser: Any, help: str, *, default: str | None = None, ending: str = "") -> None:
    """Add ``--out FILE``, the file a command writes (checked by :func:`output_path` before
    any work); ``ending`` names the suffixes allowed, as in "ending in .png or .svg"."""
    kind = f"a file name {ending}".strip()
    parser.add_argument("--out", metavar="FILE", default=default, type=text(kind), help=help)


def data_options(parser: Any, *, default: str | None = None) -> None:
    """Add ``--data``/``-d``, ``--target`` and ``--model``/``-m``, the same in every command
    that trains a model: with no ``default`` data set the three are optional (the command
    runs on a surface without them) and ``--model`` defaults to None, read as auto."""
    within = "" if default else "with --data: "
    parser.add_argument(
        "--data",
        "-d",
        default=default,
        type=text("a data set name or a CSV path"),
        help="a data set name or a CSV path "
        + (f"(default {default})" if default else "(then a model is trained instead)"),
    )
    parser.add_argument(
        "--target", type=text("a column name"), help=within + "the target column of a CSV file"
    )
    parser.add_argument(
        "--model",
        "-m",
        default="auto" if default else None,
        choices=MODELS,
        help=within + "the model to train (default auto: logistic/softmax for classification, "
        "linear for regression)",
    )


def build_optimizer(name: str, hyper: dict[str, Any]) -> Any:
    """The optimizer ``name`` with ``hyper``; a bad value is a one-line usage error."""
    try:
        return OPTIMIZERS[name][0](**hyper)
    except (ValueError, TypeError) as err:
        raise UsageError(f"optimizer {name}: {err}") from None


def optimizer_from_spec(spec: str, surface: Any = None) -> tuple[str, dict[str, Any], Any]:
    """``"adam:lr=0.01"`` -> ("adam", {"lr": 0.01}, descend.adam(lr=0.01)); with a
    ``surface``, the given values over the face's defaults for that surface."""
    name, given = parse_optimizer(spec)
    hyper = {**(race_defaults(name, surface) if surface is not None else {}), **given}
    return name, hyper, build_optimizer(name, hyper)


def format_hyper(values: dict[str, Any]) -> str:
    """``{"lr": 0.01, "b1": 0.9, "amsgrad": "raw"}`` -> ``"lr=0.01, b1=0.9, amsgrad=raw"``
    (the tables' and labels' form; a switch reads true or false)."""
    return ", ".join(
        f"{k}={_choice_text(v)}" if v is None or isinstance(v, (bool, str)) else f"{k}={v:g}"
        for k, v in values.items()
    )


# -- problems: surfaces, data sets, models, losses ---------------------------------------------


def surface_by_name(name: str, params: Sequence[str] = ()) -> Any:
    """A surface by name with ``KEY=VALUE`` parameters (numbers or true/false)."""
    kwargs: dict[str, Any] = {}
    for item in params:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(
                f"--param: write surface parameters as key=value; got {check.shown(item)}"
            )
        text = value.strip()
        lowered = text.lower()
        if lowered in ("true", "false"):
            kwargs[key.strip()] = lowered == "true"
        else:
            value_ = number(text, f"--param {key.strip()}")
            kwargs[key.strip()] = int(value_) if value_.is_integer() and "." not in text else value_
    try:
        return surfaces.get(name, **kwargs)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None


def surface_from_function(text: str, params: Sequence[str] = ()) -> Any:
    """A typed function of x and y (``--function "x^2 + 10*y^2"``) as a surface: parsed by
    :func:`descend.surfaces.from_expression`, never evaluated."""
    if params:
        raise UsageError("--param sets a catalogue surface's parameters; it cannot go with "
                         "--function (write the numbers into the function)")  # fmt: skip
    try:
        return surfaces.from_expression(text)
    except (ValueError, TypeError) as err:
        raise UsageError(f"--function: {err}") from None


def surface_of(args: Any) -> Any:
    """The surface of ``--surface`` (with ``--param``; default rosenbrock) or ``--function``,
    for the commands that take either."""
    if args.function is not None:
        if args.surface is not None:
            raise UsageError("give --surface or --function, not both")
        return surface_from_function(args.function, args.param or [])
    return surface_by_name(args.surface or "rosenbrock", args.param or [])


#: The generated data sets by their command-line names: a study spec's (``linear_regression``,
#: ``polynomial_regression``) without the ``_regression`` suffix.
GENERATED = {name.removesuffix("_regression"): make for name, make in SPEC_GENERATED.items()}
ACTIVATIONS = tuple(models.ACTIVATIONS)


def is_csv(name: str) -> bool:
    """Whether ``--data`` names a file (a .csv name, a path, or an existing file) rather
    than a bundled or generated set."""
    if name.lower().endswith(".csv") or "/" in name:
        return True
    try:
        return Path(name).exists()
    except (OSError, ValueError):  # a name too long for a file, or with a NUL in it
        return False


def load_data(name: str, target: str | None) -> Any:
    """A bundled set, a generated one, or a CSV file (which needs ``--target``, and only it
    does); a classification set needs at least two classes."""
    if is_csv(name):
        if not target:
            try:  # the columns to choose from, when the file can be read
                columns = ", ".join(csv_columns(name))
            except FileNotFoundError as err:  # missing, a folder, a device: as read_csv says
                raise UsageError(str(err)) from None
            except (OSError, ValueError, csv.Error):
                columns = ""
            hint = f": name the column to predict, one of {columns}" if columns else ""
            raise UsageError(f"--target is required for a CSV file ({name}){hint}")
        try:
            dataset = data_lib.read_csv(name, target)
        except (ValueError, FileNotFoundError, IsADirectoryError) as err:
            raise UsageError(str(err)) from None
        except (OSError, UnicodeDecodeError) as err:
            raise cannot_read(name, err) from None
    elif target:
        raise UsageError(f"--target names a column of a CSV file; {name!r} is a bundled set")
    elif name in GENERATED:
        dataset = GENERATED[name]()
    elif name in data_lib.names():
        try:
            dataset = data_lib.load(name)
        except ImportError as err:
            raise UsageError(str(err)) from None
    else:
        valid = sorted([*data_lib.names(), *GENERATED])
        raise UsageError(
            f"unknown data set {check.shown(name)}{check.did_you_mean(name, valid)}; valid names: "
            f"{', '.join(valid)}, or a path to a CSV file"
        )
    if dataset.task == "classification" and dataset.n_classes < 2:
        raise UsageError(
            f"{name}: the target has {dataset.n_classes} class; classification needs at "
            "least 2 (a numeric target is read as regression when it has many values)"
        )
    return dataset


def build_model(kind: str, dataset: Any, hidden: list[int], activation: str) -> tuple[Any, str]:
    """The model and its default loss for the task."""
    d = dataset.n_features
    if dataset.task == "regression":
        if kind in ("logistic", "softmax"):
            raise UsageError(f"--model {kind} is for classification; this data is regression")
        if kind == "mlp":
            return models.mlp([d, *hidden, 1], activation=activation), "mse"
        return models.linear(d), "mse"
    k = dataset.n_classes
    binary = k == 2
    if kind == "linear":
        raise UsageError("--model linear is for regression; use logistic, softmax or mlp")
    if kind == "mlp":
        out = 1 if binary else k
        loss = "binary_cross_entropy" if binary else "softmax_cross_entropy"
        return models.mlp([d, *hidden, out], activation=activation), loss
    if kind == "logistic" and not binary:
        raise UsageError(f"--model logistic needs 2 classes; this data has {k} (use softmax)")
    if kind == "softmax" or not binary:
        return models.softmax(d, k), "softmax_cross_entropy"
    return models.logistic(d), "binary_cross_entropy"


def loss_by_name(name: str) -> Any:
    """The loss called ``name`` (aliases included); a one-line error listing the names."""
    try:
        return losses.get(name)
    except (ValueError, TypeError) as err:
        raise UsageError(f"--loss: {err}") from None


def check_loss(loss: Any, dataset: Any, default: str) -> None:
    """The loss must serve the data's task and the model's output (that of ``default``, the
    model's own loss): no cross-entropy on a regression target, and so on."""
    want = losses.get(default).task
    if loss.task == want or (loss.task == "regression" and dataset.task == "regression"):
        return
    if dataset.task == "regression":
        problem = f"is a {loss.task} classification loss; this data is regression"
    elif loss.task == "regression":
        problem = "is a regression loss; this data is classification"
    else:
        problem = f"is for {loss.task} outputs; this model's are {want} (default loss {default})"
    raise UsageError(f"--loss {loss.name} {problem}")
