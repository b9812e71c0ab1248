"""Commands -> events: the rules of every case kind, as one transition table.

`decide(case, command, actor, at)` returns the events a command causes (the
caller stores them, then folds them with evolve.apply) or raises a
DomainError subclass whose reason names the state and what is allowed now.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from hallscore.core.cases import commands as c
from hallscore.core.cases.errors import IllegalTransition, InvalidCommand, MissingEvidence, NotPermitted
from hallscore.core.cases.evolve import apply
from hallscore.core.cases.model import (
    CALLBACK_OUTCOMES,
    INITIAL_STATE,
    KIND_LABELS,
    KINDS,
    MILESTONES,
    ROUNDS,
    STATE_LABELS,
    Actor,
    Case,
    Change,
)

Next = str | Callable[[Any], str]

# (kind, state, action) -> next state. Actions valid in every open state
# (set_deadline, mark_overdue, a source system's verdict) are handled apart.
TRANSITIONS: dict[tuple[str, str, str], Next] = {
    ("problem_item", "open", "submit_evidence"): "submitted",
    ("problem_item", "rejected", "submit_evidence"): "submitted",
    ("problem_item", "submitted", "accept_evidence"): "closed",
    ("problem_item", "submitted", "reject_evidence"): "rejected",
    ("bad_review", "open", "verify"): lambda cmd: "rectifying" if cmd.substantiated else "callback_due",
    ("bad_review", "rectifying", "appeal"): "appealed",
    ("bad_review", "appealed", "decide_appeal"): lambda cmd: "callback_due" if cmd.upheld else "rectifying",
    ("bad_review", "rectifying", "submit_evidence"): "submitted",
    ("bad_review", "submitted", "accept_evidence"): "callback_due",
    ("bad_review", "submitted", "reject_evidence"): "rectifying",
    # Nobody answered: the callback is still due (call again).
    ("bad_review", "callback_due", "callback"): lambda cmd: "callback_due" if cmd.outcome == "unreachable"
    else "closed",
    ("complaint", "received", "forward"): "forwarded",
    ("complaint", "forwarded", "urge"): "forwarded",
    ("complaint", "forwarded", "submit_evidence"): "answered",
    ("complaint", "answered", "reject_evidence"): "forwarded",
    ("complaint", "answered", "verify"): "closed",
}
_ANYTIME = ("set_deadline", "mark_overdue")


def allowed_actions(case: Case) -> list[str]:
    """Actions the case's state allows now (whoever may take them)."""
    if case.closed:
        return []
    acts = [a for (k, s, a) in TRANSITIONS if k == case.kind and s == case.state]
    if case.kind == "bad_review" and case.appealed:
        acts = [a for a in acts if a != "appeal"]
    return acts


def _text(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise MissingEvidence(f"{field} is required: {what}", field=field)
    return value


def _refuse(case: Case, action: str) -> IllegalTransition:
    where = f"case {case.case_id} ({KIND_LABELS[case.kind]}) is {STATE_LABELS.get(case.state, case.state)}"
    if case.closed:
        return IllegalTransition(f"{where}: 已办结, nothing can change it")
    if action == "verify" and case.substantiated is not None:
        verdict = "属实" if case.substantiated else "不属实"
        return IllegalTransition(f"{where}: already verified ({verdict}); a case is verified once "
                                 "(the unit may appeal: 申诉复核)")
    if action == "accept_evidence" or (action == "verify" and case.kind == "complaint"):
        return IllegalTransition(f"{where}: no evidence / answer submitted to {action.replace('_', ' ')} "
                                 "(没有待审核的整改材料或反馈)")
    if action == "appeal" and case.appealed:
        return IllegalTransition(f"{where}: already appealed once (申诉只能一次)")
    allowed = ", ".join(allowed_actions(case)) or "none"
    return IllegalTransition(f"{where}: cannot {action.replace('_', ' ')} now; allowed now: {allowed}")


def _payload(cmd: Any) -> dict[str, Any]:
    if isinstance(cmd, (c.Forward, c.Urge, c.AcceptEvidence)):
        return {"note": cmd.note}
    if isinstance(cmd, (c.Verify, c.SourceVerdict)):
        return {"substantiated": cmd.substantiated, "note": cmd.note}
    if isinstance(cmd, c.Appeal):
        return {"note": _text(cmd.reason, "reason", "why the unit disputes the verdict (申诉理由)")}
    if isinstance(cmd, c.DecideAppeal):
        return {"upheld": cmd.upheld, "note": cmd.note}
    if isinstance(cmd, c.SubmitEvidence):
        refs = tuple(r.strip() for r in cmd.evidence if r and r.strip())
        if not refs:
            raise MissingEvidence("evidence is required: at least one photo / document reference (整改佐证材料)",
                                  field="evidence")
        return {"evidence": list(refs), "note": cmd.note}
    if isinstance(cmd, c.RejectEvidence):
        return {"note": _text(cmd.reason, "reason", "why the evidence is rejected (退回理由)")}
    if isinstance(cmd, c.CallBack):
        if cmd.outcome not in CALLBACK_OUTCOMES:
            raise InvalidCommand(f"outcome must be one of {', '.join(CALLBACK_OUTCOMES)}", field="outcome")
        return {"outcome": cmd.outcome, "note": cmd.note}
    raise TypeError(f"no payload rule for {type(cmd).__name__}")


def _check_open(cmd: c.Open) -> None:
    if cmd.kind not in KINDS:
        raise InvalidCommand(f"kind must be one of {', '.join(KINDS)}", field="kind")
    _text(cmd.title, "title", "what the problem is")
    if cmd.kind == "problem_item" and not cmd.rule_id:
        raise MissingEvidence("rule_id is required: the rubric item the problem is against", field="rule_id")
    if cmd.round is not None and cmd.round not in ROUNDS:
        raise InvalidCommand(f"round must be one of {', '.join(ROUNDS)}", field="round")
    want = set(MILESTONES[cmd.kind])
    got = {d.milestone for d in cmd.deadlines}
    if got != want:
        raise InvalidCommand(f"deadlines must cover exactly {', '.join(sorted(want))} for {cmd.kind}",
                             field="deadlines")


def _open(cmd: c.Open, actor: Actor, at: datetime, case_id: str) -> Change:
    _check_open(cmd)
    payload = {"case_id": case_id, "seq": 1, "kind": cmd.kind, "state": INITIAL_STATE[cmd.kind],
               "hall": cmd.hall, "unit": cmd.unit, "title": cmd.title.strip(), "started_on": cmd.started_on.isoformat(),
               "rule_id": cmd.rule_id, "list_id": cmd.list_id, "list_title": cmd.list_title, "round": cmd.round,
               "source_ref": cmd.source_ref, "details": dict(cmd.details),
               "deadlines": [d.to_json() for d in cmd.deadlines],
               "actor_role": actor.role, "actor": actor.id, "note": ""}
    return Change("case.opened", at, payload)


def _next_state(case: Case, cmd: Any) -> str:
    action = cmd.action
    if action in _ANYTIME:
        if case.closed:
            raise _refuse(case, action)
        return case.state
    if action == "source_verdict":
        # The complaint system reported the outcome (complaint.outcome): it
        # settles the complaint whatever step the hall had reached.
        if case.kind != "complaint" or case.closed:
            raise _refuse(case, action)
        return "closed"
    nxt = TRANSITIONS.get((case.kind, case.state, action))
    if nxt is None or (action == "appeal" and case.appealed):
        raise _refuse(case, action)
    return nxt(cmd) if callable(nxt) else nxt


def decide(case: Case | None, cmd: Any, actor: Actor, at: datetime, *, case_id: str | None = None) -> list[Change]:
    """The events `cmd` causes on `case` (None only for Open)."""
    if actor.role not in c.ROLES[cmd.action]:
        who = " or ".join(sorted(c.ROLES[cmd.action]))
        raise NotPermitted(f"a {actor.role} may not {cmd.action.replace('_', ' ')}: only {who}")
    if isinstance(cmd, c.Open):
        if case is not None:
            raise IllegalTransition(f"case {case.case_id} already exists")
        if not case_id:
            raise InvalidCommand("case_id is required to open a case", field="case_id")
        return [_open(cmd, actor, at, case_id)]
    if case is None:
        raise InvalidCommand("no such case", field="case_id")
    state = _next_state(case, cmd)
    if isinstance(cmd, c.MarkOverdue):
        payload = _overdue(case, cmd.milestone)
    elif isinstance(cmd, c.SetDeadline):
        payload = _deadline(case, cmd)
    else:
        payload = _payload(cmd)
    payload.update(case_id=case.case_id, seq=case.seq + 1, kind=case.kind, state=state,
                   actor_role=actor.role, actor=actor.id)
    payload.setdefault("note", "")
    change = Change(c.EVENT_OF[cmd.action], at, payload)
    apply(case, change)  # a history decide builds must always fold
    return [change]


def _overdue(case: Case, milestone: str) -> dict[str, Any]:
    rule = case.deadlines.get(milestone)
    if rule is None:
        raise InvalidCommand(f"case {case.case_id} has no {milestone!r} deadline", field="milestone")
    if milestone in case.overdue or milestone in case.met or milestone in case.not_applicable:
        raise IllegalTransition(f"case {case.case_id}: {milestone} is already met or overdue")
    return {"milestone": milestone, "due": rule.due.isoformat(), "note": ""}


def _deadline(case: Case, cmd: c.SetDeadline) -> dict[str, Any]:
    if cmd.rule.milestone not in MILESTONES[case.kind]:
        raise InvalidCommand(f"milestone must be one of {', '.join(MILESTONES[case.kind])} for {case.kind}",
                             field="milestone")
    if cmd.rule.milestone in case.met:
        raise IllegalTransition(f"case {case.case_id}: {cmd.rule.milestone} is already met")
    return {"deadline": cmd.rule.to_json(), "note": _text(cmd.reason, "reason", "why the deadline changes")}
