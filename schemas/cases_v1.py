"""Rectification events, version 1: every transition of a case, and the
overdue notice scoring reads. Frozen: never edit a shipped shape.

Written only by the rectification service (intake refuses them from
devices: schemas.topics.DEVICE_FAMILIES). One type per transition, so each
has its own JSON Schema; every case event's payload carries the case id,
its position in the case's history (`seq`, from 1), the kind, the state it
led to, and who acted. Topic `hallscore.cases` (family "case"), keyed by
unit like every event; `rectification.overdue` goes to
`hallscore.rectification` for scoring.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.envelope import CODE_PATTERN, Envelope
from schemas.events_v1 import RULE_ID_PATTERN, ReviewLevel

CASE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{3,63}$"
CaseKind = Literal["problem_item", "bad_review", "complaint"]
CaseState = Literal["open", "submitted", "rejected", "closed", "rectifying", "appealed", "callback_due",
                    "received", "forwarded", "answered"]
Milestone = Literal["close", "contact", "rectify", "forward"]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _CasePayload(_Payload):
    case_id: str = Field(pattern=CASE_ID_PATTERN)
    seq: int = Field(ge=1, le=100_000, description="Position of this event in the case's history, from 1.")
    kind: CaseKind = Field(description="problem_item (问题清单整改项), bad_review (差评), complaint (投诉/工单).")
    state: CaseState = Field(description="The case's state after this event.")
    actor_role: Literal["manager", "unit", "system"]
    actor: str = Field(min_length=1, max_length=64, description="User token id, or 'rectification' for the service.")
    note: str = Field(default="", max_length=2000)


class DeadlinePayload(_Payload):
    milestone: Milestone
    due: date = Field(description="Last day (Beijing time) to meet the milestone.")
    provisional: bool = Field(description="Counted over a year whose holidays are not known yet (Mon-Fri assumed).")
    start: date | None = Field(default=None, description="Counted from this day, when computed in working days.")
    workdays: int | None = Field(default=None, ge=0, le=250, description="Working days after start; null for a fixed date.")


class CaseDetails(_Payload):
    level: ReviewLevel | None = None
    channel: str | None = Field(default=None, max_length=32)
    real_name: bool | None = None
    citizen_phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$", description="For the callback (回访); masked in projections.")
    staff: str | None = Field(default=None, pattern=CODE_PATTERN)
    transaction_id: str | None = Field(default=None, max_length=128)
    complaint_id: str | None = Field(default=None, max_length=128)
    summary: str = Field(default="", max_length=2000)


class CaseOpenedPayload(_CasePayload):
    title: str = Field(min_length=1, max_length=500)
    started_on: date = Field(description="Day the deadlines count from (the review's, complaint's or list's day).")
    rule_id: str | None = Field(default=None, pattern=RULE_ID_PATTERN, description="Rubric item (problem-list items).")
    list_id: str | None = Field(default=None, pattern=CASE_ID_PATTERN)
    list_title: str | None = Field(default=None, max_length=200)
    round: Literal["self_inspection", "first_round", "second_round", "inspection"] | None = None
    source_ref: str | None = Field(default=None, max_length=128, description="Review event id or complaint id it came from.")
    details: CaseDetails = CaseDetails()
    deadlines: tuple[DeadlinePayload, ...] = Field(min_length=1, max_length=4)


class CaseOpened(Envelope):
    """A case is opened: a problem-list item issued, a 差评 received, a complaint accepted (受理)."""

    type: Literal["case.opened"]
    schema_version: Literal[1]
    payload: CaseOpenedPayload


class CaseForwarded(Envelope):
    """A complaint is forwarded to the unit (转办)."""

    type: Literal["case.forwarded"]
    schema_version: Literal[1]
    payload: _CasePayload


class CaseUrged(Envelope):
    """The hall urges the unit on a complaint (督办)."""

    type: Literal["case.urged"]
    schema_version: Literal[1]
    payload: _CasePayload


class VerifiedPayload(_CasePayload):
    substantiated: bool = Field(description="属实 (true) / 不属实 (false).")


class CaseVerified(Envelope):
    """The hall verifies a 差评 or complaint (核实: 属实 / 不属实)."""

    type: Literal["case.verified"]
    schema_version: Literal[1]
    payload: VerifiedPayload


class ReasonPayload(_CasePayload):
    note: str = Field(min_length=1, max_length=2000)


class CaseAppealed(Envelope):
    """The unit disputes a 属实 verdict (申诉); note gives the reason."""

    type: Literal["case.appealed"]
    schema_version: Literal[1]
    payload: ReasonPayload


class AppealDecidedPayload(_CasePayload):
    upheld: bool = Field(description="True: the appeal succeeds, the verdict becomes 不属实.")


class CaseAppealDecided(Envelope):
    """The hall decides an appeal (申诉复核)."""

    type: Literal["case.appeal_decided"]
    schema_version: Literal[1]
    payload: AppealDecidedPayload


class EvidencePayload(_CasePayload):
    evidence: tuple[Annotated[str, Field(min_length=1, max_length=500)], ...] = Field(
        min_length=1, max_length=20, description="Photo / document references.")


class CaseEvidenceSubmitted(Envelope):
    """The unit submits rectification evidence or its answer (整改材料 / 反馈)."""

    type: Literal["case.evidence_submitted"]
    schema_version: Literal[1]
    payload: EvidencePayload


class CaseEvidenceRejected(Envelope):
    """The hall rejects the evidence (退回); note gives the reason."""

    type: Literal["case.evidence_rejected"]
    schema_version: Literal[1]
    payload: ReasonPayload


class CaseEvidenceAccepted(Envelope):
    """The hall accepts the evidence (整改验收通过)."""

    type: Literal["case.evidence_accepted"]
    schema_version: Literal[1]
    payload: _CasePayload


class CalledBackPayload(_CasePayload):
    outcome: Literal["satisfied", "basically_satisfied", "dissatisfied", "unreachable"]


class CaseCalledBack(Envelope):
    """The citizen was called back (回访); 'unreachable' leaves the case open."""

    type: Literal["case.called_back"]
    schema_version: Literal[1]
    payload: CalledBackPayload


class DeadlineSetPayload(_CasePayload):
    deadline: DeadlinePayload


class CaseDeadlineSet(Envelope):
    """A milestone's deadline changes: extended by the hall, or re-dated when a holiday schedule arrives."""

    type: Literal["case.deadline_set"]
    schema_version: Literal[1]
    payload: DeadlineSetPayload


class OverduePayload(_CasePayload):
    milestone: Milestone
    due: date


class CaseOverdue(Envelope):
    """A milestone's deadline passed unmet (逾期). Raised once per milestone."""

    type: Literal["case.overdue"]
    schema_version: Literal[1]
    payload: OverduePayload


class RectificationOverduePayload(_Payload):
    case_id: str = Field(pattern=CASE_ID_PATTERN)
    rule_id: str = Field(pattern=RULE_ID_PATTERN, description="The rubric item the overdue rectification costs.")
    count: Literal[1] = 1
    deadline: date
    note: str = Field(default="", max_length=2000)


class RectificationOverdue(Envelope):
    """For scoring: a rectification missed its deadline; a finding against payload.rule_id."""

    type: Literal["rectification.overdue"]
    schema_version: Literal[1]
    payload: RectificationOverduePayload


CASES_V1_MODELS: tuple[type[Envelope], ...] = (
    CaseOpened, CaseForwarded, CaseUrged, CaseVerified, CaseAppealed, CaseAppealDecided,
    CaseEvidenceSubmitted, CaseEvidenceRejected, CaseEvidenceAccepted, CaseCalledBack,
    CaseDeadlineSet, CaseOverdue, RectificationOverdue,
)
