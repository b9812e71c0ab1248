"""Rates per unit and period, and a problem list's report, for the API."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from hallscore.core.cases.errors import InvalidCommand
from hallscore.core.cases.model import Case
from hallscore.core.cases.rates import Rate, total, unit_rates
from hallscore.core.periods import period_range
from services.rectification.users import Principal
from services.rectification.views import case_view


def rates_report(cases: Iterable[Case], hall: str, unit: str | None, period: str) -> dict[str, Any]:
    try:
        start, end = period_range(period)
    except ValueError as e:
        raise InvalidCommand(str(e), field="period") from None
    mine = [c for c in cases if c.hall == hall and (unit is None or c.unit == unit)]
    rows = sorted(unit_rates(mine, start, end).values(), key=lambda r: r.unit)
    return {"hall": hall, "unit": unit, "period": period, "from": start.isoformat(), "to": end.isoformat(),
            "counted_by": "start day of each case (the review's, complaint's or list's day)",
            "units": [r.to_json() for r in rows], "total": total(rows, hall, unit or "*").to_json()}


def list_report(cases: Iterable[Case], list_id: str, p: Principal, now: datetime) -> dict[str, Any]:
    items = sorted((c for c in cases if c.list_id == list_id), key=lambda c: c.case_id)
    closed_by_deadline = sum((Rate(int(c.on_time("close") is True), 1) for c in items), Rate())
    first = items[0]
    return {"list_id": list_id, "hall": first.hall, "title": first.list_title, "round": first.round,
            "issued_on": first.started_on.isoformat(), "items": [case_view(c, p, now, history=False) for c in items],
            "counts": {"items": len(items), "closed": sum(c.closed for c in items),
                       "overdue": sum(bool(c.overdue) for c in items),
                       "rejections": sum(c.rejections for c in items)},
            "closed_by_deadline": closed_by_deadline.to_json()}
