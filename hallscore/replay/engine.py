"""Running a replay job: archive -> pure fold -> ledger rows under the job's label.

One (hall, unit) at a time: its events in the job's span are read in one bulk
query (read.py), decoded through the upcasters, folded and evaluated once per
unit-period (fold.py), and its ledger rows are written. Rows are inserted in
batches of a few units; only after a batch's rows are in `ledger` are its units
recorded in `replay_units`, so an interrupted job resumes by skipping exactly the
units already written (a unit written twice is harmless: the same key and
revision replace themselves). No HTTP, no Kafka: the ranking service runs it in a
thread (services/ranking/admin.py), the CLI in-process (`--clickhouse-url`).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from hallscore.core.ledger import LedgerLine
from hallscore.core.rubric import Rubric
from hallscore.core.rubric_set import RubricSet
from hallscore.core.schedule import HallsConfig
from hallscore.store.adapter import Store
from hallscore.store.schema import LEDGER_COLUMNS

from . import jobs, read
from .fold import Router, fold, with_rubric

CENT = Decimal("0.01")
BATCH_ROWS = 20_000
BATCH_UNITS = 50
Progress = Callable[[int, int], None]  # (events done, events total)


class Stopped(Exception):
    """The job was asked to stop; what is written stays, a resume continues."""


@dataclass
class Outcome:
    job: jobs.Job
    events: int = 0  # read in this run (units skipped on resume not counted)
    lines: int = 0
    rejected: int = 0
    seconds: float = 0.0
    skipped_units: int = 0
    first_errors: list[str] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def ledger_row(line: LedgerLine, label: str) -> tuple:
    """A LedgerLine as a `ledger` row under a projection label (points to cents, as the projector)."""
    return (label, line.rule_id, line.source_id, line.hall, line.unit, line.staff, line.category, line.kind,
            line.status, line.points.quantize(CENT, ROUND_HALF_UP), line.week_monday, line.occurred_at, line.detail,
            line.revision, line.period)


assert LEDGER_COLUMNS[0] == "rubric_version" and LEDGER_COLUMNS[-1] == "period" and len(LEDGER_COLUMNS) == 15


def run(store: Store, job: jobs.Job, live: RubricSet, halls: HallsConfig, *,
        progress: Progress | None = None, stop: threading.Event | None = None) -> Outcome:
    """Run (or resume) a stored job to the end. Raises Stopped when `stop` is set."""
    rubric: Rubric = job.rubric()
    router = Router(with_rubric(live, rubric), rubric, halls)
    work = read.units(store, job.start, job.end, job.hall or None)
    done = jobs.done_units(store, job.id)
    total = sum(w.events for w in work)
    job = jobs.save(store, job, status="running", events_total=total, units_total=len(work), error="")
    out = Outcome(job)
    started = time.perf_counter()
    finished = sum(done.get((w.hall, w.unit), 0) for w in work)
    out.skipped_units = sum(1 for w in work if (w.hall, w.unit) in done)
    rows: list[tuple] = []
    units: list[tuple] = []

    def flush() -> None:
        if rows:
            store.insert("ledger", LEDGER_COLUMNS, rows)
        if units:
            jobs.mark_done(store, job.id, units)
        rows.clear()
        units.clear()

    if progress:
        progress(finished, total)
    for w in work:
        if (w.hall, w.unit) in done:
            continue
        if stop is not None and stop.is_set():
            flush()
            raise Stopped(job.id)
        rejected = read.Rejected()
        cols = read.unit_events(store, w.hall, w.unit, job.start, job.end)
        lines, _ = fold(read.decode(*cols, rejected), rubric, router, halls)
        rows.extend(ledger_row(line, job.label) for line in lines)
        n = len(cols[0])
        units.append((w.hall, w.unit, n, len(lines), rejected.count, "; ".join(rejected.first[:1])))
        out.events, out.lines, out.rejected = out.events + n, out.lines + len(lines), out.rejected + rejected.count
        out.first_errors.extend(rejected.first[: max(0, 5 - len(out.first_errors))])
        finished += n
        if len(rows) >= BATCH_ROWS or len(units) >= BATCH_UNITS:
            flush()
        if progress:
            progress(finished, total)
    flush()
    out.seconds = time.perf_counter() - started
    out.job = jobs.save(store, job, status="done")
    return out


def run_guarded(store: Store, job: jobs.Job, live: RubricSet, halls: HallsConfig, **kw) -> Outcome | None:
    """run(), recording a failure on the job instead of raising (for background threads)."""
    try:
        return run(store, job, live, halls, **kw)
    except Stopped:
        return None
    except Exception as exc:  # noqa: BLE001 - the job must say why it stopped
        try:
            jobs.save(store, jobs.get(store, job.id) or job, status="failed", error=f"{type(exc).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the store itself may be what failed
            pass
        raise
