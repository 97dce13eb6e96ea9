"""The insight layer: reading runs the way a practitioner does: the learning-rate finder
(:func:`lr_find`), the loss-curve doctor (:func:`diagnose`), figures
(:mod:`descend.insight.plots`, needs matplotlib) and the race animation
(:func:`descend.insight.animate.animate_race`)."""

from descend.insight._lr_find import LRFind, lr_find
from descend.insight.diagnose import Diagnosis, diagnose, read_losses

__all__ = ["Diagnosis", "LRFind", "diagnose", "lr_find", "read_losses"]
