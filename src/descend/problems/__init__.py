"""The problems layer: what is minimised.

Test surfaces for gradient descent live in :mod:`descend.problems.surfaces`::

    from descend.problems import surfaces
    surface = surfaces.get("rosenbrock")      # surfaces.names() lists them all
    surface(surface.start), surface.minima, surface.lr

Nothing here knows about optimizers or training loops: a problem is a pure JAX function and
the facts about it (its formula, domain, known minima, a good start and learning rate).
"""

from descend.problems import surfaces

__all__ = ["surfaces"]
