"""The event envelope every device and service puts on the wire.

Shipped shapes are never edited: a changed shape is a new schema_version of
its type with an upcaster (schemas/upcasters.py) from the old one.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Ids are chosen by the client (device) so that a retry carries the same id
# and intake can tell a redelivery from a new event.
EVENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{7,127}$"
# Hall / unit / window / staff ids: readable, stable, safe in URLs and keys.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"


class Envelope(BaseModel):
    """Fields common to every event, whatever its type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(pattern=EVENT_ID_PATTERN, description="Client-generated id, unique per event (a UUID is fine); a retry must reuse it.")
    type: str = Field(description="Event type string, e.g. 'attendance.clock'.")
    schema_version: int = Field(ge=1, description="Version of this type's shape.")
    occurred_at: AwareDatetime = Field(description="When it happened, ISO 8601 with a UTC offset, e.g. 2026-11-16T08:41:00+08:00.")
    hall: str = Field(pattern=CODE_PATTERN, description="Hall id (政务服务中心 / 便民服务中心 / 便民服务站).")
    unit: str = Field(pattern=CODE_PATTERN, description="Window unit id (窗口单位).")
    window: str | None = Field(default=None, pattern=CODE_PATTERN, description="Window number or id, if known.")
    staff: str | None = Field(default=None, pattern=CODE_PATTERN, description="Staff id, when the event concerns one person.")
    device: str = Field(pattern=CODE_PATTERN, description="Id of the device or system that produced the event.")

    @property
    def occurred(self) -> datetime:
        return self.occurred_at
