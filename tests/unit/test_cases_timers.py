"""What the clock alone decides: overdue at midnight after the due day, once;
never on a provisional deadline; re-dated when the year's schedule arrives."""
from __future__ import annotations

from datetime import date, datetime

from hallscore.core.cases import SYSTEM, Actor, apply, decide
from hallscore.core.cases import commands as c
from hallscore.core.cases.policy import load_policy, plan_deadlines
from hallscore.core.cases.timers import overdue_commands, redated, waiting_for_calendar
from hallscore.core.workdays import Calendar, YearSchedule

AT = datetime.fromisoformat
POLICY = load_policy()


def case_on(start: date, calendar: Calendar, kind: str = "bad_review"):
    rules = plan_deadlines(POLICY.for_hall("h", kind), start, calendar)
    cmd = c.Open(kind=kind, hall="h", unit="u", title="差评", started_on=start, deadlines=rules,
                 rule_id="tongxu.5.2" if kind == "problem_item" else None)
    [ch] = decide(None, cmd, SYSTEM, AT(f"{start}T10:00:00+08:00"), case_id="br-0001")
    return apply(None, ch)


def run(case, cmds, at, actor=SYSTEM):
    for cmd in cmds:
        for ch in decide(case, cmd, actor, at):
            case = apply(case, ch)
    return case


def test_bad_review_deadlines_across_national_day():
    case = case_on(date(2026, 9, 30), Calendar())
    due = {m: r.due for m, r in case.deadlines.items()}
    assert due == {"contact": date(2026, 9, 30), "rectify": date(2026, 10, 13), "close": date(2026, 10, 13)}


def test_overdue_at_midnight_after_the_due_day_once():
    case = case_on(date(2026, 9, 30), Calendar())
    assert overdue_commands(case, AT("2026-09-30T23:59:59+08:00")) == []
    cmds = overdue_commands(case, AT("2026-10-01T00:00:00+08:00"))
    assert [x.milestone for x in cmds] == ["contact"]
    case = run(case, cmds, AT("2026-10-01T00:00:00+08:00"))
    assert overdue_commands(case, AT("2026-10-09T12:00:00+08:00")) == []  # once per milestone
    assert [x.milestone for x in overdue_commands(case, AT("2026-10-14T00:00:00+08:00"))] == ["close", "rectify"]


def test_met_milestones_never_go_overdue():
    case = case_on(date(2026, 9, 30), Calendar())
    case = run(case, [c.Verify(False)], AT("2026-09-30T15:00:00+08:00"), Actor("manager", "m"))  # 不属实: no rectify
    assert [x.milestone for x in overdue_commands(case, AT("2026-12-01T00:00:00+08:00"))] == ["close"]


def test_provisional_deadline_waits_for_the_calendar_then_is_redated():
    lib = Calendar()
    case = case_on(date(2026, 12, 30), lib)
    assert case.deadlines["rectify"].provisional and case.deadlines["rectify"].due == date(2027, 1, 6)
    late = AT("2027-01-20T09:00:00+08:00")
    assert [x.milestone for x in overdue_commands(case, late)] == ["contact"]  # 30 Dec is known
    assert sorted(waiting_for_calendar(case, late)) == ["close", "rectify"]
    assert redated(case, lib) == []  # nothing new to know

    cal = Calendar([YearSchedule.model_validate({"year": 2027, "source": "test data", "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}]})])
    moves = redated(case, cal)
    assert [(m.rule.milestone, m.rule.due, m.rule.provisional) for m in moves] == [
        ("rectify", date(2027, 1, 7), False), ("close", date(2027, 1, 7), False)]
    assert "2027" in moves[0].reason
    case = run(case, moves, AT("2027-01-05T09:00:00+08:00"))
    assert not any(r.provisional for r in case.deadlines.values())
    assert [x.milestone for x in overdue_commands(case, late)] == ["contact", "close", "rectify"]
