"""Request bodies of the rectification API. FastAPI answers 422 naming the
field for anything that does not fit; the rules (who, when) are the core's."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.envelope import CODE_PATTERN
from schemas.events_v1 import RULE_ID_PATTERN

# Days a deadline can be counted from or fall on (keeps date arithmetic sane).
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2099, 12, 31))]
Ref = Annotated[str, Field(min_length=1, max_length=500)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemIn(_In):
    unit: str = Field(pattern=CODE_PATTERN, description="Owner unit (责任单位).")
    rule_id: str = Field(pattern=RULE_ID_PATTERN, description="Rubric item the problem is against.")
    title: str = Field(min_length=1, max_length=500, description="The problem, as the list states it.")
    deadline: Day | None = Field(default=None, description="This item's 整改期限, if not the list's.")


class ListIn(_In):
    """A problem list (问题清单) issued after a round (罗山 cycle: 002)."""

    hall: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    round: Literal["self_inspection", "first_round", "second_round", "inspection"] = "first_round"
    issued_on: Day | None = Field(default=None, description="Default: today (Beijing).")
    deadline: Day | None = Field(default=None, description="整改期限 for every item; default: the deadlines file.")
    items: list[ItemIn] = Field(min_length=1, max_length=500)


class CaseIn(_In):
    """One case opened by hand: a complaint accepted at the window (受理), an
    办不成事 work order, a single inspection finding, or a 差评 from outside intake."""

    kind: Literal["complaint", "problem_item", "bad_review"]
    hall: str = Field(pattern=CODE_PATTERN)
    unit: str = Field(pattern=CODE_PATTERN)
    title: str = Field(default="", max_length=500)
    started_on: Day | None = Field(default=None, description="Default: today (Beijing).")
    rule_id: str | None = Field(default=None, pattern=RULE_ID_PATTERN, description="problem_item: rubric item.")
    deadline: Day | None = Field(default=None, description="problem_item: fixed 整改期限.")
    complaint_id: str | None = Field(default=None, min_length=1, max_length=128)
    channel: Literal["hard_matters_window", "complaint_window", "hotline_12345", "online", "letter"] = "complaint_window"
    summary: str = Field(default="", max_length=2000)
    level: Literal["不满意", "非常不满意"] | None = None
    citizen_phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")


class NoteIn(_In):
    note: str = Field(default="", max_length=2000)


class VerifyIn(_In):
    substantiated: bool = Field(description="属实 true / 不属实 false.")
    note: str = Field(default="", max_length=2000)


class ReasonIn(_In):
    reason: str = Field(default="", max_length=2000)


class AppealDecisionIn(_In):
    upheld: bool = Field(description="true: the appeal succeeds (the verdict becomes 不属实).")
    note: str = Field(default="", max_length=2000)


class EvidenceIn(_In):
    evidence: list[Ref] = Field(default_factory=list, max_length=20, description="Photo / document references.")
    note: str = Field(default="", max_length=2000)


class CallbackIn(_In):
    outcome: Literal["satisfied", "basically_satisfied", "dissatisfied", "unreachable"]
    note: str = Field(default="", max_length=2000)


class DeadlineIn(_In):
    milestone: Literal["close", "contact", "rectify", "forward"]
    due: Day | None = Field(default=None, description="A fixed day; or give workdays.")
    workdays: int | None = Field(default=None, ge=0, le=250, description="Working days after the case's start day.")
    reason: str = Field(default="", max_length=2000)
