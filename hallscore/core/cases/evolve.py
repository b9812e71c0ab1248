"""Fold a case's events into its state. Pure, total over valid histories.

Every event carries the state it led to (`payload.state`), decided once by
decide.py; folding trusts it, so replaying a stored history never depends
on today's rules. What folding adds is the bookkeeping the rates need:
when each milestone was met, which ones overdue, evidence, counts.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Iterable

from hallscore.core.cases.model import Case, Change, DeadlineRule


def _met(case: Case, at: datetime, *milestones: str) -> dict[str, datetime]:
    met = dict(case.met)
    for m in milestones:
        if m in case.deadlines:  # a kind's own milestones only
            met.setdefault(m, at)
    return met


def apply(case: Case | None, ch: Change) -> Case:
    p = ch.payload
    if ch.type == "case.opened":
        if case is not None:
            raise ValueError(f"case {p['case_id']} opened twice")
        return Case(
            case_id=p["case_id"], kind=p["kind"], hall=p["hall"], unit=p["unit"], title=p["title"],
            state=p["state"], seq=p["seq"], opened_at=ch.at, started_on=date.fromisoformat(str(p["started_on"])),
            rule_id=p.get("rule_id"), list_id=p.get("list_id"), list_title=p.get("list_title"),
            round=p.get("round"), source_ref=p.get("source_ref"), details=dict(p.get("details") or {}),
            deadlines={d["milestone"]: DeadlineRule.from_json(d) for d in p.get("deadlines", ())},
            history=(ch,))
    if case is None:
        raise ValueError(f"{ch.type} before case.opened for case {p.get('case_id')}")
    if p["seq"] != case.seq + 1:
        raise ValueError(f"case {case.case_id}: event seq {p['seq']} after {case.seq}")
    c = replace(case, state=p["state"], seq=p["seq"], history=case.history + (ch,))
    t = ch.type
    if t == "case.verified":
        c = replace(c, substantiated=bool(p["substantiated"]), met=_met(c, ch.at, "contact"))
        if c.kind == "bad_review" and not c.substantiated:
            c = replace(c, not_applicable=c.not_applicable | {"rectify"})
    elif t == "case.appealed":
        c = replace(c, appealed=True)
    elif t == "case.appeal_decided":
        c = replace(c, appeal_upheld=bool(p["upheld"]))
        if p["upheld"]:  # the unit was right: not 属实, nothing to rectify
            c = replace(c, substantiated=False, not_applicable=c.not_applicable | {"rectify"})
    elif t == "case.evidence_submitted":
        c = replace(c, evidence=c.evidence + tuple(p.get("evidence", ())), submissions=c.submissions + 1)
    elif t == "case.evidence_rejected":
        c = replace(c, rejections=c.rejections + 1)
    elif t == "case.evidence_accepted":
        c = replace(c, met=_met(c, ch.at, "rectify"))
    elif t == "case.forwarded":
        c = replace(c, met=_met(c, ch.at, "forward"))
    elif t == "case.urged":
        c = replace(c, urges=c.urges + 1)
    elif t == "case.called_back":
        c = replace(c, callback=p["outcome"])
    elif t == "case.deadline_set":
        rule = DeadlineRule.from_json(p["deadline"])
        c = replace(c, deadlines={**c.deadlines, rule.milestone: rule})
    elif t == "case.overdue":
        c = replace(c, overdue=c.overdue | {p["milestone"]})
    if c.state == "closed" and case.state != "closed":
        # Closing meets every milestone still open (e.g. a complaint settled
        # by its source system before it was forwarded).
        c = replace(c, closed_at=ch.at, met=_met(c, ch.at, *c.deadlines))
    return c


def fold(changes: Iterable[Change]) -> Case | None:
    case: Case | None = None
    for ch in changes:
        case = apply(case, ch)
    return case
