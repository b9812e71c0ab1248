import json
from pathlib import Path

import jsonschema
import pytest

from schemas import export
from schemas.registry import CURRENT_VERSIONS, EventError, parse_event
from schemas.topics import topic_for, unit_key
from schemas.upcasters import upcast

EXAMPLES = sorted((Path(export.__file__).parent / "examples").glob("*.json"))


def test_every_type_has_an_example():
    assert {p.name.rsplit(".v", 1)[0] for p in EXAMPLES} == set(CURRENT_VERSIONS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_with_pydantic_and_exported_json_schema(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    event = parse_event(raw)
    assert event.event_id == raw["event_id"]
    schema = json.loads((export.OUT / path.name).read_text(encoding="utf-8"))
    jsonschema.validate(raw, schema)
    assert topic_for(event.type).startswith("hallscore.")


def test_exported_json_schema_is_current():
    for name, text in export.rendered().items():
        assert (export.OUT / name).read_text(encoding="utf-8") == text, f"run python -m schemas.export ({name} is stale)"


def _clock(**over):
    raw = json.loads((export.OUT.parent / "examples" / "attendance.clock.v1.json").read_text(encoding="utf-8"))
    raw.update(over)
    return raw


def test_errors_name_each_field():
    bad = _clock(occurred_at="2026-11-16T08:41:00", payload={"direction": "sideways"})
    with pytest.raises(EventError) as exc:
        parse_event(bad)
    fields = {e["field"] for e in exc.value.errors}
    assert fields == {"occurred_at", "payload.direction"}


def test_unknown_type_and_version_are_named():
    with pytest.raises(EventError) as exc:
        parse_event(_clock(type="attendance.teleport"))
    assert exc.value.errors[0]["field"] == "type"
    with pytest.raises(EventError) as exc:
        parse_event(_clock(schema_version=9))
    assert exc.value.errors[0]["field"] == "schema_version"


def test_extra_fields_are_refused_and_models_are_frozen():
    with pytest.raises(EventError):
        parse_event(_clock(colour="red"))
    event = parse_event(_clock())
    with pytest.raises(Exception):
        event.hall = "other"  # type: ignore[misc]


def test_upcaster_chain_reaches_current_version():
    steps = {("x.y", 1): lambda d: {**d, "schema_version": 2, "b": d["a"] * 2},
             ("x.y", 2): lambda d: {**d, "schema_version": 3, "c": d["b"] + 1}}
    out = upcast({"type": "x.y", "schema_version": 1, "a": 5}, {"x.y": 3}, steps)
    assert out == {"type": "x.y", "schema_version": 3, "a": 5, "b": 10, "c": 11}


def test_unit_key_includes_hall():
    assert unit_key("h1", "u1") != unit_key("h2", "u1")
