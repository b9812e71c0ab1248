"""Annual components a manager records (folding.year, source: manual), in ClickHouse.

Every recording is a new row (the table keeps the history); the value in force is the
one with the highest revision (nanoseconds since the epoch at recording), read with
argMax(value, (revision, recorded_at)) so ties can never pick a row at random.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from hallscore.core.periods import SHANGHAI
from hallscore.core.rubric import Rubric
from hallscore.store.adapter import Store

from .common import BadInput, money
from .period_queries import key

COLUMNS = ("hall", "year", "unit", "component_id", "value", "recorded_at", "recorded_by", "note", "revision")

LATEST_SQL = """
SELECT hall, unit, component_id, argMax(value, (revision, recorded_at)) AS value
FROM year_components
WHERE hall IN %(halls)s AND year = %(year)s
GROUP BY hall, unit, component_id
"""

HISTORY_SQL = """
SELECT component_id, value, recorded_at, recorded_by, note
FROM year_components
WHERE hall = %(hall)s AND year = %(year)s AND unit = %(unit)s
ORDER BY revision
"""


def manual_component(rubric: Rubric, component_id: str):
    folding = rubric.folding.year
    manual = [c for c in (folding.components if folding else ()) if c.source == "manual"]
    found = next((c for c in manual if c.id == component_id), None)
    if found is None:
        raise BadInput("component", f"{component_id!r} is not a manually recorded component of "
                       f"{rubric.rubric_version} (known: {', '.join(c.id for c in manual) or 'none'})")
    return found


def record(store: Store, hall: str, year: int, unit: str, component_id: str, value: Decimal,
           recorded_by: str, note: str) -> dict:
    now = datetime.now(timezone.utc)
    revision = time.time_ns()
    store.insert("year_components", COLUMNS,
                 [(hall, year, unit, component_id, value, now, recorded_by, note, revision)])
    return {"hall": hall, "year": year, "unit": unit, "component": component_id, "value": money(value),
            "recorded_at": now.astimezone(SHANGHAI).isoformat(timespec="seconds"), "recorded_by": recorded_by,
            "note": note}


def latest(store: Store, halls: list[str], year: int) -> dict[str, dict[str, Decimal]]:
    """'hall/unit' -> component id -> value in force."""
    out: dict[str, dict[str, Decimal]] = {}
    for hall, unit, cid, value in store.query(LATEST_SQL, {"halls": tuple(halls) or ("",), "year": year}):
        out.setdefault(key(hall, unit), {})[cid] = value
    return out


def history(store: Store, hall: str, year: int, unit: str) -> list[dict]:
    return [{"component": c, "value": money(v), "recorded_at": at.isoformat(), "recorded_by": by, "note": note}
            for c, v, at, by, note in store.query(HISTORY_SQL, {"hall": hall, "year": year, "unit": unit})]
