"""Folding weekly scores into months and years, as a rubric's `folding` says.

通许 (001): 月评比 compares the months; 每月考评得分 25% 折合为年终考核总分 — the
monthly scores make up a share of the annual total, the rest comes from
components a manager records; a 一票否决 fails the year whatever the score.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hallscore.core.periods import IsoWeek, month_of_week
from hallscore.core.rubric import YearFolding

CENT = Decimal("0.01")


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_UP)


def month_scores(week_scores: dict[IsoWeek, Decimal]) -> dict[tuple[int, int], Decimal]:
    """Mean of the weeks of each month; a week counts for its Thursday's month."""
    by_month: dict[tuple[int, int], list[Decimal]] = {}
    for week, score in week_scores.items():
        by_month.setdefault(month_of_week(week), []).append(score)
    return {m: _mean(v) for m, v in sorted(by_month.items())}


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    share: Decimal
    value: Decimal | None  # None: not recorded yet
    weighted: Decimal | None


@dataclass(frozen=True)
class YearResult:
    year: int
    components: tuple[Component, ...]
    total: Decimal | None  # None until every component has a value
    vetoed: bool

    @property
    def passed(self) -> bool | None:
        """False if vetoed (一票否决), whatever the total; None while incomplete."""
        if self.vetoed:
            return False
        return None if self.total is None else True

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.components if c.value is None)


def year_result(year: int, folding: YearFolding, months: dict[tuple[int, int], Decimal],
                manual: dict[str, Decimal], vetoed: bool) -> YearResult:
    """The annual total from the year's monthly scores and the manual components."""
    of_year = [v for (y, _), v in months.items() if y == year]
    comps = []
    for c in folding.components:
        value = (_mean(of_year) if of_year else None) if c.source == "mean_of_months" else manual.get(c.id)
        weighted = None if value is None else (value * c.share).quantize(CENT, ROUND_HALF_UP)
        comps.append(Component(c.id, c.name, c.share, value, weighted))
    total = None if any(c.weighted is None for c in comps) else sum((c.weighted for c in comps), Decimal(0))
    return YearResult(year, tuple(comps), total, vetoed)
