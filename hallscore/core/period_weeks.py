"""Which ISO weeks make up a month, a quarter or a year.

A week counts for the month of its Thursday (as ISO assigns weeks to years,
folding.month_scores): 2026-W44 (26 Oct - 1 Nov) is an October week, and a
month has four or five weeks. A quarter is its three months' weeks, a year
its twelve months' weeks. Everything a 月评比, 季表彰 or 年总结 adds up is
decided here, never in SQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hallscore.core.periods import SHANGHAI, IsoWeek

KINDS = ("week", "month", "quarter", "year")
_PATTERNS = {
    "week": (re.compile(r"^(\d{4})-W(\d{2})$"), "2026-W47"),
    "month": (re.compile(r"^(\d{4})-(\d{2})$"), "2026-11"),
    "quarter": (re.compile(r"^(\d{4})-Q(\d)$"), "2026-Q4"),
    "year": (re.compile(r"^(\d{4})$"), "2026"),
}
FIRST_YEAR, LAST_YEAR = 2000, 2100
_QUARTER_NAMES = "一二三四"


def weeks_of_month(year: int, month: int) -> tuple[IsoWeek, ...]:
    """The weeks whose Thursday falls in the month, in order."""
    d = date(year, month, 1)
    d += timedelta(days=(3 - d.weekday()) % 7)  # the month's first Thursday
    out = []
    while d.month == month:
        out.append(IsoWeek.of_date(d))
        d += timedelta(days=7)
    return tuple(out)


def months_of_quarter(year: int, quarter: int) -> tuple[tuple[int, int], ...]:
    return tuple((year, m) for m in range(3 * quarter - 2, 3 * quarter + 1))


def week_end(week: IsoWeek) -> datetime:
    """The instant the week ends: the next Monday 00:00 in Asia/Shanghai."""
    return datetime.combine(week.monday + timedelta(days=7), time(0), tzinfo=SHANGHAI)


def year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Period:
    """A week, month, quarter or year, with the weeks (and months) it is made of."""

    kind: str
    label: str
    year: int  # the calendar year its vetoes count in (a week: its Thursday's year)
    months: tuple[tuple[int, int], ...]
    weeks: tuple[IsoWeek, ...]

    @property
    def first_monday(self) -> date:
        return self.weeks[0].monday

    @property
    def last_monday(self) -> date:
        return self.weeks[-1].monday

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_monday, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """Exclusive end of its last week."""
        return week_end(self.weeks[-1])

    @property
    def title(self) -> str:
        """The period as a Chinese heading: 2026年第47周, 2026年11月, 2026年第四季度, 2026年度."""
        if self.kind == "week":
            w = self.weeks[0]
            return f"{w.year}年第{w.week}周"
        if self.kind == "month":
            return f"{self.months[0][0]}年{self.months[0][1]}月"
        if self.kind == "quarter":
            return f"{self.year}年第{_QUARTER_NAMES[int(self.label[-1]) - 1]}季度"
        return f"{self.year}年度"


def parse_period(kind: str, text: str) -> Period:
    """A period from its label; ValueError with a message naming the expected form."""
    if kind not in _PATTERNS:
        raise ValueError(f"unknown period kind {kind!r}")
    pattern, example = _PATTERNS[kind]
    m = pattern.match(text or "")
    if not m:
        raise ValueError(f"{kind} must look like {example}, got {text!r}")
    year = int(m.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    if kind == "week":
        try:
            w = IsoWeek.parse(text)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        thursday = w.monday + timedelta(days=3)
        return Period(kind, text, thursday.year, ((thursday.year, thursday.month),), (w,))
    if kind == "month":
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 01-12, got {text!r}")
        months = ((year, month),)
    elif kind == "quarter":
        q = int(m.group(2))
        if not 1 <= q <= 4:
            raise ValueError(f"quarter must be Q1-Q4, got {text!r}")
        months = months_of_quarter(year, q)
    else:
        months = tuple((year, mo) for mo in range(1, 13))
    weeks = tuple(w for y, mo in months for w in weeks_of_month(y, mo))
    return Period(kind, text, year, months, weeks)


def month_label(month: tuple[int, int]) -> str:
    return f"{month[0]}-{month[1]:02d}"
