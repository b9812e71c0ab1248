"""What a user (or the service itself) asks of a case. Plain data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hallscore.core.cases.model import DeadlineRule


@dataclass(frozen=True)
class Open:
    kind: str
    hall: str
    unit: str
    title: str
    started_on: date
    deadlines: tuple[DeadlineRule, ...]
    rule_id: str | None = None
    list_id: str | None = None
    list_title: str | None = None
    round: str | None = None
    source_ref: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    action = "open"


@dataclass(frozen=True)
class Forward:  # 转办
    note: str = ""
    action = "forward"


@dataclass(frozen=True)
class Urge:  # 督办
    note: str = ""
    action = "urge"


@dataclass(frozen=True)
class Verify:  # 核实: 属实 / 不属实
    substantiated: bool
    note: str = ""
    action = "verify"


@dataclass(frozen=True)
class SourceVerdict:  # complaint.outcome from the complaint system settles the complaint
    substantiated: bool
    note: str = ""
    action = "source_verdict"


@dataclass(frozen=True)
class Appeal:  # 申诉
    reason: str
    action = "appeal"


@dataclass(frozen=True)
class DecideAppeal:  # 申诉复核
    upheld: bool
    note: str = ""
    action = "decide_appeal"


@dataclass(frozen=True)
class SubmitEvidence:  # 整改材料 / 反馈
    evidence: tuple[str, ...]
    note: str = ""
    action = "submit_evidence"


@dataclass(frozen=True)
class RejectEvidence:
    reason: str
    action = "reject_evidence"


@dataclass(frozen=True)
class AcceptEvidence:
    note: str = ""
    action = "accept_evidence"


@dataclass(frozen=True)
class CallBack:  # 回访
    outcome: str
    note: str = ""
    action = "callback"


@dataclass(frozen=True)
class SetDeadline:
    rule: DeadlineRule
    reason: str
    action = "set_deadline"


@dataclass(frozen=True)
class MarkOverdue:
    milestone: str
    action = "mark_overdue"


Command = (Open | Forward | Urge | Verify | SourceVerdict | Appeal | DecideAppeal | SubmitEvidence | RejectEvidence
           | AcceptEvidence | CallBack | SetDeadline | MarkOverdue)

# Who may ask what. Scope (own hall, own unit) is the service's check.
ROLES: dict[str, frozenset[str]] = {
    "open": frozenset({"manager", "system"}),
    "forward": frozenset({"manager"}),
    "urge": frozenset({"manager"}),
    "verify": frozenset({"manager"}),
    "source_verdict": frozenset({"system"}),
    "appeal": frozenset({"unit"}),
    "decide_appeal": frozenset({"manager"}),
    "submit_evidence": frozenset({"unit"}),
    "reject_evidence": frozenset({"manager"}),
    "accept_evidence": frozenset({"manager"}),
    "callback": frozenset({"manager", "unit"}),
    "set_deadline": frozenset({"manager", "system"}),
    "mark_overdue": frozenset({"system"}),
}

EVENT_OF = {
    "open": "case.opened", "forward": "case.forwarded", "urge": "case.urged", "verify": "case.verified",
    "source_verdict": "case.verified",
    "appeal": "case.appealed", "decide_appeal": "case.appeal_decided",
    "submit_evidence": "case.evidence_submitted", "reject_evidence": "case.evidence_rejected",
    "accept_evidence": "case.evidence_accepted", "callback": "case.called_back",
    "set_deadline": "case.deadline_set", "mark_overdue": "case.overdue",
}
