"""``descend tour``: the claims of the gradient-descent texts, each measured with descend's own
runs, with a figure, the numbers and a verdict computed from them.

``build_tour(quick=False)`` returns the :class:`Claim` list (in the texts' order);
``render_html(claims)`` returns one self-contained HTML page. Each ``claim_NN(ctx)`` runs the
measurements; each ``verdict_NN(measurements)`` (in :mod:`.verdicts`) is the pure rule.
"""

from __future__ import annotations

from collections.abc import Callable

from descend.insight.tour import verdicts
from descend.insight.tour.claims_a import (
    claim_01,
    claim_02,
    claim_03,
    claim_04,
    claim_05,
    claim_06,
)
from descend.insight.tour.claims_b import (
    claim_09,
    claim_10,
    claim_12,
    claim_14,
    claim_15,
    claim_16,
)
from descend.insight.tour.claims_c import claim_07, claim_08, claim_11, claim_13, claim_17
from descend.insight.tour.core import NOT_MEASURED, Claim, Context
from descend.insight.tour.render import render_html

CLAIMS: dict[int, Callable[[Context], Claim]] = {
    1: claim_01,
    2: claim_02,
    3: claim_03,
    4: claim_04,
    5: claim_05,
    6: claim_06,
    7: claim_07,
    8: claim_08,
    9: claim_09,
    10: claim_10,
    11: claim_11,
    12: claim_12,
    13: claim_13,
    14: claim_14,
    15: claim_15,
    16: claim_16,
    17: claim_17,
}
PENDING: dict[int, tuple[str, str]] = {}


def build_tour(quick: bool = False, numbers: list[int] | None = None) -> list[Claim]:
    """Measure the claims (all, or those in ``numbers``) and list them, with the claims not
    yet measured as placeholders, in the texts' order."""
    ctx = Context(quick=quick)
    out = []
    for n in sorted({*CLAIMS, *PENDING}):
        if numbers is not None and n not in numbers:
            continue
        if n in CLAIMS:
            out.append(CLAIMS[n](ctx))
        else:
            title, text = PENDING[n]
            out.append(Claim(n, title, text, {}, NOT_MEASURED, "not yet measured", None))
    return out


__all__ = ["CLAIMS", "Claim", "Context", "build_tour", "render_html", "verdicts"]
