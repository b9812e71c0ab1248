"""The pure core of the rankings: period weeks, standings, awards, restatements."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from hallscore.core.awards import quality_windows, quarter_scores, service_stars, staff_records, year_standings
from hallscore.core.period_weeks import parse_period, weeks_of_month
from hallscore.core.periods import SHANGHAI, IsoWeek
from hallscore.core.restatement import changed_lines, changed_units, line_set
from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.staff import StaffScore
from hallscore.core.standings import Veto, present, rank_changes, rank_week, vetoed

D = Decimal
FOLD = load_rubric(DEFAULT_RUBRIC).folding.year


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_weeks_belong_to_the_month_of_their_thursday():
    assert [w.week for w in weeks_of_month(2026, 10)] == [40, 41, 42, 43, 44]
    assert [w.week for w in weeks_of_month(2026, 11)] == [45, 46, 47, 48]
    assert [str(w) for w in weeks_of_month(2026, 12)][-1] == "2026-W53"
    assert [str(w) for w in weeks_of_month(2027, 1)][0] == "2027-W01"
    q4 = parse_period("quarter", "2026-Q4")
    assert (q4.weeks[0], q4.weeks[-1], q4.title) == (IsoWeek(2026, 40), IsoWeek(2026, 53), "2026年第四季度")
    assert len(parse_period("year", "2026").weeks) == 53 and parse_period("year", "2026").title == "2026年度"
    w01 = parse_period("week", "2026-W01")
    assert (w01.year, w01.title, w01.months) == (2026, "2026年第1周", ((2026, 1),))  # Thursday 1 Jan 2026
    assert parse_period("month", "2026-11").title == "2026年11月"
    for kind, bad in (("month", "2026-13"), ("month", "2026-1"), ("quarter", "2026-Q0"), ("year", "1999"),
                      ("week", "2026-W54"), ("week", "0001-W01")):
        with pytest.raises(ValueError):
            parse_period(kind, bad)


def test_presence_vetoes_and_rank_changes():
    w47 = IsoWeek(2026, 47)
    first = {"h/a": at("2026-11-22T23:59:59"), "h/b": at("2026-11-23T00:00:00")}
    assert present(first, {"h/c"}, w47) == {"h/a", "h/c"}
    vetoes = [Veto("h/a", "r", "s1", at("2025-12-31T10:00:00")), Veto("h/b", "r", "s2", at("2026-11-22T10:00:00"))]
    assert vetoed(vetoes, 2026, at("2026-11-23T00:00:00")) == {"h/b"}
    assert vetoed(vetoes, 2026, at("2026-11-22T10:00:00")) == set()  # the end is exclusive
    cur = rank_week(D(100), ["h/a", "h/b", "h/c"], {"h/a": (D(-2), D(0)), "h/c": (D(-1), D(1))}, set())
    assert [(r.entry.unit, r.rank) for r in cur] == [("h/b", 1), ("h/c", 1), ("h/a", 3)]
    prev = rank_week(D(100), ["h/a", "h/c"], {"h/c": (D(-5), D(0))}, set())
    assert rank_changes(cur, prev) == {"h/b": (None, None), "h/c": (2, 1), "h/a": (1, -2)}


def test_quality_windows_exclude_vetoed_and_share_the_last_place():
    months = {"a": {(2026, 10): D(99), (2026, 11): D(98)}, "b": {(2026, 11): D(99)}, "c": {(2026, 10): D(97)},
              "d": {(2026, 10): D(100), (2026, 11): D(100)}, "e": {(2026, 9): D(100)}}
    scores = quarter_scores(months, [(2026, 10), (2026, 11), (2026, 12)])
    assert scores == {"a": D("98.50"), "b": D(99), "c": D(97), "d": D(100)}
    assert [(a.rank, a.key) for a in quality_windows(scores, {"d"}, 2)] == [(1, "b"), (2, "a")]
    tied = {**scores, "c": D("98.50")}
    assert [(a.rank, a.key) for a in quality_windows(tied, {"d"}, 2)] == [(1, "b"), (2, "a"), (2, "c")]


def test_service_stars_break_ties_by_occurrences_praise_and_transactions():
    scored = [StaffScore("s1", "h/a", D(98), D(-2), D(0), 1), StaffScore("s2", "h/a", D(105), D(0), D(5), 0),
              StaffScore("s3", "h/b", D(100), D(-2), D(2), 1)]
    activity = {("s1", "h/a"): (3, 10), ("s4", "h/b"): (5, 40), ("s5", "h/b"): (5, 40), ("s6", "h/b"): (7, 1),
                ("s3", "h/b"): (9, 9)}
    records = staff_records(scored, activity, D(100))
    assert [(r.score.staff, r.score.score) for r in records][:5] == [
        ("s2", D(105)), ("s6", D(100)), ("s4", D(100)), ("s5", D(100)), ("s3", D(100))]
    stars = service_stars(records, 3)
    assert [(s.rank, s.record.score.staff) for s in stars] == [(1, "s2"), (2, "s6"), (3, "s4"), (3, "s5")]


def test_year_standings_rank_complete_then_vetoed_then_missing():
    months = {"a": {(2026, 11): D(90)}, "b": {(2026, 11): D(95)}, "c": {(2026, 11): D(99)}}
    got = year_standings(months, 2026, FOLD, {"a": {"tongxu.year.other": D(80)}, "b": {"tongxu.year.other": D(90)}},
                         {"b"})
    assert [(s.key, s.rank, s.result.total, s.result.passed) for s in got] == [
        ("a", 1, D("22.50") + D("60.00"), True), ("b", None, D("23.75") + D("67.50"), False), ("c", None, None, None)]
    assert got[2].result.missing == ("tongxu.year.other",)


def test_restatement_lists_new_and_changed_lines_and_moved_units():
    frozen = line_set([("a", "e1", "r1", "deduction", "applied", D("-2")), ("b", "e2", "r2", "deduction", "applied", D(-1))])
    live = line_set([("a", "e1", "r1", "deduction", "applied", D("-2.00")), ("a", "e9", "r1", "deduction", "applied", D(-2)),
                     ("b", "e2", "r2", "deduction", "withdrawn", D(0))])
    assert changed_lines(frozen, live) == {"a": ["e9|r1"], "b": ["e2|r2"]}
    before = [{"unit": "b", "rank": 1, "score": "99.00", "vetoed": False},
              {"unit": "a", "rank": 2, "score": "98.00", "vetoed": False}]
    now = [{"unit": "b", "rank": 1, "score": "100.00", "vetoed": False},
           {"unit": "a", "rank": 2, "score": "96.00", "vetoed": False},
           {"unit": "c", "rank": 3, "score": "100.00", "vetoed": False}]
    assert [(u["unit"], u["published"] and u["published"]["score"], u["now"]["score"])
            for u in changed_units(before, now)] == [("b", "99.00", "100.00"), ("a", "98.00", "96.00"), ("c", None, "100.00")]
    assert changed_units(before, before) == []
