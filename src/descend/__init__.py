"""descend: gradient descent you can see, trust and run ten thousand times at once.

::

    import descend as ds
    opt = ds.chain(ds.clip_by_global_norm(1.0), ds.adam(lr=1e-2))   # update rules: descend.optim
    res = ds.minimize(f, x0, opt, max_steps=10_000, tol=1e-6)      # one compiled run -> Result
    surface = ds.surfaces.get("rosenbrock")                        # ds.surfaces.names()
    fitted = ds.fit(ds.models.mlp([64, 32, 10]), "softmax_cross_entropy",
                    ds.data.load("digits"), ds.adam(1e-3), batch_size=32, epochs=100)
"""

from typing import TYPE_CHECKING

from descend import insight
from descend._public import listing
from descend.engine import (
    FitResult,
    History,
    Restarts,
    Result,
    StopReason,
    annealing,
    compare,
    fit,
    lookahead_nesterov,
    minimize,
    restarts,
    sweep,
)
from descend.optim import *  # noqa: F403
from descend.optim import __all__ as _optim_all
from descend.problems import data, losses, metrics, models, surfaces

if TYPE_CHECKING:  # imported on first use (see __getattr__)
    from descend.study import Study

__version__ = "0.1.0"
__all__ = [
    *_optim_all,
    "FitResult",
    "History",
    "Restarts",
    "Result",
    "StopReason",
    "Study",
    "__version__",
    "annealing",
    "compare",
    "data",
    "fit",
    "insight",
    "lookahead_nesterov",
    "losses",
    "metrics",
    "minimize",
    "models",
    "restarts",
    "surfaces",
    "sweep",
]
__dir__ = listing(__all__, "engine", "optim", "problems")


def __getattr__(name: str) -> object:
    """``ds.Study`` is imported on first use: ``import descend`` stays free of the store."""
    if name == "Study":
        from descend.study import Study

        return Study
    raise AttributeError(f"module 'descend' has no attribute {name!r}")
