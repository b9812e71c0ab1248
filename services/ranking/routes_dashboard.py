"""The dashboard (thin routes) and its two static files, served by this service (no CDN).

HTML:  GET /halls/{hall}/dashboard?week=2026-W47&unit=tx-rsj
       GET /halls/{hall}/weeks/{week}/units/{unit}/panel     (fragment the script loads)
Files: GET /static/dashboard.js, /static/dashboard.css
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from . import case_summary, dashboard_page
from .common import NotFound
from .report import parse_week
from .scope import Scope

router = APIRouter()
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}
TREND_WEEKS = 12


def _trend(svc, hall: str, week: str) -> dict:
    rubric = svc.catalog.active
    scope = Scope("hall", hall, svc.hall_name(hall), [hall])
    return svc.standings.trend(rubric, scope, parse_week(week), TREND_WEEKS)


def _panel(svc, hall: str, week: str, unit: str) -> str:
    return dashboard_page.unit_panel(svc.unit_week(hall, week, unit), _trend(svc, hall, week))


@router.get("/halls/{hall}/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, hall: str, week: str | None = None, unit: str | None = None):
    svc = request.app.state.ranking.service
    with request.app.state.metrics.query_seconds.labels("dashboard").time():
        weeks = [w["week"] for w in svc.weeks(hall)["weeks"]]
        if week is None:
            if not weeks:
                raise NotFound(f"{svc.hall_name(hall)} 尚无数据")
            week = weeks[0]
        ranking = svc.ranking(hall, week)
        if week not in weeks:
            weeks = sorted(weeks + [ranking["week"]], reverse=True)
        cases = case_summary.summary(svc.store, hall)
        for c in cases or []:
            c["unit_name"] = svc.halls_config.unit_name(hall, c["unit"])
        return dashboard_page.dashboard_page({
            "ranking": ranking, "weeks": weeks, "trend": _trend(svc, hall, week), "cases": cases,
            "panel": _panel(svc, hall, week, unit) if unit else None})


@router.get("/halls/{hall}/weeks/{week}/units/{unit}/panel", response_class=HTMLResponse)
def panel(request: Request, hall: str, week: str, unit: str):
    svc = request.app.state.ranking.service
    with request.app.state.metrics.query_seconds.labels("unit_week").time():
        return _panel(svc, hall, week, unit)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str):
    if name not in STATIC:
        raise NotFound(f"no static file {name!r}")
    return Response((STATIC_DIR / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "public, max-age=300"})
