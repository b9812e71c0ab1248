"""Rates per unit and period, from case histories (the 三个100% and 按期 rates).

A case counts in the period holding its start day (the bad review's,
complaint's or list's day). A rate is numerator/denominator; cases still
within their deadline count in the denominator only, so a rate can rise
as they close: `pending` says how many such cases there are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from hallscore.core.cases.model import Case


@dataclass(frozen=True)
class Rate:
    numerator: int = 0
    denominator: int = 0

    def __add__(self, other: "Rate") -> "Rate":
        return Rate(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(100 * self.numerator) / self.denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def share(self) -> Decimal | None:
        """0..1 to four places, as the KPI targets (hallscore/core/kpi.py) take it."""
        if not self.denominator:
            return None
        return (Decimal(self.numerator) / self.denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def text(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    def to_json(self) -> dict:
        p = self.percent
        return {"numerator": self.numerator, "denominator": self.denominator, "text": self.text,
                "percent": None if p is None else str(p), "share": None if p is None else str(self.share)}


def _one(ok: bool) -> Rate:
    return Rate(int(ok), 1)


def case_rates(case: Case) -> dict[str, Rate]:
    """This case's contribution to its unit's rates (named as the API shows them)."""
    closed_on_time = case.on_time("close") is True
    if case.kind == "problem_item":
        return {"problem_items_closed_by_deadline": _one(closed_on_time)}
    if case.kind == "complaint":
        return {"complaints_closed_on_time": _one(closed_on_time)}
    out = {"bad_reviews_verified": _one(case.substantiated is not None),
           "bad_reviews_called_back": _one(case.closed and case.callback is not None)}
    if case.substantiated:
        out["bad_reviews_rectified_on_time"] = _one(case.on_time("rectify") is True)
        if case.details.get("real_name"):  # 003: 实名差评按期整改率 100%
            out["real_name_bad_reviews_rectified_on_time"] = _one(case.on_time("rectify") is True)
    return out


RATE_NAMES = ("bad_reviews_verified", "bad_reviews_rectified_on_time", "real_name_bad_reviews_rectified_on_time",
              "bad_reviews_called_back", "complaints_closed_on_time", "problem_items_closed_by_deadline")
# The rates that are 卫东 KPI measures (rubrics/weidong-kpi-2021.yaml), by the measure's name.
KPI_MEASURES = ("real_name_bad_reviews_rectified_on_time", "complaints_closed_on_time")
# open: not closed; overdue: missed any deadline (closed late or still open);
# pending: open and within every deadline so far.
COUNT_NAMES = ("bad_reviews", "complaints", "problem_items", "open", "overdue", "pending", "rejections")


_COUNT_OF_KIND = {"bad_review": "bad_reviews", "complaint": "complaints", "problem_item": "problem_items"}


@dataclass
class UnitRates:
    hall: str
    unit: str
    rates: dict[str, Rate]
    counts: dict[str, int]

    def to_json(self) -> dict:
        return {"hall": self.hall, "unit": self.unit, "counts": dict(self.counts),
                "rates": {n: self.rates[n].to_json() for n in RATE_NAMES}}

    def kpi_rates(self) -> dict[str, Decimal]:
        """Input for hallscore.core.kpi.evaluate_kpis(rates=...): measures with data."""
        return {n: self.rates[n].share for n in KPI_MEASURES if self.rates[n].denominator}


def _empty(hall: str, unit: str) -> UnitRates:
    return UnitRates(hall, unit, {n: Rate() for n in RATE_NAMES}, {n: 0 for n in COUNT_NAMES})


def unit_rates(cases: Iterable[Case], start: date, end: date) -> dict[tuple[str, str], UnitRates]:
    """(hall, unit) -> rates over cases started in [start, end]."""
    out: dict[tuple[str, str], UnitRates] = {}
    for case in cases:
        if not start <= case.started_on <= end:
            continue
        key = (case.hall, case.unit)
        if key not in out:
            out[key] = _empty(*key)
        u = out[key]
        for name, r in case_rates(case).items():
            u.rates[name] = u.rates[name] + r
        u.counts[_COUNT_OF_KIND[case.kind]] += 1
        u.counts["open"] += not case.closed
        u.counts["overdue"] += bool(case.overdue)
        u.counts["pending"] += not case.closed and not case.overdue
        u.counts["rejections"] += case.rejections
    return out


def total(rows: Iterable[UnitRates], hall: str, unit: str = "*") -> UnitRates:
    """Sum of several units' rates (a hall's total)."""
    t = _empty(hall, unit)
    for r in rows:
        for n in RATE_NAMES:
            t.rates[n] = t.rates[n] + r.rates[n]
        for n in COUNT_NAMES:
            t.counts[n] += r.counts[n]
    return t
