"""A rebuilt scoring lineage retires the lines of the lost one (services/ranking/lineage.py),
on chDB and on the ClickHouse server: lines the new lineage rewrites win row by row; a line
only the old lineage wrote is withdrawn; another unit-period is untouched; a second batch of
the same lineage costs nothing."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from hallscore.core.ledger import LINEAGE_SHIFT
from hallscore.store.schema import LEDGER_COLUMNS, ensure_schema
from services.ranking.lineage import Lineages
from services.ranking.rows import ledger_row

pytestmark = pytest.mark.integration
RV, HALL, OLD, NEW = "tongxu-weekly-2023@1+abc", "tongxu-county", 1_700_000_000, 1_800_000_000


def line(unit: str, source: str, rule: str, points: str, epoch: int, count: int, status: str = "applied") -> tuple:
    """A ledger row as the projector builds it from the scoring worker's message."""
    return ledger_row(json.dumps({
        "rubric_version": RV, "rule_id": rule, "source_id": source, "hall": HALL, "unit": unit, "staff": "s1",
        "category": "4", "kind": "deduction", "points": points, "status": status, "week_monday": "2026-11-16",
        "occurred_at": "2026-11-17T09:00:00+08:00", "detail": "", "revision": (epoch << LINEAGE_SHIFT) | count,
        "period": "2026-W47"}).encode())


def totals(store) -> dict[tuple[str, str], tuple[str, Decimal]]:
    rows = store.query("SELECT unit, source_id, status, points FROM ledger FINAL WHERE hall = %(h)s", {"h": HALL})
    return {(u, s): (st, Decimal(p)) for u, s, st, p in rows}


def test_a_rebuilt_lineage_retires_what_only_the_old_one_wrote(store):
    ensure_schema(store)
    old = [line("tx-rsj", "e1", "tongxu.4.10", "-2.00", OLD, 5),
           line("tx-rsj", "e2", "tongxu.4.7", "-1.00", OLD, 7),      # only the old lineage saw a reason
           line("tx-gaj", "e9", "tongxu.4.10", "-2.00", OLD, 3)]     # another unit: untouched
    store.insert("ledger", LEDGER_COLUMNS, old)
    lineages = Lineages()
    new = [line("tx-rsj", "e1", "tongxu.4.10", "-2.00", NEW, 2)]     # rewritten at a LOWER count
    retire = lineages.retire_older(store, new)
    src, status = LEDGER_COLUMNS.index("source_id"), LEDGER_COLUMNS.index("status")
    assert sorted((r[src], r[status]) for r in retire) == [("e1", "withdrawn"), ("e2", "withdrawn")]
    store.insert("ledger", LEDGER_COLUMNS, new + retire)
    assert totals(store) == {("tx-rsj", "e1"): ("applied", Decimal("-2.00")),
                             ("tx-rsj", "e2"): ("withdrawn", Decimal("0.00")),
                             ("tx-gaj", "e9"): ("applied", Decimal("-2.00"))}
    assert lineages.retire_older(store, [line("tx-rsj", "e3", "tongxu.4.10", "-2.00", NEW, 3)]) == []
    # a fresh projector (empty cache) finds nothing more to retire either
    assert Lineages().retire_older(store, new) == []
    # lineage 0 (replays, tests) is never compared
    assert Lineages().retire_older(store, [line("tx-gaj", "e9", "tongxu.4.10", "-2.00", 0, 9)]) == []
