"""Weekly standings over a span of weeks, from per-week totals (pure).

The rules the 周通报 and every longer period share:
  * a unit is listed in a week once it has had any event up to the week's end,
    or has ledger lines in the week; with no counted line it scores the base;
  * a week counts for a month/quarter/year only if its hall had any data that
    week (an event or a ledger line) — a hall-wide holiday week is skipped,
    not scored as a full base for everybody;
  * a unit is vetoed in a period when an applied 一票否决 occurred from 1 January
    of the period's year up to the end of the period's last week;
  * rank change is against the previous week: previous rank minus this rank
    (positive = moved up), None when the unit was not ranked last week or its
    hall had no data last week.
Keys are opaque strings (the service uses "hall/unit").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable

from hallscore.core.folding import month_scores
from hallscore.core.period_weeks import week_end, year_start
from hallscore.core.periods import IsoWeek
from hallscore.core.ranking import Ranked, UnitScore, rank, weekly_score

ZERO = Decimal(0)


@dataclass(frozen=True)
class Veto:
    key: str
    rule_id: str
    source_id: str
    at: datetime


def present(first_seen: dict[str, datetime], with_lines: Iterable[str], week: IsoWeek) -> set[str]:
    """Keys listed in a week: an event before its end, or a ledger line in it."""
    end = week_end(week)
    return {k for k, at in first_seen.items() if at < end} | set(with_lines)


def vetoed(vetoes: Iterable[Veto], year: int, until: datetime) -> set[str]:
    start = year_start(year)
    return {v.key for v in vetoes if start <= v.at < until}


def rank_week(base: Decimal, keys: Iterable[str], totals: dict[str, tuple[Decimal, Decimal]],
              vetoed_keys: set[str]) -> list[Ranked]:
    """First to last; ties share a rank (core.ranking)."""
    entries = []
    for k in keys:
        ded, bon = totals.get(k, (ZERO, ZERO))
        entries.append(UnitScore(k, weekly_score(base, ded, bon), ded, bon, k in vetoed_keys))
    return rank(entries)


def rank_scores(scores: dict[str, Decimal], vetoed_keys: set[str]) -> list[Ranked]:
    """A ranking of period scores (month, quarter, year): same tie rule as the weeks."""
    return rank([UnitScore(k, s, ZERO, ZERO, k in vetoed_keys) for k, s in scores.items()])


def rank_changes(current: list[Ranked], previous: list[Ranked] | None) -> dict[str, tuple[int | None, int | None]]:
    """key -> (previous rank, change); change > 0 means the unit moved up."""
    before = {r.entry.unit: r.rank for r in previous or []}
    out = {}
    for r in current:
        p = before.get(r.entry.unit)
        out[r.entry.unit] = (p, None if p is None else p - r.rank)
    return out


@dataclass
class Span:
    """A scope's weekly standings over consecutive weeks, built from one round of queries."""

    base: Decimal
    weeks: tuple[IsoWeek, ...]
    totals: dict[IsoWeek, dict[str, tuple[Decimal, Decimal]]]  # week -> key -> (ded, bon)
    first_seen: dict[str, datetime]
    data_weeks: dict[str, set[IsoWeek]]  # hall -> weeks with any data
    vetoes: list[Veto]

    @staticmethod
    def hall_of(key: str) -> str:
        return key.split("/", 1)[0]

    def has_data(self, key: str, week: IsoWeek) -> bool:
        return week in self.data_weeks.get(self.hall_of(key), set())

    def week(self, week: IsoWeek, counted_only: bool = False) -> list[Ranked]:
        """The week's ranking: every listed unit, or (counted_only) only the units of
        halls that had data that week."""
        totals = self.totals.get(week, {})
        keys = present(self.first_seen, totals, week)
        if counted_only:
            keys = {k for k in keys if self.has_data(k, week)}
        year = (week.monday + timedelta(days=3)).year  # the Thursday's year
        return rank_week(self.base, keys, totals, vetoed(self.vetoes, year, week_end(week)))

    def counted_week_scores(self, weeks: Iterable[IsoWeek]) -> dict[str, dict[IsoWeek, Decimal]]:
        """key -> {week: score} over the weeks that count (its hall had data that week)."""
        out: dict[str, dict[IsoWeek, Decimal]] = {}
        for w in weeks:
            for r in self.week(w, counted_only=True):
                out.setdefault(r.entry.unit, {})[w] = r.entry.score
        return out


def month_table(week_scores: dict[str, dict[IsoWeek, Decimal]]) -> dict[str, dict[tuple[int, int], Decimal]]:
    """key -> {(year, month): mean of its weeks} (core folding.month_scores)."""
    return {k: month_scores(ws) for k, ws in week_scores.items()}
