"""Weekly, monthly, quarterly and annual rankings of a scope as JSON-ready dicts.

The store is asked for aggregates only (period_queries); which weeks count, vetoes,
ranks, rank changes, awards and the annual composition come from the pure core
(hallscore.core.standings / awards / folding). Money is a string with two decimals.
"""
from __future__ import annotations

from decimal import Decimal

from hallscore.core import awards
from hallscore.core.period_weeks import Period, month_label, year_start
from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import Rubric
from hallscore.core.schedule import HallsConfig
from hallscore.core.staff import StaffScore
from hallscore.core.standings import Span, month_table, rank_changes, rank_scores, vetoed
from hallscore.store.adapter import Store

from . import period_queries as pq
from . import year_components
from .common import BadInput, money
from .scope import Scope


class Standings:
    def __init__(self, store: Store, config: HallsConfig, pre_aggregated: bool = True):
        self.store, self.config, self.pre_aggregated = store, config, pre_aggregated

    # -- helpers --------------------------------------------------------------------
    def who(self, k: str) -> dict:
        hall, unit = pq.split_key(k)
        entry = self.config.halls.get(hall)
        return {"hall": hall, "hall_name": entry.name if entry else hall,
                "unit": unit, "unit_name": self.config.unit_name(hall, unit)}

    def span(self, rubric: Rubric, scope: Scope, weeks: tuple[IsoWeek, ...]) -> Span:
        return pq.load_span(self.store, rubric.rubric_version, scope.halls, weeks, rubric.base_points,
                            tuple(v.id for v in rubric.vetoes), self.pre_aggregated)

    def head(self, rubric: Rubric, scope: Scope, period: Period) -> dict:
        return {"scope": scope.to_json(), "kind": period.kind, "period": period.label,
                "title": period.title, "weeks": [str(w) for w in period.weeks],
                "first_day": period.first_monday.isoformat(),
                "last_day": period.weeks[-1].sunday.isoformat(),
                "rubric_version": rubric.rubric_version, "base_points": money(rubric.base_points)}

    def veto_list(self, rubric: Rubric, span: Span, period: Period) -> list[dict]:
        out = []
        for v in span.vetoes:
            if year_start(period.year) <= v.at < period.end:
                name = rubric.veto(v.rule_id)
                out.append({**self.who(v.key), "rule_id": v.rule_id, "rule_name": name.name if name else None,
                            "occurred_at": v.at.isoformat(), "source_id": v.source_id})
        return out

    # -- week -------------------------------------------------------------------------
    def week(self, rubric: Rubric, scope: Scope, period: Period) -> dict:
        week = period.weeks[0]
        prev = week.shift(-1)
        span = self.span(rubric, scope, (prev, week))
        current = span.week(week, counted_only=scope.kind != "hall")
        changes = rank_changes(current, span.week(prev, counted_only=True))
        units = []
        for r in current:
            e = r.entry
            before, change = changes[e.unit]
            units.append({"rank": r.rank, "previous_rank": before, "rank_change": change, **self.who(e.unit),
                          "score": money(e.score), "deductions": money(e.deductions),
                          "bonuses": money(e.bonuses), "vetoed": e.vetoed})
        return {**self.head(rubric, scope, period), "previous_week": str(prev), "units": units,
                "vetoes": self.veto_list(rubric, span, period)}

    # -- month ------------------------------------------------------------------------
    def month(self, rubric: Rubric, scope: Scope, period: Period) -> dict:
        span = self.span(rubric, scope, period.weeks)
        weeks = span.counted_week_scores(period.weeks)
        months = month_table(weeks)
        scores = {k: m[period.months[0]] for k, m in months.items() if period.months[0] in m}
        out = self._ranked(scores, vetoed(span.vetoes, period.year, period.end), "weeks",
                           lambda k: [{"week": str(w), "score": money(s)} for w, s in sorted(weeks[k].items())])
        return {**self.head(rubric, scope, period), "units": out, "vetoes": self.veto_list(rubric, span, period)}

    def _ranked(self, scores: dict[str, Decimal], vetoed_keys: set[str], parts_name: str, parts) -> list[dict]:
        return [{"rank": r.rank, **self.who(r.entry.unit), "score": money(r.entry.score),
                 "vetoed": r.entry.vetoed, parts_name: parts(r.entry.unit)}
                for r in rank_scores(scores, vetoed_keys)]

    # -- quarter ----------------------------------------------------------------------
    def quarter(self, rubric: Rubric, scope: Scope, period: Period, n: int) -> dict:
        span = self.span(rubric, scope, period.weeks)
        months = month_table(span.counted_week_scores(period.weeks))
        scores = awards.quarter_scores(months, period.months)
        vetoed_keys = vetoed(span.vetoes, period.year, period.end)
        units = self._ranked(scores, vetoed_keys, "months", lambda k: [
            {"month": month_label(m), "score": money(months[k][m])} for m in period.months if m in months[k]])
        windows = [{"rank": a.rank, **self.who(a.key), "score": money(a.score)}
                   for a in awards.quality_windows(scores, vetoed_keys, n)]
        return {**self.head(rubric, scope, period), "units": units, "vetoes": self.veto_list(rubric, span, period),
                "awards": {"n": n, "quality_windows": windows,
                           "service_stars": self._stars(rubric, scope, period, vetoed_keys, n)}}

    def _stars(self, rubric: Rubric, scope: Scope, period: Period, vetoed_keys: set[str], n: int) -> list[dict]:
        base = rubric.base_points
        scored = [StaffScore(staff, pq.key(hall, unit), base + ded + bon, ded, bon, occ)
                  for hall, unit, staff, ded, bon, occ in
                  pq.staff_totals(self.store, rubric.rubric_version, scope.halls, period.weeks)]
        activity = {(staff, pq.key(hall, unit)): (praised, tx) for hall, unit, staff, praised, tx in
                    pq.staff_activity(self.store, scope.halls, period.weeks)}
        out = []
        for star in awards.service_stars(awards.staff_records(scored, activity, base), n):
            s = star.record.score
            out.append({"rank": star.rank, "staff": s.staff, **self.who(s.unit), "score": money(s.score),
                        "deductions": money(s.deductions), "bonuses": money(s.bonuses),
                        "occurrences": s.occurrences, "praised": star.record.praised,
                        "transactions": star.record.transactions, "unit_vetoed": s.unit in vetoed_keys})
        return out

    # -- year -------------------------------------------------------------------------
    def year(self, rubric: Rubric, scope: Scope, period: Period) -> dict:
        folding = rubric.folding.year
        if folding is None:
            raise BadInput("year", f"rubric {rubric.rubric_version} has no folding.year: no annual total")
        span = self.span(rubric, scope, period.weeks)
        months = month_table(span.counted_week_scores(period.weeks))
        manual = year_components.latest(self.store, scope.halls, period.year)
        vetoed_keys = vetoed(span.vetoes, period.year, period.end)
        units = []
        for st in awards.year_standings(months, period.year, folding, manual, vetoed_keys):
            res = st.result
            units.append({
                "rank": st.rank, **self.who(st.key),
                "total": None if res.total is None else money(res.total),
                "passed": res.passed, "vetoed": res.vetoed, "missing": list(res.missing),
                "components": [{"id": c.id, "name": c.name, "share": str(c.share),
                                "value": None if c.value is None else money(c.value),
                                "weighted": None if c.weighted is None else money(c.weighted)}
                               for c in res.components],
                "months": [{"month": month_label(m), "score": money(s)} for m, s in sorted(months[st.key].items())]})
        return {**self.head(rubric, scope, period), "units": units, "vetoes": self.veto_list(rubric, span, period),
                "components": [{"id": c.id, "name": c.name, "share": str(c.share), "source": c.source}
                               for c in folding.components]}


    # -- trend ------------------------------------------------------------------------
    def trend(self, rubric: Rubric, scope: Scope, last: IsoWeek, count: int = 12) -> dict:
        """Scores of the last `count` weeks up to `last` (weeks with data only): key -> {week: score}."""
        weeks = tuple(last.shift(-i) for i in range(count - 1, -1, -1))
        scores = self.span(rubric, scope, weeks).counted_week_scores(weeks)
        shown = sorted({w for by_week in scores.values() for w in by_week})
        return {"weeks": shown, "scores": scores}
