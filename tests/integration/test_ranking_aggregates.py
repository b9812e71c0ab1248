"""The ranking's pre-aggregates (unit_first_seen, hall_weeks): fed by materialized views,
and backfilled once for rows that were stored before the views existed. Both backends."""
from __future__ import annotations

import pytest

from hallscore.store.schema import ensure_schema
from services.ranking.aggregates import backfill
from tests.unit.test_ranking_queries import EXPECTED_W47, HALL, as_tuples, seed, service

pytestmark = pytest.mark.integration

VIEWS = ("unit_first_seen_mv", "hall_weeks_events_mv", "hall_weeks_ledger_mv")


def test_views_feed_and_backfill_restores_rows_stored_before_them(store):
    seed(store)  # through the views
    assert as_tuples(service(store).ranking(HALL, "2026-W47")) == EXPECTED_W47
    for name in VIEWS + ("unit_first_seen", "hall_weeks"):
        store.execute(f"DROP TABLE IF EXISTS {name}")
    ensure_schema(store)  # an upgraded store: views and tables new, data already there
    assert as_tuples(service(store).ranking(HALL, "2026-W47")) != EXPECTED_W47
    assert backfill(store) == ["unit_first_seen", "hall_weeks"]
    assert as_tuples(service(store).ranking(HALL, "2026-W47")) == EXPECTED_W47
    assert backfill(store) == []  # once: the marker is kept
    seed(store)  # replayed inserts through the views change nothing (min, existence)
    assert as_tuples(service(store).ranking(HALL, "2026-W47")) == EXPECTED_W47
