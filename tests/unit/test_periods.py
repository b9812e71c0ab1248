from datetime import date, datetime, timezone

import pytest

from hallscore.core import workdays
from hallscore.core.periods import IsoWeek, month_of, quarter_of


def test_week_is_taken_in_shanghai_not_utc():
    # Sunday 2026-11-22 16:30 UTC is Monday 00:30 in Shanghai: week 48.
    assert str(IsoWeek.of(datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc))) == "2026-W48"
    assert str(IsoWeek.of(datetime(2026, 11, 22, 15, 59, tzinfo=timezone.utc))) == "2026-W47"


def test_iso_year_boundaries():
    assert str(IsoWeek.of_date(date(2026, 12, 31))) == "2026-W53"
    assert str(IsoWeek.of_date(date(2027, 1, 4))) == "2027-W01"
    assert IsoWeek.parse("2026-W53").sunday == date(2027, 1, 3)
    with pytest.raises(ValueError):
        IsoWeek.parse("2025-W53")
    with pytest.raises(ValueError):
        IsoWeek.parse("2026-47")


def test_shift_and_months():
    assert str(IsoWeek.parse("2026-W01").shift(-1)) == "2025-W52"
    assert month_of(datetime(2026, 3, 31, 17, 0, tzinfo=timezone.utc)) == (2026, 4)
    assert quarter_of(datetime(2026, 3, 31, 17, 0, tzinfo=timezone.utc)) == (2026, 2)


def test_workdays_know_tiaoxiu_and_fall_back_outside_the_library():
    assert workdays.is_workday(date(2026, 10, 10))  # 调休 Saturday
    assert not workdays.is_workday(date(2026, 10, 5))  # National Day holiday, a Monday
    assert not workdays.is_known(date(2027, 1, 4)) and workdays.is_workday(date(2027, 1, 4))
