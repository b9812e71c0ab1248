"""What a case is: kinds, states, milestones, and the folded state.

A case is the history of its events; `Case` is that history folded
(evolve.py). Nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from hallscore.core.periods import SHANGHAI

Kind = Literal["problem_item", "bad_review", "complaint"]
KINDS: tuple[str, ...] = ("problem_item", "bad_review", "complaint")
Role = Literal["manager", "unit", "auditor", "system"]

KIND_LABELS = {"problem_item": "问题清单整改项 problem-list item", "bad_review": "差评 bad review",
               "complaint": "投诉/工单 complaint"}
STATE_LABELS = {
    "open": "待处理 open", "submitted": "已提交整改材料 evidence submitted", "rejected": "整改被退回 rejected",
    "closed": "已办结 closed", "rectifying": "整改中 rectifying", "appealed": "申诉复核中 appealed",
    "callback_due": "待回访 callback due", "received": "已受理 received", "forwarded": "已转办 forwarded",
    "answered": "已反馈 answered",
}
INITIAL_STATE = {"problem_item": "open", "bad_review": "open", "complaint": "received"}

# Milestones a deadline can be set for, per kind, and what meets each:
#   problem_item.close   the evidence is accepted (item closed)
#   bad_review.contact   the review is verified (核实 means the citizen was contacted)
#   bad_review.rectify   the rectification is accepted (n/a when 不属实)
#   bad_review.close     the citizen is called back (回访) and the case closed
#   complaint.forward    the complaint is forwarded to the unit (转办)
#   complaint.close      the unit's answer is verified and the case closed (办结)
MILESTONES: dict[str, tuple[str, ...]] = {
    "problem_item": ("close",),
    "bad_review": ("contact", "rectify", "close"),
    "complaint": ("forward", "close"),
}
CALLBACK_OUTCOMES = ("satisfied", "basically_satisfied", "dissatisfied", "unreachable")
ROUNDS = ("self_inspection", "first_round", "second_round", "inspection")


def due_instant(due: date) -> datetime:
    """A deadline day ends at midnight Beijing time: overdue from the next day's 00:00."""
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str  # token id or "rectification" for the service itself


SYSTEM = Actor("system", "rectification")


@dataclass(frozen=True)
class DeadlineRule:
    """One milestone's due day and how it was reached (so it can be recomputed)."""

    milestone: str
    due: date
    provisional: bool = False
    start: date | None = None  # counted from, when computed in working days
    workdays: int | None = None  # None: a fixed date given by a manager

    def to_json(self) -> dict[str, Any]:
        return {"milestone": self.milestone, "due": self.due.isoformat(), "provisional": self.provisional,
                "start": self.start.isoformat() if self.start else None, "workdays": self.workdays}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "DeadlineRule":
        return cls(d["milestone"], _date(d["due"]), bool(d.get("provisional", False)),
                   _date(d["start"]) if d.get("start") else None, d.get("workdays"))


def _date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


@dataclass(frozen=True)
class Change:
    """One event of a case, in the core's terms: type, when, payload."""

    type: str
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Case:
    case_id: str
    kind: str
    hall: str
    unit: str
    title: str
    state: str
    seq: int  # events folded so far
    opened_at: datetime
    started_on: date  # day the rule's clock starts (the review's / complaint's / list's day)
    rule_id: str | None = None
    list_id: str | None = None
    list_title: str | None = None
    round: str | None = None
    source_ref: str | None = None  # review event id, complaint id...
    details: dict[str, Any] = field(default_factory=dict)  # level, channel, citizen_phone...
    deadlines: dict[str, DeadlineRule] = field(default_factory=dict)
    met: dict[str, datetime] = field(default_factory=dict)  # milestone -> when met
    not_applicable: frozenset[str] = frozenset()
    overdue: frozenset[str] = frozenset()
    substantiated: bool | None = None  # 属实 / 不属实, once verified
    appealed: bool = False
    appeal_upheld: bool | None = None
    evidence: tuple[str, ...] = ()
    submissions: int = 0
    rejections: int = 0
    urges: int = 0
    callback: str | None = None  # last callback outcome
    closed_at: datetime | None = None
    history: tuple[Change, ...] = ()

    @property
    def closed(self) -> bool:
        return self.state == "closed"

    def on_time(self, milestone: str) -> bool | None:
        """True/False once decided (met, or overdue); None while pending or n/a."""
        if milestone in self.not_applicable or milestone not in self.deadlines:
            return None
        met = self.met.get(milestone)
        due = due_instant(self.deadlines[milestone].due)
        if met is not None:
            return met < due
        return False if milestone in self.overdue else None
