"""Facts derived from a unit-period's folded events: what a rubric scores.

Attendance facts are judged against the hall's schedule on Chinese working
days (调休 included): late arrival, early leave, and absence of a rostered
staff member with no punch and no leave in a session that has ended by the
latest event seen (so the result depends only on the events, never on the
clock). Review facts: transactions never reviewed (一事一评), reviews not
invited, and the summary shares a bulletin shows.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from hallscore.core import workdays
from hallscore.core.periods import SHANGHAI, period_range
from hallscore.core.schedule import Schedule
from hallscore.core.unit_period import UnitPeriod, parse_local


@dataclass(frozen=True)
class Occurrence:
    kind: str  # a FactKind, or finding / commendation / veto
    source: str  # the event id it comes from (or a derived id for an absence)
    staff: str
    at: datetime
    count: int = 1
    rule_id: str = ""
    points: Decimal | None = None
    detail: str = ""

    def with_detail(self, detail: str) -> "Occurrence":
        return dataclasses.replace(self, detail=detail)


def _micros(t, whole_seconds: bool = False) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + (0 if whole_seconds else t.microsecond)


_MINUTE = 60_000_000


def _punch_facts(state: UnitPeriod, schedule: Schedule) -> list[Occurrence]:
    out: list[Occurrence] = []
    days: dict[str, dict | None] = {}  # day -> {session name: session}, None on a day off
    grace = schedule.grace_minutes
    for key, entry in state.punches.items():
        staff, day_s, session_name = key.split("|")
        if day_s not in days:
            day = date.fromisoformat(day_s)
            by_name: dict | None = None
            if workdays.is_workday(day):
                by_name = {}
                for s in schedule.sessions(day):
                    by_name.setdefault(s.name, s)
            days[day_s] = by_name
        by_name = days[day_s]
        session = by_name.get(session_name) if by_name is not None else None
        if session is None:
            continue
        if "in" in entry:
            at = parse_local(entry["in"][0])
            # whole minutes, truncated toward zero (schedule.minutes_between)
            late = int((_micros(at, True) - _micros(session.start)) / _MINUTE)
            if late > grace:
                out.append(Occurrence("late_arrival", entry["in"][1], staff, at,
                                      detail=f"迟到 {late} 分钟（{session.start:%H:%M} 上班，{at:%H:%M} 签到）"))
        if "out" in entry:
            at = parse_local(entry["out"][0])
            early = int((_micros(session.end) - _micros(at, True)) / _MINUTE)
            if early > grace:
                out.append(Occurrence("early_leave", entry["out"][1], staff, at,
                                      detail=f"早退 {early} 分钟（{session.end:%H:%M} 下班，{at:%H:%M} 签退）"))
    return out


def _absences(state: UnitPeriod, schedule: Schedule, roster: tuple[str, ...]) -> list[Occurrence]:
    """旷工半天: a rostered staff member with neither a punch nor a leave in a
    working session that ended before the latest event of the period.

    Only days on which the unit's attendance device reported at least one
    punch are judged: a day with no punch at all is a device or data outage,
    and nobody is marked absent for the hall's own silence."""
    if not roster or not state.horizon:
        return []
    reporting = {key.split("|", 2)[1] for key in state.punches}
    horizon = parse_local(state.horizon)
    first, last = period_range(state.period)
    out: list[Occurrence] = []
    day = first
    while day <= min(last, horizon.date()):
        if day.isoformat() in reporting and workdays.is_workday(day):
            for s in schedule.sessions(day):
                start = datetime.combine(day, s.start, tzinfo=SHANGHAI)
                end = datetime.combine(day, s.end, tzinfo=SHANGHAI)
                if end > horizon:
                    continue
                for staff in roster:
                    if f"{staff}|{day.isoformat()}|{s.name}" in state.punches:
                        continue
                    if any(parse_local(a) < end and parse_local(b) > start for a, b, _ in state.leaves.get(staff, [])):
                        continue
                    out.append(Occurrence("absence", f"absence:{staff}:{day.isoformat()}:{s.name}", staff, start,
                                          detail=f"旷工半天：{day:%m-%d} {s.start:%H:%M}-{s.end:%H:%M} 无考勤记录、无请假"))
        day = date.fromordinal(day.toordinal() + 1)
    return out


def _unreviewed(state: UnitPeriod) -> list[Occurrence]:
    return [Occurrence("unreviewed_transaction", t["event"], t["staff"], parse_local(t["at"]),
                       detail=f"办件 {tx} 未评价（一事一评）")
            for tx, t in state.transactions.items() if tx not in state.reviewed]


def _recorded(state: UnitPeriod) -> list[Occurrence]:
    return [Occurrence(f["kind"], f["source"], f["staff"], parse_local(f["at"]), f["count"], f["rule_id"],
                       None if f.get("points") is None else Decimal(f["points"]), f["detail"])
            for f in state.facts.values()]


def _dissatisfied(state: UnitPeriod) -> list[Occurrence]:
    return [Occurrence("dissatisfied_review", src, d["staff"], parse_local(d["at"]), detail=d["level"])
            for src, d in state.dissatisfied.items()]


def derived_facts(state: UnitPeriod, schedule: Schedule | None, roster: tuple[str, ...]) -> list[Occurrence]:
    out = _recorded(state) + _dissatisfied(state) + _unreviewed(state)
    if schedule is not None:
        out += _punch_facts(state, schedule) + _absences(state, schedule, roster)
    return out


@dataclass(frozen=True)
class ReviewSummary:
    """The 好差评 shares a bulletin shows for a unit-period."""

    transactions: int
    reviews: int
    coverage: Decimal | None  # reviewed transactions / transactions (一事一评)
    invited_share: Decimal | None
    dissatisfied_share: Decimal | None


def review_summary(state: UnitPeriod) -> ReviewSummary:
    tx = len(state.transactions)
    covered = sum(1 for t in state.transactions if t in state.reviewed)
    not_invited = sum(1 for f in state.facts.values() if f["kind"] == "review_not_invited")

    def share(n: int, d: int) -> Decimal | None:
        return (Decimal(n) / Decimal(d)).quantize(Decimal("0.0001")) if d else None

    return ReviewSummary(tx, state.reviews, share(covered, tx), share(state.reviews - not_invited, state.reviews),
                         share(len(state.dissatisfied), state.reviews))
