"""Backfill of the ranking pre-aggregates (unit_first_seen, hall_weeks; DDL in schema.py).

Their materialized views only see inserts made after the views were created. Rows that
were already in raw_events / ledger (a store upgraded to this version) are folded in
once, at the ranking service's start, and a marker row in aggregate_backfills says so.
Folding twice is harmless (min and existence are idempotent), so two instances racing,
or a crash between the backfill and its marker, cost time, never correctness.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from hallscore.store.adapter import Store, StoreError

log = logging.getLogger(__name__)

BACKFILLS = {
    "unit_first_seen": (
        "INSERT INTO unit_first_seen SELECT hall, unit, minState(occurred_at) FROM raw_events GROUP BY hall, unit",),
    "hall_weeks": (
        ("INSERT INTO hall_weeks SELECT hall, toMonday(occurred_at, 'Asia/Shanghai') AS monday "
         "FROM raw_events GROUP BY hall, monday"),
        "INSERT INTO hall_weeks SELECT hall, week_monday AS monday FROM ledger GROUP BY hall, monday"),
}


def backfill(store: Store) -> list[str]:
    """Run each backfill that has no marker yet; return the names run. A store that does
    not answer is logged, not raised: the service starts (and answers 503) and the
    backfill runs at its next start; the views keep every new insert meanwhile."""
    try:
        return _backfill(store)
    except StoreError as exc:
        log.warning("pre-aggregate backfill skipped (store unavailable, retried at next start): %s", exc)
        return []


def _backfill(store: Store) -> list[str]:
    done = {name for (name,) in store.query("SELECT DISTINCT name FROM aggregate_backfills")}
    ran = []
    for name, statements in BACKFILLS.items():
        if name in done:
            continue
        for sql in statements:
            store.execute(sql)
        store.insert("aggregate_backfills", ("name", "done_at"), [(name, datetime.now(timezone.utc))])
        log.info("backfilled pre-aggregate %s", name)
        ran.append(name)
    return ran
