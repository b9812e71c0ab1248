"""Cases that open themselves: one per 差评 and per filed complaint, from the
events devices send (hallscore.reviews, hallscore.complaints).

Case ids are derived from the source, so a redelivered review can never
open a second case: the store refuses a second seq 1 of the same id.
"""
from __future__ import annotations

import hashlib

from hallscore.core.cases.commands import Open
from hallscore.core.cases.policy import DeadlinePolicy, plan_deadlines
from hallscore.core.periods import local
from hallscore.core.workdays import Calendar
from schemas.events_v1 import DISSATISFIED_LEVELS, ComplaintFiled, ReviewSubmitted


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def bad_review_case_id(review_event_id: str) -> str:
    return f"br-{_digest('review:' + review_event_id)}"


def complaint_case_id(hall: str, complaint_id: str) -> str:
    return f"co-{_digest(f'complaint:{hall}/{complaint_id}')}"


def is_bad_review(event) -> bool:
    return isinstance(event, ReviewSubmitted) and event.payload.level in DISSATISFIED_LEVELS


def open_bad_review(event: ReviewSubmitted, policy: DeadlinePolicy, calendar: Calendar) -> Open:
    p = event.payload
    start = local(event.occurred_at).date()
    where = "，".join(x for x in (f"窗口 {event.window}" if event.window else "", event.staff or "") if x)
    return Open(
        kind="bad_review", hall=event.hall, unit=event.unit,
        title=f"差评：{p.level}" + (f"（{where}）" if where else ""),
        started_on=start, deadlines=plan_deadlines(policy.for_hall(event.hall, "bad_review"), start, calendar),
        source_ref=event.event_id,
        details={"level": p.level, "channel": p.channel, "real_name": p.real_name, "citizen_phone": p.citizen_phone,
                 "staff": event.staff, "transaction_id": p.transaction_id, "summary": p.comment})


def open_complaint(hall: str, unit: str, complaint_id: str, channel: str, summary: str, started_on,
                   policy: DeadlinePolicy, calendar: Calendar, title: str = "") -> Open:
    label = {"hard_matters_window": "办不成事监督窗口工单", "complaint_window": "有诉即办窗口投诉",
             "hotline_12345": "12345 热线工单", "online": "网上投诉", "letter": "来信"}.get(channel, "投诉")
    return Open(
        kind="complaint", hall=hall, unit=unit, title=title or f"{label} {complaint_id}",
        started_on=started_on, deadlines=plan_deadlines(policy.for_hall(hall, "complaint"), started_on, calendar),
        source_ref=complaint_id, details={"complaint_id": complaint_id, "channel": channel, "summary": summary})


def open_filed_complaint(event: ComplaintFiled, policy: DeadlinePolicy, calendar: Calendar) -> Open:
    p = event.payload
    return open_complaint(event.hall, event.unit, p.complaint_id, p.channel, p.summary,
                          local(event.occurred_at).date(), policy, calendar)
