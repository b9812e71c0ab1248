"""The core's changes <-> events on the wire (schemas.cases_v1), and the
notices that go with them. Every event is validated against the contract
here, before it is stored: a bug shows at once, not in a consumer."""
from __future__ import annotations

from datetime import datetime, time

from hallscore.core.cases.model import Case, Change
from hallscore.core.periods import SHANGHAI
from schemas.envelope import Envelope
from schemas.registry import event_to_json, parse_event
from schemas.topics import topic_for
from services.rectification.db import Row


def event_id(case_id: str, seq: int) -> str:
    # Deterministic: a replay or republish carries the same id.
    return f"{case_id}.{seq:04d}"


def to_event(ch: Change, hall: str, unit: str, device: str) -> Envelope:
    payload = {k: v for k, v in ch.payload.items() if k not in ("hall", "unit")}
    return parse_event({"event_id": event_id(payload["case_id"], payload["seq"]), "type": ch.type,
                        "schema_version": 1, "occurred_at": ch.at.isoformat(), "hall": hall, "unit": unit,
                        "device": device, "payload": payload})


def to_change(event: Envelope) -> Change:
    payload = event.payload.model_dump(mode="json")  # type: ignore[attr-defined]
    if event.type == "case.opened":
        payload.update(hall=event.hall, unit=event.unit)
    return Change(event.type, event.occurred_at, payload)


def row(event: Envelope) -> Row:
    p = getattr(event, "payload", None)
    case_id = getattr(p, "case_id", None)
    seq = getattr(p, "seq", None) if event.type.startswith("case.") else None
    return Row(event.event_id, case_id, seq, event.type, event.hall, event.unit, topic_for(event.type),
               event_to_json(event))


def end_of_day(day) -> datetime:
    """The last second of a deadline day: an overdue counts in the deadline's week."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def overdue_notice(case: Case, milestone: str, rule_id: str, device: str) -> Envelope:
    """rectification.overdue: scoring reads it as a finding against rule_id."""
    due = case.deadlines[milestone].due
    what = f"问题清单《{case.list_title}》" if case.list_title else {"bad_review": "差评", "complaint": "投诉"}.get(case.kind, "")
    return parse_event({
        "event_id": f"{case.case_id}.overdue-{milestone}", "type": "rectification.overdue", "schema_version": 1,
        "occurred_at": end_of_day(due).isoformat(), "hall": case.hall, "unit": case.unit, "device": device,
        "payload": {"case_id": case.case_id, "rule_id": rule_id, "count": 1, "deadline": due.isoformat(),
                    "note": f"{what} {case.title} — 逾期未整改 (overdue, due {due.isoformat()})"[:2000]}})


def complaint_outcome(case: Case, substantiated: bool, note: str, at: datetime, device: str) -> Envelope:
    """complaint.outcome for a complaint the hall verified: scoring already
    deducts a substantiated one (tongxu.3.4 交办工单反映问题属实)."""
    return parse_event({
        "event_id": f"{case.case_id}.outcome", "type": "complaint.outcome", "schema_version": 1,
        "occurred_at": at.isoformat(), "hall": case.hall, "unit": case.unit, "device": device,
        "payload": {"complaint_id": case.details.get("complaint_id") or case.case_id,
                    "substantiated": substantiated, "note": note[:2000]}})
