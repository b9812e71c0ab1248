"""Rubric evaluation: a unit-week's folded state -> its ledger lines.

Pure: the same state and rubric always give the same lines. Caps are
applied in a fixed order (time, then source id, then rule id), so which
occurrence a cap cuts does not depend on arrival order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from hallscore.core import workdays
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import SHANGHAI, IsoWeek
from hallscore.core.rubric import Category, Item, Rubric
from hallscore.core.schedule import Schedule, minutes_between
from hallscore.core.unit_week import UnitWeek, parse_local

ZERO = Decimal(0)


@dataclass(frozen=True)
class _Hit:
    at: datetime
    source: str
    staff: str
    detail: str
    count: int
    category: Category | None
    item: Item | None
    rule_id: str
    condition_met: bool = True


def _punch_hits(state: UnitWeek, rubric: Rubric, schedule: Schedule) -> list[_Hit]:
    hits: list[_Hit] = []
    for key, entry in state.punches.items():
        staff, day_s, session_name = key.split("|")
        day = date.fromisoformat(day_s)
        if not workdays.is_workday(day):
            continue
        session = next((s for s in schedule.sessions(day) if s.name == session_name), None)
        if session is None:
            continue
        grace = schedule.grace_minutes
        if "in" in entry:
            at = parse_local(entry["in"][0])
            late = minutes_between(session.start, at.time().replace(microsecond=0))
            if late > grace:
                detail = f"迟到 {late} 分钟（{session.start:%H:%M} 上班，{at:%H:%M} 签到）"
                hits += _fact_hits(rubric, "late_arrival", at, entry["in"][1], staff, detail)
        if "out" in entry:
            at = parse_local(entry["out"][0])
            early = minutes_between(at.time().replace(microsecond=0), session.end)
            if early > grace:
                detail = f"早退 {early} 分钟（{session.end:%H:%M} 下班，{at:%H:%M} 签退）"
                hits += _fact_hits(rubric, "early_leave", at, entry["out"][1], staff, detail)
    return hits


def _fact_hits(rubric: Rubric, kind: str, at: datetime, source: str, staff: str, detail: str,
               count: int = 1, condition_met: bool = True) -> list[_Hit]:
    return [_Hit(at, source, staff, detail, count, c, i, i.id, condition_met) for c, i in rubric.items_for_fact(kind)]


def _hits(state: UnitWeek, rubric: Rubric, schedule: Schedule) -> tuple[list[_Hit], list[_Hit], list[_Hit]]:
    deductions = _punch_hits(state, rubric, schedule)
    bonuses: list[_Hit] = []
    vetoes: list[_Hit] = []
    items = rubric.items()
    for f in state.facts.values():
        at = parse_local(f["at"])
        kind = f["kind"]
        if kind == "finding":
            cat, item = items.get(f["rule_id"], (None, None))
            deductions.append(_Hit(at, f["source"], f["staff"], f["detail"], f["count"], cat, item, f["rule_id"]))
        elif kind == "commendation":
            bonuses.append(_Hit(at, f["source"], f["staff"], f["detail"], f["count"], None, None, f["rule_id"]))
        elif kind == "veto":
            vetoes.append(_Hit(at, f["source"], f["staff"], f["detail"], 1, None, None, f["rule_id"]))
        else:
            deductions += _fact_hits(rubric, kind, at, f["source"], f["staff"], f["detail"], f["count"])
    if state.dissatisfied:
        share = Decimal(len(state.dissatisfied)) / Decimal(max(state.reviews, 1))
        for source, d in state.dissatisfied.items():
            for cat, item in rubric.items_for_fact("dissatisfied_review"):
                limit = item.condition.dissatisfied_share_above if item.condition else None
                met = limit is None or share > limit
                detail = (f"{d['level']}；本周不满意 {len(state.dissatisfied)}/{state.reviews} = {share:.1%}"
                          + ("" if met else f"，未超 {limit:.0%}，不扣分"))
                deductions.append(_Hit(parse_local(d["at"]), source, d["staff"], detail, 1, cat, item, item.id, met))
    order = lambda h: (h.at, h.source, h.rule_id)  # noqa: E731
    return sorted(deductions, key=order), sorted(bonuses, key=order), sorted(vetoes, key=order)


def evaluate(state: UnitWeek, rubric: Rubric, schedule: Schedule) -> list[LedgerLine]:
    """Every ledger line of the unit-week, in a fixed order."""
    monday = IsoWeek.parse(state.week).monday
    rv = rubric.rubric_version
    lines: list[LedgerLine] = []

    def line(h: _Hit, category: str, kind: str, points: Decimal, status: str) -> LedgerLine:
        return LedgerLine(rv, h.rule_id, h.source, state.hall, state.unit, h.staff, category, kind,  # type: ignore[arg-type]
                          points, status, monday, h.at, h.detail, state.revision)  # type: ignore[arg-type]

    deductions, bonuses, vetoes = _hits(state, rubric, schedule)
    item_used: dict[str, Decimal] = {}
    cat_used: dict[str, Decimal] = {}
    for h in deductions:
        if h.item is None or h.category is None:
            lines.append(line(h, "", "deduction", ZERO, "unknown_rule"))
            continue
        if not h.condition_met:
            lines.append(line(h, h.category.id, "deduction", ZERO, "below_threshold"))
            continue
        want = h.item.per_occurrence * h.count
        room = min(h.item.cap - item_used.get(h.item.id, ZERO), h.category.points - cat_used.get(h.category.id, ZERO))
        got = max(ZERO, min(want, room))
        item_used[h.item.id] = item_used.get(h.item.id, ZERO) + got
        cat_used[h.category.id] = cat_used.get(h.category.id, ZERO) + got
        lines.append(line(h, h.category.id, "deduction", -got, "applied" if got == want else "capped"))
    bonus_used: dict[str, Decimal] = {}
    for h in bonuses:
        b = rubric.bonus(h.rule_id)
        if b is None:
            lines.append(line(h, "", "bonus", ZERO, "unknown_rule"))
            continue
        want = b.per_occurrence * h.count
        room = want if b.cap is None else max(ZERO, b.cap - bonus_used.get(b.id, ZERO))
        got = min(want, room)
        bonus_used[b.id] = bonus_used.get(b.id, ZERO) + got
        lines.append(line(h, "bonus", "bonus", got, "applied" if got == want else "capped"))
    for h in vetoes:
        known = rubric.veto(h.rule_id) is not None
        lines.append(line(h, "veto", "veto", ZERO, "applied" if known else "unknown_rule"))
    return lines


def changed_lines(state: UnitWeek, lines: list[LedgerLine], rubric_version: str) -> list[LedgerLine]:
    """Lines whose points or status differ from what was last emitted, plus
    a 'withdrawn' line for every key that no longer applies. Updates
    state.emitted."""
    out: list[LedgerLine] = []
    current = {l.key: l for l in lines}
    for key, l in current.items():
        sig = f"{l.points}|{l.status}|{l.detail}"
        if state.emitted.get(key) != sig:
            state.emitted[key] = sig
            out.append(l)
    for key in [k for k in state.emitted if k not in current]:
        source, rule = key.split("|", 1)
        del state.emitted[key]
        out.append(_withdrawn(state, source, rule, rubric_version))
    return out


def _withdrawn(state: UnitWeek, source: str, rule: str, rubric_version: str) -> LedgerLine:
    monday = IsoWeek.parse(state.week).monday
    return LedgerLine(rubric_version, rule, source, state.hall, state.unit, "", "", "deduction", ZERO, "withdrawn",
                      monday, datetime.combine(monday, time(0), tzinfo=SHANGHAI), "不再适用（后到事件改变了结果）",
                      state.revision)
