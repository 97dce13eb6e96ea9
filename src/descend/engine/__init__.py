"""The engine: compiled runs with stop rules (`minimize`), sweeps and comparisons."""

from descend.engine.fit import FitHistory, FitResult, fit
from descend.engine.lookahead import lookahead_nesterov
from descend.engine.minimize import minimize
from descend.engine.result import History, Result
from descend.engine.sweep import Sweep, compare, sweep

__all__ = [
    "FitHistory",
    "FitResult",
    "History",
    "Result",
    "Sweep",
    "compare",
    "fit",
    "lookahead_nesterov",
    "minimize",
    "sweep",
]
