"""Small builders for events in unit tests."""
from __future__ import annotations

import itertools

from schemas.registry import parse_event

_ids = itertools.count(1)


def event(type_: str, at: str, payload: dict, *, staff: str | None = "s1", unit: str = "u1", hall: str = "tx",
          event_id: str | None = None):
    raw = {"event_id": event_id or f"evt-{next(_ids):08d}", "type": type_, "schema_version": 1, "occurred_at": at,
           "hall": hall, "unit": unit, "device": "dev-1", "payload": payload}
    if staff is not None:
        raw["staff"] = staff
    return parse_event(raw)


def clock(at: str, direction: str = "in", **kw):
    return event("attendance.clock", at, {"direction": direction}, **kw)


def review(at: str, level: str, **kw):
    return event("review.submitted", at, {"level": level, "channel": "evaluator", "real_name": True}, **kw)


def finding(at: str, rule_id: str, count: int = 1, **kw):
    return event("supervision.finding", at, {"rule_id": rule_id, "count": count, "inspector": "环境股"}, **kw)
