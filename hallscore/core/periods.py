"""Period math in Asia/Shanghai: ISO weeks, months, quarters, years.

Every period a score belongs to is decided here, from the event's own
occurred_at converted to Shanghai time, never from the server's zone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: an offset is required")
    return dt.astimezone(SHANGHAI)


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        # date.fromisocalendar validates week 53 against the year.
        date.fromisocalendar(self.year, self.week, 1)

    @classmethod
    def of(cls, dt: datetime) -> "IsoWeek":
        y, w, _ = local(dt).isocalendar()
        return cls(y, w)

    @classmethod
    def of_date(cls, d: date) -> "IsoWeek":
        y, w, _ = d.isocalendar()
        return cls(y, w)

    @classmethod
    def parse(cls, text: str) -> "IsoWeek":
        m = _WEEK_RE.match(text)
        if not m:
            raise ValueError(f"week must look like 2026-W47, got {text!r}")
        try:
            return cls(int(m.group(1)), int(m.group(2)))
        except ValueError:
            raise ValueError(f"{text} is not a week of ISO year {m.group(1)}") from None

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    def shift(self, weeks: int) -> "IsoWeek":
        return IsoWeek.of_date(self.monday + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def month_of(dt: datetime) -> tuple[int, int]:
    d = local(dt)
    return d.year, d.month


def quarter_of(dt: datetime) -> tuple[int, int]:
    d = local(dt)
    return d.year, (d.month - 1) // 3 + 1


def year_of(dt: datetime) -> int:
    return local(dt).year


# --- a rubric's period, as a label and a date range ------------------------

_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def period_label(kind: str, dt: datetime) -> str:
    """The label of the period of `kind` (week|month|quarter|year) holding dt."""
    d = local(dt)
    if kind == "week":
        return str(IsoWeek.of(dt))
    if kind == "month":
        return f"{d.year}-{d.month:02d}"
    if kind == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if kind == "year":
        return str(d.year)
    raise ValueError(f"unknown period kind {kind!r}")


def period_range(label: str) -> tuple[date, date]:
    """First and last day of a period label (2026-W47, 2026-11, 2026-Q4, 2026)."""
    if _WEEK_RE.match(label):
        w = IsoWeek.parse(label)
        return w.monday, w.sunday
    if m := _MONTH_RE.match(label):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ValueError(f"no month {label}")
        nxt = date(y + (mo == 12), mo % 12 + 1, 1)
        return date(y, mo, 1), nxt - timedelta(days=1)
    if m := _QUARTER_RE.match(label):
        y, q = int(m.group(1)), int(m.group(2))
        start = date(y, 3 * q - 2, 1)
        end = date(y + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
        return start, end
    if _YEAR_RE.match(label):
        y = int(label)
        return date(y, 1, 1), date(y, 12, 31)
    raise ValueError(f"period must look like 2026-W47, 2026-11, 2026-Q4 or 2026, got {label!r}")


def month_of_week(week: IsoWeek) -> tuple[int, int]:
    """The month a week counts for: its Thursday's (as ISO assigns weeks to years)."""
    thursday = week.monday + timedelta(days=3)
    return thursday.year, thursday.month
