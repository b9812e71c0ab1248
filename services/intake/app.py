"""HTTP face of intake. Handlers only decode, call the service, encode."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.producer import make_producer
from services.intake.acceptance import Rejection
from services.intake.metrics import IntakeMetrics
from services.intake.service import IntakeService, ProducerFactory, TopicSetup, open_service
from services.intake.settings import IntakeSettings

EVENTS_DOC = """Submit ONE event object or a JSON array of 1..max_batch events.

All or nothing: if any item is invalid (422), for another hall (403), or
reuses an accepted event_id with different content (409), nothing is
published. 200 lists each item as "accepted" or "duplicate" (already
accepted earlier with the same content). 503 + Retry-After: retry the
same request later with the same event ids.
"""


def create_app(settings: IntakeSettings, *, producer_factory: ProducerFactory | None = None,
               setup_topics: TopicSetup | None = None) -> FastAPI:
    """The intake app. Producer and SQLite are opened in the lifespan, never here.

    producer_factory(bootstrap) -> producer (default hallscore.kafka.producer.make_producer);
    setup_topics(bootstrap, {topic: partitions}) (default hallscore.kafka.admin.ensure_topics).
    """
    metrics = IntakeMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.intake = await run_in_threadpool(
            open_service, settings, metrics, producer_factory or make_producer, setup_topics or ensure_topics,
        )
        try:
            yield
        finally:
            await run_in_threadpool(app.state.intake.close)

    app = FastAPI(title="hallscore intake", version="1", lifespan=lifespan)

    @app.post("/v1/events", description=EVENTS_DOC)
    async def post_events(request: Request) -> JSONResponse:
        svc: IntakeService = request.app.state.intake
        headers: dict[str, str] = {}
        try:
            who = await run_in_threadpool(svc.authenticate, request.headers.get("authorization"))
            body = await request.body()
            status, content = 200, await run_in_threadpool(svc.submit, who, body)
        except Rejection as r:
            status, content, headers = r.status, {"detail": r.detail}, r.headers
        metrics.requests.labels(status=str(status)).inc()
        return JSONResponse(content, status_code=status, headers=headers)

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, Any]:
        return request.app.state.intake.health()

    @app.get("/metrics")
    def metrics_text() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    return app
