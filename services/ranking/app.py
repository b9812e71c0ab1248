"""Ranking service: the weekly ranking (周通报) as JSON and HTML, plus the projector.

JSON routes (money as strings with two decimals, see report.py):
  GET /v1/halls                                       halls with data
  GET /v1/halls/{hall}/weeks                          weeks with data, newest first
  GET /v1/halls/{hall}/weeks/{week}/ranking           ranking first to last, ties share a rank
  GET /v1/halls/{hall}/weeks/{week}/units/{unit}      one unit's week, every ledger line
  (?rubric_version= on the last two reads another loaded rubric version, for audit)
HTML: /, /halls/{hall}, /halls/{hall}/weeks/{week}, /halls/{hall}/weeks/{week}/units/{unit}
Months, quarters (awards), years, tiers and counties: routes_periods.py; publishing,
restatements, xlsx, annual components: routes_bulletin.py; dashboard: routes_dashboard.py.
Ops:  /healthz (503 when the store does not answer), /metrics
Access: every other route needs a user token (bearer header or the /login cookie) whose
scope covers the hall/unit in its path; see access.py (401 / 403 / 503).

Errors: unknown hall/unit/tier/county/rubric version -> 404; malformed week/month/quarter/
year -> 422 naming it; publishing a published week -> 409; store unreachable -> 503.
JSON under /v1 and /healthz, an HTML page elsewhere.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from types import SimpleNamespace

from fastapi import Depends, FastAPI, Request, Security
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hallscore.core.schedule import load_halls
from hallscore.store.adapter import Store, StoreError, StoreUnavailable, open_store
from hallscore.store.schema import ensure_schema

from hallscore.access import may_read

from . import access, admin, aggregates, pages, routes_bulletin, routes_dashboard, routes_login, routes_periods
from .bulletin import Bulletins
from .metrics import Metrics
from .projector import Projector
from .report import BadInput, Catalog, Conflict, NotFound, RankingService
from .seed_lines import SeedIndex
from .settings import RankingSettings

log = logging.getLogger(__name__)


def _users(settings: RankingSettings) -> access.Users | None:
    if settings.users_url:
        return access.RemoteUsers(settings.users_url, ttl_s=settings.users_cache_s)
    return None  # settings.open_access (the settings refuse neither)


def create_app(settings: RankingSettings, *, store: Store | None = None,
               users: access.Users | None = None) -> FastAPI:
    """Rubric and halls files are read now (a bad file fails here); the store and the
    projector are opened in the lifespan. A given `store` is used and left open; a given
    `users` verifies tokens instead of the users service (tests)."""
    catalog = Catalog(settings.rubric_file)
    halls_config = load_halls(settings.halls_file)
    users = users if users is not None else _users(settings)
    seeds = SeedIndex(settings.seeds_dir)
    state = SimpleNamespace(store=None, service=None, bulletins=None, projector=None)
    metrics = Metrics(lambda: state.projector)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        s = store if store is not None else open_store(settings.clickhouse_url)
        try:
            ensure_schema(s)
            aggregates.backfill(s)
            state.store, state.service = s, RankingService(s, catalog, halls_config, seeds)
            state.bulletins = Bulletins(state.service)
            if settings.projector:
                state.projector = Projector(
                    s, settings.kafka_bootstrap, group=settings.projector_group,
                    batch_max_rows=settings.batch_max_rows, batch_max_ms=settings.batch_max_ms).start()
            yield
        finally:
            if state.projector is not None:
                state.projector.stop()
            if store is None:
                s.close()

    def halls_of(kind: str, ident: str) -> list[str]:
        return sorted(h for h, e in halls_config.halls.items() if getattr(e, kind) == ident)

    def guard(request: Request, _=Security(access.bearer_scheme)) -> None:
        """Runs before every route (access.py): who is asking, and may they."""
        request.state.principal = None
        if users is None or access.is_open(request.url.path):
            return
        p = access.authenticate(users, request)
        access.check(p, request, halls_of)
        request.state.principal = p

    def visible(request: Request, halls: list[dict]) -> list[dict]:
        p = request.state.principal
        return halls if p is None else [h for h in halls if may_read(p, h["hall"])]

    app = FastAPI(title="hallscore ranking", lifespan=lifespan, dependencies=[Depends(guard)])
    app.state.ranking = state
    app.state.metrics = metrics
    app.state.users = users

    def timed(endpoint: str, fn, *args):
        with metrics.query_seconds.labels(endpoint).time():
            return fn(*args)

    def wants_html(request: Request) -> bool:
        return not request.url.path.startswith(("/v1/", "/healthz", "/metrics", "/static/"))

    def error(request: Request, status: int, detail, text: str):
        if wants_html(request):
            return HTMLResponse(pages.error_page(status, text), status_code=status)
        return JSONResponse({"detail": detail}, status_code=status)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return error(request, 404, str(exc), str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return error(request, 409, str(exc), str(exc))

    @app.exception_handler(BadInput)
    async def _bad_input(request: Request, exc: BadInput):
        where = "query" if exc.field == "rubric_version" else "path"
        detail = [{"loc": [where, exc.field], "msg": str(exc), "type": "value_error"}]
        return error(request, 422, detail, f"{exc.field}: {exc}")

    @app.exception_handler(access.Unauthorized)
    async def _unauthorized(request: Request, exc: access.Unauthorized):
        if wants_html(request) and request.method in ("GET", "HEAD"):
            return routes_login.login_redirect(request)
        resp = error(request, 401, str(exc), str(exc))
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(access.Forbidden)
    async def _forbidden(request: Request, exc: access.Forbidden):
        return error(request, 403, str(exc), "无权查看或操作。" + str(exc))

    @app.exception_handler(access.UsersUnavailable)
    async def _users_down(request: Request, exc: access.UsersUnavailable):
        log.warning("users service unavailable: %s", exc)
        return error(request, 503, f"cannot check the token now, try again shortly ({exc})",
                     "暂时无法验证身份，请稍后再试。" + str(exc))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable):
        log.warning("store unavailable: %s", exc)
        msg = f"the ClickHouse store is unavailable, try again shortly ({exc})"
        return error(request, 503, msg, "数据库暂时不可用，请稍后再试。" + msg)

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, exc: StoreError):
        log.error("store query failed: %s", exc)
        return error(request, 500, f"store query failed (code {exc.code})", "查询失败，请联系管理员。")

    # -- JSON -------------------------------------------------------------------------
    @app.get("/v1/halls")
    def list_halls(request: Request):
        return {"halls": visible(request, timed("halls", state.service.halls))}

    @app.get("/v1/halls/{hall}/weeks")
    def list_weeks(hall: str):
        return timed("weeks", state.service.weeks, hall)

    @app.get("/v1/halls/{hall}/weeks/{week}/ranking")
    def ranking(hall: str, week: str, rubric_version: str | None = None):
        return timed("ranking", state.service.ranking, hall, week, rubric_version)

    @app.get("/v1/halls/{hall}/weeks/{week}/units/{unit}")
    def unit_week(hall: str, week: str, unit: str, rubric_version: str | None = None):
        return timed("unit_week", state.service.unit_week, hall, week, unit, rubric_version)

    # -- HTML -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def index_page(request: Request):
        return pages.index_page(visible(request, timed("halls", state.service.halls)))

    @app.get("/halls/{hall}", response_class=HTMLResponse)
    def hall_page(hall: str):
        return pages.hall_page(timed("weeks", state.service.weeks, hall), state.bulletins.published_weeks(hall))

    @app.get("/halls/{hall}/weeks/{week}", response_class=HTMLResponse)
    def ranking_page(hall: str, week: str, rubric_version: str | None = None):
        return pages.ranking_page(timed("ranking", state.service.ranking, hall, week, rubric_version))

    @app.get("/halls/{hall}/weeks/{week}/units/{unit}", response_class=HTMLResponse)
    def unit_page(hall: str, week: str, unit: str, rubric_version: str | None = None):
        return pages.unit_page(timed("unit_week", state.service.unit_week, hall, week, unit,
                                     rubric_version))

    app.include_router(routes_login.router)
    app.include_router(routes_periods.router)
    app.include_router(routes_bulletin.router)
    app.include_router(routes_dashboard.router)
    admin.install(app, settings, catalog, state)  # /v1/admin: replays, activation (docs/replay.md)

    # -- ops --------------------------------------------------------------------------
    @app.get("/healthz")
    def healthz():
        store_ok, problem = True, None
        try:
            state.store.query("SELECT 1")
        except StoreError as exc:
            store_ok, problem = False, str(exc)
        proj = state.projector.stats() if state.projector is not None else None
        if proj and proj["last_insert_at"] is not None:
            proj["last_insert_at"] = datetime.fromtimestamp(proj["last_insert_at"], timezone.utc).isoformat()
        body = {"status": "ok" if store_ok else "unavailable",
                "store": {"backend": state.store.backend, "ok": store_ok, "error": problem},
                "rubric_version": catalog.active.rubric_version,
                "projector": proj, "caught_up": proj["caught_up"] if proj else None}
        return JSONResponse(body, status_code=200 if store_ok else 503)

    @app.get("/metrics")
    def prometheus_metrics():
        data, content_type = metrics.render()
        return Response(data, media_type=content_type)

    return app
