"""Replay jobs as data in ClickHouse (tables `replays` and `replay_units`, store/schema.py).

A job names the rubric it replays (the file's text as uploaded, so the projection
stays readable and auditable), the span, an optional hall, the version it is
compared against, and the projection label its ledger rows are written under:

  * a rubric version nobody scores live (a draft, a corrected rubric) is written
    under its own rubric_version — blue/green beside the live one;
  * a version the live worker scores already gets `<rubric_version>~replay-<id>`,
    so a replay never overwrites live rows (and the two can be compared row by row).

Progress is the set of (hall, unit) pairs written completely (`replay_units`): a
resumed job skips them. Status: created -> running -> done | failed; a job found
`running` with no thread working on it (the process stopped) reads as interrupted.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

from hallscore.core.periods import SHANGHAI, period_label, period_range
from hallscore.core.rubric import Rubric, RubricError, parse_any_rubric
from hallscore.store.adapter import Store

LABEL_MARK = "~replay-"
_COLUMNS = ("id", "label", "rubric_version", "rubric_id", "file_name", "rubric_text", "against", "date_from",
            "date_to", "hall", "status", "events_total", "units_total", "error", "created_at", "updated_at",
            "updated_ns")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM replays FINAL"


@dataclass(frozen=True)
class Job:
    id: str
    label: str
    rubric_version: str
    rubric_id: str
    file_name: str
    rubric_text: str
    against: str
    date_from: date  # first day of the first rubric period replayed
    date_to: date  # last day of the last one
    hall: str  # '' = every hall with events
    status: str
    events_total: int = 0
    units_total: int = 0
    error: str = ""
    created_at: datetime | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, dtime(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """Exclusive: 00:00 after date_to, Asia/Shanghai."""
        return datetime.combine(self.date_to + timedelta(days=1), dtime(0), tzinfo=SHANGHAI)

    def rubric(self) -> Rubric:
        return load_rubric_text(self.rubric_text, self.file_name)

    def public(self) -> dict:
        d = asdict(self)
        del d["rubric_text"]
        d.update(date_from=self.date_from.isoformat(), date_to=self.date_to.isoformat(),
                 created_at=self.created_at.isoformat() if self.created_at else None)
        return d


def load_rubric_text(text: str, file_name: str = "rubric.yaml") -> Rubric:
    """An assessment rubric from uploaded YAML; RubricError names the line and field."""
    r = parse_any_rubric(text, file_name)
    if not isinstance(r, Rubric):
        raise RubricError(f"{file_name}: kind {r.kind}: only assessment rubrics score and rank, so only they replay")
    return r


def whole_periods(rubric: Rubric, first: date, last: date) -> tuple[date, date]:
    """[first, last] widened to whole periods of the rubric: a period is folded whole or not at all."""
    if last < first:
        raise ValueError(f"'to' {last} is before 'from' {first}")
    at = lambda d: datetime.combine(d, dtime(12), tzinfo=SHANGHAI)  # noqa: E731
    return period_range(period_label(rubric.period, at(first)))[0], period_range(period_label(rubric.period, at(last)))[1]


def new_job(rubric_text: str, file_name: str, first: date, last: date, hall: str | None, against: str,
            live_versions: set[str]) -> Job:
    """A job (not yet stored). Raises RubricError (bad file) or ValueError (bad span)."""
    rubric = load_rubric_text(rubric_text, file_name)
    start, end = whole_periods(rubric, first, last)
    if (end - start).days > 3 * 366:
        raise ValueError("a replay spans at most three years; split it")
    job_id = f"{datetime.now(SHANGHAI):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    rv = rubric.rubric_version
    label = f"{rv}{LABEL_MARK}{job_id}" if rv in live_versions else rv
    return Job(job_id, label, rv, rubric.id, Path(file_name).name or "rubric.yaml", rubric_text, against or "",
               start, end, hall or "", "created", created_at=datetime.now(SHANGHAI).replace(microsecond=0))


def save(store: Store, job: Job, **changes) -> Job:
    """Write the job's new state (a new row; the latest updated_ns wins)."""
    job = replace(job, **changes)
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    row = {**asdict(job), "updated_at": now, "updated_ns": time.time_ns()}
    store.insert("replays", _COLUMNS, [tuple(row[c] for c in _COLUMNS)])
    return job


def _job(row: tuple) -> Job:
    d = dict(zip(_COLUMNS, row))
    for k in ("updated_at", "updated_ns"):
        d.pop(k)
    return Job(**d)


def get(store: Store, job_id: str) -> Job | None:
    rows = store.query(f"{_SELECT} WHERE id = %(id)s", {"id": job_id})
    return _job(rows[0]) if rows else None


def all_jobs(store: Store, limit: int = 100) -> list[Job]:
    return [_job(r) for r in store.query(f"{_SELECT} ORDER BY created_at DESC, id DESC LIMIT {int(limit)}")]


def by_label(store: Store, label: str) -> Job | None:
    """The latest finished job that wrote `label` (a rubric version or a ~replay- label)."""
    rows = store.query(f"{_SELECT} WHERE label = %(label)s AND status = 'done' ORDER BY created_at DESC LIMIT 1",
                       {"label": label})
    return _job(rows[0]) if rows else None


def text_of(store: Store, rubric_version: str) -> tuple[str, str] | None:
    """(rubric text, file name) of any job that replayed this rubric version."""
    rows = store.query("SELECT rubric_text, file_name FROM replays WHERE rubric_version = %(rv)s LIMIT 1",
                       {"rv": rubric_version})
    return (rows[0][0], rows[0][1]) if rows else None


# -- progress ----------------------------------------------------------------------
UNIT_COLUMNS = ("id", "hall", "unit", "events", "lines", "rejected", "first_error", "done_at")


def done_units(store: Store, job_id: str) -> dict[tuple[str, str], int]:
    """(hall, unit) -> events, of the units a job has written completely."""
    rows = store.query("SELECT hall, unit, events FROM replay_units FINAL WHERE id = %(id)s", {"id": job_id})
    return {(h, u): int(n) for h, u, n in rows}


def mark_done(store: Store, job_id: str, units: list[tuple[str, str, int, int, int, str]]) -> None:
    """Record (hall, unit, events, lines, rejected, first_error) as written."""
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    store.insert("replay_units", UNIT_COLUMNS, [(job_id, *u, now) for u in units])


def progress(store: Store, job_id: str) -> dict:
    rows = store.query("""SELECT count(), sum(events), sum(lines), sum(rejected), anyIf(first_error, first_error != '')
                          FROM replay_units FINAL WHERE id = %(id)s""", {"id": job_id})
    units, events, lines, rejected, first_error = rows[0]
    return {"units_done": int(units), "events_done": int(events or 0), "lines": int(lines or 0),
            "rejected": int(rejected or 0), "first_error": first_error or ""}


def with_percent(body: dict) -> dict:
    """A status body with `percent` of the events done."""
    total = body.get("events_total") or 0
    body["percent"] = round(100 * body.get("events_done", 0) / total, 1) if total else (
        100.0 if body.get("status") == "done" else 0.0)
    return body
