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
early (``descend lr-find | head -4``) ends the command quietly, with status 141. Standard
output that cannot be written (closed, ``>&-``; a full disk, ``> /dev/full``) is one line on
standard error, ``descend: cannot write the output: No space left on device``, and status 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import descend
from descend import _validation as check
from descend._public import listing
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
#: The exit status when standard output cannot be written (closed, a full disk).
EXIT_OUTPUT = 1
COMMANDS = (race, fit, lr_find, diagnose, plot, tour, play, study)

WORD_SHOWN = 240  # the longest word of a one-line error (a path of a few folders fits)

__all__ = ["DEFAULT_RACE", "OPTIMIZERS", "UsageError", "build_parser", "main"]
__dir__ = listing(__all__)


def build_parser() -> Parser:
    """The ``descend`` parser, one subcommand per module of :data:`COMMANDS`."""
    parser = Parser(
        prog="descend",
        description="descend: gradient descent you can see, trust and run many times at once.",
    )
    parser.add_argument(
        "--version", action="version", version=f"descend {descend.__version__}",
        help="print descend's version and exit",
    )  # fmt: skip
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
    except (OSError, ValueError, AttributeError):  # no file descriptor (closed, a test's capture)
        pass


class OutputError(Exception):
    """Standard output could not be written (not an ``OSError``, so that the commands' own
    handlers of unreadable inputs and unwritable files do not take it for theirs)."""


class _Output:
    """Standard output as the commands see it while :func:`main` runs: writes and flushes
    pass through, and a failure (a closed stream, ``None`` after ``>&-``; ``OSError`` such
    as ENOSPC; ``ValueError`` on a closed file) becomes :class:`OutputError`. A broken pipe
    stays a ``BrokenPipeError`` (the quiet exit 141)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _call(self, method: str, *args: Any) -> Any:
        if self._stream is None:
            raise OutputError("standard output is closed")
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as err:
            reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
            raise OutputError(reason) from None

    def write(self, text: str) -> int:
        if self._stream is None and not text:
            return 0
        return self._call("write", text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._stream is not None:  # nothing written, nothing lost
            self._call("flush")

    def isatty(self) -> bool:
        try:
            return bool(self._stream is not None and self._stream.isatty())
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        if self._stream is None:  # as sys.stdout = None would answer
            raise AttributeError(f"standard output is closed: no {name}")
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (see the module docstring)."""
    stdout = sys.stdout
    sys.stdout = _Output(stdout)
    try:
        return _main(argv)
    finally:
        sys.stdout = stdout


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    command = action = None
    try:
        args, extra = parser.parse_known_args(argv)
        command, action = args.command, getattr(args, "action", None)
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
        prog = err.prog or " ".join(p for p in ("descend", command, action) if p)
        # one line, whatever the message held; a word longer than any real path needs (a
        # 5,000-letter name or path, echoed back) is cut
        message = " ".join(check.cut(word, WORD_SHOWN) for word in str(err).split())
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OutputError as err:
        _silence_stdout()  # the interpreter's last flush would fail again, with a traceback
        print(f"descend: cannot write the output: {err}", file=sys.stderr)
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        print("descend: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
