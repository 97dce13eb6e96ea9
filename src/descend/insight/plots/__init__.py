"""Figures drawn from what the engine computed (matplotlib). Each function returns a
:class:`matplotlib.figure.Figure`, made without pyplot (so it needs no backend and importing
these modules leaves the user's backend alone), and, given ``path``, saves it as PNG or SVG
(by the suffix), creating the parent folders."""

from descend.insight.plots._curves import (
    heavy_ball_optimum,
    loss_curves,
    lr_sensitivity,
    momentum_map,
)
from descend.insight.plots._flavours import flavour_paths, flavours_figure
from descend.insight.plots._maps import basin_figure, stability_figure
from descend.insight.plots._surface import gradient_field, race_figure, surface_3d

__all__ = [
    "basin_figure",
    "flavour_paths",
    "flavours_figure",
    "gradient_field",
    "heavy_ball_optimum",
    "loss_curves",
    "lr_sensitivity",
    "momentum_map",
    "race_figure",
    "stability_figure",
    "surface_3d",
]
