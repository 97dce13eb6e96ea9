"""``descend diagnose FILE``: read the training loss from a log written by any framework (a
CSV or JSON log, a printed training log, a TensorBoard event file or run folder, an MLflow
metric file: descend, PyTorch, Keras, Lightning, Hugging Face, XGBoost, ...) and say whether
the learning rate looks too high, too low or right: one label, the evidence, the advice.

Exit status: 0 when the run looks converged or healthy, 1 when a problem was found
(diverged, too_high, too_low, plateau), 2 for bad input (a missing file, an empty one, a file
with no numeric column, an unknown ``--column``).
"""

from __future__ import annotations

import argparse
from typing import Any

from descend.cli._common import UsageError, cannot_read, command_parser, reporting
from descend.insight.diagnose import diagnose, read_log

EXIT_OK, EXIT_PROBLEM, EXIT_BAD_INPUT = 0, 1, 2


def run_diagnose(args: argparse.Namespace) -> dict[str, Any]:
    """The report for one log file: where the losses came from and the diagnosis."""
    path, column = args.file, args.column
    try:
        log = read_log(path, column)
        result = diagnose(log)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(
            f"{path} is a folder without TensorBoard event files; give a log file"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise cannot_read(path, err) from None
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    return {
        "file": path,
        "column": log["column"],
        "values": len(log["loss"]),
        "unit": log["unit"],
        "read": list(log.get("notes", [])),
        **result.to_dict(),
    }


def print_report(report: dict[str, Any]) -> None:
    source = "standard input" if report["file"] == "-" else report["file"]
    print(f"descend diagnose: {source} (column {report['column']!r}, {report['values']} values)")
    for note in report.get("read", []):  # what the reader left out or chose
        print(f"  read: {note}")
    print(f"label: {report['label']}")
    print("evidence:")
    for line in report["evidence"]:
        print(f"  - {line}")
    print(f"advice: {report['advice']}")


def _status(report: dict[str, Any]) -> int:
    return EXIT_OK if report["ok"] else EXIT_PROBLEM


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub, "diagnose", reporting(run_diagnose, print_report, _status), doc=__doc__,
        help="diagnose a loss curve from a training log",
        examples=["descend diagnose metrics.csv", "descend diagnose history.json --column loss",
                  "descend diagnose trainer_state.json --json",
                  "grep loss train.log | descend diagnose -", "descend diagnose runs/exp1"],
        after="exit status: 0 converged or healthy, 1 a problem found, 2 bad input",
    )  # fmt: skip
    p.add_argument(
        "file",
        help="a log of losses (- for standard input): CSV, JSON, printed, an MLflow metric "
        "file, a TensorBoard event file or run folder",
    )
    p.add_argument(
        "--column",
        "-c",
        help="the column (or JSON key) holding the losses "
        "(default: loss, train_loss, ... or the first numeric column)",
    )
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
