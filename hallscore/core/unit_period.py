"""The running state of one unit in one rubric period, folded from events.

The fold is idempotent and order-independent: events are remembered by id,
punches keep the earliest clock-in and latest clock-out per session, sets
and counters only move for an id not seen before, and the horizon is the
latest event time seen. So a duplicate, a redelivery or another order never
changes the result (tests/unit/test_properties.py). The state is plain JSON
so faust can keep it in a table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hallscore.core.ledger import LINEAGE_SHIFT
from hallscore.core.periods import local, period_label
from hallscore.core.schedule import Schedule, _midpoint
from schemas.envelope import Envelope
from schemas.events_v1 import DISSATISFIED_LEVELS

# Event types that name a rubric rule themselves, and the fact kind they make.
RULE_EVENTS = {
    "supervision.finding": "finding",
    "supervision.commendation": "commendation",
    "supervision.veto": "veto",
    # A problem-list item past its deadline costs what its rubric item costs.
    "rectification.overdue": "finding",
}


def state_key(rubric_version: str, hall: str, unit: str, period: str) -> str:
    return f"{rubric_version}/{hall}/{unit}/{period}"


@dataclass
class UnitPeriod:
    hall: str
    unit: str
    period: str  # label: 2026-W47 | 2026-11 | 2026-Q4 | 2026
    seen: set[str] = field(default_factory=set)
    horizon: str = ""  # latest occurred_at seen (ISO, Shanghai): absences are judged up to it
    # "staff|date|session" -> {"in": [iso, event_id], "out": [iso, event_id]}
    punches: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # staff -> [[starts_at, ends_at, event_id], ...]
    leaves: dict[str, list[list[str]]] = field(default_factory=dict)
    # fact key -> {kind, source, staff, at, count, rule_id, points, detail}
    facts: dict[str, dict] = field(default_factory=dict)
    reviews: int = 0
    dissatisfied: dict[str, dict] = field(default_factory=dict)
    # transaction id -> {event, staff, at}; and the transaction ids reviewed
    transactions: dict[str, dict] = field(default_factory=dict)
    reviewed: set[str] = field(default_factory=set)
    # "source|rule" -> signature of the line last emitted, so only changes are sent
    emitted: dict[str, str] = field(default_factory=dict)

    # The lineage of this state: when (unix seconds) the worker that built it
    # from empty started. A state recovered from its changelog keeps it; one
    # rebuilt from scratch (the embedded broker lost the changelog) gets a later
    # one, so its lines outrank every line of the lost lineage, whatever order
    # the events came back in. 0 where one fold is the only one (replay, tests).
    epoch: int = 0

    @property
    def revision(self) -> int:
        # Grows with every distinct event folded in, whatever the order.
        return len(self.seen)

    @property
    def version(self) -> int:
        """The ledger row version (ReplacingMergeTree keeps the highest): lineage first,
        then revision. Epoch 0 gives exactly the revision."""
        return (self.epoch << LINEAGE_SHIFT) | self.revision

    @classmethod
    def empty_for(cls, event: Envelope, period_kind: str = "week", epoch: int = 0) -> "UnitPeriod":
        return cls(hall=event.hall, unit=event.unit, period=period_label(period_kind, event.occurred_at),
                   epoch=epoch)

    # -- folding --------------------------------------------------------
    def apply(self, event: Envelope, schedule: Schedule) -> bool:
        """Fold one event in. Returns False for an event already folded."""
        if event.event_id in self.seen:
            return False
        self.seen.add(event.event_id)
        lt = local(event.occurred_at)
        at = lt.isoformat()
        if at > self.horizon:
            self.horizon = at
        p = getattr(event, "payload", None)
        t = event.type
        if t == "attendance.clock":
            self._punch(event, schedule, lt, at)
        elif t == "review.submitted":
            self.reviews += 1
            if p.transaction_id:
                self.reviewed.add(p.transaction_id)
            if p.level in DISSATISFIED_LEVELS:
                self.dissatisfied[event.event_id] = {"staff": event.staff or "", "at": at, "level": p.level}
            if not p.invited:
                self._fact(event, "review_not_invited", at, detail="办结后未主动邀请评价")
        elif t == "transaction.completed":
            held = self.transactions.get(p.transaction_id)
            # A transaction reported twice under two event ids: keep the
            # earliest report (ties by id), whatever the arrival order.
            if held is None or (at, event.event_id) < (held["at"], held["event"]):
                self.transactions[p.transaction_id] = {"event": event.event_id, "staff": event.staff or "", "at": at}
        elif t == "attendance.leave":
            self.leaves.setdefault(event.staff, []).append(
                [local(p.starts_at).isoformat(), local(p.ends_at).isoformat(), event.event_id])
            if not p.approved:
                self._fact(event, "leave_unapproved", at, detail=f"请假未履行手续 {p.reason}".strip())
            if p.cover_staff is None:
                self._fact(event, "leave_without_cover", at, detail="请假未安排人员顶岗", suffix="cover")
        elif t == "attendance.temporary_absence":
            if not p.sign_displayed:
                self._fact(event, "unsigned_absence", at, detail=f"暂离 {p.minutes} 分钟未放暂离牌")
        elif t == "complaint.outcome":
            if p.substantiated:
                self._fact(event, "complaint_substantiated", at, detail=f"投诉 {p.complaint_id} 属实 {p.note}".strip())
                if p.channel == "hard_matters_window":
                    self._fact(event, "work_order_substantiated", at, suffix="work-order",
                               detail=f"办不成事监督窗口工单 {p.complaint_id} 反映问题属实 {p.note}".strip())
        elif t in RULE_EVENTS:
            points = getattr(p, "points", None)
            self._fact(event, RULE_EVENTS[t], at, rule_id=p.rule_id, count=p.count,
                       points=None if points is None else str(points), detail=_rule_event_detail(event))
        return True

    def _fact(self, event: Envelope, kind: str, at: str, *, detail: str = "", rule_id: str = "",
              count: int = 1, points: str | None = None, suffix: str = "") -> None:
        key = event.event_id + (f"#{suffix}" if suffix else "")
        self.facts[key] = {"kind": kind, "source": event.event_id, "staff": event.staff or "", "at": at,
                           "count": count, "rule_id": rule_id, "points": points, "detail": detail}

    def _punch(self, event: Envelope, schedule: Schedule, lt: datetime, at: str) -> None:
        slot = _slot(schedule, lt)
        if slot is None:
            return
        key = f"{event.staff}|{slot}"
        entry = self.punches.setdefault(key, {})
        mine = [at, event.event_id]
        d = event.payload.direction
        held = entry.get(d)
        # Ties broken by event id so the result never depends on order.
        if held is None or (d == "in" and mine < held) or (d == "out" and mine > held):
            entry[d] = mine

    # -- (de)serialisation for faust tables -----------------------------
    def to_json(self) -> dict:
        return {"hall": self.hall, "unit": self.unit, "period": self.period, "seen": sorted(self.seen),
                "horizon": self.horizon, "punches": self.punches,
                "leaves": {s: sorted(v) for s, v in self.leaves.items()}, "facts": self.facts,
                "reviews": self.reviews, "dissatisfied": self.dissatisfied, "transactions": self.transactions,
                "reviewed": sorted(self.reviewed), "emitted": self.emitted, "epoch": self.epoch}

    @classmethod
    def from_json(cls, d: dict) -> "UnitPeriod":
        return cls(hall=d["hall"], unit=d["unit"], period=d["period"], seen=set(d["seen"]), horizon=d["horizon"],
                   punches=d["punches"], leaves=d["leaves"], facts=d["facts"], reviews=d["reviews"],
                   dissatisfied=d["dissatisfied"], transactions=d["transactions"], reviewed=set(d["reviewed"]),
                   emitted=d.get("emitted", {}), epoch=d.get("epoch", 0))


def _rule_event_detail(event: Envelope) -> str:
    p = event.payload
    who = getattr(p, "inspector", "")
    note = getattr(p, "note", "")
    return f"{note} (检查人 {who})".strip() if who else note


def parse_local(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


# (id(schedule), day) -> (schedule, ((midpoint, "YYYY-MM-DD|session"), ...), last "YYYY-MM-DD|session").
# The same answer as schedule.session_of, computed once per hall and day: the
# fold meets the same few days thousands of times (a replay folds millions of
# punches). The schedule is kept in the value so a reused id() never matches.
_SLOTS: dict[tuple[int, date], tuple] = {}


def _slot(schedule: Schedule, lt: datetime) -> str | None:
    """"YYYY-MM-DD|session" of a punch at local time lt (schedule.session_of)."""
    day = lt.date()
    hit = _SLOTS.get((id(schedule), day))
    if hit is None or hit[0] is not schedule:
        sessions = schedule.sessions(day)
        tag = [f"{day.isoformat()}|{s.name}" for s in sessions]
        bounds = tuple((_midpoint(a.end, b.start), tag[i]) for i, (a, b) in enumerate(zip(sessions, sessions[1:])))
        if len(_SLOTS) > 50_000:
            _SLOTS.clear()
        hit = _SLOTS[(id(schedule), day)] = (schedule, bounds, tag[-1] if tag else None)
    if hit[2] is None:
        return None
    wall = lt.time()
    for mid, tag in hit[1]:
        if wall < mid:
            return tag
    return hit[2]
