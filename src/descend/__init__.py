"""descend: gradient descent you can see, trust and run ten thousand times at once.

::

    import descend as ds
    opt = ds.chain(ds.clip_by_global_norm(1.0), ds.adam(lr=1e-2))   # update rules: descend.optim
    res = ds.minimize(f, x0, opt, max_steps=10_000, tol=1e-6)      # one compiled run -> Result
    surface = ds.surfaces.get("rosenbrock")                        # ds.surfaces.names()
"""

from descend.engine import History, Result, compare, lookahead_nesterov, minimize, sweep
from descend.optim import *  # noqa: F403
from descend.optim import __all__ as _optim_all
from descend.optim import schedules
from descend.problems import surfaces

__version__ = "0.1.0"
__all__ = [
    *_optim_all,
    "History",
    "Result",
    "__version__",
    "compare",
    "lookahead_nesterov",
    "minimize",
    "schedules",
    "surfaces",
    "sweep",
]
