"""A synthetic county-year of hall events, deterministic per unit, for the replay bench.

A county's halls (tier county: the county centre and its branch centres) with
`units` window units of `staff` people each, every working day of 2026 (调休
included): clock in/out per session with each unit's own lateness, leaves,
transactions with their 一事一评 reviews, 暂离, weekly inspections and now and
then a complaint outcome or a commendation. `unit_events(u)` regenerates the same
events for unit u on every call, so the bench folds exactly what it loaded.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator

import numpy as np
import pandas as pd

from hallscore.core import workdays
from hallscore.core.periods import SHANGHAI
from hallscore.core.schedule import Hall, HallsConfig, Schedule, Session, Unit

YEAR = 2026
RULES = ["tongxu.1.1", "tongxu.3.2", "tongxu.4.1", "tongxu.4.9", "tongxu.5.2", "tongxu.6.2"]
_EPOCH_DAY = {}  # date -> Unix seconds of its 00:00 in Shanghai


@dataclass(frozen=True)
class County:
    halls: int
    units: int  # per hall
    staff: int  # per unit
    tx_per_day: int  # mean transactions a person completes a working day

    @property
    def unit_keys(self) -> list[tuple[str, str]]:
        return [(f"bench-h{h:02d}", f"h{h:02d}-u{u:03d}") for h in range(1, self.halls + 1)
                for u in range(1, self.units + 1)]

    def halls_config(self) -> HallsConfig:
        schedule = Schedule(winter=(Session(name="morning", start="08:30", end="12:00"),
                                    Session(name="afternoon", start="14:00", end="17:30")),
                            summer=(Session(name="morning", start="08:30", end="12:00"),
                                    Session(name="afternoon", start="15:00", end="18:00")))
        halls: dict[str, dict] = {}
        for hall, unit in self.unit_keys:
            staff = tuple(f"{unit}-{k:02d}" for k in range(1, self.staff + 1))
            halls.setdefault(hall, {})[unit] = Unit(name=unit, staff=staff)
        return HallsConfig(default=schedule, halls={h: Hall(name=h, tier="county", units=u) for h, u in halls.items()})


def sized(events: int, staff: int = 6, units: int = 40, tx_per_day: int = 5) -> County:
    """A county big enough for about `events` events in the year."""
    per_staff_year = 249 * (3.9 + 2 * tx_per_day)  # measured: ~3,440 events a person-year at 5 a day
    needed_units = max(1, -(-events // int(per_staff_year * staff)))
    halls = -(-needed_units // units)
    return County(halls=halls, units=-(-needed_units // halls), staff=staff, tx_per_day=tx_per_day)


def _workdays() -> list[date]:
    d, out = date(YEAR, 1, 1), []
    while d.year == YEAR:
        if workdays.is_workday(d):
            out.append(d)
        d += timedelta(days=1)
    return out


WORKDAYS = _workdays()


def _iso(day: date, seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    return f"{day.isoformat()}T{h:02d}:{rest // 60:02d}:{rest % 60:02d}+08:00"


def unit_events(county: County, hall: str, unit: str) -> Iterator[dict]:
    """Every event of one unit in the year, as the devices would send them."""
    rnd = random.Random(f"{hall}/{unit}")
    p_late, p_early = rnd.choice([0.0, 0.005, 0.01, 0.03]), rnd.choice([0.0, 0.003, 0.01])
    p_bad, p_review = rnd.choice([0.0, 0.02, 0.05, 0.1]), rnd.choice([1.0, 0.999, 0.99])
    seq = 0

    def ev(type_: str, day: date, sec: int, payload: dict, staff: str | None, device: str) -> dict:
        nonlocal seq
        seq += 1
        e = {"event_id": f"{unit}-{seq:07d}", "type": type_, "schema_version": 1, "occurred_at": _iso(day, sec),
             "hall": hall, "unit": unit, "device": device, "payload": payload}
        if staff:
            e["staff"] = staff
        return e

    for day in WORKDAYS:
        summer = "05-01" <= day.strftime("%m-%d") <= "09-30"
        sessions = ((30600, 43200), (54000 if summer else 50400, 64800 if summer else 63000))
        for k in range(1, county.staff + 1):
            staff = f"{unit}-{k:02d}"
            if rnd.random() < 0.01:
                yield ev("attendance.leave", day, 28800, {
                    "starts_at": _iso(day, 30600), "ends_at": _iso(day, sessions[1][1]),
                    "approved": rnd.random() < 0.9, "cover_staff": None if rnd.random() < 0.3 else f"{unit}-01",
                    "reason": "事假"}, staff, "oa-01")
                continue
            for start, end in sessions:
                t_in = start + rnd.randint(60, 1800) if rnd.random() < p_late else start - rnd.randint(60, 1500)
                yield ev("attendance.clock", day, t_in, {"direction": "in", "method": "face"}, staff, "att-01")
                t_out = end - rnd.randint(300, 1500) if rnd.random() < p_early else end + rnd.randint(0, 900)
                yield ev("attendance.clock", day, t_out, {"direction": "out", "method": "face"}, staff, "att-01")
            if rnd.random() < 0.02:
                yield ev("attendance.temporary_absence", day, 36000 + rnd.randint(0, 3000),
                         {"minutes": rnd.randint(5, 30), "sign_displayed": rnd.random() < 0.7}, staff, "patrol-01")
            for _ in range(rnd.randint(county.tx_per_day - 2, county.tx_per_day + 2)):
                sec = 31000 + rnd.randint(0, 28000)
                tx = f"T-{unit}-{seq + 1}"
                yield ev("transaction.completed", day, sec, {"transaction_id": tx, "on_the_spot": rnd.random() < 0.5,
                                                             "trips": rnd.choice([0, 1, 1, 1, 2])}, staff, "window-sys")
                if rnd.random() < p_review:
                    bad = rnd.random() < p_bad
                    yield ev("review.submitted", day, sec + 60, {
                        "level": ("不满意" if bad else rnd.choice(["非常满意", "非常满意", "满意", "基本满意"])),
                        "channel": "evaluator", "transaction_id": tx, "real_name": rnd.random() < 0.7,
                        "invited": rnd.random() < 0.995}, staff, "evaluator-01")
        if day.weekday() == 4:  # Friday: the week's inspection
            for rule in RULES:
                if rnd.random() < 0.04:
                    yield ev("supervision.finding", day, 37800, {"rule_id": rule, "count": 1, "inspector": "环境股",
                                                                "note": "周检查发现"}, f"{unit}-01", "inspect-app")
            if rnd.random() < 0.03:
                yield ev("complaint.outcome", day, 57600, {"complaint_id": f"C-{unit}-{seq}", "channel": "hard_matters_window",
                                                           "substantiated": rnd.random() < 0.6}, None, "complaint-sys")
            if rnd.random() < 0.02:
                yield ev("supervision.commendation", day, 39600, {"rule_id": "tongxu.bonus.county-praise", "count": 1,
                                                                  "inspector": "环境股"}, None, "inspect-app")


def _epoch(iso: str) -> int:
    day = iso[:10]
    base = _EPOCH_DAY.get(day)
    if base is None:
        base = _EPOCH_DAY[day] = int(datetime.fromisoformat(day).replace(tzinfo=SHANGHAI).timestamp())
    return base + int(iso[11:13]) * 3600 + int(iso[14:16]) * 60 + int(iso[17:19])


def frame(events: list[dict]) -> pd.DataFrame:
    """raw_events rows (occurred_at as Unix seconds; the INSERT converts) of events."""
    return pd.DataFrame({
        "event_id": [e["event_id"] for e in events], "type": [e["type"] for e in events],
        "schema_version": np.ones(len(events), dtype=np.uint16),
        "hall": [e["hall"] for e in events], "unit": [e["unit"] for e in events],
        "window": [""] * len(events), "staff": [e.get("staff") or "" for e in events],
        "device": [e["device"] for e in events],
        "occurred": np.array([_epoch(e["occurred_at"]) for e in events], dtype=np.uint32),
        "payload": [json.dumps(e["payload"], ensure_ascii=False, separators=(",", ":")) for e in events]})


INSERT_SQL = """
INSERT INTO raw_events (event_id, `type`, schema_version, hall, unit, `window`, staff, device, occurred_at,
                        received_at, payload)
SELECT event_id, `type`, schema_version, hall, unit, `window`, staff, device,
       toDateTime(occurred, 'Asia/Shanghai'), toDateTime(occurred, 'Asia/Shanghai'), payload
FROM Python(df)
"""
