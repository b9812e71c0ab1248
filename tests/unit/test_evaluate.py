from decimal import Decimal

from hallscore.core.evaluate import changed_lines, evaluate
from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.schedule import load_halls
from hallscore.core.unit_period import UnitPeriod as UnitWeek
from tests.unit.helpers import clock, event, finding, review

RUBRIC = load_rubric(DEFAULT_RUBRIC)
SCHEDULE = load_halls().schedule("tx")


def fold(events):
    state = UnitWeek.empty_for(events[0])
    for e in events:
        state.apply(e, SCHEDULE)
    return state


def total(lines):
    return sum((l.points for l in lines), Decimal(0))


def test_late_clock_in_costs_the_items_points_once_per_week():
    late = clock("2026-11-16T09:07:00+08:00")
    lines = evaluate(fold([late]), RUBRIC, SCHEDULE)
    assert [(l.rule_id, l.points, l.source_id, l.status) for l in lines] == [("tongxu.4.10", Decimal(-2), late.event_id, "applied")]
    two = evaluate(fold([late, clock("2026-11-17T08:45:00+08:00")]), RUBRIC, SCHEDULE)
    assert total(two) == -2 and [l.status for l in two] == ["applied", "capped"]


def test_on_time_and_non_working_days_cost_nothing():
    assert evaluate(fold([clock("2026-11-16T08:29:00+08:00"), clock("2026-11-16T17:31:00+08:00", "out")]), RUBRIC, SCHEDULE) == []
    assert evaluate(fold([clock("2026-11-21T10:00:00+08:00")]), RUBRIC, SCHEDULE) == []  # Saturday
    assert evaluate(fold([clock("2026-10-05T10:00:00+08:00")]), RUBRIC, SCHEDULE) == []  # National Day
    assert evaluate(fold([clock("2026-10-10T09:00:00+08:00")]), RUBRIC, SCHEDULE) != []  # 调休 Saturday


def test_earliest_clock_in_of_the_session_counts():
    lines = evaluate(fold([clock("2026-11-16T09:07:00+08:00"), clock("2026-11-16T08:20:00+08:00")]), RUBRIC, SCHEDULE)
    assert lines == []


def test_dissatisfied_share_threshold():
    reviews = [review(f"2026-11-16T10:{i:02d}:00+08:00", "满意") for i in range(19)]
    one_bad = reviews + [review("2026-11-16T11:00:00+08:00", "不满意")]  # 1/20 = 5 %: not above
    lines = evaluate(fold(one_bad), RUBRIC, SCHEDULE)
    assert [l.status for l in lines] == ["below_threshold"] and total(lines) == 0
    three_bad = one_bad + [review("2026-11-16T11:01:00+08:00", "非常不满意"), review("2026-11-16T11:02:00+08:00", "不满意")]
    lines = evaluate(fold(three_bad), RUBRIC, SCHEDULE)
    assert [l.points for l in lines] == [-2, -2, -1]  # 2 per person per time, item capped at 5


def test_category_never_goes_below_zero_and_unknown_rules_are_visible():
    items = ["tongxu.5.1", "tongxu.5.2", "tongxu.5.3", "tongxu.5.4"]
    lines = evaluate(fold([finding("2026-11-17T10:00:00+08:00", r, count=3) for r in items]), RUBRIC, SCHEDULE)
    assert total(lines) == -10
    odd = evaluate(fold([finding("2026-11-17T10:00:00+08:00", "nope.1")]), RUBRIC, SCHEDULE)
    assert odd[0].status == "unknown_rule" and odd[0].points == 0


def test_bonus_and_veto():
    bonus = event("supervision.commendation", "2026-11-17T10:00:00+08:00", {"rule_id": "tongxu.bonus.city-praise", "inspector": "x"}, staff=None)
    veto = event("supervision.veto", "2026-11-17T10:00:00+08:00", {"rule_id": "tongxu.veto.bribery", "inspector": "x"}, staff=None)
    lines = evaluate(fold([bonus, veto]), RUBRIC, SCHEDULE)
    assert {(l.kind, l.points) for l in lines} == {("bonus", Decimal(10)), ("veto", Decimal(0))}


def test_changed_lines_sends_only_changes_and_withdraws():
    late = clock("2026-11-16T09:07:00+08:00")
    state = fold([late])
    first = changed_lines(state, evaluate(state, RUBRIC, SCHEDULE), RUBRIC.rubric_version)
    assert len(first) == 1
    assert changed_lines(state, evaluate(state, RUBRIC, SCHEDULE), RUBRIC.rubric_version) == []
    state.apply(clock("2026-11-16T08:10:00+08:00"), SCHEDULE)  # an earlier punch arrives late
    withdrawn = changed_lines(state, evaluate(state, RUBRIC, SCHEDULE), RUBRIC.rubric_version)
    assert [(l.source_id, l.status, l.points) for l in withdrawn] == [(late.event_id, "withdrawn", 0)]
    assert withdrawn[0].revision > first[0].revision
