"""API bodies -> Open / SetDeadline commands, checked against the hall
directory and the active rubric (a problem item must name a deduction item
that scoring can charge when it goes overdue)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from hallscore.core.cases.commands import Open, SetDeadline
from hallscore.core.cases.errors import InvalidCommand
from hallscore.core.cases.model import Case, DeadlineRule
from hallscore.core.cases.policy import DeadlinePolicy, plan_deadlines, recompute
from hallscore.core.rubric import Checklist, Rubric
from hallscore.core.rubric_set import RubricSet
from hallscore.core.schedule import HallsConfig
from hallscore.core.workdays import Calendar
from services.rectification.api_models import CaseIn, DeadlineIn, ListIn
from services.rectification.sources import complaint_case_id, open_complaint


@dataclass(frozen=True)
class Directory:
    halls: HallsConfig
    rubrics: RubricSet

    def check_unit(self, hall: str, unit: str, field: str) -> None:
        entry = self.halls.halls.get(hall)
        if entry is None:
            raise InvalidCommand(f"unknown hall {hall!r} (halls file lists: {', '.join(sorted(self.halls.halls))})",
                                 field="hall")
        if entry.units and unit not in entry.units:
            raise InvalidCommand(f"unit {unit!r} is not a unit of {hall} ({entry.name})", field=field)

    def check_rule(self, hall: str, rule_id: str | None, day: date, field: str) -> None:
        """The rule must be an item (not a category, bonus or veto) of a rubric in
        force for the hall that day: scoring charges an overdue item against it."""
        entry = self.halls.halls.get(hall)
        in_force = self.rubrics.in_force(hall, entry.tier if entry else None, day)
        for r in in_force:
            if (isinstance(r, Rubric) and r.deduction_rule(rule_id or "")) or \
                    (isinstance(r, Checklist) and r.item(rule_id or "")):
                return
        names = ", ".join(r.rubric_version for r in in_force) or "none"
        raise InvalidCommand(f"rule_id {rule_id!r} is not an item of a rubric in force for {hall} on {day} "
                             f"(in force: {names}): an overdue item could not be scored", field=field)


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def list_commands(body: ListIn, today: date, policy: DeadlinePolicy, calendar: Calendar,
                  directory: Directory) -> tuple[str, list[tuple[str, Open]]]:
    """(list id, [(case id, Open)]) for every item of a problem list."""
    start = body.issued_on or today
    rules = policy.for_hall(body.hall, "problem_item")
    list_id = new_id("pl")
    out = []
    for i, item in enumerate(body.items):
        directory.check_unit(body.hall, item.unit, f"items.{i}.unit")
        directory.check_rule(body.hall, item.rule_id, start, f"items.{i}.rule_id")
        due = item.deadline or body.deadline
        if due is not None and due < start:
            raise InvalidCommand(f"deadline {due} is before the list's day {start}", field=f"items.{i}.deadline")
        out.append((f"{list_id}-{i + 1:03d}", Open(
            kind="problem_item", hall=body.hall, unit=item.unit, title=item.title, started_on=start,
            deadlines=plan_deadlines(rules, start, calendar, {"close": due} if due else None),
            rule_id=item.rule_id, list_id=list_id, list_title=body.title, round=body.round)))
    return list_id, out


def case_command(body: CaseIn, today: date, policy: DeadlinePolicy, calendar: Calendar,
                 directory: Directory) -> tuple[str, Open]:
    directory.check_unit(body.hall, body.unit, "unit")
    start = body.started_on or today
    rules = policy.for_hall(body.hall, body.kind)
    if body.kind == "complaint":
        cid = body.complaint_id or new_id("wo")
        return complaint_case_id(body.hall, cid), open_complaint(
            body.hall, body.unit, cid, body.channel, body.summary, start, policy, calendar, body.title)
    if body.kind == "problem_item":
        directory.check_rule(body.hall, body.rule_id, start, "rule_id")
        fixed = {"close": body.deadline} if body.deadline else None
        return new_id("pi"), Open(kind="problem_item", hall=body.hall, unit=body.unit, title=body.title,
                                  started_on=start, deadlines=plan_deadlines(rules, start, calendar, fixed),
                                  rule_id=body.rule_id, round="inspection")
    return new_id("br"), Open(
        kind="bad_review", hall=body.hall, unit=body.unit, title=body.title or f"差评：{body.level or '不满意'}",
        started_on=start, deadlines=plan_deadlines(rules, start, calendar),
        details={"level": body.level or "不满意", "citizen_phone": body.citizen_phone, "summary": body.summary})


def deadline_command(case: Case, body: DeadlineIn, calendar: Calendar) -> SetDeadline:
    """A manager's new deadline for one milestone: a fixed day or N working days."""
    if (body.due is None) == (body.workdays is None):
        raise InvalidCommand("give exactly one of due (a day) or workdays", field="due")
    if body.due is not None:
        if body.due < case.started_on:
            raise InvalidCommand(f"due {body.due} is before the case's start {case.started_on}", field="due")
        rule = DeadlineRule(body.milestone, body.due, False, None, None)
    else:
        rule = recompute(DeadlineRule(body.milestone, case.started_on, False, case.started_on, body.workdays), calendar)
    return SetDeadline(rule, body.reason)
