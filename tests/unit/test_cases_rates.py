"""Rates from case histories: the issue's 6-item round reads 4/6, and
properties that hold for any mix of cases and steps."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hallscore.core.cases import SYSTEM, Actor, DomainError, apply, decide
from hallscore.core.cases import commands as c
from hallscore.core.cases.model import MILESTONES, DeadlineRule
from hallscore.core.cases.rates import RATE_NAMES, total, unit_rates

M, U = Actor("manager", "m"), Actor("unit", "u")
T0 = datetime.fromisoformat("2026-11-02T09:00:00+08:00")
DUE = date(2026, 11, 13)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def new(kind: str, n: int, unit: str = "u1", start: date = date(2026, 11, 2), **details):
    rules = tuple(DeadlineRule(m, DUE, False, start, 9) for m in MILESTONES[kind])
    cmd = c.Open(kind=kind, hall="h", unit=unit, title="t", started_on=start, deadlines=rules, rule_id="tongxu.5.2",
                 details=details)
    [ch] = decide(None, cmd, M if kind != "bad_review" else SYSTEM, T0, case_id=f"{kind[:2]}-{n:04d}")
    return apply(None, ch)


def step(case, cmd, actor, at):
    for ch in decide(case, cmd, actor, at):
        case = apply(case, ch)
    return case


def test_six_items_three_on_time_one_resubmitted_two_overdue_reads_4_of_6():
    on_time = datetime.fromisoformat("2026-11-10T10:00:00+08:00")
    items = [new("problem_item", i) for i in range(6)]
    for i in range(3):
        items[i] = step(items[i], c.SubmitEvidence(("a.jpg",)), U, on_time)
        items[i] = step(items[i], c.AcceptEvidence(), M, on_time)
    items[3] = step(items[3], c.SubmitEvidence(("a.jpg",)), U, on_time)
    items[3] = step(items[3], c.RejectEvidence("照片不清"), M, on_time)
    items[3] = step(items[3], c.SubmitEvidence(("b.jpg",)), U, on_time + timedelta(days=1))
    items[3] = step(items[3], c.AcceptEvidence(), M, on_time + timedelta(days=2))
    for i in (4, 5):
        items[i] = step(items[i], c.MarkOverdue("close"), SYSTEM, datetime.fromisoformat("2026-11-13T23:59:59+08:00"))
    [u] = unit_rates(items, *NOV).values()
    assert u.rates["problem_items_closed_by_deadline"].to_json() == {
        "numerator": 4, "denominator": 6, "text": "4/6", "percent": "66.7", "share": "0.6667"}
    assert u.counts["overdue"] == 2 and u.counts["rejections"] == 1 and u.counts["open"] == 2


def test_bad_review_rates_follow_the_three_100_percent():
    at = datetime.fromisoformat("2026-11-03T10:00:00+08:00")
    a, b, d = new("bad_review", 1), new("bad_review", 2), new("bad_review", 3)
    a = step(a, c.Verify(True), M, at)
    a = step(a, c.SubmitEvidence(("x",)), U, at)
    a = step(a, c.AcceptEvidence(), M, at)
    a = step(a, c.CallBack("satisfied"), U, at)
    b = step(b, c.Verify(False), M, at)
    u = unit_rates([a, b, d], *NOV)[("h", "u1")]
    got = {n: u.rates[n].text for n in RATE_NAMES if u.rates[n].denominator}
    assert got == {"bad_reviews_verified": "2/3", "bad_reviews_rectified_on_time": "1/1",
                   "bad_reviews_called_back": "1/3"}
    assert unit_rates([a, b, d], date(2026, 12, 1), date(2026, 12, 31)) == {}  # counted by start day


ACTIONS = [(c.Verify(True), M), (c.Verify(False), M), (c.Forward(), M), (c.Urge(), M), (c.Appeal("r"), U),
           (c.DecideAppeal(True), M), (c.DecideAppeal(False), M), (c.SubmitEvidence(("e",)), U),
           (c.RejectEvidence("r"), M), (c.AcceptEvidence(), M), (c.CallBack("satisfied"), U),
           (c.CallBack("unreachable"), M), (c.MarkOverdue("close"), SYSTEM)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 25))
def test_rates_are_bounded_additive_and_order_free(seed, n):
    rnd = random.Random(seed)
    cases = []
    for i in range(n):
        case = new(rnd.choice(["problem_item", "bad_review", "complaint"]), i, rnd.choice(["u1", "u2", "u3"]))
        at = T0
        for _ in range(rnd.randint(0, 8)):
            at += timedelta(days=rnd.randint(0, 6))
            cmd, actor = rnd.choice(ACTIONS)
            try:
                case = step(case, cmd, actor, at)
            except DomainError:
                pass  # illegal here: the case is unchanged
        cases.append(case)
    rows = unit_rates(cases, *NOV)
    for r in rows.values():
        for name in RATE_NAMES:
            assert 0 <= r.rates[name].numerator <= r.rates[name].denominator
        mine = [x for x in cases if (x.hall, x.unit) == (r.hall, r.unit)]
        assert r.counts["open"] - r.counts["pending"] == sum(not x.closed and bool(x.overdue) for x in mine)
    t = total(rows.values(), "h")
    assert t.rates["problem_items_closed_by_deadline"].denominator == sum(x.kind == "problem_item" for x in cases)
    assert t.counts["bad_reviews"] + t.counts["complaints"] + t.counts["problem_items"] == n
    shuffled = cases[:]
    rnd.shuffle(shuffled)
    again = unit_rates(shuffled, *NOV)
    assert {k: v.to_json() for k, v in again.items()} == {k: v.to_json() for k, v in rows.items()}


def test_rates_feed_the_weidong_kpis():
    from hallscore.core.kpi import evaluate_kpis
    from hallscore.core.rubric import RUBRICS_DIR, load_any_rubric

    at = datetime.fromisoformat("2026-11-03T10:00:00+08:00")
    late = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    cases = []
    for i, when in enumerate((at, late)):  # one real-name 差评 rectified on time, one late
        case = new("bad_review", i, real_name=True)
        case = step(case, c.Verify(True), M, at)
        case = step(case, c.SubmitEvidence(("x",)), U, when)
        cases.append(step(case, c.AcceptEvidence(), M, when))
    complaint = step(new("complaint", 9), c.Forward(), M, at)
    complaint = step(complaint, c.SubmitEvidence(("x",)), U, at)
    cases.append(step(complaint, c.Verify(False), M, at))
    u = unit_rates(cases, *NOV)[("h", "u1")]
    assert {k: str(v) for k, v in u.kpi_rates().items()} == {
        "real_name_bad_reviews_rectified_on_time": "0.5000", "complaints_closed_on_time": "1.0000"}
    kpis = load_any_rubric(RUBRICS_DIR / "weidong-kpi-2021.yaml")
    met = {r.target.measure: r.met for r in evaluate_kpis(kpis, [], u.kpi_rates())}
    assert met["real_name_bad_reviews_rectified_on_time"] is False and met["complaints_closed_on_time"] is True
