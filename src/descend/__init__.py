"""descend: gradient descent you can see, trust and run ten thousand times at once.

The update rules live in :mod:`descend.optim` and are re-exported here::

    import descend as ds
    opt = ds.chain(ds.clip_by_global_norm(1.0), ds.adam(lr=1e-2))
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = ds.apply_updates(params, updates)
"""

from descend.optim import *  # noqa: F403
from descend.optim import __all__ as _optim_all
from descend.optim import schedules

__version__ = "0.1.0"
__all__ = [*_optim_all, "schedules", "__version__"]
