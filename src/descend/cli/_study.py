"""``descend study``: sweeps of optimizer configurations that are stored in a directory,
survive a crash and resume where they stopped.

- ``descend study run SPEC.toml --dir DIR [--force] [--ray | --address HOST:PORT]``: check
  the spec, then run every chunk (a progress bar on standard error: chunks done,
  run-steps/s, time left), in this process, on a local Ray cluster (``--ray``) or on a
  running one (``--address``);
- ``descend study resume DIR [--ray | --address HOST:PORT]``: continue a study that was
  stopped or killed;
- ``descend study status DIR [--json]``: chunks and runs done, the best run so far;
- ``descend study results DIR --format csv|parquet|json [--out FILE]``: one row per run;
- ``descend study report DIR [--out FILE]``: one self-contained HTML page (default
  ``DIR/report.html``): heatmaps, the metric against the learning rate, the spread across
  seeds and the fair comparison table (:mod:`descend.study._report`).

Exit status: 0 when done, 2 for bad input (a bad spec, named field by field; another
study's directory without ``--force``; no study in DIR), 1 when the study cannot be
written (a read-only folder, a full disk, another driver at work).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from descend._files import written_whole
from descend.cli._common import (
    UsageError,
    command_parser,
    format_hyper,
    integer,
    out_option,
    output_path,
    print_json,
    text,
)

EXIT_ERROR = 1
#: ``--workers`` at most this many times the cores: threads beyond the cores only wait
WORKERS_PER_CORE = 4
#: StudyError messages that are about the input (exit 2) rather than the disk (exit 1)
USAGE_MARKS = (
    "holds another study",
    "no study in",
    "holds no study spec",
    "pip install",
    "a system folder",
)


def _fail(err: Exception, prog: str) -> int:
    message = " ".join(str(err).split())
    if any(mark in message for mark in USAGE_MARKS):
        raise UsageError(message, prog=prog)
    print(f"{prog}: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def make_executor(args: argparse.Namespace, prog: str) -> Any:
    """The executor the options ask for: in-process, or Ray (``--ray`` starts a local
    cluster, ``--address HOST:PORT`` joins one); Ray missing is exit 2 naming the package."""
    from descend.study import InProcess, StudyError

    if getattr(args, "ray", False) or getattr(args, "address", None):
        from descend.study._ray import Ray

        if getattr(args, "workers", None) is not None:
            raise UsageError(
                "--workers sets the in-process executor's threads; with --ray or --address "
                "the cluster's CPUs decide",
                prog=prog,
            )
        from descend.study._ray import parse_address

        if args.address is not None:
            try:
                parse_address(args.address)
            except ValueError as err:
                raise UsageError(f"--address: {err}", prog=prog) from None
        try:
            return Ray(address=args.address or None)
        except StudyError as err:  # not installed, or no cluster at that address
            raise UsageError(str(err), prog=prog) from None
    workers = getattr(args, "workers", None)
    if workers is not None:
        from descend.engine._cores import cores

        most = WORKERS_PER_CORE * cores()
        if workers > most:
            raise UsageError(
                f"--workers must be at most {most} ({WORKERS_PER_CORE} x the {cores()} "
                f"cores); got {workers}",
                prog=prog,
            )
    try:
        return InProcess(workers=workers)
    except (TypeError, ValueError) as err:
        raise UsageError(f"--{err}", prog=prog) from None


def _best_line(best: dict[str, Any] | None, metric: str, hypers: list[str]) -> str:
    if best is None:
        return "no finite result yet"
    values = {h: best[h] for h in hypers if best.get(h) is not None}
    return (
        f"{best['optimizer']} {format_hyper(values)} seed {best['seed']}: "
        f"{metric} {best[metric]:.6g}"
    )


def _print_status(status: dict[str, Any], hypers: list[str]) -> None:
    c, r = status["chunks"], status["runs"]
    state = "complete" if status["complete"] else "incomplete"
    print(f"study {status['name']} ({state}) in {status['directory']}")
    print(f"chunks: {c['done']}/{c['total']} done, {c['running']} running, {c['pending']} pending")
    print(
        f"runs: {r['done']}/{r['total']}, {status['run_steps']} run-steps in "
        f"{status['seconds']:.1f} s"
    )
    metric = status["metric"]
    print(
        f"best ({metric['name']}, {metric['goal']}): "
        f"{_best_line(status['best'], metric['name'], hypers)}"
    )


def run_run(args: argparse.Namespace) -> int:
    """Check SPEC.toml, then run every chunk of the study, storing the results in
    DIR/study.sqlite."""
    from descend.study import Study, StudyError

    prog = "descend study run"
    try:
        study = Study.from_toml(Path(args.spec))  # a path, whatever its name
    except (ValueError, TypeError) as err:
        raise UsageError(str(err), prog=prog) from None
    if Path(args.dir).exists() and not Path(args.dir).is_dir():
        raise UsageError(f"--dir: {args.dir!r} is a file, not a folder", prog=prog)
    executor = make_executor(args, prog)
    try:
        with executor:
            study.run(args.dir, force=args.force, executor=executor, progress=not args.quiet)
        _print_status(study.status(), study.spec.hyperparameter_names())
    except StudyError as err:
        return _fail(err, prog)
    return 0


def run_resume(args: argparse.Namespace) -> int:
    """Continue the study in DIR from its store: chunks left running are run again, done
    chunks never."""
    from descend.study import Study, StudyError

    prog = "descend study resume"
    executor = make_executor(args, prog)
    try:
        study = Study.load(args.dir)
        with executor:
            study.resume(executor=executor, progress=not args.quiet)
        _print_status(study.status(), study.spec.hyperparameter_names())
    except StudyError as err:
        return _fail(err, prog)
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Where the study in DIR stands."""
    from descend.study import Study, StudyError

    try:
        study = Study.load(args.dir)
        status = study.status()
    except StudyError as err:
        return _fail(err, "descend study status")
    if args.json:
        print_json(status)
    else:
        _print_status(status, study.spec.hyperparameter_names())
    return 0


def run_results(args: argparse.Namespace) -> int:
    """The results of the study in DIR, one row per run (configuration x seed)."""
    from descend.study import Study, StudyError
    from descend.study._results import write_csv, write_json, write_parquet

    prog = "descend study results"
    if args.format == "parquet" and not args.out:
        raise UsageError("--format parquet writes a file: give --out FILE.parquet", prog=prog)
    if args.out:
        output_path("--out", args.out)
    try:
        study = Study.load(args.dir)
        cols, table = study.table()
        write = write_csv if args.format == "csv" else write_json
        if args.format == "parquet":
            write_parquet(cols, table, args.out)
        elif args.out:
            with (
                written_whole(args.out) as partial,
                partial.open("w", encoding="utf-8", newline="") as fh,
            ):
                write(cols, table, fh)
        else:
            write(cols, table, sys.stdout)
    except StudyError as err:
        return _fail(err, prog)
    except BrokenPipeError:
        raise
    except OSError as err:
        return _fail(OSError(f"cannot write {args.out!r}: {err.strerror or err}"), prog)
    if args.out:
        print(f"wrote {args.out} ({len(table)} runs)", file=sys.stderr)
    return 0


def run_report(args: argparse.Namespace) -> int:
    """Write the report of the study in DIR: one HTML page with its figures embedded (a
    partial study is reported as partial)."""
    from descend.cli._common import need_matplotlib
    from descend.study import Study, StudyError
    from descend.study._report import default_path, write_report

    prog = "descend study report"
    try:
        Study.load(args.dir)  # no study in DIR: exit 2 before any work
    except StudyError as err:
        return _fail(err, prog)
    out = args.out or str(default_path(args.dir))
    try:
        output_path("--out" if args.out else "the report (give --out FILE)", out)
    except UsageError as err:
        raise UsageError(str(err), prog=prog) from None
    need_matplotlib()
    try:
        path = write_report(args.dir, out)
    except StudyError as err:
        return _fail(err, prog)
    except ImportError as err:
        raise UsageError(str(err), prog=prog) from None
    except OSError as err:
        return _fail(OSError(f"cannot write {out!r}: {err.strerror or err}"), prog)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _quiet(p: Any) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def _executor_options(p: Any) -> None:
    p.add_argument("--ray", action="store_true", help="run the chunks on a local Ray cluster")
    p.add_argument(
        "--address",
        metavar="HOST:PORT",
        type=text("a Ray cluster's HOST:PORT, ray://HOST:PORT or auto"),
        help="run the chunks on this Ray cluster (HOST:PORT, ray://HOST:PORT or auto)",
    )
    p.add_argument(
        "--workers",
        type=integer(1),
        metavar="N",
        help="chunks run at once in this process, each on a core (default: one a core; "
        f"at most {WORKERS_PER_CORE} x the cores)",
    )


def _on_study(actions: Any, name: str, run: Any, *, help: str) -> Any:
    """The parser of an action on the study stored in a directory: its positional ``DIR``
    is added and ``run`` set as its function, whose docstring is the action's description;
    the caller adds the action's own options."""
    a = actions.add_parser(name, help=help, description=run.__doc__)
    a.add_argument("dir", metavar="DIR", type=text("a folder"), help="the study's directory")
    a.set_defaults(run=run)
    return a


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub,
        "study",
        help="stored, resumable sweeps of optimizer configurations",
        doc=__doc__,
        examples=[
            "descend study run sweep.toml --dir runs/sweep",
            "descend study resume runs/sweep",
            "descend study status runs/sweep --json",
            "descend study results runs/sweep --format csv > runs.csv",
            "descend study results runs/sweep --format parquet --out runs.parquet",
            "descend study report runs/sweep",
        ],
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    r = actions.add_parser(
        "run", help="check a spec and run the study in DIR", description=run_run.__doc__
    )
    r.add_argument(
        "spec", metavar="SPEC.toml", type=text("a spec file (TOML)"), help="the study's spec (TOML)"
    )
    r.add_argument(
        "--dir", required=True, metavar="DIR", type=text("a folder"), help="the study's directory"
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="replace another study stored in DIR (its results are deleted)",
    )
    _executor_options(r)
    _quiet(r)
    r.set_defaults(run=run_run)

    s = _on_study(actions, "resume", run_resume, help="continue a stopped or killed study")
    _executor_options(s)
    _quiet(s)

    t = _on_study(actions, "status", run_status, help="chunks and runs done, the best run so far")
    t.add_argument("--json", action="store_true", help="print the status as JSON")

    o = _on_study(actions, "results", run_results, help="one row per run, as CSV, Parquet or JSON")
    o.add_argument(
        "--format",
        choices=("csv", "parquet", "json"),
        default="csv",
        help="csv (default), parquet (needs --out) or json",
    )
    out_option(o, "write to FILE (default: standard output)")

    w = _on_study(
        actions,
        "report",
        run_report,
        help="one self-contained HTML page: heatmaps, stability, spread, fair table",
    )
    out_option(w, "the HTML file (default: DIR/report.html)")
