"""The insight layer: reading runs the way a practitioner does (the learning-rate finder;
more diagnostics and the figures arrive with later work)."""

from descend.insight.lr_find import LRFind, lr_find

__all__ = ["LRFind", "lr_find"]
