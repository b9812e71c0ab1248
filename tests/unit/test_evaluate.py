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


def test_absence_of_a_rostered_staff_member_up_to_the_latest_event():
    # s2 never punches on Monday; s1's punches make Monday afternoon the horizon.
    events = [clock("2026-11-16T08:20:00+08:00"), clock("2026-11-16T14:40:00+08:00", staff="s1")]
    lines = evaluate(fold(events), RUBRIC, SCHEDULE, roster=("s1", "s2"))
    absent = [(l.rule_id, l.staff, l.points) for l in lines if l.rule_id == "tongxu.4.7"]
    # morning ended before the horizon; the afternoon (ends 17:30) has not.
    assert absent == [("tongxu.4.7", "s2", Decimal(-2))]
    leave = event("attendance.leave", "2026-11-16T08:00:00+08:00",
                  {"starts_at": "2026-11-16T08:30:00+08:00", "ends_at": "2026-11-16T12:00:00+08:00",
                   "approved": True, "cover_staff": "s1"}, staff="s2")
    assert [l for l in evaluate(fold(events + [leave]), RUBRIC, SCHEDULE, roster=("s1", "s2"))
            if l.rule_id == "tongxu.4.7"] == []


def test_unreviewed_transaction_and_uninvited_review():
    tx = event("transaction.completed", "2026-11-16T09:00:00+08:00", {"transaction_id": "T1"})
    tx2 = event("transaction.completed", "2026-11-16T09:10:00+08:00", {"transaction_id": "T2"})
    rv = event("review.submitted", "2026-11-16T09:01:00+08:00",
               {"level": "满意", "channel": "evaluator", "real_name": True, "transaction_id": "T1", "invited": False})
    lines = evaluate(fold([tx, tx2, rv]), RUBRIC, SCHEDULE)
    assert {(l.rule_id, l.source_id) for l in lines} == {("tongxu.2.1", tx2.event_id), ("tongxu.2.3", rv.event_id)}


def test_checklist_findings_are_recorded_and_routed_to_their_owner():
    from hallscore.core.evaluate import evaluate_checklist
    from hallscore.core.rubric import Checklist
    from hallscore.core.rubric_set import RubricSet

    checklist = Checklist.model_validate({
        "id": "chk", "version": "1", "title": "t", "kind": "checklist", "effective_from": "2020-01-01",
        "groups": [{"id": "chk.a", "name": "A", "seed": {"file": "f", "quote": "qq"}, "items": [
            {"id": "chk.a.1", "name": "x", "seed": {"file": "f", "quote": "qq"}},
            {"id": "chk.a.2", "name": "y", "seed": {"file": "f", "quote": "qq"}, "per_occurrence": 0.5, "cap": 1}]}]})
    rubrics = RubricSet((RUBRIC, checklist))
    f1, f2 = finding("2026-11-17T10:00:00+08:00", "chk.a.1"), finding("2026-11-17T10:00:00+08:00", "chk.a.2", count=3)
    assert rubrics.targets(f1, "county") == [checklist]
    assert rubrics.targets(finding("2026-11-17T10:00:00+08:00", "tongxu.5.2"), "county") == [RUBRIC]
    assert rubrics.targets(finding("2026-11-17T10:00:00+08:00", "nobody.1"), "county") == [RUBRIC]
    assert rubrics.targets(clock("2026-11-16T09:07:00+08:00"), "township") == []  # tongxu is for county halls
    lines = evaluate_checklist(fold([f1, f2]), checklist)
    assert [(l.rule_id, l.points, l.status) for l in lines] == [("chk.a.1", 0, "recorded"), ("chk.a.2", -1, "capped")]


def test_review_summary_shares():
    from hallscore.core.facts import review_summary

    txs = [event("transaction.completed", "2026-11-16T09:00:00+08:00", {"transaction_id": f"T{i}"}) for i in range(4)]
    reviews = [event("review.submitted", "2026-11-16T09:05:00+08:00",
                     {"level": lvl, "channel": "qr_code", "real_name": False, "transaction_id": f"T{i}", "invited": inv})
               for i, (lvl, inv) in enumerate([("满意", True), ("不满意", True), ("非常满意", False)])]
    s = review_summary(fold(txs + reviews))
    assert (s.transactions, s.reviews) == (4, 3)
    assert (s.coverage, s.invited_share, s.dissatisfied_share) == (Decimal("0.75"), Decimal("0.6667"), Decimal("0.3333"))


def test_no_absence_on_a_day_the_attendance_device_sent_nothing():
    # Only an inspection entry late on Monday: no punch at all that day.
    lines = evaluate(fold([finding("2026-11-16T18:00:00+08:00", "tongxu.5.2")]), RUBRIC, SCHEDULE, roster=("s1", "s2"))
    assert [l.rule_id for l in lines] == ["tongxu.5.2"]
