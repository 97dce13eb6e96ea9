"""The problems layer: what is minimised.

- :mod:`descend.problems.surfaces`: test surfaces (``surfaces.get("rosenbrock")``);
- :mod:`descend.problems.losses`: losses ``loss(pred, target) -> per-sample values``;
- :mod:`descend.problems.models`: ``Model(init, apply)``, from the sigmoid neuron to an MLP;
- :mod:`descend.problems.data`: ``Dataset``, bundled and generated sets, CSV, splits;
- :mod:`descend.problems.metrics`: accuracy and R^2.

Nothing here knows about optimizers or training loops: a problem is a pure JAX function and
the facts about it (its formula, domain, known minima, a good start and learning rate).
"""

from descend.problems import data, losses, metrics, models, surfaces

__all__ = ["data", "losses", "metrics", "models", "surfaces"]
