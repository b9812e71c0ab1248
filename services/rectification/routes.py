"""The /v1 routes. Thin: scope check, command, service, view."""
from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from hallscore.access import Principal, may_read
from hallscore.core.cases import commands as c
from hallscore.core.cases.errors import InvalidCommand
from hallscore.core.workdays import YearSchedule
from services.rectification import api_models as m
from services.rectification.auth import Forbidden, authenticate, require_read, require_write
from services.rectification.calendars import write_schedule
from services.rectification.issuing import case_command, deadline_command, list_commands
from services.rectification.reports import list_report, rates_report
from services.rectification.runtime import Runtime
from services.rectification.service import NotFound
from services.rectification.views import case_view

router = APIRouter(prefix="/v1")


def runtime(request: Request) -> Runtime:
    return request.app.state.rt


def principal(request: Request) -> Principal:
    return authenticate(runtime(request).users, request.headers.get("authorization"))


Who = Depends(principal)
Rt = Depends(runtime)


@router.get("/me")
def me(p: Principal = Who) -> dict[str, Any]:
    return p.to_json()


@router.post("/lists", status_code=201, summary="Issue a problem list (问题清单): one case per item")
def issue_list(body: m.ListIn, p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    svc = rt.service
    if p.role != "manager":
        raise Forbidden(f"only a hall manager issues problem lists (this is a {p.role} token)")
    actor = require_write(p, body.hall, "")
    list_id, opened = list_commands(body, svc.now().date(), svc.policy, svc.calendar, svc.directory)
    svc.open(opened, actor)
    return list_report(svc.all_cases(), list_id, p, svc.now())


@router.get("/lists/{list_id}", summary="A problem list's items, states and closed-by-deadline rate")
def get_list(list_id: str, p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    items = [x for x in rt.service.all_cases() if x.list_id == list_id]
    if not items:
        raise NotFound(f"no problem list {list_id!r}")
    visible = [x for x in items if may_read(p, x.hall, x.unit)]
    if not visible:
        require_read(p, items[0].hall, items[0].unit)  # raises with the scope in the message
    return list_report(visible, list_id, p, rt.service.now())


@router.post("/cases", status_code=201, summary="Open one case (complaint 受理, work order, finding, 差评)")
def open_case(body: m.CaseIn, p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    svc = rt.service
    actor = require_write(p, body.hall, body.unit)
    case_id, cmd = case_command(body, svc.now().date(), svc.policy, svc.calendar, svc.directory)
    [case] = svc.open([(case_id, cmd)], actor)
    return case_view(case, p, svc.now())


@router.get("/cases", summary="Cases you may see, newest first")
def list_cases(hall: str | None = None, unit: str | None = None, kind: str | None = None,
               state: str | None = None, overdue: bool | None = None, list_id: str | None = None,
               limit: int = 200, p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    if hall is not None:
        require_read(p, hall, unit)
    out = [x for x in rt.service.all_cases() if may_read(p, x.hall, x.unit)
           and (hall is None or x.hall == hall) and (unit is None or x.unit == unit)
           and (kind is None or x.kind == kind) and (state is None or x.state == state)
           and (overdue is None or bool(x.overdue) == overdue) and (list_id is None or x.list_id == list_id)]
    out.sort(key=lambda x: (x.opened_at, x.case_id), reverse=True)
    now = rt.service.now()
    return {"count": len(out), "cases": [case_view(x, p, now, history=False) for x in out[:max(limit, 0)]]}


@router.get("/cases/{case_id}", summary="One case: state, deadlines (provisional?), history")
def get_case(case_id: str, p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    case = rt.service.get(case_id)
    require_read(p, case.hall, case.unit)
    return case_view(case, p, rt.service.now())


def _act(rt: Runtime, p: Principal, case_id: str, cmd: Any) -> dict[str, Any]:
    case = rt.service.get(case_id)
    actor = require_write(p, case.hall, case.unit)
    return case_view(rt.service.execute(case_id, cmd, actor), p, rt.service.now())


@router.post("/cases/{case_id}/forward", summary="转办: forward a complaint to its unit (manager)")
def forward(case_id: str, body: m.NoteIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.Forward(body.note))


@router.post("/cases/{case_id}/urge", summary="督办: urge the unit (manager)")
def urge(case_id: str, body: m.NoteIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.Urge(body.note))


@router.post("/cases/{case_id}/verify", summary="核实: 属实 / 不属实 (manager)")
def verify(case_id: str, body: m.VerifyIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.Verify(body.substantiated, body.note))


@router.post("/cases/{case_id}/appeal", summary="申诉: the unit disputes a 属实 verdict (unit)")
def appeal(case_id: str, body: m.ReasonIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.Appeal(body.reason))


@router.post("/cases/{case_id}/appeal-decision", summary="申诉复核: decide an appeal (manager)")
def appeal_decision(case_id: str, body: m.AppealDecisionIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.DecideAppeal(body.upheld, body.note))


@router.post("/cases/{case_id}/evidence", summary="整改材料 / 反馈: submit evidence or an answer (unit)")
def evidence(case_id: str, body: m.EvidenceIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.SubmitEvidence(tuple(body.evidence), body.note))


@router.post("/cases/{case_id}/reject", summary="退回: reject the evidence, with a reason (manager)")
def reject(case_id: str, body: m.ReasonIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.RejectEvidence(body.reason))


@router.post("/cases/{case_id}/accept", summary="验收: accept the evidence (manager)")
def accept(case_id: str, body: m.NoteIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.AcceptEvidence(body.note))


@router.post("/cases/{case_id}/callback", summary="回访: record the citizen callback (manager or unit)")
def callback(case_id: str, body: m.CallbackIn, p: Principal = Who, rt: Runtime = Rt):
    return _act(rt, p, case_id, c.CallBack(body.outcome, body.note))


@router.post("/cases/{case_id}/deadline", summary="Set a milestone's deadline (manager)")
def set_deadline(case_id: str, body: m.DeadlineIn, p: Principal = Who, rt: Runtime = Rt):
    case = rt.service.get(case_id)
    return _act(rt, p, case_id, deadline_command(case, body, rt.service.calendar))


@router.get("/rates", summary="差评 verified / rectified on time / called back %, complaints and lists on time %")
def rates(hall: str, period: str, unit: str | None = None, p: Principal = Who, rt: Runtime = Rt):
    if p.role == "unit" and unit is None:
        unit = p.unit  # a unit sees its own rates only
    require_read(p, hall, unit)
    return rates_report(rt.service.all_cases(), hall, unit, period)


@router.get("/calendars", summary="Which source dates each year's working days")
def calendars(p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    cal = rt.service.calendar
    years = sorted({*cal.schedules, *range(2024, rt.service.now().year + 2)})
    return {"years": [{"year": y, "source": cal.source(y), "known": cal.is_known(date(y, 6, 1))} for y in years]}


@router.put("/calendars/{year}", summary="Supply a year's 放假/调休 schedule (manager)")
def put_calendar(year: int, body: dict[str, Any], p: Principal = Who, rt: Runtime = Rt) -> dict[str, Any]:
    if p.role != "manager":
        raise Forbidden("only a manager token may supply a holiday schedule")
    try:
        schedule = YearSchedule.model_validate({"year": year, **body})
    except ValidationError as e:
        raise InvalidCommand("; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()),
                             field=".".join(map(str, e.errors()[0]["loc"]))) from None
    if schedule.year != year:
        raise InvalidCommand(f"year {schedule.year} in the body does not match {year} in the path", field="year")
    path = write_schedule(rt.settings.calendars_dir, schedule)
    redated = rt.service.calendar_changed()
    still = sum(r.provisional for x in rt.service.all_cases() if not x.closed for r in x.deadlines.values())
    return {"year": year, "file": str(path), "source": schedule.source, "events_written": redated,
            "provisional_deadlines_left": still}
