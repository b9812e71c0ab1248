"""A plausible month of a county hall, as raw events (deterministic).

Fixed period (2026-W44 .. 2026-W47) and seed, so the README's examples and
the tests see the same demo on every machine. Every unit has a temperament
(punctuality, review mood, …) so the ranking has a realistic spread.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator

from hallscore.core import workdays
from hallscore.core.periods import SHANGHAI, IsoWeek
from hallscore.core.schedule import HallsConfig

DEMO_HALL = "tongxu-county"
DEMO_WEEKS = tuple(IsoWeek(2026, w) for w in (44, 45, 46, 47))
# The README's late-arrival example targets this unit: it has perfect
# attendance in the demo, so one late clock-in visibly costs points.
PUNCTUAL_UNIT = "tx-rsj"
STAFF_PER_UNIT = 5

_INSPECTED_RULES = [
    "tongxu.1.1", "tongxu.1.2", "tongxu.1.5", "tongxu.3.1", "tongxu.3.2", "tongxu.3.3",
    "tongxu.4.1", "tongxu.4.2", "tongxu.4.9", "tongxu.5.2", "tongxu.5.3", "tongxu.5.4", "tongxu.6.2", "tongxu.6.3",
]


@dataclass(frozen=True)
class Temperament:
    p_late: float
    p_early: float
    p_dissatisfied: float
    p_finding: float  # per week, per inspected rule draw
    p_review: float  # a transaction gets its review (一事一评)
    p_invited: float  # the staff member asked for the review


def _temperament(unit: str, rnd: random.Random) -> Temperament:
    if unit == PUNCTUAL_UNIT:
        return Temperament(0.0, 0.0, 0.01, 0.05, 1.0, 1.0)
    return Temperament(rnd.choice([0.0, 0.005, 0.01, 0.02, 0.04]), rnd.choice([0.0, 0.0, 0.005, 0.01]),
                       rnd.choice([0.0, 0.02, 0.04, 0.07, 0.12]), rnd.choice([0.05, 0.1, 0.2, 0.35]),
                       rnd.choice([1.0, 1.0, 0.999, 0.995]), rnd.choice([1.0, 1.0, 0.998, 0.99]))


def _at(d: date, t: time) -> str:
    return datetime.combine(d, t, tzinfo=SHANGHAI).isoformat()


def _t(h: int, m: int, s: int = 0) -> time:
    base = datetime(2000, 1, 1) + timedelta(hours=h, minutes=m, seconds=s)
    return base.time()


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"demo-{self.n:07d}"


def demo_events(halls: HallsConfig, seed: int = 2026) -> list[dict]:
    """The demo's events in the order devices would send them: by time."""
    return sorted(_generate(halls, seed), key=lambda e: datetime.fromisoformat(e["occurred_at"]))


def _generate(halls: HallsConfig, seed: int) -> Iterator[dict]:
    rnd = random.Random(seed)
    hall = halls.halls[DEMO_HALL]
    schedule = halls.schedule(DEMO_HALL)
    nid = _Ids()
    units = sorted(hall.units)
    moods = {u: _temperament(u, rnd) for u in units}

    def ev(type_: str, at: str, unit: str, payload: dict, staff: str | None = None, device: str = "att-01") -> dict:
        e = {"event_id": nid(), "type": type_, "schema_version": 1, "occurred_at": at, "hall": DEMO_HALL,
             "unit": unit, "window": f"W{units.index(unit) + 1:02d}", "device": device, "payload": payload}
        if staff:
            e["staff"] = staff
        return e

    for week in DEMO_WEEKS:
        for day in week.days():
            if not workdays.is_workday(day):
                continue
            sessions = schedule.sessions(day)
            for unit in units:
                mood = moods[unit]
                for k in range(1, STAFF_PER_UNIT + 1):
                    staff = f"{unit}-{k:02d}"
                    if rnd.random() < 0.02:
                        cover = None if rnd.random() < 0.4 else f"{unit}-{(k % STAFF_PER_UNIT) + 1:02d}"
                        yield ev("attendance.leave", _at(day, _t(8, 0)), unit,
                                 {"starts_at": _at(day, _t(8, 30)), "ends_at": _at(day, _t(17, 30)),
                                  "approved": rnd.random() < 0.85, "cover_staff": cover, "reason": "事假"}, staff, "oa-01")
                        continue
                    # 旷工半天 now and then: no punch in one session, no leave.
                    skipped = rnd.choice(sessions) if rnd.random() < mood.p_late / 4 else None
                    for s in sessions:
                        if s is skipped:
                            continue
                        sh, sm = s.start.hour, s.start.minute
                        late = rnd.random() < mood.p_late
                        t_in = _t(sh, sm + rnd.randint(1, 35)) if late else _t(sh, sm - rnd.randint(2, 25))
                        yield ev("attendance.clock", _at(day, t_in), unit, {"direction": "in", "method": "face"}, staff)
                        eh, em = s.end.hour, s.end.minute
                        early = rnd.random() < mood.p_early
                        t_out = _t(eh, em - rnd.randint(5, 25)) if early else _t(eh, em + rnd.randint(0, 15))
                        yield ev("attendance.clock", _at(day, t_out), unit, {"direction": "out", "method": "face"}, staff)
                    if rnd.random() < 0.03:
                        yield ev("attendance.temporary_absence", _at(day, _t(10, rnd.randint(0, 50))), unit,
                                 {"minutes": rnd.randint(5, 30), "sign_displayed": rnd.random() < 0.6}, staff, "patrol-01")
                    for _ in range(rnd.randint(1, 4)):
                        at = _at(day, _t(9, rnd.randint(0, 170)))
                        tx = f"T{day:%Y%m%d}-{nid()}"
                        statutory = rnd.choice([10, 15, 20, 30])
                        yield ev("transaction.completed", at, unit, {
                            "transaction_id": tx, "matter": "", "on_the_spot": rnd.random() < 0.5,
                            "trips": rnd.choice([0, 0, 1, 1, 1, 1, 1, 1, 1, 2]), "statutory_limit_days": statutory,
                            "promised_limit_days": max(1, statutory // rnd.choice([3, 4, 5])),
                            "online_depth": rnd.choice([1, 2, 3, 3, 4, 4])}, staff, "window-sys")
                        # 一事一评: almost every transaction gets its review.
                        if rnd.random() < mood.p_review:
                            bad = rnd.random() < mood.p_dissatisfied
                            level = rnd.choice(["不满意", "非常不满意"]) if bad else rnd.choice(["非常满意"] * 6 + ["满意"] * 3 + ["基本满意"])
                            yield ev("review.submitted", at, unit, {"level": level, "channel": rnd.choice(["evaluator", "qr_code"]),
                                                                    "transaction_id": tx, "real_name": rnd.random() < 0.7,
                                                                    "invited": rnd.random() < mood.p_invited}, staff, "evaluator-01")
        # Weekly inspection by 政务服务环境股 and the week's other entries.
        friday = week.monday + timedelta(days=4)
        for unit in units:
            mood = moods[unit]
            for rule in _INSPECTED_RULES:
                if rnd.random() < mood.p_finding / 3:
                    yield ev("supervision.finding", _at(friday, _t(10, rnd.randint(0, 59))), unit,
                             {"rule_id": rule, "count": 1, "inspector": "环境股", "evidence": [f"photo-{nid()}.jpg"], "note": "周检查发现"},
                             f"{unit}-{rnd.randint(1, STAFF_PER_UNIT):02d}", "inspect-app")
            if rnd.random() < mood.p_finding / 4:  # 配合情况: the 环境股 judges the points (scoring: assessed)
                yield ev("supervision.finding", _at(friday, _t(11, 30)), unit,
                         {"rule_id": "tongxu.1.3", "count": 1, "inspector": "环境股", "points": rnd.choice(["1", "2"]),
                          "note": "营商环境评价工作配合不到位"}, None, "inspect-app")
            if rnd.random() < 0.06:
                cid = f"C-{nid()}"
                at = _at(friday - timedelta(days=2), _t(15, 0))
                yield ev("complaint.filed", at, unit, {"complaint_id": cid, "channel": "hard_matters_window", "summary": "办事群众反映"}, None, "complaint-sys")
                yield ev("complaint.outcome", _at(friday, _t(16, 0)), unit, {"complaint_id": cid, "channel": "hard_matters_window", "substantiated": rnd.random() < 0.6, "note": "核查结果"}, None, "complaint-sys")
            if rnd.random() < 0.04:
                rule = rnd.choice(["tongxu.bonus.county-praise", "tongxu.bonus.city-praise", "tongxu.bonus.innovation-article"])
                yield ev("supervision.commendation", _at(friday, _t(11, 0)), unit, {"rule_id": rule, "count": 1, "inspector": "环境股", "note": "表扬"}, None, "inspect-app")
    # One 一票否决 in the month, so the veto flag shows in the ranking.
    vetoed = units[-3]
    yield ev("supervision.veto", _at(DEMO_WEEKS[2].monday + timedelta(days=2), _t(10, 0)), vetoed,
             {"rule_id": "tongxu.veto.illegal-fees", "count": 1, "inspector": "县纪委", "evidence": ["督查通报"], "note": "超标准收费"},
             None, "inspect-app")
