"""An independent recount of the rankings in plain Python, from the raw ledger lines and
events (no SQL, no service code): what the endpoints must agree with.

Rules restated from docs/bulletins.md: counted lines are status applied/capped; a week's
score is base + deductions + bonuses; a unit is listed from the week of its first event
(or a week where it has lines); a rank is 1 + the number of strictly higher scores; a
month is the mean of the unit's weeks whose Thursday is in the month and in which the
hall had data; a quarter the mean of its months; vetoes count from 1 January of the
period's year to the end of its last week.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import SHANGHAI

CENT = Decimal("0.01")


def mean(values) -> Decimal:
    values = list(values)
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_UP)


def at_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=SHANGHAI)


def ranks(scores: dict) -> dict:
    """key -> 1 + number of strictly higher scores."""
    return {k: 1 + sum(1 for s in scores.values() if s > v) for k, v in scores.items()}


class Recount:
    def __init__(self, lines: list[LedgerLine], all_lines: list[LedgerLine], events: list[dict],
                 hall: str, base: Decimal = Decimal(100)):
        self.base, self.hall = base, hall
        self.lines = [x for x in lines if x.hall == hall]
        self.events = [e for e in events if e["hall"] == hall]
        self.first: dict[str, datetime] = {}
        self.data_mondays: set[date] = set()
        for e in self.events:
            at = datetime.fromisoformat(e["occurred_at"]).astimezone(SHANGHAI)
            self.first[e["unit"]] = min(self.first.get(e["unit"], at), at)
            self.data_mondays.add(at.date() - timedelta(days=at.weekday()))
        self.data_mondays |= {x.week_monday for x in all_lines if x.hall == hall}
        self.vetoes = [(x.unit, x.occurred_at) for x in self.lines if x.kind == "veto" and x.status == "applied"]

    def week(self, monday: date) -> dict[str, Decimal]:
        end = at_midnight(monday + timedelta(days=7))
        units = {u for u, at in self.first.items() if at < end}
        units |= {x.unit for x in self.lines if x.week_monday == monday}
        scores = {u: self.base for u in units}
        for x in self.lines:
            if x.week_monday == monday and x.status in ("applied", "capped") and x.kind in ("deduction", "bonus"):
                scores[x.unit] += x.points
        return scores

    def vetoed(self, year: int, end: datetime) -> set[str]:
        start = datetime(year, 1, 1, tzinfo=SHANGHAI)
        return {u for u, at in self.vetoes if start <= at < end}

    @staticmethod
    def mondays_of_month(year: int, month: int) -> list[date]:
        out, d = [], date(year, month, 1)
        while d.month == month:
            if d.weekday() == 3:
                out.append(d - timedelta(days=3))
            d += timedelta(days=1)
        return out

    def month(self, year: int, month: int) -> dict[str, Decimal]:
        per_unit: dict[str, list[Decimal]] = defaultdict(list)
        for monday in self.mondays_of_month(year, month):
            if monday in self.data_mondays:
                for u, s in self.week(monday).items():
                    per_unit[u].append(s)
        return {u: mean(v) for u, v in per_unit.items()}

    def quarter(self, year: int, q: int) -> dict[str, Decimal]:
        months = [self.month(year, m) for m in range(3 * q - 2, 3 * q + 1)]
        units = {u for m in months for u in m}
        return {u: mean(m[u] for m in months if u in m) for u in units}

    def year_months(self, year: int) -> dict[str, list[Decimal]]:
        out: dict[str, list[Decimal]] = defaultdict(list)
        for m in range(1, 13):
            for u, s in self.month(year, m).items():
                out[u].append(s)
        return out
