"""The contract registry: every event type, its current version, parsing."""
from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter, ValidationError

from schemas.cases_v1 import CASES_V1_MODELS
from schemas.envelope import Envelope
from schemas.events_v1 import V1_MODELS
from schemas.upcasters import upcast

# Every shipped model, every version, one tuple per module of event types.
# Add a new module's tuple here; JSON Schema export and validation follow.
ALL_MODELS: tuple[type[Envelope], ...] = (*V1_MODELS, *CASES_V1_MODELS)


def type_of(model: type[Envelope]) -> str:
    return model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]


def version_of(model: type[Envelope]) -> int:
    return model.model_fields["schema_version"].annotation.__args__[0]  # type: ignore[union-attr]


# The current (highest) version of each type; older ones reach it through
# upcasters (schemas/upcasters.py).
CURRENT_MODELS: dict[str, type[Envelope]] = {}
for _m in sorted(ALL_MODELS, key=version_of):
    CURRENT_MODELS[type_of(_m)] = _m
CURRENT_VERSIONS: dict[str, int] = {t: version_of(m) for t, m in CURRENT_MODELS.items()}
EVENT_TYPES: tuple[str, ...] = tuple(sorted(CURRENT_MODELS))

AnyEvent = Annotated[Union[tuple(CURRENT_MODELS.values())], Field(discriminator="type")]  # type: ignore[valid-type]
_adapter: TypeAdapter[Envelope] = TypeAdapter(AnyEvent)


class EventError(ValueError):
    """An event that does not match the contract; `errors` name each field."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


def _field_path(loc: tuple, type_: str | None) -> str:
    # The discriminated union puts the type tag first in loc; users want the
    # path inside their own JSON.
    parts = [str(p) for p in loc]
    if parts and type_ is not None and parts[0] == type_:
        parts = parts[1:]
    return ".".join(parts) or "(event)"


def parse_event(raw: Any) -> Envelope:
    """Validate one decoded JSON value as an event of the current contract."""
    if not isinstance(raw, dict):
        raise EventError([{"field": "(event)", "message": "an event must be a JSON object"}])
    type_ = raw.get("type")
    if type_ not in CURRENT_MODELS:
        raise EventError([{"field": "type", "message": f"unknown event type {type_!r}; known: {', '.join(EVENT_TYPES)}"}])
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1 or version > CURRENT_VERSIONS[type_]:
        raise EventError([{"field": "schema_version", "message": f"unsupported schema_version {version!r} for {type_} (current: {CURRENT_VERSIONS[type_]})"}])
    data = upcast(raw, CURRENT_VERSIONS)
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        raise EventError(
            [{"field": _field_path(e["loc"], type_), "message": e["msg"]} for e in exc.errors()]
        ) from None


def event_to_json(event: Envelope) -> bytes:
    return event.model_dump_json().encode()
