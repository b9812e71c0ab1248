"""Version 1 of every event type. Frozen: never edit a shipped shape."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.envelope import CODE_PATTERN, Envelope


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- attendance (考勤) -------------------------------------------------------

class ClockPayload(_Payload):
    direction: Literal["in", "out"] = Field(description="Clock in (上班签到) or out (下班签退).")
    method: Literal["fingerprint", "face", "card", "manual"] = "face"


class AttendanceClock(Envelope):
    """A punch on the attendance device (指纹/脸谱考勤). `staff` is required."""

    type: Literal["attendance.clock"]
    schema_version: Literal[1]
    staff: str = Field(pattern=CODE_PATTERN)
    payload: ClockPayload


class LeavePayload(_Payload):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    approved: bool = Field(description="请销假手续 done before the leave (or handed in the same day).")
    cover_staff: str | None = Field(default=None, pattern=CODE_PATTERN, description="Who covers the window (顶岗); null when nobody does.")
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _ends_after_start(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class AttendanceLeave(Envelope):
    """Leave or field work (请假 / 外勤) of one staff member."""

    type: Literal["attendance.leave"]
    schema_version: Literal[1]
    staff: str = Field(pattern=CODE_PATTERN)
    payload: LeavePayload


class TemporaryAbsencePayload(_Payload):
    minutes: int = Field(ge=1, le=600)
    sign_displayed: bool = Field(description="The 暂离 sign was put on the window.")
    reason: str = Field(default="", max_length=500)


class AttendanceTemporaryAbsence(Envelope):
    """A staff member away from the window during hours (暂离)."""

    type: Literal["attendance.temporary_absence"]
    schema_version: Literal[1]
    staff: str = Field(pattern=CODE_PATTERN)
    payload: TemporaryAbsencePayload


# --- 好差评 reviews and transactions -----------------------------------------

ReviewLevel = Literal["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
DISSATISFIED_LEVELS: frozenset[str] = frozenset({"不满意", "非常不满意"})


class ReviewPayload(_Payload):
    level: ReviewLevel
    channel: Literal["evaluator", "qr_code", "web", "pc", "sms", "app", "guest_book", "hotline"]
    transaction_id: str | None = Field(default=None, max_length=128)
    real_name: bool = Field(description="The citizen reviewed under their real name (实名).")
    invited: bool = Field(default=True, description="The staff member asked for the review (主动邀请评价).")
    citizen_phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$", description="Only for callbacks; masked in projections.")
    comment: str = Field(default="", max_length=2000)


class ReviewSubmitted(Envelope):
    type: Literal["review.submitted"]
    schema_version: Literal[1]
    payload: ReviewPayload


class TransactionPayload(_Payload):
    transaction_id: str = Field(min_length=1, max_length=128)
    matter: str = Field(default="", max_length=200, description="政务服务事项 name or code.")
    on_the_spot: bool = Field(default=False, description="Handled on the spot (即办).")
    trips: int = Field(default=1, ge=0, le=20, description="Times the applicant had to come for this matter (跑动次数); 0 = fully online.")
    statutory_limit_days: int | None = Field(default=None, ge=0, le=3650, description="法定办结时限 of the matter, working days.")
    promised_limit_days: int | None = Field(default=None, ge=0, le=3650, description="承诺办结时限 of the matter, working days.")
    online_depth: Literal[0, 1, 2, 3, 4] | None = Field(default=None, description="网上办理深度 level 1-4 (0: not online).")


class TransactionCompleted(Envelope):
    """A service transaction finished at the window (for 一事一评 coverage)."""

    type: Literal["transaction.completed"]
    schema_version: Literal[1]
    payload: TransactionPayload


# --- complaints (投诉, 有诉即办, 办不成事监督窗口) --------------------------

ComplaintChannel = Literal["hard_matters_window", "complaint_window", "hotline_12345", "online", "letter"]


class ComplaintFiledPayload(_Payload):
    complaint_id: str = Field(min_length=1, max_length=128)
    channel: ComplaintChannel
    summary: str = Field(default="", max_length=2000)


class ComplaintFiled(Envelope):
    type: Literal["complaint.filed"]
    schema_version: Literal[1]
    payload: ComplaintFiledPayload


class ComplaintOutcomePayload(_Payload):
    complaint_id: str = Field(min_length=1, max_length=128)
    channel: ComplaintChannel | None = Field(default=None, description="Where it was filed; hard_matters_window = 办不成事监督窗口 work order.")
    substantiated: bool = Field(description="交办工单反映问题属实.")
    note: str = Field(default="", max_length=2000)


class ComplaintOutcome(Envelope):
    type: Literal["complaint.outcome"]
    schema_version: Literal[1]
    payload: ComplaintOutcomePayload


# --- supervision (现场检查, 表扬, 一票否决) -----------------------------------

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9._\-]{0,63}$"


class SupervisionPayload(_Payload):
    rule_id: str = Field(pattern=RULE_ID_PATTERN, description="The rubric item this entry applies, e.g. 'tongxu.4.1'.")
    count: int = Field(default=1, ge=1, le=100)
    inspector: str = Field(min_length=1, max_length=64)
    evidence: tuple[str, ...] = Field(default=(), max_length=20, description="Photo / document references.")
    note: str = Field(default="", max_length=2000)
    points: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2,
                                   description="Only for items the rubric scores by assessment (综合评分): the points to deduct.")


class SupervisionFinding(Envelope):
    """An inspection finding against a rubric deduction item."""

    type: Literal["supervision.finding"]
    schema_version: Literal[1]
    payload: SupervisionPayload


class SupervisionCommendation(Envelope):
    """A commendation or bonus (领导表扬, 锦旗, 创新宣传) against a bonus item."""

    type: Literal["supervision.commendation"]
    schema_version: Literal[1]
    payload: SupervisionPayload


class SupervisionVeto(Envelope):
    """A 一票否决 finding against a veto item."""

    type: Literal["supervision.veto"]
    schema_version: Literal[1]
    payload: SupervisionPayload


V1_MODELS: tuple[type[Envelope], ...] = (
    AttendanceClock,
    AttendanceLeave,
    AttendanceTemporaryAbsence,
    ReviewSubmitted,
    TransactionCompleted,
    ComplaintFiled,
    ComplaintOutcome,
    SupervisionFinding,
    SupervisionCommendation,
    SupervisionVeto,
)
