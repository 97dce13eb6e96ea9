"""The engine: compiled runs with stop rules (`minimize`), sweeps and comparisons."""

from descend.engine.annealing import annealing
from descend.engine.fit import FitHistory, FitResult, fit
from descend.engine.lookahead import lookahead_nesterov
from descend.engine.minimize import minimize
from descend.engine.restarts import Restarts, restarts
from descend.engine.result import History, Result
from descend.engine.stop import StopReason
from descend.engine.sweep import Sweep, compare, sweep

__all__ = [
    "FitHistory",
    "FitResult",
    "History",
    "Restarts",
    "Result",
    "StopReason",
    "Sweep",
    "annealing",
    "compare",
    "fit",
    "lookahead_nesterov",
    "minimize",
    "restarts",
    "sweep",
]
