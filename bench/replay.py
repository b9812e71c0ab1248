"""Replay bench: a county-year of events in chDB, replayed, against the bare pure fold.

    .venv/bin/python bench/replay.py                 # >= 5M events (a few minutes)
    .venv/bin/python bench/replay.py --events 200000 # smoke run (seconds)

1. generates a county-year (bench/county_year.py, deterministic) into chDB
   raw_events with the fast bulk path (Python(df), PLATFORM.md); reused when the
   folder already holds the same events (--fresh reloads);
2. times the replay engine (hallscore/replay/engine.py) over the whole year:
   bulk reads from ClickHouse, parse_event semantics with upcasters, fold,
   evaluate once per unit-week, ledger rows written back;
3. times the bare pure fold over the same events in the same run: each unit's
   events regenerated in memory (untimed), then parse_event + fold + evaluate
   streamed as the replay streams them (the core's work with no store at all);
   fold+evaluate alone (events parsed beforehand) is sampled on 1 unit in 10;
4. prints events/s of each and the ratio replay / bare fold. Figures, no asserts.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from county_year import INSERT_SQL, County, frame, sized, unit_events  # noqa: E402
from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric  # noqa: E402
from hallscore.core.rubric_set import RubricSet  # noqa: E402
from hallscore.replay import engine, jobs  # noqa: E402
from hallscore.replay.fold import Router, fold  # noqa: E402
from hallscore.store.adapter import open_store  # noqa: E402
from hallscore.store.schema import DDL, ensure_schema  # noqa: E402
from schemas.registry import parse_event  # noqa: E402

LOAD_ROWS = 500_000
SAMPLE = 10


def _bar(label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def load(folder: Path, county: County, fresh: bool) -> int:
    """Generate and bulk-load the county-year; returns the events in raw_events."""
    import chdb.session

    session = chdb.session.Session(str(folder))
    try:
        for stmt in DDL:
            session.query(stmt)
        have = int(str(session.query("SELECT count() FROM raw_events", "CSV")).strip() or 0)
        expected = str(session.query("SELECT uniqExact(hall, unit) FROM raw_events", "CSV")).strip()
        if have and not fresh and expected == str(len(county.unit_keys)):
            print(f"reusing {have:,} events in {folder} (--fresh regenerates)")
            return have
        session.query("TRUNCATE TABLE raw_events")
        t0, pending, n = time.perf_counter(), [], 0
        with _bar("generate + load") as bar:
            task = bar.add_task("load", total=len(county.unit_keys))
            for hall, unit in county.unit_keys:
                pending += unit_events(county, hall, unit)
                if len(pending) >= LOAD_ROWS:
                    n += _insert(session, pending)
                    pending = []
                bar.advance(task)
            n += _insert(session, pending)
        print(f"loaded {n:,} events in {time.perf_counter() - t0:.1f} s (generation included)")
        return n
    finally:
        session.close()


def _insert(session, events: list[dict]) -> int:
    if not events:
        return 0
    df = frame(events)  # noqa: F841 - read by name by Python(df)
    session.query(INSERT_SQL)
    return len(events)


def replay(folder: Path, county: County) -> tuple[engine.Outcome, int]:
    rubric = load_rubric(DEFAULT_RUBRIC)
    store = open_store(f"chdb://{folder}")
    try:
        ensure_schema(store)
        store.execute("TRUNCATE TABLE ledger")  # the bench's own folder: one projection at a time
        job = jobs.new_job(DEFAULT_RUBRIC.read_text(encoding="utf-8"), DEFAULT_RUBRIC.name,
                           *_year(), None, "", live_versions={rubric.rubric_version})
        job = jobs.save(store, job)
        with _bar("replay") as bar:
            task = bar.add_task("replay", total=None)
            out = engine.run(store, job, RubricSet((rubric,)), county.halls_config(),
                             progress=lambda done, total: bar.update(task, completed=done, total=total))
        rows = store.query("SELECT count() FROM ledger FINAL WHERE rubric_version = %(l)s", {"l": job.label})[0][0]
        return out, int(rows)
    finally:
        store.close()


def _year():
    from datetime import date

    return date(2026, 1, 1), date(2026, 12, 31)


def bare(county: County) -> tuple[int, int, float, float]:
    """(events, lines, seconds) of the pure core over the same events, streamed as the
    replay streams them: parse_event -> fold -> evaluate once per unit-week; and the
    seconds of fold+evaluate alone on 1 unit in SAMPLE (events parsed beforehand)."""
    rubric = load_rubric(DEFAULT_RUBRIC)
    halls = county.halls_config()
    router = Router(RubricSet((rubric,)), rubric, halls)
    events = lines = sampled = 0
    seconds = fold_only = 0.0
    with _bar("bare fold") as bar:
        task = bar.add_task("bare", total=len(county.unit_keys))
        for i, (hall, unit) in enumerate(county.unit_keys):
            raws = list(unit_events(county, hall, unit))
            t0 = time.perf_counter()
            got, _ = fold((parse_event(r) for r in raws), rubric, router, halls)
            seconds += time.perf_counter() - t0
            events, lines = events + len(raws), lines + len(got)
            if i % SAMPLE == 0:
                parsed = [parse_event(r) for r in raws]
                t0 = time.perf_counter()
                fold(parsed, rubric, router, halls)
                fold_only += time.perf_counter() - t0
                sampled += len(raws)
            bar.advance(task)
    return events, lines, seconds, sampled / fold_only if fold_only else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=5_000_000, help="about this many events (default 5M)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/hallscore-bench"), help="chDB folder")
    ap.add_argument("--fresh", action="store_true", help="regenerate the events even if present")
    a = ap.parse_args()
    county = sized(a.events)
    print(f"county: {county.halls} halls x {county.units} units x {county.staff} staff, "
          f"{len(county.unit_keys)} units, year 2026")
    folder = (a.dir / f"chdb-{len(county.unit_keys)}u").resolve()
    n = load(folder, county, a.fresh)
    out, rows = replay(folder, county)
    b_events, b_lines, b_seconds, fold_rate = bare(county)
    replay_rate = out.events / out.seconds
    bare_rate = b_events / b_seconds
    print(f"\nevents in raw_events: {n:,}")
    print(f"replay:    {out.events:,} events in {out.seconds:.1f} s = {replay_rate:,.0f} events/s "
          f"({out.lines:,} ledger lines, {rows:,} rows in ledger, {out.rejected} rejected)")
    print(f"bare fold: {b_events:,} events in {b_seconds:.1f} s = {bare_rate:,.0f} events/s "
          f"(parse_event + fold + evaluate, in memory, no store; {b_lines:,} lines)")
    print(f"           fold + evaluate alone (events parsed beforehand, 1 unit in {SAMPLE}): {fold_rate:,.0f} events/s")
    print(f"ratio replay / bare fold: {replay_rate / bare_rate:.2f}  (goal >= 0.5; replay goal >= 50,000 events/s)")
    if b_lines != out.lines:
        print(f"WARNING: the replay wrote {out.lines} lines, the bare fold made {b_lines}")


if __name__ == "__main__":
    main()
