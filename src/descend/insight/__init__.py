"""The insight layer: reading runs the way a practitioner does: the learning-rate finder
(:func:`lr_find`), the loss-curve doctor (:func:`diagnose`), figures
(:mod:`descend.insight.plots`, needs matplotlib) and the race animation
(:func:`descend.insight.animate.animate_race`)."""

from descend.insight._fair import FairEntry, FairRace, fair_race
from descend.insight._fans import SeedFan, seed_fan
from descend.insight._fit_fans import FitFan, fit_fan
from descend.insight._lr_find import LRFind, lr_find
from descend.insight._maps import BasinMap, basin_map
from descend.insight._stability import StabilityMap, stability_map
from descend.insight.diagnose import Diagnosis, diagnose, read_losses

__all__ = [
    "BasinMap",
    "Diagnosis",
    "FairEntry",
    "FairRace",
    "FitFan",
    "LRFind",
    "SeedFan",
    "StabilityMap",
    "basin_map",
    "diagnose",
    "fair_race",
    "fit_fan",
    "lr_find",
    "read_losses",
    "seed_fan",
    "stability_map",
]
