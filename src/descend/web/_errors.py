"""Every error the playground answers, in one shape:
``{"error": {"field": "<json path>", "message": "...", "limit": number|null}}``.

:class:`ApiError` is raised by the checks; :func:`install` registers the handlers that turn
it, pydantic's validation errors and Starlette's HTTP errors into that shape, and a last
handler that logs a truly unexpected exception and still answers in that shape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from descend import _validation as check

log = logging.getLogger("descend.web")

#: The status of an unexpected exception: a JSON 4xx, never a bare 500 page (the tests
#: count these with ``app.state.unexpected`` and require none).
UNEXPECTED_STATUS = 400


class ApiError(Exception):
    """A request the playground refuses: HTTP ``status`` with the field, message and limit."""

    def __init__(
        self,
        status: int,
        field: str | None,
        message: str,
        limit: float | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.limit = limit
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        detail = {"field": self.field, "message": self.message, "limit": self.limit}
        detail.update(self.extra)
        return {"error": detail}

    def response(self) -> JSONResponse:
        """The answer."""
        return JSONResponse(self.body(), status_code=self.status)


def shown(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters, for echoing user input in a message."""
    text = repr(value)
    return text if len(text) <= width else text[:width] + "..."


def not_found(field: str, what: str, value: Any, allowed: Iterable[Any]) -> ApiError:
    """The 404 of a name the playground does not know: ``{what} {value!r} (did you mean
    ...?); allowed: ...`` (the closest allowed name, when one is close)."""
    names = [str(a) for a in allowed]
    hint = check.did_you_mean(value, names)
    return ApiError(
        404, field, f"{what} {shown(value)}{hint}; allowed: {', '.join(names) or 'none'}"
    )


def json_path(loc: Sequence[Any]) -> str:
    """``("body", "optimizers", 1, "hyper", "lr")`` -> ``"optimizers[1].hyper.lr"``; a key
    is the user's text, cut to a shown length (a 5,000-letter key is no readable path)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + check.cut(str(part))
    return text or "body"


_LIMIT_KEYS = ("le", "ge", "lt", "gt", "max_length", "min_length")


def from_validation(errors: Sequence[dict[str, Any]]) -> ApiError:
    """The first of pydantic's errors as an :class:`ApiError` (422)."""
    if not errors:
        return ApiError(422, "body", "the request is not valid")
    err = errors[0]
    kind = err.get("type", "")
    if kind in ("json_invalid", "json_type"):
        return ApiError(422, "body", f"the body is not valid JSON: {err.get('msg', '')}")
    loc = err.get("loc", ())
    # a union (bool | str | None) reports one error per branch: name the field once
    loc = [p for p in loc if not (isinstance(p, str) and p in ("bool", "str", "none"))]
    ctx = err.get("ctx") or {}
    if kind == "unknown_field":  # named by the key itself, not by the object holding it
        loc = [*loc, ctx.get("name", "")]
    field = json_path(loc)
    limit = next((ctx[k] for k in _LIMIT_KEYS if k in ctx), None)
    limit = float(limit) if isinstance(limit, (int, float)) else None
    message = f"{field}: {err.get('msg', 'not valid')}"
    if kind not in ("missing", "unknown_field") and "input" in err:
        message += f"; got {shown(err['input'])}"
    if kind == "finite_number":
        message += " (NaN, inf and overflowing numbers such as 1e999 are not allowed)"
    return ApiError(422, field, message, limit)


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return from_validation(exc.errors()).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code if 400 <= exc.status_code < 500 else UNEXPECTED_STATUS
        return ApiError(status, None, f"{request.url.path}: {exc.detail}").response()

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error(app, exc).response()


def unexpected_error(app: FastAPI, exc: BaseException) -> ApiError:
    """Log an exception nobody expected, count it on ``app.state.unexpected``, and return
    the error to answer with."""
    log.exception("descend play: unexpected error", exc_info=exc)
    app.state.unexpected = getattr(app.state, "unexpected", 0) + 1
    return ApiError(
        UNEXPECTED_STATUS,
        None,
        f"the server could not handle this request ({type(exc).__name__}); it was logged",
    )
