"""Chinese working days, 调休 included.

Sources, first match wins, per year:
  1. a holiday schedule supplied as data (`calendars/<year>.yaml` in the
     repo, or the same file in a service's data folder, which a hall manager
     writes with `hallscore calendar set` or the rectification API): the
     State Council publishes each year's 放假/调休 notice around November,
     after the library we depend on was released;
  2. the chinese-calendar library (it knows 2004-2026 in version 1.11);
  3. Monday-Friday, flagged: `is_known` is False for such a day and a
     deadline counted over it is `provisional`, so callers can show that
     instead of crashing (a timer must never die on next year's date).

The module-level `is_workday` / `is_known` use the repo's calendars only
(cached: scoring asks for the same few days thousands of times). Services
that accept a manager's schedule at run time build a `Calendar` instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hallscore.core.datafile import DataFileError, load_yaml_model

REPO_CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
# add_workdays never looks further than this many calendar days (a typo of
# n=10000 must fail fast, not loop for years).
_MAX_SPAN_DAYS = 3 * 366


class CalendarError(DataFileError):
    """A holiday schedule that cannot be used; the message names the field."""


class DayRange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=40, description="e.g. 春节, 国庆节")
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"{self.name}: 'to' {self.end} is before 'from' {self.start}")
        if (self.end - self.start).days > 31:
            raise ValueError(f"{self.name}: a holiday of more than 31 days is surely a typo")
        return self

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class YearSchedule(BaseModel):
    """One year's 放假 and 调休 as the State Council's notice gives them."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1, max_length=300, description="The notice this copies, e.g. 国办发明电〔2026〕N号.")
    holidays: tuple[DayRange, ...] = Field(description="Days off (ranges may include weekends).")
    workdays: tuple[date, ...] = Field(default=(), description="调休: weekend days that are working days.")

    @model_validator(mode="after")
    def _consistent(self):
        off = {d for r in self.holidays for d in r.days()}
        for d in [*off, *self.workdays]:
            if d.year != self.year:
                raise ValueError(f"{d} is not in year {self.year}")
        for d in self.workdays:
            if d.weekday() < 5:
                raise ValueError(f"workdays: {d} is a {d:%A}; 调休 working days are Saturdays or Sundays")
            if d in off:
                raise ValueError(f"workdays: {d} is also inside a holiday range")
        return self

    @property
    def off_days(self) -> frozenset[date]:
        return frozenset(d for r in self.holidays for d in r.days())

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.off_days


def load_schedule(path: str | Path) -> YearSchedule:
    schedule = load_yaml_model(path, YearSchedule, CalendarError)
    stem = Path(path).stem
    if stem.isdigit() and int(stem) != schedule.year:
        raise CalendarError(f"{path}: year: {schedule.year} does not match the file name {stem}.yaml")
    return schedule


def load_dir(folder: str | Path) -> dict[int, YearSchedule]:
    """Every `<year>.yaml` in a folder (missing folder: none)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {s.year: s for s in (load_schedule(p) for p in sorted(folder.glob("[0-9][0-9][0-9][0-9].yaml")))}


@dataclass(frozen=True)
class Deadline:
    """A due day and whether it rests on a guessed (Mon-Fri) calendar."""

    due: date
    provisional: bool = False
    unknown_years: tuple[int, ...] = ()


class Calendar:
    """Working days from supplied schedules, then the library, then Mon-Fri."""

    def __init__(self, schedules: Mapping[int, YearSchedule] | Iterable[YearSchedule] = ()) -> None:
        items = schedules.values() if isinstance(schedules, Mapping) else schedules
        self.schedules: dict[int, YearSchedule] = {s.year: s for s in items}

    @classmethod
    def from_dirs(cls, *folders: str | Path) -> "Calendar":
        """Later folders win (repo first, then a data folder's override)."""
        merged: dict[int, YearSchedule] = {}
        for f in folders:
            merged.update(load_dir(f))
        return cls(merged)

    def source(self, year: int) -> str:
        if year in self.schedules:
            return f"schedule: {self.schedules[year].source}"
        return "chinese-calendar" if _library_knows(year) else "unknown (Mon-Fri assumed)"

    def is_known(self, d: date) -> bool:
        return d.year in self.schedules or _library_knows(d.year)

    def is_workday(self, d: date) -> bool:
        s = self.schedules.get(d.year)
        if s is not None:
            return s.is_workday(d)
        return _library_workday(d)


@lru_cache(maxsize=256)
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


@lru_cache(maxsize=8192)
def _library_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def add_workdays(start: date, n: int, calendar: Calendar | None = None) -> Deadline:
    """The n-th working day after `start` (n=0: `start` itself if it is a
    working day, else the next one: "the same working day").

    Example: opened Wed 2026-09-30, n=5 -> 8, 9, 10 (调休 Saturday), 12, 13
    October: due 2026-10-13. Provisional if any day counted lies in a year
    no source knows.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    cal = calendar or default_calendar()
    unknown: set[int] = set()

    def work(d: date) -> bool:
        if not cal.is_known(d):
            unknown.add(d.year)
        return cal.is_workday(d)

    d = start
    if n == 0:
        while not work(d):
            d += timedelta(days=1)
    else:
        left = n
        while left:
            d += timedelta(days=1)
            if (d - start).days > _MAX_SPAN_DAYS:
                raise ValueError(f"{n} working days after {start} is more than three years away")
            if work(d):
                left -= 1
    return Deadline(d, bool(unknown), tuple(sorted(unknown)))


@lru_cache(maxsize=1)
def default_calendar() -> Calendar:
    """The repo's calendars/ folder over the library (read once per process)."""
    return Calendar(load_dir(REPO_CALENDARS))


@lru_cache(maxsize=4096)
def is_known(d: date) -> bool:
    return default_calendar().is_known(d)


# Cached: evaluation asks for the same few days thousands of times, and the
# library validates each date on every call.
@lru_cache(maxsize=4096)
def is_workday(d: date) -> bool:
    return default_calendar().is_workday(d)
