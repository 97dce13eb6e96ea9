"""Test surfaces for gradient descent: functions ``R^dim -> R`` and what is known about them.

::

    from descend.problems import surfaces
    surfaces.names()                          # every registered surface, sorted
    s = surfaces.get("rosenbrock")            # the same object on every call
    s.f(jnp.asarray(s.start)), s.minima, s.lr, s.formula
    surfaces.get("rastrigin", dim=10)         # some surfaces take parameters

The catalogue: classic 2-D functions (:mod:`._catalog_classic`: Rosenbrock, Beale, Booth,
Himmelblau, six-hump camel, Goldstein-Price), functions in any dimension (:mod:`._catalog_nd`:
Rastrigin, Ackley, Styblinski-Tang, an ill-conditioned quadratic) and teaching surfaces
(:mod:`._catalog_teaching`: a saddle, a monkey saddle, a plateau, a tilted double well and the
error surface of one sigmoid neuron, whose data are ``SIGMOID_NEURON_X`` and
``SIGMOID_NEURON_Y``). Typed functions: ``from_expression("x^2 + 10*y^2")`` parses a formula
of ``x`` and ``y`` (never evaluating it) into a surface (:mod:`.expression`).
"""

from descend.problems.surfaces import _catalog_classic, _catalog_nd, _catalog_teaching
from descend.problems.surfaces._base import Surface, get, names
from descend.problems.surfaces._catalog_teaching import SIGMOID_NEURON_X, SIGMOID_NEURON_Y
from descend.problems.surfaces._expression import ExpressionError, from_expression

__all__ = [
    "SIGMOID_NEURON_X",
    "SIGMOID_NEURON_Y",
    "ExpressionError",
    "Surface",
    "from_expression",
    "get",
    "names",
]

del _catalog_classic, _catalog_nd, _catalog_teaching
