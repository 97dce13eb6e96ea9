"""The engine: compiled runs with stop rules (`minimize`), sweeps and comparisons."""

from descend.engine.lookahead import lookahead_nesterov
from descend.engine.minimize import minimize
from descend.engine.result import History, Result
from descend.engine.sweep import Sweep, compare, sweep

__all__ = ["History", "Result", "Sweep", "compare", "lookahead_nesterov", "minimize", "sweep"]
