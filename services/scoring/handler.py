"""Per-message glue between Kafka and the pure core: decode, fold, evaluate,
encode. No rule logic here: every score comes from hallscore.core.

Kept free of faust so it can be tested without a broker; the agent in
app.py only moves bytes and table values through these functions.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Callable, Optional

from hallscore.core.evaluate import changed_lines, evaluate
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import year_of
from hallscore.core.rubric import Rubric
from hallscore.core.schedule import Schedule
from hallscore.core.unit_week import UnitWeek, week_key, week_of
from schemas.envelope import Envelope
from schemas.registry import EventError, parse_event

# Extra entry stored next to the UnitWeek JSON in the unit_weeks table:
# ledger keys ("source|rule") withdrawn and not emitted again since. The core
# forgets them once withdrawn; we keep them so a redelivered event can send
# the withdrawals again (UnitWeek.from_json ignores unknown entries).
WITHDRAWN = "_withdrawn"


class InvalidMessage(ValueError):
    """A message that is not an event of the contract; skipped and counted."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # metric label: not_json | contract


def decode(raw: bytes | None) -> Envelope:
    if raw is None:
        raise InvalidMessage("not_json", "empty message (tombstone)")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage("not_json", f"not JSON: {exc}") from None
    try:
        return parse_event(data)
    except EventError as exc:
        raise InvalidMessage("contract", str(exc)) from None


def unit_week_key(event: Envelope) -> str:
    """Table key "hall/unit/ISO-week" of the unit-week the event belongs to."""
    return week_key(event.hall, event.unit, week_of(event))


@dataclass
class Scored:
    event: Envelope
    duplicate: bool
    key: str
    state: dict  # new table value
    lines: list[LedgerLine]  # to send to the ledger topic
    current: list[LedgerLine]  # every current line of the unit-week


def score(event: Envelope, stored: Optional[dict], rubric: Rubric, schedule: Schedule) -> Scored:
    """Fold one event into its unit-week and pick the ledger lines to send.

    New event: the lines that changed (plus withdrawals), as the core says.
    Duplicate: ALL current lines and every earlier withdrawal again. A
    redelivery after a crash between the table write and the sends must not
    lose ledger rows; rows are idempotent downstream (latest revision per
    source|rule wins), so re-sending costs only volume.
    """
    state = UnitWeek.from_json(stored) if stored else UnitWeek.empty_for(event)
    withdrawn = set(stored.get(WITHDRAWN, ())) if stored else set()
    new = state.apply(event, schedule)
    current = evaluate(state, rubric, schedule)
    before = set(state.emitted)
    changed = changed_lines(state, current, rubric.rubric_version)
    after = set(state.emitted)
    withdrawn = (withdrawn | (before - after)) - after
    if new:
        to_send = changed
    else:
        # Let the core build the lines: a copy that "emitted" every key with
        # an impossible signature gets all current lines, and a withdrawal
        # line for every key no longer current.
        probe = dataclasses.replace(state, emitted={k: "" for k in after | withdrawn})
        to_send = changed_lines(probe, current, rubric.rubric_version)
    value = state.to_json()
    if withdrawn:
        value[WITHDRAWN] = sorted(withdrawn)
    return Scored(event, not new, unit_week_key(event), value, to_send, current)


def veto_key(hall: str, unit: str, year: int) -> str:
    return f"{hall}/{unit}/{year}"


@dataclass
class VetoRaised:
    key: str  # vetoes table key "hall/unit/year"
    entry: dict  # new vetoes table value {"rule_ids": [...], "source_ids": [...]}
    message: dict  # veto topic value


def vetoes_to_raise(scored: Scored, lookup: Callable[[str], Optional[dict]]) -> list[VetoRaised]:
    """Applied veto lines not yet recorded for their unit-year.

    Also re-raises a veto when its own source event is redelivered: the
    table write may have landed while the send was lost in a crash. So the
    veto topic is at-least-once; consumers de-duplicate by source_id.
    """
    out: list[VetoRaised] = []
    entries: dict[str, dict] = {}
    for line in scored.current:
        if line.kind != "veto" or line.status != "applied":
            continue
        year = year_of(line.occurred_at)
        key = veto_key(line.hall, line.unit, year)
        if key not in entries:
            old = lookup(key) or {}
            entries[key] = {"rule_ids": list(old.get("rule_ids", [])), "source_ids": list(old.get("source_ids", []))}
        entry = entries[key]
        if line.source_id in entry["source_ids"]:
            if not (scored.duplicate and scored.event.event_id == line.source_id):
                continue
        else:
            entry["source_ids"] = sorted({*entry["source_ids"], line.source_id})
            entry["rule_ids"] = sorted({*entry["rule_ids"], line.rule_id})
        message = {"hall": line.hall, "unit": line.unit, "year": year, "rule_id": line.rule_id,
                   "source_id": line.source_id, "occurred_at": line.occurred_at.isoformat()}
        out.append(VetoRaised(key, dict(entry), message))
    return out


def encode(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
