"""The engine: compiled runs with stop rules (`minimize`), sweeps and comparisons."""

from descend.engine._annealing import annealing
from descend.engine._fit import FitHistory, FitResult, fit
from descend.engine._lookahead import lookahead_nesterov
from descend.engine._minimize import minimize
from descend.engine._restarts import Restarts, restarts
from descend.engine._result import History, Result
from descend.engine._stop import StopReason
from descend.engine._sweep import Sweep, compare, sweep

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
