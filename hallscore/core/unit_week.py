"""The running state of one unit's week, folded from events.

The fold is idempotent and order-independent: events are remembered by id,
punches keep the earliest clock-in and latest clock-out per session, and
counters only move for an id not seen before. So a duplicate, a redelivery
or a different order never changes the result (tests/unit/test_properties).
The state is plain JSON so faust can keep it in a table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hallscore.core.periods import IsoWeek, local
from hallscore.core.schedule import Schedule, session_of
from schemas.envelope import Envelope
from schemas.events_v1 import DISSATISFIED_LEVELS

# Event type -> fact kind, for events that are a fact by themselves.
_SUPERVISION_KINDS = {
    "supervision.finding": "finding",
    "supervision.commendation": "commendation",
    "supervision.veto": "veto",
}


def week_key(hall: str, unit: str, week: IsoWeek) -> str:
    return f"{hall}/{unit}/{week}"


def week_of(event: Envelope) -> IsoWeek:
    return IsoWeek.of(event.occurred_at)


@dataclass
class UnitWeek:
    hall: str
    unit: str
    week: str
    seen: set[str] = field(default_factory=set)
    # "staff|date|session" -> {"in": [iso, event_id], "out": [iso, event_id]}
    punches: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # source event id -> fact dict (kind, staff, at, count, rule_id, detail)
    facts: dict[str, dict] = field(default_factory=dict)
    reviews: int = 0
    dissatisfied: dict[str, dict] = field(default_factory=dict)
    transactions: int = 0
    # (source_id|rule_id) -> points last emitted, so only changes are sent.
    emitted: dict[str, str] = field(default_factory=dict)

    @property
    def revision(self) -> int:
        # Grows with every distinct event folded in, whatever the order:
        # the ledger's ReplacingMergeTree keeps the row of the highest one.
        return len(self.seen)

    # -- folding --------------------------------------------------------
    def apply(self, event: Envelope, schedule: Schedule) -> bool:
        """Fold one event in. Returns False for an event already folded."""
        if event.event_id in self.seen:
            return False
        self.seen.add(event.event_id)
        at = local(event.occurred_at).isoformat()
        p = getattr(event, "payload", None)
        t = event.type
        if t == "attendance.clock":
            self._punch(event, schedule)
        elif t == "attendance.leave":
            if not p.approved:
                self._fact(event, "leave_unapproved", at, detail=f"请假未履行手续 {p.reason}".strip())
            if p.cover_staff is None:
                self._fact(event, "leave_without_cover", at, detail="请假未安排人员顶岗", suffix="cover")
        elif t == "attendance.temporary_absence":
            if not p.sign_displayed:
                self._fact(event, "unsigned_absence", at, detail=f"暂离 {p.minutes} 分钟未放暂离牌")
        elif t == "review.submitted":
            self.reviews += 1
            if p.level in DISSATISFIED_LEVELS:
                self.dissatisfied[event.event_id] = {"staff": event.staff or "", "at": at, "level": p.level}
        elif t == "transaction.completed":
            self.transactions += 1
        elif t == "complaint.outcome":
            if p.substantiated:
                self._fact(event, "complaint_substantiated", at, detail=f"投诉 {p.complaint_id} 属实 {p.note}".strip())
        elif t in _SUPERVISION_KINDS:
            self._fact(event, _SUPERVISION_KINDS[t], at, rule_id=p.rule_id, count=p.count,
                       detail=f"{p.note} (检查人 {p.inspector})".strip())
        return True

    def _fact(self, event: Envelope, kind: str, at: str, *, detail: str = "", rule_id: str = "",
              count: int = 1, suffix: str = "") -> None:
        key = event.event_id + (f"#{suffix}" if suffix else "")
        self.facts[key] = {"kind": kind, "source": event.event_id, "staff": event.staff or "", "at": at,
                           "count": count, "rule_id": rule_id, "detail": detail}

    def _punch(self, event: Envelope, schedule: Schedule) -> None:
        slot = session_of(schedule, event.occurred_at)
        if slot is None:
            return
        key = f"{event.staff}|{slot.day.isoformat()}|{slot.session.name}"
        entry = self.punches.setdefault(key, {})
        at = local(event.occurred_at).isoformat()
        mine = [at, event.event_id]
        d = event.payload.direction
        held = entry.get(d)
        # Ties broken by event id so the result never depends on order.
        if held is None or (d == "in" and mine < held) or (d == "out" and mine > held):
            entry[d] = mine

    # -- (de)serialisation for faust tables -----------------------------
    def to_json(self) -> dict:
        return {"hall": self.hall, "unit": self.unit, "week": self.week, "seen": sorted(self.seen),
                "punches": self.punches, "facts": self.facts, "reviews": self.reviews,
                "dissatisfied": self.dissatisfied, "transactions": self.transactions, "emitted": self.emitted}

    @classmethod
    def from_json(cls, d: dict) -> "UnitWeek":
        return cls(hall=d["hall"], unit=d["unit"], week=d["week"], seen=set(d["seen"]), punches=d["punches"],
                   facts=d["facts"], reviews=d["reviews"], dissatisfied=d["dissatisfied"],
                   transactions=d["transactions"], emitted=d.get("emitted", {}))

    @classmethod
    def empty_for(cls, event: Envelope) -> "UnitWeek":
        return cls(hall=event.hall, unit=event.unit, week=str(week_of(event)))


def parse_local(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
