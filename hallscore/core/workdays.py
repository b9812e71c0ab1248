"""Chinese working days, 调休 included, from the chinese-calendar library.

The library knows a fixed range of years. Outside it we fall back to
Monday-Friday and say so (`is_known`), so a caller can mark a result as
provisional instead of crashing.
"""
from __future__ import annotations

from datetime import date

import chinese_calendar


def is_known(d: date) -> bool:
    try:
        chinese_calendar.is_workday(d)
        return True
    except NotImplementedError:
        return False


def is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5
