"""A hall's working hours, and which session a clock punch belongs to."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from hallscore.core.datafile import load_yaml_model
from hallscore.core.periods import local


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Session(_Strict):
    name: str
    start: time
    end: time


class Schedule(_Strict):
    grace_minutes: int = Field(default=0, ge=0, le=120)
    summer_from: str = Field(default="05-01", pattern=r"^\d{2}-\d{2}$")
    summer_to: str = Field(default="09-30", pattern=r"^\d{2}-\d{2}$")
    winter: tuple[Session, ...]
    summer: tuple[Session, ...]

    def sessions(self, d: date) -> tuple[Session, ...]:
        md = d.strftime("%m-%d")
        return self.summer if self.summer_from <= md <= self.summer_to else self.winter


class Unit(_Strict):
    name: str
    staff: tuple[str, ...] = Field(default=(), description="Rostered staff ids (for absence).")


def _unit(v):
    # A bare name is enough in the file: `tx-rsj: 县人社局`.
    return {"name": v} if isinstance(v, str) else v


class Hall(_Strict):
    """A hall's directory entry: its name, tier, units and (optional) hours."""

    name: str
    tier: Literal["county", "township", "village"] = "county"
    county: str = ""
    schedule: Schedule | None = None
    units: dict[str, Annotated[Unit, BeforeValidator(_unit)]] = Field(default_factory=dict)


class HallsConfig(_Strict):
    default: Schedule
    # The tier of a hall not listed here (rubrics apply by tier).
    default_tier: Literal["county", "township", "village"] = "county"
    halls: dict[str, Hall] = Field(default_factory=dict)

    def tier(self, hall: str) -> str:
        entry = self.halls.get(hall)
        return entry.tier if entry is not None else self.default_tier

    def roster(self, hall: str, unit: str) -> tuple[str, ...]:
        entry = self.halls.get(hall)
        u = entry.units.get(unit) if entry is not None else None
        return u.staff if u is not None else ()

    def schedule(self, hall: str) -> Schedule:
        entry = self.halls.get(hall)
        return entry.schedule if entry is not None and entry.schedule is not None else self.default

    def unit_name(self, hall: str, unit: str) -> str:
        entry = self.halls.get(hall)
        u = entry.units.get(unit) if entry is not None else None
        return u.name if u is not None else unit


DEFAULT_HALLS_FILE = Path(__file__).resolve().parents[2] / "halls" / "default.yaml"


def load_halls(path: str | Path = DEFAULT_HALLS_FILE) -> HallsConfig:
    """Raises DataFileError naming the file, field and reason."""
    return load_yaml_model(path, HallsConfig)


@dataclass(frozen=True)
class SessionSlot:
    """The session of one day a punch is counted against."""

    day: date
    session: Session


def session_of(schedule: Schedule, at: datetime) -> SessionSlot | None:
    """The session nearest to a punch: a punch before the midpoint of the
    gap between two sessions counts for the earlier one."""
    t = local(at)
    sessions = schedule.sessions(t.date())
    if not sessions:
        return None
    wall = t.time()
    for current, nxt in zip(sessions, sessions[1:]):
        mid = _midpoint(current.end, nxt.start)
        if wall < mid:
            return SessionSlot(t.date(), current)
    return SessionSlot(t.date(), sessions[-1])


def _midpoint(a: time, b: time) -> time:
    base = datetime(2000, 1, 1)
    da, db = datetime.combine(base, a), datetime.combine(base, b)
    return (da + (db - da) / 2).time()


def minutes_between(a: time, b: time) -> int:
    base = date(2000, 1, 1)
    return int((datetime.combine(base, b) - datetime.combine(base, a)) / timedelta(minutes=1))
