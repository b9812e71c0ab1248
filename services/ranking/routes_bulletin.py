"""周通报 publishing and export, and the annual components a manager records (thin routes).

JSON:  GET  /v1/halls/{hall}/weeks/{week}/bulletin         published (frozen) or draft, + 更正
       POST /v1/halls/{hall}/weeks/{week}/publish          201; 409 if already published
       GET  /v1/halls/{hall}/weeks/{week}/bulletin.xlsx    the 周通报 as a workbook
       GET  /v1/halls/{hall}/bulletins                     published weeks
       PUT  /v1/halls/{hall}/years/{year}/units/{unit}/components/{component}
       GET  /v1/halls/{hall}/years/{year}/units/{unit}/components   (history)
HTML:  GET  /halls/{hall}/weeks/{week}/bulletin              printable page
       POST /halls/{hall}/weeks/{week}/publish               form -> 303 to the page
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from . import xlsx_export, year_components
from .bulletin_page import bulletin_page
from .common import BadInput, NotFound
from .pages import _q

router = APIRouter()


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    published_by: str = Field(default="", max_length=100, description="Who publishes (shown on the bulletin).")


class ComponentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Decimal = Field(ge=0, le=1000, decimal_places=2, description="The component's score, e.g. 88.5")
    recorded_by: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=500)


def _bulletins(request: Request):
    return request.app.state.ranking.bulletins


def _timed(request: Request, endpoint: str):
    return request.app.state.metrics.query_seconds.labels(endpoint).time()


@router.get("/v1/halls/{hall}/weeks/{week}/bulletin")
def bulletin(request: Request, hall: str, week: str):
    with _timed(request, "bulletin"):
        return _bulletins(request).view(hall, week)


@router.post("/v1/halls/{hall}/weeks/{week}/publish", status_code=201)
def publish(request: Request, hall: str, week: str, body: PublishRequest | None = None):
    with _timed(request, "publish"):
        return _bulletins(request).publish(hall, week, (body or PublishRequest()).published_by)


@router.get("/v1/halls/{hall}/weeks/{week}/bulletin.xlsx")
def bulletin_xlsx(request: Request, hall: str, week: str):
    with _timed(request, "bulletin_xlsx"):
        view = _bulletins(request).view(hall, week)
    data = xlsx_export.workbook(view)
    b = view["bulletin"]
    ascii_name = f"bulletin-{b['hall']}-{b['week']}.xlsx"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(b['title'] + '.xlsx')}"
    return Response(data, media_type=xlsx_export.MEDIA_TYPE, headers={"Content-Disposition": disposition})


@router.get("/v1/halls/{hall}/bulletins")
def published_weeks(request: Request, hall: str):
    svc = request.app.state.ranking.service
    svc._known_hall(hall)
    return {"hall": hall, "hall_name": svc.hall_name(hall),
            "published": [{"week": w, "published_at": at}
                          for w, at in _bulletins(request).published_weeks(hall).items()]}


@router.get("/halls/{hall}/weeks/{week}/bulletin", response_class=HTMLResponse)
def bulletin_html(request: Request, hall: str, week: str):
    with _timed(request, "bulletin"):
        return bulletin_page(_bulletins(request).view(hall, week))


@router.post("/halls/{hall}/weeks/{week}/publish", response_class=HTMLResponse)
async def publish_form(request: Request, hall: str, week: str):
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    by = (form.get("published_by") or [""])[0][:100]
    await run_in_threadpool(_bulletins(request).publish, hall, week, by)
    return RedirectResponse(f"/halls/{_q(hall)}/weeks/{_q(week)}/bulletin", status_code=303)


@router.put("/v1/halls/{hall}/years/{year}/units/{unit}/components/{component}")
def record_component(request: Request, hall: str, year: int, unit: str, component: str, body: ComponentRequest):
    svc = request.app.state.ranking.service
    rubric = svc.catalog.active
    year_components.manual_component(rubric, component)
    _known_unit(svc, hall, unit)
    if not 2000 <= year <= 2100:
        raise BadInput("year", f"year must be 2000-2100, got {year}")
    return year_components.record(svc.store, hall, year, unit, component, body.value.quantize(Decimal("0.01")),
                                  body.recorded_by.strip(), body.note.strip())


@router.get("/v1/halls/{hall}/years/{year}/units/{unit}/components")
def component_history(request: Request, hall: str, year: int, unit: str):
    svc = request.app.state.ranking.service
    _known_unit(svc, hall, unit)
    return {"hall": hall, "year": year, "unit": unit,
            "recorded": year_components.history(svc.store, hall, year, unit)}


def _known_unit(svc, hall: str, unit: str) -> None:
    svc._known_hall(hall)
    entry = svc.halls_config.halls.get(hall)
    if (entry is None or unit not in entry.units) and not svc.unit_has_data(hall, unit):
        raise NotFound(f"unknown unit {unit!r} in hall {hall!r}")

