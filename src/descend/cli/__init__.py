"""descend on the command line (also python -m descend): one module per command.

- race: several optimizers from one start on one surface, a table of how each did
  (:mod:`descend.cli._race`);
- fit: train a model on a data set (:mod:`descend.cli._fit`);
- lr-find: the learning-rate range test (:mod:`descend.cli._lr_find`);
- diagnose FILE: read a loss curve (:mod:`descend.cli._diagnose`);
- plot KIND: draw a figure (:mod:`descend.cli._plot`);
- tour: a self-contained HTML report that measures the texts' claims (:mod:`descend.cli._tour`).
- play: the browser playground, served on 127.0.0.1 (:mod:`descend.cli._play`).
- study: stored, resumable sweeps (:mod:`descend.cli._study`).

What they share (the usage error, option parsing, optimizer specs, data and models) is in
:mod:`descend.cli._common`; no command imports another.

Exit status: 0 when the command ran (diagnose: 1 when it found a problem), 2 for bad input,
which is one line on standard error naming what was wrong and what is allowed. Standard
output holds only the answer (``--json``: the JSON alone), and a reader that closes the pipe
early (``descend lr-find | head -4``) ends the command quietly, with status 141.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from descend.cli import _diagnose as diagnose
from descend.cli import _fit as fit
from descend.cli import _lr_find as lr_find
from descend.cli import _play as play
from descend.cli import _plot as plot
from descend.cli import _race as race
from descend.cli import _study as study
from descend.cli import _tour as tour
from descend.cli._common import DEFAULT_RACE, OPTIMIZERS, Parser, UsageError

#: The exit status of a command whose reader closed the pipe (128 + SIGPIPE, as the shell's).
EXIT_BROKEN_PIPE = 141
EXIT_USAGE = 2
COMMANDS = (race, fit, lr_find, diagnose, plot, tour, play, study)

__all__ = ["DEFAULT_RACE", "OPTIMIZERS", "UsageError", "build_parser", "main"]


def build_parser() -> Parser:
    """The ``descend`` parser, one subcommand per module of :data:`COMMANDS`."""
    parser = Parser(
        prog="descend",
        description="descend: gradient descent you can see, trust and run many times at once.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _silence_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null, so that the interpreter's
    last flush does not raise again (the recipe of Python's ``signal`` documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's capture)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (see the module docstring)."""
    parser = build_parser()
    command = None
    try:
        args, extra = parser.parse_known_args(argv)
        command = args.command
        if extra:  # reported by the command they were given to, not by "descend"
            prog = f"descend {command}" if command else "descend"
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see {prog} --help)")
        if command is None:
            parser.print_help()
            return EXIT_USAGE
        status = args.run(args)
        sys.stdout.flush()
        return status
    except UsageError as err:
        prog = err.prog or (f"descend {command}" if command else "descend")
        message = " ".join(str(err).split())  # one line, whatever the message held
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("descend: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
