"""The playground's bounds, in one place: the catalogue publishes them and the server
enforces them (a request outside them gets a 4xx JSON error naming the field and the limit)."""

from __future__ import annotations

#: The longest typed expression, in characters.
EXPRESSION_CHARS = 500
#: The most steps of one run.
MAX_STEPS = 100_000
#: The most optimizers in one race.
MAX_OPTIMIZERS = 10
#: The largest request body, in bytes.
BODY_BYTES = 65_536
#: The contour grid's size: n x n values, n in [GRID_MIN, GRID_MAX].
GRID_MIN, GRID_MAX, GRID_DEFAULT = 10, 200, 120
#: The most points per history in a response (thinned evenly, first and last kept).
HISTORY_POINTS = 2_000
#: Seconds a request may compute before it is answered 503.
TIME_LIMIT_S = 10.0
#: Compiled programs of the server's own (grids, Hessians, replays) kept, per kind.
PROGRAMS = 64
#: Parsed expressions kept.
EXPRESSIONS = 256
#: JAX work running at once (more requests wait for a slot, within their time limit).
WORKERS = 4


def published() -> dict[str, int]:
    """The limits the catalogue lists."""
    return {
        "expression_chars": EXPRESSION_CHARS,
        "steps": MAX_STEPS,
        "optimizers": MAX_OPTIMIZERS,
        "body_bytes": BODY_BYTES,
        "grid": GRID_MAX,
    }
