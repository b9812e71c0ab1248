"""季表彰 and 年总结 (001 第六条, 第二十五条), pure: who is awarded, how a year adds up.

  * a quarter's score is the mean of the unit's monthly scores in the quarter
    (a month is the mean of its weeks, core.folding.month_scores);
  * 优质窗口: the top N units by quarter score, vetoed units excluded; ties at
    the N-th place are all awarded (a shared rank is a shared rank);
  * 服务之星: the top N staff by core.staff.staff_scores over the quarter — base
    plus the points of the lines naming them — where a member of staff with
    events but no counted line scores the base. Equal scores are separated by
    fewer deduction occurrences, then more 非常满意 reviews, then more completed
    transactions; still equal shares the rank;
  * the annual total is core.folding.year_result over the year's months and the
    manually recorded components; a veto fails the year whatever the score.
Keys are opaque strings (the service uses "hall/unit").
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from hallscore.core.folding import YearResult, year_result
from hallscore.core.rubric import YearFolding
from hallscore.core.staff import StaffScore
from hallscore.core.standings import rank_scores

CENT = Decimal("0.01")
DEFAULT_N = 3


def mean(values: Iterable[Decimal]) -> Decimal:
    values = list(values)
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_UP)


def quarter_scores(months: dict[str, dict[tuple[int, int], Decimal]],
                   quarter_months: Iterable[tuple[int, int]]) -> dict[str, Decimal]:
    """key -> mean of its months in the quarter (keys with no month in it are left out)."""
    wanted = tuple(quarter_months)
    out = {}
    for key, by_month in months.items():
        values = [by_month[m] for m in wanted if m in by_month]
        if values:
            out[key] = mean(values)
    return out


@dataclass(frozen=True)
class Award:
    rank: int
    key: str
    score: Decimal


def quality_windows(scores: dict[str, Decimal], vetoed: set[str], n: int = DEFAULT_N) -> list[Award]:
    """优质窗口: ranked among the units without a veto; every unit ranked <= n."""
    ranked = rank_scores({k: s for k, s in scores.items() if k not in vetoed}, set())
    return [Award(r.rank, r.entry.unit, r.entry.score) for r in ranked if r.rank <= n]


@dataclass(frozen=True)
class StaffRecord:
    score: StaffScore
    praised: int = 0  # 非常满意 reviews naming them in the period
    transactions: int = 0  # completed transactions they handled

    def order(self) -> tuple:
        s = self.score
        return (-s.score, s.occurrences, -self.praised, -self.transactions, s.staff, s.unit)

    def tie(self) -> tuple:
        return self.order()[:4]


def staff_records(scored: Iterable[StaffScore], activity: dict[tuple[str, str], tuple[int, int]],
                  base: Decimal) -> list[StaffRecord]:
    """Everyone with a counted line (staff_scores) or any event (activity: (staff, unit) ->
    (praised, transactions)); those without a counted line score the base. Best first."""
    by_key = {(s.staff, s.unit): s for s in scored}
    for staff, unit in activity:
        by_key.setdefault((staff, unit), StaffScore(staff, unit, base, Decimal(0), Decimal(0), 0))
    records = [StaffRecord(s, *activity.get(k, (0, 0))) for k, s in by_key.items()]
    return sorted(records, key=StaffRecord.order)


@dataclass(frozen=True)
class Star:
    rank: int
    record: StaffRecord


def service_stars(records: list[StaffRecord], n: int = DEFAULT_N) -> list[Star]:
    """服务之星: staff ranked <= n (records best first, as staff_records returns them)."""
    out: list[Star] = []
    for pos, rec in enumerate(sorted(records, key=StaffRecord.order), start=1):
        r = out[-1].rank if out and out[-1].record.tie() == rec.tie() else pos
        if r > n:
            break
        out.append(Star(r, rec))
    return out


@dataclass(frozen=True)
class YearStanding:
    key: str
    rank: int | None  # None: vetoed (fails the year) or a component still missing
    result: YearResult


def year_standings(months: dict[str, dict[tuple[int, int], Decimal]], year: int, folding: YearFolding,
                   manual: dict[str, dict[str, Decimal]], vetoed: set[str]) -> list[YearStanding]:
    """Complete, unvetoed totals ranked first to last; then the vetoed; then the incomplete."""
    results = {k: year_result(year, folding, ms, manual.get(k, {}), k in vetoed) for k, ms in months.items()}
    complete = {k: r.total for k, r in results.items() if r.total is not None and not r.vetoed}
    ranked = [YearStanding(x.entry.unit, x.rank, results[x.entry.unit]) for x in rank_scores(complete, set())]
    rest = sorted((k for k in results if k not in complete),
                  key=lambda k: (not results[k].vetoed, -(results[k].total or Decimal(-1)), k))
    return ranked + [YearStanding(k, None, results[k]) for k in rest]
