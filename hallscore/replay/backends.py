"""Where the CLI's replay runs: the running ranking service (HTTP) or a store it opens itself.

`Remote` talks to /v1/admin of the ranking service (services/ranking/admin.py): in
the embedded default that process holds the chDB folder, and in production it is the
one process that serves rankings. `Direct` opens a store the CLI may open (a
ClickHouse server, or a chdb:// folder no process holds) and runs the same library
in the foreground. Both answer with the same JSON shapes.
"""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Callable

import httpx

from hallscore.core.schedule import HallsConfig

from . import engine, jobs, report

Progress = Callable[[int, int], None]


class BackendError(Exception):
    """The replay could not be done; the message says why (and what to do)."""


class _Closing:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Remote(_Closing):
    def __init__(self, url: str, token: str = "", timeout_s: float = 120.0):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def _call(self, method: str, path: str, **kw) -> httpx.Response:
        try:
            r = self.http.request(method, f"/v1/admin{path}", **kw)
        except httpx.HTTPError as exc:
            raise BackendError(f"the ranking service at {self.url} does not answer ({exc}); is it running? "
                               "(or give --clickhouse-url to run the replay here)") from None
        if r.status_code >= 400:
            raise BackendError(_problem(r))
        return r

    def start(self, text: str, file_name: str, first: date, last: date, hall: str | None, against: str | None,
              progress: Progress) -> dict:
        body = {"rubric": text, "file_name": file_name, "from": first.isoformat(), "to": last.isoformat(),
                "hall": hall, "against": against}
        return self._follow(self._call("POST", "/replays", json=body).json()["id"], progress)

    def resume(self, job_id: str, progress: Progress) -> dict:
        self._call("POST", f"/replays/{job_id}/resume")
        return self._follow(job_id, progress)

    def _follow(self, job_id: str, progress: Progress) -> dict:
        while True:
            status = self.status(job_id)
            progress(status.get("events_done", 0), status.get("events_total", 0))
            if status["status"] != "running":
                return status
            time.sleep(0.3)

    def status(self, job_id: str) -> dict:
        return self._call("GET", f"/replays/{job_id}").json()

    def all(self) -> list[dict]:
        return self._call("GET", "/replays").json()["replays"]

    def diff(self, job_id: str) -> dict:
        return self._call("GET", f"/replays/{job_id}/diff").json()

    def xlsx(self, job_id: str) -> bytes:
        return self._call("GET", f"/replays/{job_id}/diff.xlsx").content

    def activate(self, version: str, note: str) -> dict:
        return self._call("POST", "/rubric/activate", json={"version": version, "note": note}).json()

    def close(self) -> None:
        self.http.close()


def _problem(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail")
    except ValueError:
        detail = r.text[:500]
    if isinstance(detail, list):
        detail = "; ".join(f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail)
    return f"{r.status_code}: {detail}"


class Direct(_Closing):
    """The library against a store this process opens (never a chDB folder a service holds)."""

    def __init__(self, clickhouse_url: str, rubrics_dir: Path, rubric_file: Path, halls: HallsConfig):
        from hallscore.core.rubric_set import load_rubric_set, rubric_files
        from hallscore.store.adapter import StoreUnavailable, open_store
        from hallscore.store.schema import ensure_schema
        from services.ranking.activation import StoredVersions
        from services.ranking.report import Catalog

        try:
            self.store = open_store(clickhouse_url)
        except StoreUnavailable as exc:
            raise BackendError(f"{exc}. If the ranking service holds it, drop --clickhouse-url: the CLI then asks "
                               "the service (--ranking-url) to run the replay") from None
        try:
            ensure_schema(self.store)
            self.rubrics_dir, self.halls = rubrics_dir, halls
            self.live = load_rubric_set(rubric_files(rubrics_dir))
            self.catalog = Catalog(rubric_file)
            self.catalog.versions = StoredVersions(lambda: self.store, rubrics_dir)
        except Exception:
            self.store.close()
            raise

    def start(self, text: str, file_name: str, first: date, last: date, hall: str | None, against: str | None,
              progress: Progress) -> dict:
        from hallscore.core.rubric import RubricError

        from .fold import with_rubric

        from services.ranking.common import NotFound

        against = against or self.catalog.get(None).rubric_version
        try:
            self.catalog.get(against)
        except NotFound as exc:
            raise BackendError(f"--against: {exc}") from None
        live_versions = {r.rubric_version for r in self.live.rubrics} | {self.catalog.get(None).rubric_version}
        try:
            job = jobs.new_job(text, file_name, first, last, hall, against, live_versions)
            with_rubric(self.live, job.rubric())
        except (RubricError, ValueError) as exc:
            raise BackendError(str(exc)) from None
        return self._run(jobs.save(self.store, job), progress)

    def resume(self, job_id: str, progress: Progress) -> dict:
        job = self._job(job_id)
        if job.status == "done":
            raise BackendError(f"replay {job_id} is done; nothing to resume")
        return self._run(job, progress)

    def _run(self, job: jobs.Job, progress: Progress) -> dict:
        out = engine.run_guarded(self.store, job, self.live, self.halls, progress=progress)
        return {**self.status(job.id), "seconds": round(out.seconds, 2), "events_per_s": round(out.events_per_s),
                "first_errors": out.first_errors}

    def _job(self, job_id: str) -> jobs.Job:
        job = jobs.get(self.store, job_id)
        if job is None:
            raise BackendError(f"no replay {job_id!r}")
        return job

    def status(self, job_id: str) -> dict:
        job = self._job(job_id)
        body = {**job.public(), **jobs.progress(self.store, job_id)}
        if job.status == "running":
            body["status"] = "interrupted"
        return jobs.with_percent(body)

    def all(self) -> list[dict]:
        return [self.status(j.id) for j in jobs.all_jobs(self.store)]

    def diff(self, job_id: str) -> dict:
        job = self._job(job_id)
        if job.status != "done":
            raise BackendError(f"replay {job_id} is {job.status}; the diff needs it done")
        return report.diff_report(self.store, job, self.catalog.get(job.against), self.catalog.get(job.label),
                                  self.halls)

    def xlsx(self, job_id: str) -> bytes:
        return report.xlsx_bytes(self.diff(job_id))

    def activate(self, version: str, note: str) -> dict:
        from services.ranking.activation import ActivationError, activate

        try:
            return activate(self.store, version, self.rubrics_dir, self.catalog.get(None).rubric_version,
                            actor="cli", note=note)
        except ActivationError as exc:
            raise BackendError(str(exc)) from None

    def close(self) -> None:
        self.store.close()
