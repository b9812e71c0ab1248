"""What scoring should do with rectification.overdue (the lead wires it):
a finding against payload.rule_id, the item's per_occurrence within its cap,
in the week of the deadline day."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from schemas.registry import parse_event

EXAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "rectification.overdue.v1.json"


def overdue(case_id: str, rule_id: str):
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw["event_id"] = f"{case_id}.overdue-close"
    raw["payload"].update(case_id=case_id, rule_id=rule_id)
    return parse_event(raw)


def test_the_notice_carries_what_scoring_needs():
    e = overdue("pl-0a1b2c3d4e5f6071-005", "tongxu.3.1")
    assert (e.type, e.payload.rule_id, e.payload.count, str(e.payload.deadline)) == (
        "rectification.overdue", "tongxu.3.1", 1, "2026-11-23")
    # The last second of the deadline day: counted in the deadline's week.
    assert e.occurred_at.isoformat() == "2026-11-23T23:59:59+08:00"


def test_two_overdue_items_cost_their_rubric_points_in_the_unit_week():
    from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
    from hallscore.core.rubric_set import RubricSet
    from hallscore.core.schedule import load_halls
    from services.scoring import handler

    rubrics, halls = RubricSet((load_rubric(DEFAULT_RUBRIC),)), load_halls()
    table: dict = {}
    lines = []
    for e in (overdue("pl-0a1b2c3d4e5f6071-005", "tongxu.5.2"), overdue("pl-0a1b2c3d4e5f6071-006", "tongxu.3.1")):
        [scored] = handler.score(e, table.get, rubrics, halls)
        table[scored.key] = scored.state
        lines = scored.current
    got = {(l.rule_id, l.points, l.status) for l in lines if l.kind == "deduction"}
    assert got == {("tongxu.5.2", Decimal("-2"), "applied"), ("tongxu.3.1", Decimal("-3"), "applied")}
