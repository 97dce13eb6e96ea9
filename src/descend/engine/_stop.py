"""Why a run stopped: one code for every run, compiled (:func:`descend.minimize`) or trained
(:func:`descend.fit`).

Inside a compiled run the reason is an ``int32`` array (so the loop stays jittable and
vmappable: a batch of runs carries one code per run); :class:`StopReason` names those codes.
Compare a reason with the members (``result.reason == StopReason.DIVERGED``, which also works
on a batched array), never with a number or with the words. :class:`Stopped` gives a result
type the properties that read its ``reason`` field.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import jax.numpy as jnp
import numpy as np

from descend import _validation as check


class StopReason(IntEnum):
    """The stop codes. ``minimize`` ends with ``GRADIENT_TOL``, ``PRECISION``, ``LOSS_TOL``,
    ``MAX_STEPS`` or ``DIVERGED``; ``fit`` with ``STALLED``, ``MAX_EPOCHS`` or ``DIVERGED``.
    ``RUNNING`` is the code of a run that has not stopped yet.

    ``text`` is the reason in words (what ``Result.stop_reason`` says), ``short`` one word,
    ``converged`` whether a tolerance stopped the run, and ``small_gradient`` whether it was
    the gradient norm's. ``str(reason)`` and ``f"{reason}"`` are the member's name in lower
    case (``max_steps``, as a study's results write it), not the bare code an ``IntEnum``
    prints; ``int(reason)`` and a number's format (``f"{reason:d}"``) give the code.
    """

    RUNNING = 0
    GRADIENT_TOL = 1  # gradient norm <= tol
    LOSS_TOL = 2  # the loss changed by less than ftol for `patience` steps
    MAX_STEPS = 3  # the step budget is spent
    DIVERGED = 4  # a non-finite loss or point, or a loss far above its start
    PRECISION = 5  # the gradient norm stopped falling at the dtype's precision
    MAX_EPOCHS = 6  # the epoch budget is spent
    STALLED = 7  # fit: no improvement > tol for n_iter_no_change epochs

    def __str__(self) -> str:
        return self.name.lower()

    def __format__(self, spec: str) -> str:
        if spec and spec[-1] in "bdnoxX":  # a number's format: the code
            return format(int(self), spec)
        return format(str(self), spec)

    @property
    def text(self) -> str:
        """The reason in words, naming the rule that fired."""
        return _TEXT[self]

    @property
    def short(self) -> str:
        """One word: running, converged, stalled, max_steps, max_epochs or diverged."""
        return _SHORT[self]

    @property
    def converged(self) -> bool:
        """Whether a tolerance (on the gradient or on the loss) stopped the run."""
        return self in (
            StopReason.GRADIENT_TOL,
            StopReason.LOSS_TOL,
            StopReason.PRECISION,
            StopReason.STALLED,
        )

    @property
    def small_gradient(self) -> bool:
        """Whether the run stopped because its gradient norm was at or below tolerance (or
        at the floor that float precision allows)."""
        return self in (StopReason.GRADIENT_TOL, StopReason.PRECISION)


_TEXT = {
    StopReason.RUNNING: "running",
    StopReason.GRADIENT_TOL: "converged (gradient norm <= tol)",
    StopReason.LOSS_TOL: "converged (loss change < ftol)",
    StopReason.MAX_STEPS: "max_steps",
    StopReason.DIVERGED: "diverged",
    StopReason.PRECISION: "converged (gradient norm at float precision)",
    StopReason.MAX_EPOCHS: "max_epochs",
    StopReason.STALLED: "converged (no improvement > tol for n_iter_no_change epochs)",
}
_SHORT = {
    StopReason.RUNNING: "running",
    StopReason.GRADIENT_TOL: "converged",
    StopReason.LOSS_TOL: "stalled",
    StopReason.MAX_STEPS: "max_steps",
    StopReason.DIVERGED: "diverged",
    StopReason.PRECISION: "converged",
    StopReason.MAX_EPOCHS: "max_epochs",
    StopReason.STALLED: "converged",
}


def converged_mask(reason: Any) -> np.ndarray:
    """Elementwise over a (batched) array of codes: whether each run converged (see
    :attr:`StopReason.converged`)."""
    return np.isin(np.asarray(reason), [r for r in StopReason if r.converged])


def tally(reason: Any) -> str:
    """The reasons of a batch of runs counted by their one-word form, most common first
    (ties in the order of the codes):
    ``"converged 12/diverged 4"``."""
    codes, counts = np.unique(np.asarray(reason).reshape(-1), return_counts=True)
    words: dict[str, int] = {}
    for code, count in zip(codes, counts, strict=True):
        word = StopReason(int(code)).short
        words[word] = words.get(word, 0) + int(count)
    return "/".join(f"{w} {c}" for w, c in sorted(words.items(), key=lambda wc: -wc[1]))


class Stopped:
    """The stop-reason properties of a result with an integer ``reason`` field. For one run
    each is a value; for a batch of runs (a vmapped result) a NumPy array of the batch's
    shape, one value per run."""

    reason: Any

    def _each(self, read: Any, otype: type = object) -> Any:
        if not check.is_concrete(self.reason):
            raise TypeError(
                "the stop reason in words is read on the host, after jax.jit or jax.vmap has "
                "returned the result; inside, compare result.reason with a code "
                "(result.reason == descend.StopReason.DIVERGED), or use result.converged "
                "and result.diverged"
            )
        codes = np.asarray(self.reason)
        if codes.ndim == 0:
            return read(StopReason(int(codes)))
        return np.vectorize(lambda c: read(StopReason(int(c))), otypes=[otype])(codes)

    @property
    def stop(self) -> Any:
        """The stop reason as a :class:`StopReason` (an array of them for a batch)."""
        return self._each(lambda r: r)

    @property
    def stop_reason(self) -> Any:
        """The stop reason in words."""
        return self._each(lambda r: r.text)

    @property
    def short_reason(self) -> Any:
        """The stop reason in one word (see :attr:`StopReason.short`)."""
        return self._each(lambda r: r.short)

    @property
    def converged(self) -> Any:
        """Stopped by a tolerance on the gradient or on the loss (a JAX boolean inside
        ``jax.jit`` or ``jax.vmap``)."""
        if not check.is_concrete(self.reason):
            return jnp.isin(self.reason, jnp.array([r for r in StopReason if r.converged]))
        return self._each(lambda r: r.converged, bool)

    @property
    def diverged(self) -> Any:
        """Stopped because the run diverged (a JAX boolean inside ``jax.jit`` or
        ``jax.vmap``)."""
        if not check.is_concrete(self.reason):
            return self.reason == StopReason.DIVERGED
        return self._each(lambda r: r is StopReason.DIVERGED, bool)
