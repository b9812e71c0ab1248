"""What a replay would change: weekly ranks, monthly scores, quarterly awards, annual results.

Both projections (the version the job is compared against, and the job's label)
are read with the ranking service's own span query (services/ranking/
period_queries.load_span) and ranked by the same core as the pages and bulletins:
Span.week for the 周通报 ranks (ties share a rank), standings.month_table
(folding: a month is the mean of its weeks), awards.quarter_scores and
awards.quality_windows for 优质窗口, awards.year_standings for the year (a veto
fails it whatever the score). One hall at a time: each hall ranks its own units.

Like with like: both sides are computed from the replayed weeks only. A month,
quarter or year the span covers in part is marked `complete: false` (its score is
the mean of the replayed weeks), and only vetoes that occurred inside the span are
compared. A replay of whole years has no partial periods.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hallscore.core import awards
from hallscore.core.period_weeks import months_of_quarter, week_end, weeks_of_month
from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import Rubric
from hallscore.core.standings import Span, month_table, rank_scores, vetoed
from hallscore.store.adapter import Store

LEVELS = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Change:
    level: str  # week | month | quarter | year
    period: str  # 2026-W47 | 2026-11 | 2026-Q4 | 2026
    hall: str
    unit: str
    old_rank: int | None
    new_rank: int | None
    old_score: Decimal | None
    new_score: Decimal | None
    complete: bool = True  # the period lies wholly inside the replayed span
    old_flag: bool | None = None  # quarter: awarded 优质窗口; year: vetoed (fails the year)
    new_flag: bool | None = None

    @property
    def score_change(self) -> Decimal | None:
        if self.old_score is None or self.new_score is None:
            return None
        return self.new_score - self.old_score

    @property
    def rank_change(self) -> int | None:
        """Places moved up (positive) or down (negative)."""
        return None if self.old_rank is None or self.new_rank is None else self.old_rank - self.new_rank


def span_weeks(first, last) -> tuple[IsoWeek, ...]:
    w, end, out = IsoWeek.of_date(first), IsoWeek.of_date(last), []
    while w <= end:
        out.append(w)
        w = w.shift(1)
    return tuple(out)


def _load(store: Store, label: str, rubric: Rubric, hall: str, weeks: tuple[IsoWeek, ...], since) -> Span:
    from services.ranking.period_queries import load_span

    span = load_span(store, label, [hall], weeks, rubric.base_points, tuple(v.id for v in rubric.vetoes))
    span.vetoes = [v for v in span.vetoes if v.at >= since]  # like with like: vetoes inside the span
    return span


def _ranked(ranking) -> dict[str, tuple[int, Decimal]]:
    return {r.entry.unit: (r.rank, r.entry.score) for r in ranking}


def _pairs(level: str, period: str, old: dict, new: dict, complete: bool = True,
           old_flags: set[str] | None = None, new_flags: set[str] | None = None) -> list[Change]:
    out = []
    for key in sorted(set(old) | set(new)):
        (o_rank, o_score), (n_rank, n_score) = old.get(key, (None, None)), new.get(key, (None, None))
        o_flag = None if old_flags is None else key in old_flags
        n_flag = None if new_flags is None else key in new_flags
        if (o_rank, o_score, o_flag) != (n_rank, n_score, n_flag):
            hall, _, unit = key.partition("/")
            out.append(Change(level, period, hall, unit, o_rank, n_rank, o_score, n_score, complete, o_flag, n_flag))
    return out


def compare_hall(store: Store, hall: str, weeks: tuple[IsoWeek, ...], since, old_label: str, old: Rubric,
                 new_label: str, new: Rubric) -> list[Change]:
    """Every difference between the two projections of one hall over the weeks."""
    spans = (_load(store, old_label, old, hall, weeks, since), _load(store, new_label, new, hall, weeks, since))
    changes: list[Change] = []
    for w in weeks:
        changes += _pairs("week", str(w), *(_ranked(s.week(w)) for s in spans))
    months = [month_table(s.counted_week_scores(weeks)) for s in spans]
    inside = set(weeks)
    all_months = sorted({m for table in months for by_month in table.values() for m in by_month})
    for m in all_months:
        end = week_end(weeks_of_month(*m)[-1])
        scores = [{k: t[m] for k, t in table.items() if m in t} for table in months]
        ranked = [_ranked(rank_scores(sc, vetoed(s.vetoes, m[0], end))) for sc, s in zip(scores, spans)]
        changes += _pairs("month", f"{m[0]}-{m[1]:02d}", *ranked, complete=set(weeks_of_month(*m)) <= inside)
    for y, q in sorted({(y, (mo - 1) // 3 + 1) for y, mo in all_months}):
        qm = months_of_quarter(y, q)
        end = week_end(weeks_of_month(*qm[-1])[-1])
        scores = [awards.quarter_scores(table, qm) for table in months]
        vetoes = [vetoed(s.vetoes, y, end) for s in spans]
        ranked = [_ranked(rank_scores(sc, v)) for sc, v in zip(scores, vetoes)]
        won = [{a.key for a in awards.quality_windows(sc, v)} for sc, v in zip(scores, vetoes)]
        complete = all(set(weeks_of_month(*m)) <= inside for m in qm)
        changes += _pairs("quarter", f"{y}-Q{q}", *ranked, complete=complete, old_flags=won[0], new_flags=won[1])
    for y in sorted({y for y, _ in all_months}):
        changes += _year(y, months, spans, (old, new), inside)
    return changes


def _year(year: int, months: list[dict], spans: tuple[Span, Span], rubrics: tuple[Rubric, Rubric],
          inside: set[IsoWeek]) -> list[Change]:
    """The year's monthly component (mean of its months) and its veto, per unit."""
    end = week_end(weeks_of_month(year, 12)[-1])
    sides = []
    for table, span, rubric in zip(months, spans, rubrics):
        v = vetoed(span.vetoes, year, end)
        of_year = {k: [s for (y, _), s in ms.items() if y == year] for k, ms in table.items()}
        scores = {k: awards.mean(vals) for k, vals in of_year.items() if vals}
        ranked = _ranked(rank_scores({k: s for k, s in scores.items() if k not in v}, set()))
        sides.append(({k: (ranked.get(k, (None,))[0], s) for k, s in scores.items()}, v))
    complete = all(set(weeks_of_month(year, m)) <= inside for m in range(1, 13))
    return _pairs("year", str(year), sides[0][0], sides[1][0], complete=complete,
                  old_flags=sides[0][1], new_flags=sides[1][1])


def compare(store: Store, halls: list[str], first, last, old_label: str, old: Rubric, new_label: str,
            new: Rubric) -> list[Change]:
    """Differences over the halls, days first..last (whole weeks), in level order."""
    weeks = span_weeks(first, last)
    since = week_end(weeks[0]) - timedelta(days=7)  # the first replayed Monday, 00:00
    out: list[Change] = []
    for hall in halls:
        out += compare_hall(store, hall, weeks, since, old_label, old, new_label, new)
    return sorted(out, key=lambda c: (LEVELS.index(c.level), c.period, c.hall, c.unit))


def summary(changes: list[Change]) -> dict[str, dict]:
    """Per level: periods and units with a change, and units whose score changed."""
    out = {}
    for level in LEVELS:
        mine = [c for c in changes if c.level == level]
        out[level] = {"rows": len(mine), "periods": len({c.period for c in mine}),
                      "units": len({(c.hall, c.unit) for c in mine}),
                      "units_score_changed": len({(c.hall, c.unit) for c in mine if c.score_change})}
    return out
