"""整改 (rectification) summary for the dashboard, from the `case_events` read model.

The rectification service owns the cases; the projector copies every case transition
into `case_events`. When that table is missing or empty the dashboard says 整改数据暂无.
A case's current state is argMax(state, seq) (seq is unique per case, so no ties); a
case is overdue when it has any case.overdue transition.
"""
from __future__ import annotations

import logging

from hallscore.store.adapter import Store, StoreError

log = logging.getLogger(__name__)

TABLE_SQL = """
SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'case_events'
"""

SUMMARY_SQL = """
SELECT unit, count() AS cases, countIf(current_state != 'closed') AS open,
       countIf(overdue_marks > 0) AS overdue,
       countIf(current_state = 'closed' AND overdue_marks = 0) AS closed_on_time
FROM (
    SELECT unit, case_id, argMax(state, seq) AS current_state,
           countIf(`type` = 'case.overdue') AS overdue_marks
    FROM case_events
    WHERE hall = %(hall)s
    GROUP BY unit, case_id
)
GROUP BY unit
ORDER BY unit
"""


def summary(store: Store, hall: str) -> list[dict] | None:
    """Per unit {unit, cases, open, overdue, closed_on_time}; None when there is no case data."""
    try:
        if not store.query(TABLE_SQL)[0][0]:
            return None
        rows = store.query_dicts(SUMMARY_SQL, {"hall": hall})
    except StoreError as exc:
        log.warning("rectification summary unavailable: %s", exc)
        return None
    return rows or None
