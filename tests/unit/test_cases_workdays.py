"""Working-day deadlines: 调休 across National Day 2026 (real library dates),
and 2027 provisional until a manager supplies the year's schedule as data."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallscore.core import workdays
from hallscore.core.workdays import Calendar, CalendarError, YearSchedule, add_workdays, load_schedule

LIB = Calendar()  # the library only, whatever the repo's calendars/ holds

# A 2027 schedule in the notice's shape. NOT the real 2027 notice (not out
# when this was written): its dates only exercise the mechanism.
TEST_2027 = {
    "year": 2027, "source": "test data in the shape of a 国办发明电 notice",
    "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                 {"name": "春节", "from": "2027-02-05", "to": "2027-02-12"}],
    "workdays": ["2027-02-14", "2027-02-20"],
}


@pytest.mark.parametrize("start, n, due", [
    (date(2026, 9, 30), 0, date(2026, 9, 30)),   # a working day: the same day
    (date(2026, 9, 30), 1, date(2026, 10, 8)),   # 1-7 Oct National Day
    (date(2026, 9, 30), 3, date(2026, 10, 10)),  # Saturday 10 Oct is a 调休 working day
    (date(2026, 9, 30), 4, date(2026, 10, 12)),  # Sunday 11 Oct is not
    (date(2026, 9, 30), 5, date(2026, 10, 13)),
    (date(2026, 10, 3), 0, date(2026, 10, 8)),   # opened in the holiday: first working day after it
    (date(2026, 10, 9), 1, date(2026, 10, 10)),
    (date(2026, 10, 10), 1, date(2026, 10, 12)),
    (date(2026, 9, 24), 1, date(2026, 9, 28)),   # 25-27 Sep Mid-Autumn
    (date(2026, 9, 24), 15, date(2026, 10, 22)),
])
def test_national_day_2026_with_its_tiaoxiu_saturday(start, n, due):
    got = add_workdays(start, n, LIB)
    assert (got.due, got.provisional) == (due, False)


def test_2027_is_provisional_until_its_schedule_is_supplied(tmp_path):
    guessed = add_workdays(date(2026, 12, 24), 10, LIB)
    # Mon-Fri: 25, 28, 29, 30, 31 Dec; 1, 4, 5, 6, 7 Jan
    assert (guessed.due, guessed.provisional, guessed.unknown_years) == (date(2027, 1, 7), True, (2027,))
    assert add_workdays(date(2026, 12, 1), 5, LIB).provisional is False  # stays in 2026

    (tmp_path / "2027.yaml").write_text(
        "year: 2027\nsource: test data\nholidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"
        "  - {name: 春节, from: 2027-02-05, to: 2027-02-12}\nworkdays: [2027-02-14, 2027-02-20]\n",
        encoding="utf-8")
    cal = Calendar.from_dirs(tmp_path)
    exact = add_workdays(date(2026, 12, 24), 10, cal)
    assert (exact.due, exact.provisional) == (date(2027, 1, 8), False)  # Friday 1 Jan is 元旦: one day later
    feb = add_workdays(date(2027, 2, 4), 2, cal)
    assert (feb.due, feb.provisional) == (date(2027, 2, 15), False)  # 14 Feb (Sun) 调休, then Mon 15
    assert add_workdays(date(2027, 2, 4), 2, LIB).due == date(2027, 2, 8)  # the Mon-Fri guess differs
    assert cal.source(2027).startswith("schedule:") and cal.source(2026) == "chinese-calendar"
    assert cal.source(2031) == "unknown (Mon-Fri assumed)"


def test_module_functions_keep_their_meaning():
    assert workdays.is_workday(date(2026, 10, 10)) and not workdays.is_workday(date(2026, 10, 5))
    assert workdays.is_known(date(2026, 12, 31)) and not workdays.is_known(date(2027, 1, 4))
    assert workdays.is_workday(date(2027, 1, 4))  # Mon-Fri guess, never an exception
    assert workdays.is_workday.cache_info().maxsize  # still cached (scoring calls it a lot)


def test_a_supplied_schedule_wins_over_the_library():
    fake_2026 = YearSchedule.model_validate({"year": 2026, "source": "correction",
                                             "holidays": [{"name": "x", "from": "2026-10-12", "to": "2026-10-12"}]})
    cal = Calendar([fake_2026])
    assert not cal.is_workday(date(2026, 10, 12)) and not cal.is_workday(date(2026, 10, 10))


@pytest.mark.parametrize("change, message", [
    ({"workdays": ["2027-02-15"]}, "2027-02-15 is a Monday"),
    ({"workdays": ["2027-02-06"]}, "also inside a holiday range"),
    ({"holidays": [{"name": "春节", "from": "2028-02-05", "to": "2028-02-06"}]}, "not in year 2027"),
    ({"holidays": [{"name": "春节", "from": "2027-02-12", "to": "2027-02-05"}]}, "before"),
])
def test_schedule_mistakes_are_named(change, message):
    with pytest.raises(ValueError, match=message):
        YearSchedule.model_validate({**TEST_2027, **change})


def test_schedule_file_errors_name_file_and_field(tmp_path):
    p = tmp_path / "2027.yaml"
    p.write_text("year: 2027\nsource: x\nholidays:\n  - {name: 元旦, from: 2027-01-01}\n", encoding="utf-8")
    with pytest.raises(CalendarError, match=r"2027.yaml:4: holidays.0.to"):
        load_schedule(p)
    q = tmp_path / "2028.yaml"
    q.write_text("year: 2027\nsource: x\nholidays: []\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="does not match the file name"):
        load_schedule(q)


def test_negative_or_absurd_counts_fail_fast():
    with pytest.raises(ValueError):
        add_workdays(date(2026, 1, 1), -1, LIB)
    with pytest.raises(ValueError, match="three years"):
        add_workdays(date(2026, 1, 1), 5000, LIB)


@settings(max_examples=150, deadline=None)
@given(start=st.dates(date(2024, 1, 1), date(2027, 6, 30)), n=st.integers(0, 40))
def test_the_due_day_is_the_nth_working_day(start, n):
    got = add_workdays(start, n, LIB)
    assert LIB.is_workday(got.due) and got.due >= start
    days = [start + timedelta(days=i) for i in range(1, (got.due - start).days + 1)]
    assert sum(LIB.is_workday(d) for d in days) == (n if n else int(got.due != start))
    later = add_workdays(start, n + 1, LIB).due
    assert later > got.due if n else later >= got.due
    assert got.provisional == any(not LIB.is_known(d) for d in [start, *days])
