"""The decisions intake makes about one request, as pure functions (no I/O).

Order of checks (the route calls them in this order):
  parse_bearer -> decode_body -> validate_items -> check_scope
  -> check_request_conflicts -> [archive lookup] -> classify -> [publish]
Every refusal is a Rejection carrying the HTTP status and a detail that
names the offending items, so a device can fix exactly what is wrong.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from hallscore.bearer import parse_bearer  # noqa: F401  (re-exported: the first check of a request)
from schemas.envelope import Envelope
from schemas.registry import EVENT_TYPES, EventError, event_to_json, parse_event
from schemas.topics import DEVICE_FAMILIES, family_of, topic_for, unit_key

RETRY_AFTER_S = 5


class Rejection(Exception):
    """A refused request: nothing of it is published or recorded."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def unavailable(message: str) -> Rejection:
    """503: the client should retry the same request (same event ids) later."""
    return Rejection(503, message, {"Retry-After": str(RETRY_AFTER_S)})


@dataclass(frozen=True)
class Item:
    """One valid event of a request, with its canonical form."""

    index: int
    event: Envelope
    body: bytes  # canonical JSON: what is published and archived
    sha256: str

    event_id = property(lambda self: self.event.event_id)
    type = property(lambda self: self.event.type)
    hall = property(lambda self: self.event.hall)
    unit = property(lambda self: self.event.unit)


@dataclass
class Plan:
    """What to do with a valid, in-scope request."""

    new: list[Item] = field(default_factory=list)  # to publish, once each
    results: list[dict[str, str]] = field(default_factory=list)  # per request item, in order

    def response(self) -> dict[str, Any]:
        dup = sum(r["status"] == "duplicate" for r in self.results)
        return {"results": self.results, "accepted": len(self.results) - dup, "duplicates": dup}


def make_item(index: int, event: Envelope) -> Item:
    body = event_to_json(event)
    return Item(index, event, body, hashlib.sha256(body).hexdigest())


def decode_body(body: bytes, max_batch: int) -> list[Any]:
    """The request's items: one JSON object, or a JSON array of 1..max_batch."""
    if not body.strip():
        raise Rejection(422, "empty body: send one event object or a JSON array of events")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, bad UTF-8, absurd nesting
        raise Rejection(422, f"malformed JSON: {e}") from None
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise Rejection(422, "body must be one event object or a JSON array of event objects")
    if not data:
        raise Rejection(422, f"empty array: send 1 to {max_batch} events")
    if len(data) > max_batch:
        raise Rejection(413, f"too many events in one request: {len(data)} > {max_batch}; split the batch")
    return data


def _raw_id(raw: Any) -> str | None:
    eid = raw.get("event_id") if isinstance(raw, dict) else None
    return eid[:128] if isinstance(eid, str) else None


def raw_type(raw: Any) -> str:
    """Metric label for a raw item: its type if known, else 'unknown' (bounded cardinality)."""
    t = raw.get("type") if isinstance(raw, dict) else None
    return t if t in EVENT_TYPES else "unknown"


def device_type_error(type_: str) -> str | None:
    """Why a device may not send this (valid) type, or None if it may."""
    if family_of(type_) in DEVICE_FAMILIES:
        return None
    return (f"event type {type_!r} is written by the hallscore services (rectification), "
            f"not accepted from devices; devices send {', '.join(sorted(DEVICE_FAMILIES))} events")


def validate_items(raws: list[Any]) -> list[Item]:
    """Parse every item; if ANY is invalid, one 422 naming each bad item and field.

    Events of service-only families (case.*, rectification.*) are refused
    by their type: a unit's device must not close its own case."""
    items: list[Item] = []
    errors: list[dict[str, Any]] = []
    for i, raw in enumerate(raws):
        type_ = raw_type(raw)
        refused = device_type_error(type_) if type_ != "unknown" else None
        if refused:  # before parsing: the type is the answer, not its payload's fields
            errors.append({"index": i, "event_id": _raw_id(raw), "field": "type", "message": refused})
            continue
        if isinstance(raw, dict) and not isinstance(raw.get("type"), (str, type(None))):
            # parse_event looks the type up in a dict: a list/object there is unhashable (500).
            errors.append({"index": i, "event_id": _raw_id(raw), "field": "type",
                           "message": f"type must be a string naming an event type, not {type(raw.get('type')).__name__}"})
            continue
        try:
            items.append(make_item(i, parse_event(raw)))
        except EventError as e:
            errors.extend(
                {"index": i, "event_id": _raw_id(raw), "field": err["field"], "message": err["message"]}
                for err in e.errors
            )
    if errors:
        raise Rejection(422, errors)
    return items


def check_scope(items: list[Item], hall: str) -> None:
    """403 if any item is for another hall than the token's."""
    bad = [
        {"index": it.index, "event_id": it.event_id, "field": "hall",
         "message": f"this token may only send events of hall {hall!r}, not {it.hall!r}"}
        for it in items if it.hall != hall
    ]
    if bad:
        raise Rejection(403, bad)


def check_request_conflicts(items: list[Item]) -> None:
    """422 if one event_id appears twice in the request with different content."""
    first: dict[str, Item] = {}
    bad = []
    for it in items:
        prev = first.setdefault(it.event_id, it)
        if prev.sha256 != it.sha256:
            bad.append({"index": it.index, "event_id": it.event_id, "field": "event_id",
                        "message": f"same event_id as item {prev.index} but different content"})
    if bad:
        raise Rejection(422, bad)


def classify(items: list[Item], known: dict[str, str]) -> Plan:
    """Split items into new ones and duplicates, given {event_id: sha256} already accepted.

    An id accepted before with other content is a 409 for the whole request.
    A repeat inside the request (same content) is published once.
    """
    plan = Plan()
    conflicts = []
    seen: set[str] = set()
    for it in items:
        prior = known.get(it.event_id)
        if prior is not None and prior != it.sha256:
            conflicts.append({"index": it.index, "event_id": it.event_id, "field": "event_id",
                              "message": "event_id was already accepted with different content"})
            continue
        if prior is not None or it.event_id in seen:
            plan.results.append({"event_id": it.event_id, "status": "duplicate"})
            continue
        seen.add(it.event_id)
        plan.new.append(it)
        plan.results.append({"event_id": it.event_id, "status": "accepted"})
    if conflicts:
        raise Rejection(409, conflicts)
    return plan


def to_record(type_: str, hall: str, unit: str, body: bytes) -> tuple[str, bytes, bytes]:
    """(topic, key, value) of one event: keyed by unit so a unit's events stay in order."""
    return topic_for(type_), unit_key(hall, unit), body


def records_for(items: list[Item]) -> list[tuple[str, bytes, bytes]]:
    return [to_record(it.type, it.hall, it.unit, it.body) for it in items]
