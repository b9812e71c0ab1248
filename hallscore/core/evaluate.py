"""Rubric evaluation: a unit-period's folded state -> its ledger lines.

Pure: the same state and rubric always give the same lines. Caps are applied
in a fixed order (time, then source id, then rule id), so which occurrence a
cap cuts never depends on arrival order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hallscore.core.facts import Occurrence, derived_facts
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import SHANGHAI, local
from hallscore.core.rubric import Category, Checklist, Item, Rubric
from hallscore.core.schedule import Schedule
from hallscore.core.unit_period import UnitPeriod, parse_local

ZERO = Decimal(0)


@dataclass(frozen=True)
class _Hit:
    occ: Occurrence
    category: Category | None
    item: Item | None
    rule_id: str
    amount: Decimal | None  # per occurrence; None for an assessed item (points given)
    condition_met: bool = True


def _monday(at: datetime) -> date:
    """IsoWeek.of(at).monday: the Monday of the Shanghai day of `at`."""
    day = local(at).date()
    return day - timedelta(days=day.weekday())


def _line(state: UnitPeriod, rubric_version: str, o: Occurrence, rule_id: str, category: str, kind: str,
          points: Decimal, status: str) -> LedgerLine:
    return LedgerLine(rubric_version, rule_id, o.source, state.hall, state.unit, o.staff, category, kind,  # type: ignore[arg-type]
                      points, status, _monday(o.at), o.at, o.detail, state.version,  # type: ignore[arg-type]
                      state.period)


# id(rubric) -> (rubric, {fact: [(category, item)]}, {rule id: (category, item, amount)}): the
# rubric's lookups as dicts, built once per rubric (the rubric is kept so a reused id never matches).
_INDEX: dict[int, tuple] = {}


def _index(rubric: Rubric) -> tuple[dict, dict]:
    hit = _INDEX.get(id(rubric))
    if hit is None or hit[0] is not rubric:
        by_fact: dict[str, list[tuple[Category, Item]]] = {}
        rules: dict[str, tuple[Category, Item, Decimal | None]] = {}
        for c in rubric.categories:
            for i in c.items:
                for f in i.facts:
                    lst = by_fact.setdefault(f, [])
                    if not lst or lst[-1][1] is not i:
                        lst.append((c, i))
                rules.setdefault(i.id, (c, i, i.per_occurrence))
                for v in i.variants:
                    rules.setdefault(v.id, (c, i, v.per_occurrence))
        if len(_INDEX) > 1000:
            _INDEX.clear()
        hit = _INDEX[id(rubric)] = (rubric, by_fact, rules)
    return hit[1], hit[2]


def _deduction_hits(state: UnitPeriod, rubric: Rubric, occurrences: list[Occurrence]) -> list[_Hit]:
    hits: list[_Hit] = []
    share = Decimal(len(state.dissatisfied)) / Decimal(max(state.reviews, 1))
    by_fact, rules = _index(rubric)
    for o in occurrences:
        if o.kind == "finding":
            found = rules.get(o.rule_id)
            if found is None:
                hits.append(_Hit(o, None, None, o.rule_id, None))
            else:
                cat, item, amount = found
                hits.append(_Hit(o, cat, item, o.rule_id, amount if item.scoring == "per_occurrence" else None))
            continue
        for cat, item in by_fact.get(o.kind, ()):
            met = True
            if item.condition is not None:
                limit = item.condition.dissatisfied_share_above
                met = share > limit
                o = o.with_detail(f"{o.detail}；本期不满意 {len(state.dissatisfied)}/{state.reviews} = {share:.1%}"
                                  + ("" if met else f"，未超 {limit:.0%}，不扣分"))
            hits.append(_Hit(o, cat, item, item.id, item.per_occurrence, met))
    return hits


def evaluate(state: UnitPeriod, rubric: Rubric, schedule: Schedule, roster: tuple[str, ...] = ()) -> list[LedgerLine]:
    """Every ledger line of the unit-period under an assessment rubric, in a fixed order."""
    rv = rubric.rubric_version
    occurrences = derived_facts(state, schedule, roster)
    order = lambda o: (o.at, o.source, o.rule_id)  # noqa: E731
    lines: list[LedgerLine] = []
    item_used: dict[str, Decimal] = {}
    cat_used: dict[str, Decimal] = {}
    hits = _deduction_hits(state, rubric, [o for o in occurrences if o.kind not in ("commendation", "veto")])
    for h in sorted(hits, key=lambda h: (*order(h.occ), h.rule_id)):
        o = h.occ
        if h.item is None or h.category is None:
            lines.append(_line(state, rv, o, h.rule_id, "", "deduction", ZERO, "unknown_rule"))
            continue
        if not h.condition_met:
            lines.append(_line(state, rv, o, h.rule_id, h.category.id, "deduction", ZERO, "below_threshold"))
            continue
        want = h.amount * o.count if h.amount is not None else (o.points or ZERO)
        room = min(h.item.cap - item_used.get(h.item.id, ZERO), h.category.points - cat_used.get(h.category.id, ZERO))
        got = max(ZERO, min(want, room))
        item_used[h.item.id] = item_used.get(h.item.id, ZERO) + got
        cat_used[h.category.id] = cat_used.get(h.category.id, ZERO) + got
        lines.append(_line(state, rv, o, h.rule_id, h.category.id, "deduction", -got, "applied" if got == want else "capped"))
    bonus_used: dict[str, Decimal] = {}
    for o in sorted((o for o in occurrences if o.kind == "commendation"), key=order):
        b = rubric.bonus(o.rule_id)
        if b is None:
            lines.append(_line(state, rv, o, o.rule_id, "", "bonus", ZERO, "unknown_rule"))
            continue
        want = b.per_occurrence * o.count
        got = want if b.cap is None else max(ZERO, min(want, b.cap - bonus_used.get(b.id, ZERO)))
        bonus_used[b.id] = bonus_used.get(b.id, ZERO) + got
        lines.append(_line(state, rv, o, o.rule_id, "bonus", "bonus", got, "applied" if got == want else "capped"))
    for o in sorted((o for o in occurrences if o.kind == "veto"), key=order):
        known = rubric.veto(o.rule_id) is not None
        lines.append(_line(state, rv, o, o.rule_id, "veto", "veto", ZERO, "applied" if known else "unknown_rule"))
    return lines


def evaluate_checklist(state: UnitPeriod, checklist: Checklist) -> list[LedgerLine]:
    """Findings against checklist items: recorded (0 points) unless the item
    carries points, then deducted within its cap."""
    rv = checklist.rubric_version
    used: dict[str, Decimal] = {}
    lines: list[LedgerLine] = []
    findings = [o for o in derived_facts(state, None, ()) if o.kind == "finding"]
    for o in sorted(findings, key=lambda o: (o.at, o.source, o.rule_id)):
        item = checklist.item(o.rule_id)
        group = next((g.id for g in checklist.groups if item in g.items), "") if item else ""
        if item is None:
            lines.append(_line(state, rv, o, o.rule_id, "", "deduction", ZERO, "unknown_rule"))
        elif item.per_occurrence is None:
            lines.append(_line(state, rv, o, o.rule_id, group, "deduction", ZERO, "recorded"))
        else:
            want = item.per_occurrence * o.count
            room = want if item.cap is None else max(ZERO, item.cap - used.get(item.id, ZERO))
            got = min(want, room)
            used[item.id] = used.get(item.id, ZERO) + got
            lines.append(_line(state, rv, o, o.rule_id, group, "deduction", -got, "applied" if got == want else "capped"))
    return lines


def _signature(line: LedgerLine) -> str:
    # The week is kept so a withdrawal can be written to the same ledger key.
    return f"{line.points}|{line.status}|{line.detail}|{line.week_monday.isoformat()}"


def changed_lines(state: UnitPeriod, lines: list[LedgerLine], rubric_version: str) -> list[LedgerLine]:
    """Lines that differ from what was last emitted, plus a 'withdrawn' line
    for every key that no longer applies. Updates state.emitted, which keeps
    every key ever emitted (withdrawn ones too) so a re-send can rebuild all."""
    out: list[LedgerLine] = []
    current = {l.key: l for l in lines}
    for key, l in current.items():
        sig = _signature(l)
        if state.emitted.get(key) != sig:
            state.emitted[key] = sig
            out.append(l)
    for key, sig in list(state.emitted.items()):
        if key not in current and not _is_withdrawn(sig):
            w = withdrawn_line(state, key, rubric_version, sig)
            state.emitted[key] = _signature(w)
            out.append(w)
    return out


def all_lines(state: UnitPeriod, lines: list[LedgerLine], rubric_version: str) -> list[LedgerLine]:
    """Every line ever emitted for the unit-period, as it stands now: the
    current ones and a withdrawal for each key that no longer applies."""
    current = {l.key for l in lines}
    return list(lines) + [withdrawn_line(state, k, rubric_version, sig)
                          for k, sig in sorted(state.emitted.items()) if k not in current]


def _is_withdrawn(signature: str) -> bool:
    return signature.split("|", 2)[1:2] == ["withdrawn"]


def withdrawn_line(state: UnitPeriod, key: str, rubric_version: str, signature: str) -> LedgerLine:
    """A 0-point line replacing one whose reason is gone (e.g. an earlier
    clock-in arrived), written to the same ledger key (same week)."""
    source, rule = key.split("|", 1)
    monday = date.fromisoformat(signature.rsplit("|", 1)[-1])
    at = datetime.combine(monday, time(0), tzinfo=SHANGHAI)
    return LedgerLine(rubric_version, rule, source, state.hall, state.unit, "", "", "deduction", ZERO, "withdrawn",
                      monday, at, "不再适用（后到事件改变了结果）", state.version, state.period)


__all__ = ["evaluate", "evaluate_checklist", "changed_lines", "all_lines", "withdrawn_line", "parse_local"]
