"""Cases as the API shows them (JSON-ready dicts)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from hallscore.core.cases.decide import allowed_actions
from hallscore.core.cases.model import KIND_LABELS, STATE_LABELS, Case, due_instant
from hallscore.core.cases.timers import waiting_for_calendar
from services.ranking.rows import mask_phone
from services.rectification.users import Principal


def _details(case: Case, p: Principal) -> dict[str, Any]:
    d = {k: v for k, v in case.details.items() if v not in (None, "")}
    # The hall and the unit call the citizen back; an auditor needs no number.
    if p.role == "auditor" and d.get("citizen_phone"):
        d["citizen_phone"] = mask_phone(d["citizen_phone"])
    return d


def deadlines(case: Case, now: datetime) -> list[dict[str, Any]]:
    waiting = set(waiting_for_calendar(case, now))
    out = []
    for m, r in case.deadlines.items():
        met = case.met.get(m)
        out.append({"milestone": m, "due": r.due.isoformat(), "provisional": r.provisional,
                    "workdays": r.workdays, "start": r.start.isoformat() if r.start else None,
                    "met_at": met.isoformat() if met else None, "not_applicable": m in case.not_applicable,
                    "on_time": case.on_time(m), "overdue": m in case.overdue,
                    "overdue_pending_calendar": m in waiting,
                    "seconds_left": None if met or m in case.overdue
                    else int((due_instant(r.due) - now).total_seconds())})
    return out


def case_view(case: Case, p: Principal, now: datetime, *, history: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "case_id": case.case_id, "kind": case.kind, "kind_label": KIND_LABELS[case.kind],
        "hall": case.hall, "unit": case.unit, "title": case.title, "state": case.state,
        "state_label": STATE_LABELS.get(case.state, case.state), "opened_at": case.opened_at.isoformat(),
        "started_on": case.started_on.isoformat(), "rule_id": case.rule_id, "list_id": case.list_id,
        "list_title": case.list_title, "round": case.round, "source_ref": case.source_ref,
        "details": _details(case, p), "substantiated": case.substantiated, "appealed": case.appealed,
        "appeal_upheld": case.appeal_upheld, "evidence": list(case.evidence), "rejections": case.rejections,
        "urges": case.urges, "callback": case.callback,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "overdue": sorted(case.overdue), "deadlines": deadlines(case, now),
        "provisional": any(r.provisional for r in case.deadlines.values()),
        "allowed_actions": allowed_actions(case),
    }
    if history:
        view["history"] = [{"seq": ch.payload["seq"], "type": ch.type, "at": ch.at.isoformat(),
                            "state": ch.payload["state"], "actor_role": ch.payload["actor_role"],
                            "note": ch.payload.get("note", ""),
                            **{k: ch.payload[k] for k in ("substantiated", "upheld", "evidence", "outcome",
                                                          "milestone", "deadline") if k in ch.payload}}
                           for ch in case.history]
    return view
