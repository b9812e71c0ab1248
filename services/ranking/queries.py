"""Every SQL statement of the ranking service, and one thin function per endpoint.

Portable to ClickHouse 18.16 and chDB 26.9 (PLATFORM.md): no window functions, no CTEs,
at most one JOIN (none here), no toStartOfWeek; sums are cast with toDecimal64(..., 2).

Reading ReplacingMergeTree correctly: rows are read with FINAL, and WHERE only
filters columns of the sorting key (rubric_version, hall, week_monday, unit), which are
equal in every revision of a row. Conditions on columns a newer revision may change
(kind, status, points, occurred_at: a withdrawn line is re-sent as kind 'deduction' at
Monday 00:00) sit inside -If aggregates, so they see only the surviving revision and can
never be moved to PREWHERE ahead of the FINAL merge (a known trap of old servers).

Counting rule: a line counts its points when its status is 'applied' or 'capped' (a capped
line carries what is left after the cap, possibly 0); 'below_threshold', 'unknown_rule' and
'withdrawn' lines count 0 whatever their points say.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hallscore.core.periods import SHANGHAI, IsoWeek
from hallscore.store.adapter import Store

COUNTED = "status IN ('applied', 'capped')"

# Halls and weeks with data come from the hall_weeks pre-aggregate (materialized views on
# raw_events and ledger, schema.py): O(weeks) instead of a scan of both tables.
HALLS_SQL = """
SELECT DISTINCT hall FROM hall_weeks ORDER BY hall
"""

HALL_EXISTS_SQL = """
SELECT count() FROM (
    SELECT hall FROM (SELECT hall FROM ledger WHERE hall = %(hall)s LIMIT 1)
    UNION ALL
    SELECT hall FROM (SELECT hall FROM raw_events WHERE hall = %(hall)s LIMIT 1)
)
"""

UNIT_EXISTS_SQL = """
SELECT count() FROM (
    SELECT unit FROM (SELECT unit FROM raw_events WHERE hall = %(hall)s AND unit = %(unit)s LIMIT 1)
    UNION ALL
    SELECT unit FROM (SELECT unit FROM ledger WHERE hall = %(hall)s AND unit = %(unit)s LIMIT 1)
)
"""

WEEKS_SQL = """
SELECT DISTINCT monday FROM hall_weeks WHERE hall = %(hall)s ORDER BY monday DESC
"""

# (a) per-unit weekly totals of one rubric version.
TOTALS_SQL = f"""
SELECT unit,
       toDecimal64(sumIf(points, kind = 'deduction' AND {COUNTED}), 2) AS deductions,
       toDecimal64(sumIf(points, kind = 'bonus' AND {COUNTED}), 2) AS bonuses
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall = %(hall)s AND week_monday = %(monday)s
GROUP BY unit
ORDER BY unit
"""

# (b) the hall's units: every unit with an event up to the end of the week.
# No FINAL on purpose: hall and unit are in the dedup key (hall, unit, event_id), and a
# re-delivered event carries the same occurred_at (intake refuses a reused event_id with
# another body), so duplicates cannot add or remove a unit. Same answer, 5-14x faster
# (1M events: chDB 84 -> 17 ms, 18.16 166 -> 12 ms).
UNITS_SQL = """
SELECT DISTINCT unit FROM raw_events
WHERE hall = %(hall)s AND occurred_at < %(week_end)s
ORDER BY unit
"""

# (c) vetoed units: an applied veto in the calendar year of the week's Thursday, on or
# before the week's Sunday. week_monday (a key column) only narrows the scan.
VETOED_SQL = """
SELECT unit FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall = %(hall)s
  AND week_monday >= %(scan_from)s AND week_monday <= %(monday)s
GROUP BY unit
HAVING countIf(kind = 'veto' AND status = 'applied'
               AND occurred_at >= %(year_start)s AND occurred_at < %(week_end)s) > 0
ORDER BY unit
"""

# (d) one unit-week's lines (all statuses) ...
LINES_SQL = """
SELECT rule_id, source_id, staff, category, kind, status, points, occurred_at, detail, revision
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall = %(hall)s AND week_monday = %(monday)s
  AND unit = %(unit)s
ORDER BY occurred_at, rule_id, source_id
"""

# ... and, in a second query, the events they cite.
SOURCES_SQL = """
SELECT event_id, `type`, occurred_at, device, staff, payload
FROM raw_events FINAL
WHERE hall = %(hall)s AND event_id IN %(ids)s
"""


@dataclass(frozen=True)
class WeekData:
    units: list[str]
    totals: dict[str, tuple[Decimal, Decimal]]  # unit -> (deductions <= 0, bonuses >= 0)
    vetoed: set[str]


def week_bounds(week: IsoWeek) -> dict:
    """Query parameters of a week; instants are aware, in Asia/Shanghai."""
    thursday = week.monday + timedelta(days=3)  # its calendar year is the ISO week's year
    year_start = datetime(thursday.year, 1, 1, tzinfo=SHANGHAI)
    return {
        "monday": week.monday,
        "week_end": datetime.combine(week.monday + timedelta(days=7), time(0), tzinfo=SHANGHAI),
        "year_start": year_start,
        "scan_from": year_start.date() - timedelta(days=6),
    }


def halls(store: Store) -> list[str]:
    return [h for (h,) in store.query(HALLS_SQL)]


def hall_has_data(store: Store, hall: str) -> bool:
    return store.query(HALL_EXISTS_SQL, {"hall": hall})[0][0] > 0


def unit_has_data(store: Store, hall: str, unit: str) -> bool:
    return store.query(UNIT_EXISTS_SQL, {"hall": hall, "unit": unit})[0][0] > 0


def weeks(store: Store, hall: str) -> list[date]:
    """Mondays of the weeks with data, newest first."""
    return [m for (m,) in store.query(WEEKS_SQL, {"hall": hall})]


def week_data(store: Store, rv: str, hall: str, week: IsoWeek) -> WeekData:
    """(a) + (b) + (c): what the ranking of one week needs."""
    p = {"rv": rv, "hall": hall, **week_bounds(week)}
    totals = {u: (d, b) for u, d, b in store.query(TOTALS_SQL, p)}
    units = sorted({u for (u,) in store.query(UNITS_SQL, p)} | set(totals))
    vetoed = {u for (u,) in store.query(VETOED_SQL, p)}
    return WeekData(units, totals, vetoed)


def unit_lines(store: Store, rv: str, hall: str, week: IsoWeek, unit: str) -> list[dict]:
    """(d) the unit-week's lines, each with `source_event` (None if not in raw_events)."""
    lines = store.query_dicts(LINES_SQL, {"rv": rv, "hall": hall, "monday": week.monday,
                                          "unit": unit})
    ids = tuple(sorted({line["source_id"] for line in lines}))
    sources = {}
    if ids:
        sources = {e["event_id"]: e for e in store.query_dicts(SOURCES_SQL,
                                                               {"hall": hall, "ids": ids})}
    for line in lines:
        line["source_event"] = sources.get(line["source_id"])
    return lines
