"""What the clock alone decides: overdue milestones and re-dated deadlines.

Pure: the service's timer loop calls these with the current time and the
current calendar, then runs the commands like any other.
"""
from __future__ import annotations

from datetime import datetime

from hallscore.core.cases.commands import MarkOverdue, SetDeadline
from hallscore.core.cases.model import Case, due_instant
from hallscore.core.cases.policy import recompute
from hallscore.core.workdays import Calendar


def pending(case: Case, milestone: str) -> bool:
    return not (case.closed or milestone in case.met or milestone in case.not_applicable
                or milestone in case.overdue)


def overdue_commands(case: Case, now: datetime) -> list[MarkOverdue]:
    """Milestones whose day has ended unmet, once each.

    A provisional deadline (its year's holidays unknown) never makes a case
    overdue: a point deduction must not rest on a guessed calendar. The case
    shows `overdue_pending_calendar` instead until the schedule is supplied.
    """
    due = [r for m, r in case.deadlines.items()
           if pending(case, m) and not r.provisional and now >= due_instant(r.due)]
    return [MarkOverdue(r.milestone) for r in sorted(due, key=lambda r: (r.due, r.milestone))]


def waiting_for_calendar(case: Case, now: datetime) -> list[str]:
    """Milestones past a provisional due day: overdue once the calendar says so."""
    return [m for m, r in case.deadlines.items()
            if pending(case, m) and r.provisional and now >= due_instant(r.due)]


def redated(case: Case, calendar: Calendar) -> list[SetDeadline]:
    """Provisional deadlines that the calendar now dates differently or exactly."""
    out = []
    for m, rule in case.deadlines.items():
        if not rule.provisional or not pending(case, m):
            continue
        new = recompute(rule, calendar)
        if new != rule:
            years = sorted({rule.due.year, new.due.year})
            why = ("holiday schedule supplied for " + "/".join(map(str, years))) if not new.provisional \
                else "calendar changed; still provisional"
            out.append(SetDeadline(new, why))
    return out
