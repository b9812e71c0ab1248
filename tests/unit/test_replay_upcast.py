"""Schema evolution: an event archived as v1 replays through the upcaster once a v2 of its
type exists. The v2 here is synthetic and registered only inside this test."""
from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import Field

from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.rubric_set import RubricSet
from hallscore.core.schedule import load_halls
from hallscore.replay import read
from hallscore.replay.fold import Router, fold
from schemas import registry, upcasters
from schemas.events_v1 import AttendanceClock, ClockPayload

RUBRIC = load_rubric(DEFAULT_RUBRIC)
HALLS = load_halls()


class ClockPayloadV2(ClockPayload):
    """v2: the device also says whether the face matched (a field v1 did not have)."""

    verified: bool = Field(description="The face/fingerprint matched the staff member.")


class AttendanceClockV2(AttendanceClock):
    schema_version: Literal[2]
    payload: ClockPayloadV2


def clock_v1_to_v2(raw: dict) -> dict:
    return {**raw, "schema_version": 2, "payload": {**raw["payload"], "verified": True}}


@pytest.fixture
def v2_registered(monkeypatch):
    models = {**registry.CURRENT_MODELS, "attendance.clock": AttendanceClockV2}
    monkeypatch.setattr(registry, "CURRENT_MODELS", models)
    monkeypatch.setattr(registry, "CURRENT_VERSIONS", {t: registry.version_of(m) for t, m in models.items()})
    from typing import Annotated, Union

    from pydantic import TypeAdapter

    union = Annotated[Union[tuple(models.values())], Field(discriminator="type")]  # type: ignore[valid-type]
    monkeypatch.setattr(registry, "_adapter", TypeAdapter(union))
    monkeypatch.setitem(upcasters.UPCASTERS, ("attendance.clock", 1), clock_v1_to_v2)


def stored(event_id: str, at: str, version: int, payload: dict) -> tuple[str, int, str]:
    """A raw_events row as read.EVENTS_SQL rebuilds it: (type, stored version, JSON text)."""
    text = json.dumps({"event_id": event_id, "type": "attendance.clock", "schema_version": version,
                       "occurred_at": at, "hall": "tongxu-county", "unit": "tx-rsj", "window": None,
                       "staff": "tx-rsj-01", "device": "att-01", "payload": payload}, ensure_ascii=False)
    return "attendance.clock", version, text


def decode(rows) -> tuple[list, read.Rejected]:
    rejected = read.Rejected()
    types, versions, texts = (list(c) for c in zip(*rows))
    return list(read.decode(types, versions, texts, rejected)), rejected


def test_a_stored_v1_event_replays_as_v2(v2_registered):
    rows = [stored("evt-v1-00000001", "2026-11-16T09:07:00+08:00", 1, {"direction": "in", "method": "face"}),
            stored("evt-v2-00000002", "2026-11-17T09:10:00+08:00", 2,
                   {"direction": "in", "method": "face", "verified": False})]
    events, rejected = decode(rows)
    assert rejected.count == 0
    assert [type(e) for e in events] == [AttendanceClockV2, AttendanceClockV2]
    assert [e.schema_version for e in events] == [2, 2]
    assert [e.payload.verified for e in events] == [True, False]  # the upcaster's default, the stored value
    lines, folded = fold(events, RUBRIC, Router(RubricSet((RUBRIC,)), RUBRIC, HALLS), HALLS)
    late = [(l.rule_id, l.source_id, str(l.points), l.status) for l in lines if l.rule_id == "tongxu.4.10"]
    assert folded == 2 and late == [
        ("tongxu.4.10", "evt-v1-00000001", "-2", "applied"), ("tongxu.4.10", "evt-v2-00000002", "0", "capped")]


def test_without_the_upcaster_a_v1_event_is_rejected_with_the_field(v2_registered, monkeypatch):
    monkeypatch.delitem(upcasters.UPCASTERS, ("attendance.clock", 1))
    events, rejected = decode([stored("evt-v1-00000003", "2026-11-16T09:07:00+08:00", 1, {"direction": "in"})])
    assert events == [] and rejected.count == 1 and "verified" in rejected.first[0]


def test_today_v1_is_current_and_takes_the_fast_path():
    assert registry.CURRENT_VERSIONS["attendance.clock"] == 1
    events, rejected = decode([stored("evt-v1-00000004", "2026-11-16T09:07:00+08:00", 1, {"direction": "in"}),
                               stored("evt-v9-00000005", "2026-11-16T09:07:00+08:00", 9, {"direction": "in"})])
    assert [e.event_id for e in events] == ["evt-v1-00000004"]
    assert rejected.count == 1 and "schema_version" in rejected.first[0]
