"""Chinese working days, 调休 included, from the chinese-calendar library.

The library knows a fixed range of years. Outside it we fall back to
Monday-Friday and say so (`is_known`), so a caller can mark a result as
provisional instead of crashing.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=4096)
def is_known(d: date) -> bool:
    try:
        chinese_calendar.is_workday(d)
        return True
    except NotImplementedError:
        return False


# Cached: evaluation asks for the same few days thousands of times, and the
# library validates each date on every call.
@lru_cache(maxsize=4096)
def is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5
