"""The maps view's bounds, in one place: ``GET /api/maps/limits`` publishes them and the
maps endpoints enforce them (a request outside them gets a 4xx JSON error naming the field
and the limit).

The costly numbers multiply: a basin map runs ``resolution**2`` starts for ``steps`` steps
each, so the bounds are chosen for the playground's time limit (10 s) on two cores: a
128 x 128 map of 1,000 steps takes about a second after compilation.
"""

from __future__ import annotations

#: A map's grid: resolution x resolution runs, resolution in [RES_MIN, RES_MAX].
RES_MIN, RES_MAX = 4, 128
#: Default resolutions of the basin and the stability maps.
BASIN_RES_DEFAULT, STABILITY_RES_DEFAULT = 128, 64
#: The most steps of one run of a map, a fan or a fair race's budget.
MAP_STEPS = 2_000
#: The most seeds of a fan.
SEEDS = 128
#: The largest gradient-noise scale of a fan.
NOISE = 100.0
#: The largest decay exponent of a fan's noise variance.
DECAY = 10.0
#: The most update rules in a fair race.
RULES = 6
#: The most starts of a fair race (tuning and race each).
STARTS = 16
#: The most values of a fair race's tuning grid (per tuned hyperparameter).
TUNE_GRID = 64
#: The most steps of a fair race in all (rules x configurations x starts x budget; tuning
#: with tune="all" tries 6 values of the second hyperparameter per learning rate). Its
#: first call per shape compiles a tuning program per rule (seconds each), so this stays
#: well inside the time limit: the default race is 768,000 steps, with tune="all" 4.6 M.
WORK = 5_000_000
#: The largest seed.
SEED = 2**31 - 1
#: The largest coordinate of a map's bounds (and of a hyperparameter range).
COORD = 1e15
#: Points kept per fan path or loss curve in a response (thinned evenly, ends kept).
FAN_POINTS = 250
#: Significant digits of the floats a maps response writes.
DIGITS = 6


def published() -> dict[str, float]:
    """The limits ``GET /api/maps/limits`` lists."""
    return {
        "resolution_min": RES_MIN,
        "resolution": RES_MAX,
        "steps": MAP_STEPS,
        "seeds": SEEDS,
        "noise": NOISE,
        "decay": DECAY,
        "rules": RULES,
        "starts": STARTS,
        "tune_grid": TUNE_GRID,
        "fair_work": WORK,
        "seed": SEED,
        "coordinate": COORD,
        "fan_points": FAN_POINTS,
    }
