"""The insight layer: reading runs the way a practitioner does: the learning-rate finder
(:func:`lr_find`) and the loss-curve doctor (:func:`diagnose`). The figures arrive with later
work."""

from descend.insight.diagnose import Diagnosis, diagnose, read_losses
from descend.insight.lr_find import LRFind, lr_find

__all__ = ["Diagnosis", "LRFind", "diagnose", "lr_find", "read_losses"]
