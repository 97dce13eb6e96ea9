"""The playground's server: :func:`create_app` builds the FastAPI app.

A thin face over the engine: each endpoint checks its body (pydantic models, then the
registries), runs descend's own functions in a worker thread under a time limit, and writes
JSON. Bodies over :data:`~descend.web._limits.BODY_BYTES` are refused before they are read
in full; every error is a 4xx JSON body ``{"error": {"field", "message", "limit"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from descend.web import _build, _data_api, _errors, _maps_api, _probe, _runs
from descend.web._errors import ApiError
from descend.web._limits import BODY_BYTES, TIME_LIMIT_S, WORKERS
from descend.web._schemas import (
    ERRORS,
    CatalogResponse,
    CurvatureRequest,
    CurvatureResponse,
    ExpressionRequest,
    ExpressionResponse,
    GridRequest,
    GridResponse,
    InsideRequest,
    InsideResponse,
    PythonResponse,
    RaceRequest,
    RaceResponse,
)

STATIC = Path(__file__).parent / "static"


class Json(Response):
    """A JSON answer, already encoded (in the worker thread, off the event loop)."""

    media_type = "application/json"


def encode(content: Any) -> bytes:
    """JSON text of ``content``; NaN is refused (the server writes non-finite numbers as
    null itself)."""
    return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


class BodyLimit:
    """ASGI middleware: refuse (413) a body over ``limit`` bytes, whether its
    Content-Length says so or its bytes do; the app then reads the body kept here."""

    def __init__(self, app: Any, limit: int = BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def _refuse(self, scope: Any, receive: Any, send: Any, message: str) -> None:
        error = ApiError(413, "body", message, self.limit)
        await error.response()(scope, receive, send)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = self.limit + 1
            if declared > self.limit:
                said = length.decode(errors="replace")[:20]
                message = f"the body may be at most {self.limit} bytes; Content-Length says {said}"
                await self._refuse(scope, receive, send, message)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send,
                                   f"the body may be at most {self.limit} bytes")  # fmt: skip
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(freeze_gc: bool = True) -> FastAPI:
    """The playground app: the JSON API under ``/api``, the page at ``/`` and its assets
    under ``/static`` (see the contract in the endpoints' descriptions and /openapi.json).

    ``freeze_gc``: when the app starts serving, collect garbage once and move every object
    alive into Python's permanent generation (``gc.freeze()``). JAX keeps hundreds of
    thousands of long-lived objects, and without this one race in ten waits ~70 ms for a
    full collection that scans them all (measured: p95 of a 5 x 2,000-step race 74 ms
    without, 8 ms with). It affects the process that serves the app, which is what the
    server process is for."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if freeze_gc:
            gc.collect()
            gc.freeze()
        yield
        workers.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        lifespan=lifespan,
        title="descend playground",
        description="Optimizers racing on surfaces and typed functions, computed by descend's "
        "engine. Every error is a 4xx JSON body {error: {field, message, limit}}.",
        version="1",
    )
    app.state.unexpected = 0
    # JAX work runs on WORKERS threads of the app's own. A request that outlives its time
    # limit is answered 503 and its computation, which cannot be interrupted, runs on while
    # holding its thread, so later requests queue (within their own limit) behind it; a
    # request still queued when its time is up never starts. (anyio's thread limiter frees
    # the slot of an abandoned call at once, so work past its limit piled up unbounded.)
    workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="descend-play")
    app.state.workers = workers
    _errors.install(app)

    async def compute(fn: Callable[..., Any], *args: Any) -> Json:
        """Run ``fn(*args)`` on one of the app's worker threads under the time limit."""
        future = workers.submit(lambda: encode(fn(*args)))
        try:
            with anyio.fail_after(TIME_LIMIT_S):
                content = await asyncio.wrap_future(future)
        except TimeoutError:
            future.cancel()  # still queued: it never starts (running: it runs on, see above)
            raise ApiError(
                503, None, f"the request took longer than {TIME_LIMIT_S:g} s; a first request "
                "also compiles its programs, which go on and are kept, so send it again; if it "
                "is still too slow, try fewer steps or optimizers", TIME_LIMIT_S,
            ) from None  # fmt: skip
        except ApiError:
            raise
        except Exception as err:
            raise _errors.unexpected_error(app, err) from None
        return Json(content)

    @app.get("/api/catalog", response_model=CatalogResponse)
    async def catalog() -> Json:
        """The 2-D surfaces, the registry's optimizers, the schedules, the functions a typed
        expression may call and the limits."""
        return await compute(_build.catalog)

    @app.post("/api/expression", response_model=ExpressionResponse, responses=ERRORS)
    async def expression(body: ExpressionRequest) -> Json:
        """Check and normalise a typed formula; a parse error is a 422 with its column."""

        def answer() -> dict[str, str]:
            s = _build.parse_expression(body.text)
            return {"normalised": s.formula, "formula": s.formula}

        return await compute(answer)

    @app.post("/api/grid", response_model=GridResponse, responses=ERRORS)
    async def grid(body: GridRequest) -> Json:
        """The problem's values on an n x n grid over the view, with contour levels."""
        return await compute(lambda: _probe.grid(_build.problem(body), body.view, body.n))

    @app.post("/api/race", response_model=RaceResponse, responses=ERRORS)
    async def race(body: RaceRequest) -> Json:
        """Each optimizer one ``descend.minimize`` run from the same start."""
        return await compute(_runs.race, body)

    @app.post("/api/inside", response_model=InsideResponse, responses=ERRORS)
    async def inside(body: InsideRequest) -> Json:
        """Each optimizer's own state after ``step`` updates, replayed on the server: ``x`` is
        the point update ``step`` was taken from, ``x_after`` where it led, ``grad`` the
        gradient it used, ``state`` the optimizer state after it (step 0: the start)."""

        def answer() -> dict[str, Any]:
            if body.step > body.steps:
                raise ApiError(422, "step", f"step must be at most steps = {body.steps}; got "
                               f"{body.step}", body.steps)  # fmt: skip
            surface = _build.problem(body)
            builts = _build.optimizers(body.optimizers, surface)
            x0 = _runs.start_of(body, surface)
            return {"runs": [_probe.inside(surface, x0, b, body.step) for b in builts]}

        return await compute(answer)

    @app.post("/api/curvature", response_model=CurvatureResponse, responses=ERRORS)
    async def curvature(body: CurvatureRequest) -> Json:
        """The Hessian at the point (``jax.hessian``), its eigenvalues and the stability
        bounds 2 / l_max (gradient descent) and 2 (1 + beta) / l_max (heavy ball)."""
        return await compute(lambda: _probe.curvature(_build.problem(body), body.point))

    @app.post("/api/python", response_model=PythonResponse, responses=ERRORS)
    async def python(body: RaceRequest) -> Json:
        """A descend script that reproduces the race ("Copy as Python")."""
        return await compute(_runs.python, body)

    _maps_api.register(app, compute)
    _data_api.register(app, compute)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        index = STATIC / "index.html"
        if not index.is_file():
            raise ApiError(404, None, "the playground page is not installed (static/index.html)")
        return FileResponse(index)

    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    app.add_middleware(BodyLimit)
    return app
