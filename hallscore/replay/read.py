"""Reading the archive (ClickHouse raw_events) back into events of the current contract.

ClickHouse rebuilds each stored event as its JSON text (portable SQL: concat, if,
replaceOne — ClickHouse 18.16 and chDB alike) and one bulk read returns it with its
type and stored schema_version, one (hall, unit) at a time, in occurred_at order.

Decoding is `schemas.registry.parse_event`, so upcasters apply: an event stored as
an older schema_version is brought up to its type's current version first. When the
stored version already is the current one, upcasting is a no-op and the type's
model validates the JSON text directly (the same model parse_event would pick, ~30%
cheaper than json.loads + dict validation). Anything the fast path refuses goes
through parse_event, whose error names the field.

What the archive cannot give back:
  * citizen_phone is masked in raw_events (PII); it never scores, and the masked
    text would fail the pattern, so it is read back as null;
  * occurred_at is stored to the second in Asia/Shanghai; the original offset and
    sub-second digits are gone (two punches of one person within one second would
    tie and be ordered by event id).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from hallscore.store.adapter import Store
from schemas import registry
from schemas.envelope import Envelope
from schemas.registry import EventError, parse_event

# Units with events in the span (and how many: the progress total).
UNITS_SQL = """
SELECT hall, unit, count() AS events
FROM raw_events
WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND (%(hall)s = '' OR hall = %(hall)s)
GROUP BY hall, unit
ORDER BY hall, unit
"""

# One unit's events as JSON text. Ids are stored only after intake validated them
# against the envelope's patterns (no quotes, no backslashes), payload is JSON text.
EVENTS_SQL = """
SELECT `type`, schema_version,
       concat('{"event_id":"', event_id, '","type":"', `type`,
              '","schema_version":', toString(schema_version),
              ',"occurred_at":"', replaceOne(toString(occurred_at), ' ', 'T'), '+08:00"',
              ',"hall":"', hall, '","unit":"', unit, '"',
              ',"window":', if(`window` = '', 'null', concat('"', `window`, '"')),
              ',"staff":', if(staff = '', 'null', concat('"', staff, '"')),
              ',"device":"', device, '","payload":',
              replaceRegexpOne(payload, '"citizen_phone":"[^"]*"', '"citizen_phone":null'), '}') AS event
FROM raw_events
WHERE hall = %(hall)s AND unit = %(unit)s AND occurred_at >= %(start)s AND occurred_at < %(end)s
ORDER BY occurred_at, event_id
"""


@dataclass(frozen=True)
class UnitWork:
    hall: str
    unit: str
    events: int


def units(store: Store, start: datetime, end: datetime, hall: str | None = None) -> list[UnitWork]:
    """(hall, unit, events) with events in [start, end), optionally of one hall."""
    rows = store.query(UNITS_SQL, {"start": start, "end": end, "hall": hall or ""})
    return [UnitWork(h, u, int(n)) for h, u, n in rows]


def unit_events(store: Store, hall: str, unit: str, start: datetime, end: datetime) -> tuple[list, list, list]:
    """(types, stored versions, JSON texts) of one unit's events in [start, end)."""
    cols = store.query_columns(EVENTS_SQL, {"hall": hall, "unit": unit, "start": start, "end": end})
    return (cols[0], cols[1], cols[2]) if cols else ([], [], [])


@dataclass
class Rejected:
    """Archived events that are not events of the contract (counted, first reasons kept)."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, text: str, exc: Exception) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{text[:80]}…: {exc}")


def decode(types: list[str], versions: list[int], texts: list[str], rejected: Rejected) -> Iterator[Envelope]:
    """Stored rows -> events of the current contract (parse_event semantics)."""
    current, models = registry.CURRENT_VERSIONS, registry.CURRENT_MODELS
    for t, v, text in zip(types, versions, texts):
        if current.get(t) == v:
            try:
                yield models[t].model_validate_json(text)
                continue
            except ValueError:
                pass  # parse_event below says why
        try:
            yield parse_event(json.loads(text))
        except (EventError, ValueError) as exc:
            rejected.add(text, exc)
