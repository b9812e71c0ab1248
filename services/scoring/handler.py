"""Per-message glue between Kafka and the pure core: decode, fold, evaluate,
encode. No rule logic here: every score comes from hallscore.core.

Kept free of faust so it can be tested without a broker; the agent in
app.py only moves bytes and table values through these functions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Optional

from hallscore.core.evaluate import all_lines, changed_lines, evaluate, evaluate_checklist
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import period_label, year_of
from hallscore.core.rubric import Rubric
from hallscore.core.rubric_set import RubricSet, Scoring
from hallscore.core.schedule import HallsConfig
from hallscore.core.unit_period import UnitPeriod, state_key
from schemas.envelope import Envelope
from schemas.registry import EventError, parse_event

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


@dataclass
class Scored:
    event: Envelope
    duplicate: bool
    key: str  # table key "rubric_version/hall/unit/period"
    state: dict  # new table value
    lines: list[LedgerLine]  # to send to the ledger topic
    current: list[LedgerLine]  # every current line of the unit-period


def state_key_for(event: Envelope, rubric: Scoring) -> str:
    return state_key(rubric.rubric_version, event.hall, event.unit, period_label(rubric.period, event.occurred_at))


def score(event: Envelope, lookup: Callable[[str], Optional[dict]], rubrics: RubricSet,
          halls: HallsConfig, epoch: int = 0) -> list[Scored]:
    """Fold one event into the unit-period of every rubric that scores it. `epoch`:
    the lineage of states built from empty now (UnitPeriod.epoch)."""
    return [score_one(event, lookup(state_key_for(event, r)), r, halls, epoch)
            for r in rubrics.targets(event, halls.tier(event.hall))]


def score_one(event: Envelope, stored: Optional[dict], rubric: Scoring, halls: HallsConfig,
              epoch: int = 0) -> Scored:
    """Fold one event into one unit-period and pick the ledger lines to send.

    New event: the lines that changed (plus withdrawals), as the core says.
    Duplicate: ALL current lines and every earlier withdrawal again. A
    redelivery after a crash between the table write and the sends must not
    lose ledger rows; rows are idempotent downstream (latest revision per
    source|rule wins), so re-sending costs only volume.
    """
    schedule = halls.schedule(event.hall)
    state = UnitPeriod.from_json(stored) if stored else UnitPeriod.empty_for(event, rubric.period, epoch)
    new = state.apply(event, schedule)
    if isinstance(rubric, Rubric):
        current = evaluate(state, rubric, schedule, halls.roster(event.hall, event.unit))
    else:
        current = evaluate_checklist(state, rubric)
    if new:
        to_send = changed_lines(state, current, rubric.rubric_version)
    else:
        to_send = all_lines(state, current, rubric.rubric_version)
    return Scored(event, not new, state_key_for(event, rubric), state.to_json(), to_send, current)


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
