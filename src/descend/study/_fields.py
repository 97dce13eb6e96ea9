"""The checks every field of a study spec goes through: each failure names the field (its path
in the TOML, ``optimizers[1].grid.beta``), what was wrong and what is allowed, as a
``ValueError`` (a value out of range, an unknown name or key) or a ``TypeError`` (a value of
the wrong type)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from descend import _validation as check


def _type(field: str, allowed: str, value: Any) -> TypeError:
    return TypeError(
        f"{field}: expected {allowed}; got {check.shown(value)} ({type(value).__name__})"
    )


def _keys(field: str, table: Any, allowed: Sequence[str]) -> dict[str, Any]:
    """``table`` as a dict whose keys are all in ``allowed`` (an unknown key names them)."""
    if not isinstance(table, Mapping):
        raise _type(field, "a table", table)
    unknown = [k for k in table if k not in allowed]
    if unknown:
        where = f"{field}." if field else ""
        hint = check.did_you_mean(unknown[0], allowed)
        raise ValueError(
            f"{where}{unknown[0]}: unknown key{hint}; allowed keys: {', '.join(allowed)}"
        )
    return dict(table)


def _int(field: str, value: Any, low: int, high: int | None = None) -> int:
    try:
        return check.integer(field, value, low, high)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{field}: {str(err).removeprefix(field + ' ')}") from None


def _real(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type(field, "a number", value)
    if not math.isfinite(value):
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return float(value)


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _type(field, "a non-empty string", value)
    return value.strip()
