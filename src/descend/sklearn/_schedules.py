"""The learning-rate schedules the estimators' ``schedule`` parameter names."""

from __future__ import annotations

import functools
import math
from typing import Any

from descend.optim import schedules

#: The learning-rate schedules ``schedule`` may name; see :func:`learning_rate_schedule`.
SCHEDULES = ("constant", "invscaling", "inverse_time", "cosine", "exponential", "step")

#: The factor by which ``inverse_time`` and ``exponential`` divide the learning rate over
#: ``epochs`` epochs, and ``step`` at each third of them.
DECAY = 10.0


@functools.lru_cache(maxsize=256)
def learning_rate_schedule(name: str, lr: float, power_t: float, total_steps: int) -> Any:
    """The learning rate as a function of the update count ``t`` (0 on the first update);
    ``T = total_steps = epochs * ceil(n_samples / batch_size)`` is the planned number of
    updates:

    - ``"constant"``: ``lr`` (returned as a number, so that changing it compiles nothing);
    - ``"invscaling"``: ``lr / (t + 1)^power_t`` (``SGDRegressor``'s ``invscaling``,
      ``eta0 / t^power_t`` with ``t`` counting from 1; :func:`descend.schedules.power`);
    - ``"inverse_time"``: ``lr / (1 + 9 t / T)``, ``lr / 10`` at the end of the run;
    - ``"cosine"``: ``lr (1 + cos(pi t / T)) / 2``, down to 0 at the end (PyTorch's
      ``CosineAnnealingLR``);
    - ``"exponential"``: ``lr * 0.1^(t / T)``, ``lr / 10`` at the end;
    - ``"step"``: ``lr * 0.1^floor(t / ceil(T / 3))``: ``lr``, ``lr / 10`` and ``lr / 100``
      over the three thirds of the run (PyTorch's ``StepLR``).

    Cached, because a schedule is a function and the compiled program is keyed on it.
    """
    T = max(int(total_steps), 1)
    if name == "constant":
        return lr
    if name == "invscaling":
        return schedules.power(lr, power_t, offset=1.0)
    if name == "inverse_time":
        return schedules.inverse_time(lr, DECAY - 1.0, T)
    if name == "cosine":
        return schedules.cosine(lr, T)
    if name == "exponential":
        return schedules.exponential(lr, 1.0 / DECAY, T)
    return schedules.step(lr, math.ceil(T / 3), 1.0 / DECAY)
