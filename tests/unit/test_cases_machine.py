"""The case state machines (pure core): every kind's path, and each refusal
with its reason."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hallscore.core.cases import (
    SYSTEM,
    Actor,
    IllegalTransition,
    InvalidCommand,
    MissingEvidence,
    NotPermitted,
    allowed_actions,
    apply,
    decide,
    fold,
)
from hallscore.core.cases import commands as c
from hallscore.core.cases.model import MILESTONES, DeadlineRule

T0 = datetime.fromisoformat("2026-11-02T09:00:00+08:00")
MANAGER, UNIT = Actor("manager", "m1"), Actor("unit", "u1")


def opened(kind: str, **kw):
    rules = tuple(DeadlineRule(m, date(2026, 11, 9), False, date(2026, 11, 2), 5) for m in MILESTONES[kind])
    cmd = c.Open(kind=kind, hall="h", unit="u", title="问题", started_on=date(2026, 11, 2), deadlines=rules,
                 rule_id="tongxu.5.2" if kind == "problem_item" else None, **kw)
    [ch] = decide(None, cmd, MANAGER if kind != "bad_review" else SYSTEM, T0, case_id=f"{kind[:2]}-0001")
    return apply(None, ch)


class Run:
    """A case and its history, moved on by commands one minute apart."""

    def __init__(self, kind: str):
        self.case = opened(kind)
        self.at = T0

    def do(self, cmd, actor=MANAGER):
        self.at += timedelta(minutes=1)
        for ch in decide(self.case, cmd, actor, self.at):
            self.case = apply(self.case, ch)
        return self.case


def test_problem_item_rejected_then_resubmitted_then_closed():
    r = Run("problem_item")
    assert r.case.state == "open" and allowed_actions(r.case) == ["submit_evidence"]
    r.do(c.SubmitEvidence(("before.jpg", "after.jpg")), UNIT)
    r.do(c.RejectEvidence("缺少整改后照片"))
    assert r.case.state == "rejected" and r.case.rejections == 1
    r.do(c.SubmitEvidence(("after-2.jpg",), "补充"), UNIT)
    r.do(c.AcceptEvidence())
    assert r.case.closed and r.case.on_time("close") is True and r.case.submissions == 2
    assert [ch.payload["seq"] for ch in r.case.history] == [1, 2, 3, 4, 5]
    assert fold(r.case.history) == r.case  # the history alone rebuilds the state


def test_bad_review_verify_appeal_rectify_callback():
    r = Run("bad_review")
    r.do(c.Verify(True, "电话联系，属实"))
    assert r.case.state == "rectifying" and "contact" in r.case.met
    r.do(c.Appeal("系统故障所致"), UNIT)
    assert r.case.state == "appealed"
    r.do(c.DecideAppeal(False, "仍需整改"))
    assert r.case.state == "rectifying" and "appeal" not in allowed_actions(r.case)
    with pytest.raises(IllegalTransition, match="already appealed once"):
        r.do(c.Appeal("again"), UNIT)
    r.do(c.SubmitEvidence(("整改报告.pdf",)), UNIT)
    r.do(c.AcceptEvidence())
    assert r.case.state == "callback_due" and r.case.on_time("rectify") is True
    r.do(c.CallBack("unreachable"), UNIT)
    assert r.case.state == "callback_due"  # nobody answered: call again
    r.do(c.CallBack("satisfied"))
    assert r.case.closed and r.case.callback == "satisfied" and r.case.on_time("close") is True


def test_bad_review_not_substantiated_needs_no_rectification():
    r = Run("bad_review")
    r.do(c.Verify(False, "不属实，已解释"))
    assert r.case.state == "callback_due" and r.case.on_time("rectify") is None
    r.do(c.CallBack("basically_satisfied"), UNIT)
    assert r.case.closed


def test_upheld_appeal_turns_the_verdict():
    r = Run("bad_review")
    r.do(c.Verify(True))
    r.do(c.Appeal("非本窗口业务"), UNIT)
    r.do(c.DecideAppeal(True))
    assert r.case.substantiated is False and r.case.state == "callback_due"


def test_complaint_received_forwarded_urged_answered_closed():
    r = Run("complaint")
    assert r.case.state == "received"
    r.do(c.Forward("转县人社局"))
    r.do(c.Urge("请周五前反馈"))
    r.do(c.Urge("再次督办"))
    assert r.case.urges == 2 and r.case.state == "forwarded"
    r.do(c.SubmitEvidence(("反馈单.pdf",), "已办结"), UNIT)
    r.do(c.RejectEvidence("未解决群众诉求"))
    assert r.case.state == "forwarded"
    r.do(c.SubmitEvidence(("反馈单-2.pdf",)), UNIT)
    r.do(c.Verify(True, "属实"))
    assert r.case.closed and r.case.substantiated is True and r.case.on_time("forward") is True


def test_source_system_outcome_settles_a_complaint_at_any_step():
    r = Run("complaint")
    r.do(c.SourceVerdict(False, "complaint-sys: 不属实"), SYSTEM)
    assert r.case.closed and r.case.substantiated is False
    with pytest.raises(IllegalTransition, match="已办结"):
        r.do(c.SourceVerdict(True), SYSTEM)
    with pytest.raises(IllegalTransition):
        Run("bad_review").do(c.SourceVerdict(True), SYSTEM)


@pytest.mark.parametrize("kind, steps, cmd, actor, error, words", [
    ("bad_review", [c.Verify(True)], c.Verify(True), MANAGER, IllegalTransition, "already verified (属实)"),
    ("problem_item", [], c.AcceptEvidence(), MANAGER, IllegalTransition, "no evidence"),
    ("complaint", [c.Forward()], c.Verify(True), MANAGER, IllegalTransition, "no evidence / answer"),
    ("problem_item", [], c.SubmitEvidence(()), UNIT, MissingEvidence, "evidence is required"),
    ("problem_item", [], c.SubmitEvidence(("  ",)), UNIT, MissingEvidence, "evidence is required"),
    ("problem_item", [c.SubmitEvidence(("a",))], c.RejectEvidence(" "), MANAGER, MissingEvidence, "reason is required"),
    ("bad_review", [], c.Verify(True), UNIT, NotPermitted, "a unit may not verify"),
    ("problem_item", [], c.SubmitEvidence(("a",)), MANAGER, NotPermitted, "only unit"),
    ("bad_review", [c.Verify(False)], c.CallBack("happy"), MANAGER, InvalidCommand, "outcome must be one of"),
    ("complaint", [], c.SubmitEvidence(("a",)), UNIT, IllegalTransition, "allowed now: forward"),
    ("bad_review", [], c.MarkOverdue("close"), MANAGER, NotPermitted, "only system"),
])
def test_refusals_name_the_reason(kind, steps, cmd, actor, error, words):
    r = Run(kind)
    for s in steps:
        r.do(s, UNIT if isinstance(s, c.SubmitEvidence) else MANAGER)
    before = r.case
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")) as exc:
        r.do(cmd, actor)
    assert r.case == before and exc.value.reason
    assert exc.value.status == {IllegalTransition: 409, MissingEvidence: 422, InvalidCommand: 422, NotPermitted: 403}[error]


def test_nothing_changes_a_closed_case():
    r = Run("problem_item")
    r.do(c.SubmitEvidence(("a",)), UNIT)
    r.do(c.AcceptEvidence())
    for cmd, actor in ((c.SubmitEvidence(("b",)), UNIT), (c.RejectEvidence("x"), MANAGER),
                       (c.MarkOverdue("close"), SYSTEM)):
        with pytest.raises(IllegalTransition, match="已办结"):
            r.do(cmd, actor)
    assert allowed_actions(r.case) == []


def test_open_needs_title_rule_and_every_milestone():
    good = dict(kind="problem_item", hall="h", unit="u", title="x", started_on=date(2026, 11, 2),
                deadlines=(DeadlineRule("close", date(2026, 11, 9)),), rule_id="tongxu.5.2")
    for change, field in (({"title": " "}, "title"), ({"rule_id": None}, "rule_id"), ({"deadlines": ()}, "deadlines"),
                          ({"kind": "weather"}, "kind"), ({"round": "third"}, "round")):
        with pytest.raises((MissingEvidence, InvalidCommand)) as exc:
            decide(None, c.Open(**{**good, **change}), MANAGER, T0, case_id="pi-1")
        assert exc.value.field == field
    with pytest.raises(NotPermitted):
        decide(None, c.Open(**good), UNIT, T0, case_id="pi-1")


def test_overdue_is_raised_once_and_a_late_close_stays_late():
    r = Run("problem_item")
    r.do(c.MarkOverdue("close"), SYSTEM)
    assert r.case.overdue == {"close"} and r.case.on_time("close") is False
    with pytest.raises(IllegalTransition, match="already met or overdue"):
        r.do(c.MarkOverdue("close"), SYSTEM)
    r.do(c.SubmitEvidence(("a",)), UNIT)
    r.at += timedelta(days=30)
    r.do(c.AcceptEvidence())
    assert r.case.closed and r.case.on_time("close") is False
