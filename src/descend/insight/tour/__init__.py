"""``descend tour``: the claims of the gradient-descent texts, each measured with descend's own
runs, with a figure, the numbers and a verdict computed from them.

``build_tour(quick=False)`` returns the :class:`Claim` list (in the texts' order);
``render_html(claims)`` returns one self-contained HTML page. Each ``claim_NN(ctx)`` runs the
measurements; each ``verdict_NN(measurements)`` (in :mod:`.verdicts`) is the pure rule. The
claims sit in modules by subject: :mod:`.learning_rate`, :mod:`.momentum`, :mod:`.adaptive`,
:mod:`.flavours` (batch, stochastic, mini-batch), :mod:`.escaping` (minima and saddles) and
:mod:`.gradients` (clipping, ascent, tolerances, vanishing gradients) and :mod:`.batches`
(the batch size: flat minima, stability, minima of high-dimensional losses).
"""

from __future__ import annotations

from collections.abc import Callable

from descend._public import listing
from descend.insight.tour import _verdicts as verdicts
from descend.insight.tour._adaptive import claim_10, claim_16
from descend.insight.tour._batches import claim_18, claim_19, claim_20
from descend.insight.tour._core import Claim, Context
from descend.insight.tour._escaping import claim_08, claim_09, claim_13
from descend.insight.tour._flavours import claim_07
from descend.insight.tour._gradients import claim_12, claim_14, claim_15, claim_17
from descend.insight.tour._learning_rate import claim_01, claim_02, claim_11
from descend.insight.tour._momentum import claim_03, claim_04, claim_05, claim_06, claim_21
from descend.insight.tour._render import render_html

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
    18: claim_18,
    19: claim_19,
    20: claim_20,
    21: claim_21,
}


def build_tour(quick: bool = False, numbers: list[int] | None = None) -> list[Claim]:
    """Measure the claims (all, or those in ``numbers``) and list them in the texts'
    order."""
    ctx = Context(quick=quick)
    return [CLAIMS[n](ctx) for n in sorted(CLAIMS) if numbers is None or n in numbers]


__all__ = ["CLAIMS", "Claim", "Context", "build_tour", "render_html", "verdicts"]
__dir__ = listing(__all__)
