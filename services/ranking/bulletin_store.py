"""SQL of the 周通报: its deductions summary, the line set it is frozen with, and the
published snapshots (table `bulletins`, DDL in hallscore/store/schema.py)."""
from __future__ import annotations

import json
from datetime import date

from hallscore.core.restatement import LineSet, line_set
from hallscore.store.adapter import Store

from .queries import COUNTED

BULLETIN_COLUMNS = ("hall", "week_monday", "week", "publish_id", "rubric_version", "published_at",
                    "published_by", "ledger_rows", "ledger_max_revision", "body", "lines")

# Deductions and bonuses per unit and rule that cost or gave points this week.
SUMMARY_SQL = f"""
SELECT unit, rule_id, kind,
       countIf({COUNTED} AND points != 0) AS n,
       toDecimal64(sumIf(points, {COUNTED}), 2) AS pts
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall = %(hall)s AND week_monday = %(monday)s
GROUP BY unit, rule_id, kind
HAVING n > 0 AND kind != 'veto'
ORDER BY unit, pts, rule_id
"""

# Every line of the hall-week, latest revision: the set a bulletin is frozen with.
LINES_SQL = """
SELECT unit, source_id, rule_id, kind, status, points, revision
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall = %(hall)s AND week_monday = %(monday)s
"""

RECEIVED_SQL = """
SELECT event_id, min(received_at) AS received_at
FROM raw_events
WHERE hall = %(hall)s AND event_id IN %(ids)s
GROUP BY event_id
"""

PUBLISHED_SQL = """
SELECT publish_id, rubric_version, published_at, published_by, ledger_rows, ledger_max_revision, body, lines
FROM bulletins
WHERE hall = %(hall)s AND week_monday = %(monday)s
ORDER BY published_at, publish_id
LIMIT 1
"""

PUBLISHED_WEEKS_SQL = """
SELECT week, min(published_at) AS published_at
FROM bulletins
WHERE hall = %(hall)s
GROUP BY week
ORDER BY week DESC
"""


def summary(store: Store, rv: str, hall: str, monday: date) -> list[tuple]:
    """(unit, rule_id, kind, occurrences, points) rows."""
    return store.query(SUMMARY_SQL, {"rv": rv, "hall": hall, "monday": monday})


def lines(store: Store, rv: str, hall: str, monday: date) -> tuple[LineSet, int, int]:
    """(line set, number of lines, highest revision) of the hall-week."""
    rows = store.query(LINES_SQL, {"rv": rv, "hall": hall, "monday": monday})
    return (line_set(r[:6] for r in rows), len(rows), max((r[6] for r in rows), default=0))


def received(store: Store, hall: str, ids: list[str]) -> dict:
    if not ids:
        return {}
    return dict(store.query(RECEIVED_SQL, {"hall": hall, "ids": tuple(ids)}))


def published(store: Store, hall: str, monday: date) -> dict | None:
    rows = store.query_dicts(PUBLISHED_SQL, {"hall": hall, "monday": monday})
    if not rows:
        return None
    row = rows[0]
    row["body"], row["lines"] = json.loads(row["body"]), json.loads(row["lines"])
    return row


def published_weeks(store: Store, hall: str) -> dict[str, object]:
    return dict(store.query(PUBLISHED_WEEKS_SQL, {"hall": hall}))


def insert(store: Store, row: dict) -> None:
    store.insert("bulletins", BULLETIN_COLUMNS, [tuple(row[c] for c in BULLETIN_COLUMNS)])
