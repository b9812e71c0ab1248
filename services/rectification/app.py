"""HTTP face of rectification. Handlers authenticate, check scope, build a
command, call the service, and render; the rules live in the core.

Errors: 401 bad token; 403 another hall's / unit's case, or a role that may
not act (a unit cannot verify); 404 unknown case or list; 409 an illegal
transition (its reason names the state and what is allowed now); 422 a
missing or bad field (named). Never a 5xx on bad input.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hallscore.core.cases.errors import DomainError
from services.rectification import routes
from services.rectification.auth import Forbidden, Unauthorized
from services.rectification.metrics import RectificationMetrics
from services.rectification.runtime import Runtime, open_runtime
from services.rectification.service import Clock, NotFound
from services.rectification.settings import RectificationSettings


def create_app(settings: RectificationSettings, *, clock: Clock | None = None,
               producer_factory: Callable[[str], Any] | None = None,
               setup_topics: Callable[..., Any] | None = None, consume: bool = True) -> FastAPI:
    """The app; store, rules and threads are opened in the lifespan, never here.
    `clock` (tests) replaces the wall clock for every deadline decision."""
    metrics = RectificationMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt: Runtime = await run_in_threadpool(
            open_runtime, settings, metrics, clock=clock, producer_factory=producer_factory,
            setup_topics=setup_topics, consume=consume)
        app.state.rt = rt
        try:
            yield
        finally:
            await run_in_threadpool(rt.close)

    app = FastAPI(title="hallscore rectification", version="1", lifespan=lifespan,
                  description="整改 problem lists, 差评 and complaints as cases with owners, deadlines "
                              "(Chinese working days) and verified outcomes. Bearer user tokens: "
                              "`hallscore user issue`.")
    app.state.metrics = metrics

    def answer(status: int, detail: Any) -> JSONResponse:
        metrics.requests.labels(status=str(status)).inc()
        return JSONResponse({"detail": detail}, status_code=status)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return answer(exc.status, {"error": type(exc).__name__, "reason": exc.reason, "field": exc.field})

    @app.exception_handler(Unauthorized)
    async def _unauth(request: Request, exc: Unauthorized):
        metrics.requests.labels(status="401").inc()
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return answer(403, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return answer(404, str(exc))

    app.include_router(routes.router)

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, Any]:
        return request.app.state.rt.health()

    @app.get("/metrics")
    def metrics_text() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    return app
