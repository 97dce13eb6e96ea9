"""Looking at a problem and inside a run: the contour grid (one vmapped program), the
Hessian at a point (``jax.hessian``) and an optimizer's own state after ``k`` updates
(its transform replayed on the server).

Each program is compiled once per function (and, for the replay, per optimizer structure;
hyperparameters, points, views and step counts are data) and kept in a bounded LRU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from descend.optim._base import apply_updates, value_at
from descend.optim._recipe import learning_rate_of, rebuild, split
from descend.problems import surfaces
from descend.web._build import _Lru
from descend.web._errors import ApiError
from descend.web._limits import GRID_MAX, PROGRAMS

#: The server's own compiled programs (grids, Hessians, replays), at most PROGRAMS in all: a
#: compiled program holds a few MiB, so this bound is what keeps memory flat.
CACHE = _Lru(PROGRAMS)
LEVELS = 20


def nums(values: Any) -> list[Any]:
    """An array as a (nested) list of floats, with ``None`` for non-finite values (JSON)."""
    a = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    out = a.astype(object)
    out[~finite] = None
    return out.tolist()


def _grid_program(f: Callable[[jax.Array], jax.Array]) -> Callable[..., Any]:
    def grid(view: jax.Array, n: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        t = jnp.arange(GRID_MAX, dtype=jnp.float32) / jnp.maximum(n - 1, 1)
        xs = view[0] + (view[1] - view[0]) * t
        ys = view[2] + (view[3] - view[2]) * t
        gx, gy = jnp.meshgrid(xs, ys)  # row i holds y[i]
        points = jnp.stack([gx, gy], axis=-1)
        return xs, ys, jax.vmap(jax.vmap(f))(points)

    return jax.jit(grid)


def grid(surface: surfaces.Surface, view: tuple[float, ...], n: int) -> dict[str, Any]:
    """``n x n`` values of the surface over ``view`` and 20 log-spaced contour levels."""
    xlo, xhi, ylo, yhi = view
    if not (xlo < xhi and ylo < yhi):
        raise ApiError(422, "view", f"view must be [xlo, xhi, ylo, yhi] with xlo < xhi and "
                       f"ylo < yhi; got {list(view)}")  # fmt: skip
    if max(abs(v) for v in view) > 1e15:
        raise ApiError(422, "view", f"view coordinates must be at most 1e15 in size; got "
                       f"{list(view)}", 1e15)  # fmt: skip
    program = CACHE.get(("grid", surface.f), lambda: _grid_program(surface.f))
    xs, ys, z = jax.device_get(program(jnp.asarray(view, jnp.float32), jnp.int32(n)))
    z = np.asarray(z, np.float64)[:n, :n]
    finite = z[np.isfinite(z)]
    zmin = float(finite.min()) if finite.size else None
    zmax = float(finite.max()) if finite.size else None
    levels: list[float] = []
    if finite.size and zmax > zmin:
        gaps = finite - zmin
        top = float(gaps.max())
        low = max(float(gaps[gaps > 0].min()), top * 1e-6)
        levels = np.geomspace(low, top, LEVELS).tolist() if top > low else [top]
    return {
        "x": np.asarray(xs, np.float64)[:n].tolist(),
        "y": np.asarray(ys, np.float64)[:n].tolist(),
        "z": nums(z),
        "levels": levels,
        "zmin": zmin,
        "zmax": zmax,
    }


def _hessian_program(f: Callable[[jax.Array], jax.Array]) -> Callable[..., Any]:
    def hessian(p: jax.Array) -> tuple[jax.Array, jax.Array]:
        h = jax.hessian(f)(p)
        return h, jnp.linalg.eigvalsh((h + h.T) / 2)

    return jax.jit(hessian)


def curvature(surface: surfaces.Surface, point: Any) -> dict[str, Any]:
    """The Hessian at ``point``, its eigenvalues (ascending), the condition number and the
    stability bounds of gradient descent and of the heavy ball at beta = 0.9."""
    program = CACHE.get(("hessian", surface.f), lambda: _hessian_program(surface.f))
    h, eig = jax.device_get(program(jnp.asarray(point, jnp.float32)))
    eig = np.asarray(eig, np.float64)
    ok = bool(np.isfinite(eig).all())
    top = float(eig[-1]) if ok else math.nan
    small = float(np.abs(eig).min()) if ok else math.nan
    condition = float(np.abs(eig).max()) / small if ok and small > 0 else None
    positive = ok and top > 0
    return {
        "hessian": nums(h),
        "eigenvalues": nums(eig),
        "condition": condition if condition is None or math.isfinite(condition) else None,
        "gd_lr_bound": 2.0 / top if positive else None,
        "heavy_ball_lr_bound": {
            "formula": "2 (1 + beta) / l_max",
            "at_beta_0.9": 2.0 * 1.9 / top if positive else None,
        },
    }


# -- inside a step -----------------------------------------------------------------------------


def _replay_program(f: Callable[[jax.Array], jax.Array], key: Any) -> Callable[..., Any]:
    grad = jax.grad(f)

    def replay(x0: jax.Array, leaves: list[Any], k: jax.Array) -> tuple[Any, ...]:
        optimizer = rebuild(key, leaves)

        def body(_: Any, carry: tuple[Any, ...]) -> tuple[Any, ...]:
            x, state, _before, _g, _u = carry
            g = grad(x)
            updates, state = optimizer.update(g, state, x)
            return apply_updates(x, updates), state, x, g, updates

        zero = jnp.zeros_like(x0)
        start = (x0, optimizer.init(x0), x0, grad(x0), zero)
        return jax.lax.fori_loop(0, k, body, start)

    return jax.jit(replay)


def state_fields(state: Any, prefix: str = "") -> dict[str, Any]:
    """An optimizer state (NamedTuples, tuples) as ``{"field": number or list}``;
    nested states are prefixed (``"0.m"`` for AdamW's Adam part)."""
    out: dict[str, Any] = {}
    if hasattr(state, "_fields"):
        for name in state._fields:
            out.update(state_fields(getattr(state, name), f"{prefix}{name}."))
    elif isinstance(state, (tuple, list)):
        for i, part in enumerate(state):
            out.update(state_fields(part, f"{prefix}{i}."))
    elif state is not None:
        a = np.asarray(state)
        if np.issubdtype(a.dtype, np.integer):
            out[prefix[:-1]] = a.tolist()
        else:
            value = nums(a)
            out[prefix[:-1]] = value
    return out


def _moments(state: Any) -> Any:
    """The first Adam-like state (with ``m``, ``v`` and ``count``) inside ``state``."""
    if hasattr(state, "_fields") and {"m", "v", "count"} <= set(state._fields):
        return state
    if isinstance(state, tuple):
        for part in state:
            found = _moments(part)
            if found is not None:
                return found
    return None


def _vec(a: Any) -> str:
    return ", ".join(f"{float(v):.6g}" for v in np.asarray(a).ravel())


ADAM_FAMILY = ("adam", "adamw", "amsgrad")


def inside(surface: surfaces.Surface, x0: jax.Array, built: Any, k: int) -> dict[str, Any]:
    """Step ``k`` of one optimizer: the point it was taken from, the gradient there, the
    optimizer's own state after ``k`` updates, the update and the rule with its numbers."""
    key, leaves = split(built.transform)
    program = CACHE.get(("replay", surface.f, key), lambda: _replay_program(surface.f, key))
    x_after, state, x, g, u = jax.device_get(program(x0, leaves, jnp.int32(k)))
    lr = learning_rate_of(built.transform)
    lr_k = float(value_at(lr, jnp.int32(max(k - 1, 0)))) if lr is not None else None
    derived = None
    if built.name in ADAM_FAMILY:
        moments = _moments(state)
        b1, b2 = built.hyper["b1"], built.hyper["b2"]
        if moments is not None and k > 0:
            m_hat = np.asarray(moments.m, np.float64) / (1 - b1**k)
            v_hat = np.asarray(moments.v, np.float64) / (1 - b2**k)
            with np.errstate(divide="ignore", invalid="ignore"):
                effective = -np.asarray(u, np.float64) / m_hat
            derived = {
                "m_hat": nums(m_hat),
                "v_hat": nums(v_hat),
                "effective_lr": nums(effective),
            }
        else:
            derived = {"m_hat": None, "v_hat": None, "effective_lr": None}
    if k == 0:
        formula = f"theta = ({_vec(x)}): the start, before the first update"
    elif lr_k:
        rule = {
            "gd": "lr * g",
            "momentum": "lr * u",
            "nesterov": "lr * (g + beta * u)",
        }.get(built.name, "lr * m_hat / (sqrt(v_hat) + eps)" if derived else "lr * d")
        direction = -np.asarray(u, np.float64) / lr_k
        formula = (
            f"theta <- theta - {rule} = ({_vec(x)}) - {lr_k:.6g} * ({_vec(direction)}) "
            f"= ({_vec(x_after)})"
        )
    else:
        formula = f"theta <- theta + update = ({_vec(x)}) + ({_vec(u)}) = ({_vec(x_after)})"
    return {
        "name": built.name,
        "step": k,
        "x": nums(x),
        "x_after": nums(x_after),
        "grad": nums(g),
        "state": state_fields(state),
        "derived": derived,
        "update": nums(u),
        "formula": formula,
    }
