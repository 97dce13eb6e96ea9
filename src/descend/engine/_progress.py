"""A progress bar (steps, loss) fed from inside a compiled run.

The compiled loop calls :func:`report` through ``jax.debug.callback`` every fiftieth of
the run (``minimize.PROGRESS_REPORTS``; the step interval is a static option of the run),
so the loop itself pays for a host callback only about 50 times per run; a training run
(:func:`descend.fit`) reports once per epoch. :func:`active` installs the bar that receives
those calls for the duration of one run.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import numpy as np


class ProgressBar:
    """``step 4200/10000 [########............] loss 1.2345e-03  0.8 s``, redrawn in place
    (``unit`` names what is counted: steps of a run, epochs of a training)."""

    def __init__(
        self, total: int, stream: TextIO | None = None, width: int = 24, unit: str = "step"
    ) -> None:
        self.total, self.width, self.unit = total, width, unit
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self.drawn = False

    def update(self, step: int, loss: float) -> None:
        frac = min(max(step / self.total, 0.0), 1.0)
        filled = round(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        self.stream.write(
            f"\r{self.unit} {step:>{len(str(self.total))}}/{self.total} [{bar}] loss {loss:.4e}"
            f"  {elapsed:.1f} s"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


_ACTIVE: list[ProgressBar] = []


def report(step: np.ndarray, loss: np.ndarray) -> None:
    """Host side of the callback: draw the active bar (batched runs show the furthest
    step and the lowest loss)."""
    if _ACTIVE:
        _ACTIVE[-1].update(int(np.max(step)), float(np.nanmin(np.asarray(loss, float))))


@contextlib.contextmanager
def active(
    total: int, enabled: bool = True, stream: TextIO | None = None, unit: str = "step"
) -> Iterator[None]:
    """Show a bar for one run of ``total`` steps (or epochs) while the block runs."""
    if not enabled:
        yield
        return
    bar = ProgressBar(total, stream, unit=unit)
    _ACTIVE.append(bar)
    try:
        yield
    finally:
        _ACTIVE.remove(bar)
        bar.close()
