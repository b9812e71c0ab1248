"""Scores are a pure function of (events, rubric): order and duplicates don't matter."""
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hallscore.core.evaluate import evaluate
from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.schedule import load_halls
from hallscore.core.unit_period import UnitPeriod as UnitWeek
from tests.unit.helpers import clock, event, finding

RUBRIC = load_rubric(DEFAULT_RUBRIC)
SCHEDULE = load_halls().schedule("tx")
RULES = [i.id for c in RUBRIC.categories for i in c.items if i.scoring == "per_occurrence"]
ROSTER = ("s1", "s2", "s3", "s4")  # s4 never punches: absences, judged up to the latest event


@st.composite
def week_events(draw):
    n = draw(st.integers(1, 25))
    out = []
    for k in range(n):
        day = draw(st.integers(16, 22))
        hh, mm = draw(st.integers(7, 18)), draw(st.integers(0, 59))
        at = f"2026-11-{day:02d}T{hh:02d}:{mm:02d}:00+08:00"
        staff = draw(st.sampled_from(["s1", "s2", "s3"]))
        kind = draw(st.sampled_from(["in", "out", "review", "finding", "leave", "tx"]))
        eid = f"prop-{k:05d}"
        if kind in ("in", "out"):
            out.append(clock(at, kind, staff=staff, event_id=eid))
        elif kind == "review":
            out.append(event("review.submitted", at, {
                "level": draw(st.sampled_from(["满意", "不满意", "非常不满意"])), "channel": "evaluator",
                "real_name": True, "invited": draw(st.booleans()),
                "transaction_id": f"T{draw(st.integers(0, 5))}"}, staff=staff, event_id=eid))
        elif kind == "tx":
            out.append(event("transaction.completed", at, {"transaction_id": f"T{draw(st.integers(0, 5))}"},
                             staff=staff, event_id=eid))
        elif kind == "finding":
            out.append(finding(at, draw(st.sampled_from(RULES)), draw(st.integers(1, 4)), staff=staff, event_id=eid))
        else:
            out.append(event("attendance.leave", at, {"starts_at": at, "ends_at": at.replace("+08:00", "+07:00"),
                                                       "approved": draw(st.booleans()), "cover_staff": None}, staff=staff, event_id=eid))
    return out


def score(events):
    state = UnitWeek.empty_for(events[0])
    for e in events:
        state.apply(e, SCHEDULE)
    lines = evaluate(state, RUBRIC, SCHEDULE, ROSTER)
    return {(l.source_id, l.rule_id): (l.points, l.status) for l in lines}, state.revision


@settings(max_examples=150, deadline=None)
@given(week_events(), st.randoms(use_true_random=False), st.data())
def test_order_and_duplicates_do_not_change_scores(events, rnd, data):
    base = score(events)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    dupes = shuffled + data.draw(st.lists(st.sampled_from(events), max_size=10))
    assert score(shuffled) == base
    assert score(dupes) == base


@settings(max_examples=150, deadline=None)
@given(week_events())
def test_categories_stay_within_their_points(events):
    state = UnitWeek.empty_for(events[0])
    for e in events:
        state.apply(e, SCHEDULE)
    per_cat: dict[str, Decimal] = {}
    for l in evaluate(state, RUBRIC, SCHEDULE, ROSTER):
        if l.kind == "deduction":
            assert l.points <= 0
            per_cat[l.category] = per_cat.get(l.category, Decimal(0)) + l.points
    cats = {c.id: c.points for c in RUBRIC.categories}
    for cat, used in per_cat.items():
        assert -used <= cats.get(cat, Decimal(0))
