"""Replays and rubric activation over HTTP, in the process that owns the store (docs/replay.md).

  POST /v1/admin/replays                 {rubric: <YAML text>, file_name, from, to, hall?, against?} -> 202
  GET  /v1/admin/replays                 the latest jobs
  GET  /v1/admin/replays/{id}            status and progress (events done / total)
  POST /v1/admin/replays/{id}/resume     continue an interrupted or failed job -> 202
  GET  /v1/admin/replays/{id}/diff       what would change (weeks, months, quarters, year) as JSON
  GET  /v1/admin/replays/{id}/diff.xlsx  the same as a workbook
  POST /v1/admin/rubric/activate         {version, note?}: the ranking serves it from the next request
  GET  /v1/admin/rubric/active           the active version and the activation history

The rubric travels as text (the CLI uploads the file: this process may not see the
CLI's filesystem) and is validated here: a broken file is a 422 naming the line and
field. With HALLSCORE_ADMIN_TOKEN set every route needs `Authorization: Bearer <token>`.
"""
from __future__ import annotations

import hmac
from datetime import date
from types import SimpleNamespace

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from hallscore.bearer import parse_bearer
from hallscore.core.rubric import RubricError
from hallscore.core.rubric_set import RubricSet, load_rubric_set, rubric_files
from hallscore.core.schedule import load_halls
from hallscore.replay import jobs, report
from hallscore.replay.runner import Runner
from schemas.envelope import CODE_PATTERN

from .activation import ActivationError, StoredVersions, activate, history
from .common import NotFound


def _authorized(request: Request) -> None:
    token = request.app.state.replay_admin.settings.admin_token
    if token and not hmac.compare_digest(parse_bearer(request.headers.get("authorization")) or "", token):
        raise HTTPException(401, "admin routes need 'Authorization: Bearer <HALLSCORE_ADMIN_TOKEN>'",
                            headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(_authorized)])


def install(app: FastAPI, settings, catalog, state: SimpleNamespace) -> None:
    """The admin routes, and the catalog's view of activated and replayed versions."""
    versions = StoredVersions(lambda: state.store, settings.rubrics_dir)
    catalog.versions = versions
    runner = Runner(lambda: state.store, lambda: live_set(settings.rubrics_dir), load_halls(settings.halls_file))
    app.state.replay_admin = SimpleNamespace(settings=settings, catalog=catalog, versions=versions, runner=runner,
                                             state=state)
    app.include_router(router)


def live_set(rubrics_dir) -> RubricSet:
    return load_rubric_set(rubric_files(rubrics_dir))


def _ctx(request: Request) -> SimpleNamespace:
    return request.app.state.replay_admin


def _field_error(status: int, field: str, msg: str) -> HTTPException:
    return HTTPException(status, [{"loc": ["body", field], "msg": msg, "type": "value_error"}])


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    rubric: str = Field(min_length=1, max_length=2_000_000, description="The rubric file's YAML text.")
    file_name: str = Field(default="rubric.yaml", max_length=200, description="Its name, for messages.")
    from_: date = Field(alias="from", description="First day; widened to the start of its rubric period.")
    to: date = Field(description="Last day; widened to the end of its rubric period.")
    hall: str | None = Field(default=None, pattern=CODE_PATTERN, description="Only this hall (default: every hall).")
    against: str | None = Field(default=None, description="Compare with this version (default: the active one).")


def _job(request: Request, job_id: str) -> jobs.Job:
    job = jobs.get(_ctx(request).state.store, job_id)
    if job is None:
        raise NotFound(f"no replay {job_id!r}")
    return job


@router.post("/replays", status_code=202)
def start_replay(body: ReplayRequest, request: Request):
    ctx = _ctx(request)
    store = ctx.state.store
    try:
        live = live_set(ctx.settings.rubrics_dir)
    except RubricError as exc:
        raise HTTPException(500, f"the live rubrics folder cannot be used: {exc}") from None
    against = body.against or ctx.catalog.get(None).rubric_version
    try:
        ctx.catalog.get(against)
    except NotFound as exc:
        raise _field_error(422, "against", str(exc)) from None
    live_versions = {r.rubric_version for r in live.rubrics} | {ctx.catalog.get(None).rubric_version}
    try:
        job = jobs.new_job(body.rubric, body.file_name, body.from_, body.to, body.hall, against, live_versions)
        from hallscore.replay.fold import with_rubric

        with_rubric(live, job.rubric())  # refuses a rubric that shares rule ids with another live id
    except RubricError as exc:
        raise _field_error(422, "rubric", str(exc)) from None
    except ValueError as exc:
        raise _field_error(422, "to", str(exc)) from None
    job = jobs.save(store, job)
    ctx.runner.start(job)
    return JSONResponse(_links(ctx.runner.status(job)), status_code=202)


def _links(body: dict) -> dict:
    base = f"/v1/admin/replays/{body['id']}"
    return {**body, "links": {"self": base, "diff": f"{base}/diff", "xlsx": f"{base}/diff.xlsx",
                              "rows": f"/v1/halls/{{hall}}/weeks/{{week}}/ranking?rubric_version={body['label']}"}}


@router.get("/replays")
def list_replays(request: Request):
    return {"replays": [_links(_ctx(request).runner.status(j)) for j in jobs.all_jobs(_ctx(request).state.store)]}


@router.get("/replays/{job_id}")
def replay_status(job_id: str, request: Request):
    return _links(_ctx(request).runner.status(_job(request, job_id)))


@router.post("/replays/{job_id}/resume", status_code=202)
def resume_replay(job_id: str, request: Request):
    ctx, job = _ctx(request), _job(request, job_id)
    if job.status == "done":
        raise HTTPException(409, f"replay {job_id} is done; nothing to resume")
    ctx.runner.start(job)
    return JSONResponse(_links(ctx.runner.status(job)), status_code=202)


def _report(request: Request, job_id: str) -> dict:
    ctx, job = _ctx(request), _job(request, job_id)
    if job.status != "done" or ctx.runner.running(job_id):
        raise HTTPException(409, f"replay {job_id} is {ctx.runner.status(job)['status']}; the diff needs it done")
    old, new = ctx.catalog.get(job.against), ctx.catalog.get(job.label)
    return report.diff_report(ctx.state.store, job, old, new, ctx.state.service.halls_config)


@router.get("/replays/{job_id}/diff")
def replay_diff(job_id: str, request: Request):
    return _report(request, job_id)


@router.get("/replays/{job_id}/diff.xlsx")
def replay_diff_xlsx(job_id: str, request: Request):
    data = report.xlsx_bytes(_report(request, job_id))
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="replay-{job_id}-diff.xlsx"'})


class ActivateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=300, description="A rubric version (id@version+digest).")
    note: str = Field(default="", max_length=500)


@router.post("/rubric/activate")
def activate_version(body: ActivateRequest, request: Request):
    ctx = _ctx(request)
    try:
        done = activate(ctx.state.store, body.version, ctx.settings.rubrics_dir,
                        ctx.catalog.get(None).rubric_version, actor=request.client.host if request.client else "",
                        note=body.note)
    except ActivationError as exc:
        raise (_field_error(exc.status, "version", str(exc)) if exc.status < 500 else HTTPException(500, str(exc)))
    ctx.versions.forget()
    return done


@router.get("/rubric/active")
def active_rubric(request: Request):
    ctx = _ctx(request)
    current = ctx.catalog.get(None).rubric_version
    return {"active": current, "source": "activated" if ctx.versions.active() == current else "settings",
            "settings_default": ctx.catalog.default.rubric_version, "history": history(ctx.state.store)}
