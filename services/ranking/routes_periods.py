"""Rankings of longer periods and wider scopes (thin routes; the work is in report.py).

JSON:  GET /v1/{halls|tiers|counties}/{id}/{months|quarters|years}/{label}/ranking
       GET /v1/{tiers|counties}/{id}/weeks/{week}/ranking   (a hall's week: app.py)
HTML:  the same paths without /v1 and /ranking.
Query: ?rubric_version= (audit), ?n= (quarters: award places, default 3).
Labels: week 2026-W47, month 2026-11, quarter 2026-Q4, year 2026 (bad -> 422 naming it).
"""
from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from . import period_pages
from .scope import PATH

router = APIRouter()
PERIODS = {"weeks": "week", "months": "month", "quarters": "quarter", "years": "year"}


def _report(request: Request, kind: str, scope_kind: str, ident: str, label: str,
            rubric_version: str | None, n: int) -> dict:
    state, metrics = request.app.state.ranking, request.app.state.metrics
    with metrics.query_seconds.labels(kind).time():
        return state.service.period(kind, scope_kind, ident, label, rubric_version, n)


def _add(scope_kind: str, path: str, plural: str, kind: str) -> None:
    def json_route(request: Request, ident: str = Path(alias=scope_kind), label: str = Path(alias=kind),
                   rubric_version: str | None = None,
                   n: int = Query(3, ge=1, le=50, description="award places (quarters)")):
        return _report(request, kind, scope_kind, ident, label, rubric_version, n)

    def html_route(request: Request, ident: str = Path(alias=scope_kind), label: str = Path(alias=kind),
                   rubric_version: str | None = None, n: int = Query(3, ge=1, le=50)):
        return HTMLResponse(period_pages.period_page(
            _report(request, kind, scope_kind, ident, label, rubric_version, n)))

    json_path = f"/v1/{path}/{{{scope_kind}}}/{plural}/{{{kind}}}/ranking"
    html_path = f"/{path}/{{{scope_kind}}}/{plural}/{{{kind}}}"
    router.add_api_route(json_path, json_route, methods=["GET"], name=f"{scope_kind}_{kind}",
                         summary=f"{kind} ranking of a {scope_kind}")
    router.add_api_route(html_path, html_route, methods=["GET"], response_class=HTMLResponse,
                         name=f"{scope_kind}_{kind}_page", include_in_schema=False)


for _scope_kind, _path in PATH.items():
    for _plural, _kind in PERIODS.items():
        if _scope_kind == "hall" and _kind == "week":
            continue  # /v1/halls/{hall}/weeks/{week}/ranking and its page live in app.py
        _add(_scope_kind, _path, _plural, _kind)
