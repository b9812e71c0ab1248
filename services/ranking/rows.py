"""Kafka record -> ClickHouse row, for the projector. Pure; raises RowError for a poison record.

Every value is checked here, before it can reach an INSERT: a row the store rejects would
fail its whole batch on every retry and stall the projection, so a bad record is counted
and skipped instead (its offset is committed with the batch).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, get_args

from hallscore.core.ledger import LedgerLine, Status
from hallscore.store.schema import CASE_EVENT_COLUMNS, KINDS, LEDGER_COLUMNS, RAW_EVENT_COLUMNS
from schemas.registry import EventError, parse_event

__all__ = ["RowError", "raw_event_row", "ledger_row", "case_event_row", "mask_phone", "quantize_points",
           "RAW_EVENT_COLUMNS", "LEDGER_COLUMNS", "CASE_EVENT_COLUMNS", "STATUSES"]

STATUSES: tuple[str, ...] = get_args(Status)
CENT = Decimal("0.01")
_MAX_POINTS = Decimal("9999999.99")  # Decimal(9, 2)
_MAX_UINT64 = 2**64 - 1
# DateTime is a UInt32 of seconds on 18.16: keep well inside it.
_FIRST_YEAR, _LAST_YEAR = 1971, 2105


class RowError(ValueError):
    """A record that cannot become a row; the message says why."""


def mask_phone(phone: str) -> str:
    """13800000000 -> 138****0000 (first 3 and last 4 kept); short numbers keep the last 2."""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (mask_phone(v) if k == "citizen_phone" and isinstance(v, str) else _mask(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def quantize_points(value: Decimal) -> Decimal:
    """Two places, half up (the store would truncate silently)."""
    if not value.is_finite():
        raise RowError(f"points {value} is not a number")
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(q) > _MAX_POINTS:
        raise RowError(f"points {value} out of range for Decimal(9, 2)")
    return q


def _check_time(name: str, value: Any) -> None:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise RowError(f"{name} has no UTC offset")
    elif not isinstance(value, date):
        raise RowError(f"{name} is not a date")
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise RowError(f"{name} {value.isoformat()} is outside {_FIRST_YEAR}-{_LAST_YEAR}")


def _decode(value: bytes | None) -> Any:
    if value is None:
        raise RowError("empty record (tombstone)")
    try:
        return json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RowError(f"not JSON: {exc}") from None


def raw_event_row(value: bytes | None, received_at: datetime | None = None) -> tuple:
    """An event record (canonical JSON) -> a raw_events row; citizen_phone is masked."""
    try:
        event = parse_event(_decode(value))
    except EventError as exc:
        raise RowError(f"not a valid event: {exc}") from None
    _check_time("occurred_at", event.occurred_at)
    data = event.model_dump(mode="json")
    payload = json.dumps(_mask(data.get("payload") or {}), ensure_ascii=False,
                         separators=(",", ":"))
    row = dict(event_id=event.event_id, type=event.type, schema_version=event.schema_version,
               hall=event.hall, unit=event.unit, window=event.window or "",
               staff=event.staff or "", device=event.device, occurred_at=event.occurred_at,
               received_at=received_at or datetime.now(timezone.utc), payload=payload)
    return tuple(row[c] for c in RAW_EVENT_COLUMNS)


def case_event_row(value: bytes | None) -> tuple:
    """A case transition (case.* event) -> a case_events row; citizen_phone is masked."""
    try:
        event = parse_event(_decode(value))
    except EventError as exc:
        raise RowError(f"not a valid event: {exc}") from None
    if not event.type.startswith("case."):
        raise RowError(f"{event.type} is not a case event")
    _check_time("occurred_at", event.occurred_at)
    p = event.payload  # type: ignore[attr-defined]
    deadline = getattr(p, "deadline", None)  # case.deadline_set
    due = deadline.due if deadline else getattr(p, "due", None)  # case.overdue
    started = getattr(p, "started_on", None)  # case.opened
    for name, day in (("due", due), ("started_on", started)):
        if day is not None:
            _check_time(name, day)
    row = dict(event_id=event.event_id, type=event.type, case_id=p.case_id, seq=p.seq, kind=p.kind,
               state=p.state, hall=event.hall, unit=event.unit, occurred_at=event.occurred_at,
               actor_role=p.actor_role, milestone=deadline.milestone if deadline else getattr(p, "milestone", ""),
               due=due, provisional=int(bool(deadline and deadline.provisional)), started_on=started,
               rule_id=getattr(p, "rule_id", None) or "", list_id=getattr(p, "list_id", None) or "",
               payload=json.dumps(_mask(p.model_dump(mode="json")), ensure_ascii=False, separators=(",", ":")))
    return tuple(row[c] for c in CASE_EVENT_COLUMNS)


def ledger_row(value: bytes | None) -> tuple:
    """A ledger record (LedgerLine.to_json) -> a ledger row with points quantized to cents."""
    data = _decode(value)
    if not isinstance(data, dict):
        raise RowError("a ledger line must be a JSON object")
    try:
        line = LedgerLine.from_json(data)
    except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
        raise RowError(f"not a ledger line: {exc!r}") from None
    for name in ("rubric_version", "rule_id", "source_id", "hall", "unit", "staff", "category",
                 "detail"):
        if not isinstance(getattr(line, name), str):
            raise RowError(f"{name} must be a string")
    if line.kind not in KINDS:
        raise RowError(f"kind {line.kind!r} is not one of {', '.join(KINDS)}")
    if line.status not in STATUSES:
        raise RowError(f"status {line.status!r} is not one of {', '.join(STATUSES)}")
    if not isinstance(line.revision, int) or isinstance(line.revision, bool) \
            or not 0 <= line.revision <= _MAX_UINT64:
        raise RowError(f"revision {line.revision!r} is not an unsigned 64-bit integer")
    _check_time("occurred_at", line.occurred_at)
    _check_time("week_monday", line.week_monday)
    if line.week_monday.weekday() != 0:
        raise RowError(f"week_monday {line.week_monday} is not a Monday")
    row = {**line.__dict__, "points": quantize_points(line.points)}
    return tuple(row[c] for c in LEDGER_COLUMNS)
