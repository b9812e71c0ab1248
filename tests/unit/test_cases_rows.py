"""Case events -> case_events rows (projector), checked before any INSERT."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services.ranking.rows import CASE_EVENT_COLUMNS, RowError, case_event_row

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


def row(name: str) -> dict:
    return dict(zip(CASE_EVENT_COLUMNS, case_event_row((EXAMPLES / f"{name}.v1.json").read_bytes())))


def test_rows_carry_state_deadlines_and_a_masked_phone():
    opened = row("case.opened")
    assert (opened["seq"], opened["state"], opened["started_on"], opened["due"]) == (1, "open", date(2026, 11, 16), None)
    assert json.loads(opened["payload"])["details"]["citizen_phone"] == "138****0000"
    moved = row("case.deadline_set")
    assert (moved["milestone"], moved["due"], moved["provisional"]) == ("close", date(2027, 1, 26), 0)
    late = row("case.overdue")
    assert (late["milestone"], late["due"], late["kind"]) == ("rectify", date(2026, 11, 23), "bad_review")


def test_poison_and_foreign_records_are_refused():
    for value in (None, b"not json", b"{}", (EXAMPLES / "rectification.overdue.v1.json").read_bytes(),
                  (EXAMPLES / "review.submitted.v1.json").read_bytes()):
        with pytest.raises(RowError):
            case_event_row(value)
