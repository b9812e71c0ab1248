"""The rectification service's state: every case, folded from its own store.

All writes go through `_commit` under one lock: decide (pure core) ->
append to SQLite (the truth) -> fold into memory -> wake the publisher.
Reads use the folded cases (immutable objects, safe to hand out).
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any, Callable, Iterable

from hallscore.core.cases import commands as cmds
from hallscore.core.cases.decide import decide
from hallscore.core.cases.errors import InvalidCommand
from hallscore.core.cases.evolve import apply
from hallscore.core.cases.model import SYSTEM, Actor, Case, Change
from hallscore.core.cases.policy import DeadlinePolicy, scoring_rule
from hallscore.core.cases.timers import overdue_commands, redated
from hallscore.core.periods import local
from hallscore.core.workdays import REPO_CALENDARS, Calendar, CalendarError
from schemas.envelope import Envelope
from schemas.events_v1 import ComplaintFiled, ComplaintOutcome
from schemas.registry import parse_event
from services.rectification import sources, wire
from services.rectification.db import Conflict, EventStore
from services.rectification.issuing import Directory
from services.rectification.metrics import RectificationMetrics

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class NotFound(LookupError):
    pass


def calendar_stamp(folder) -> tuple:
    """Names and mtimes of a calendars folder's files: changes when one is written."""
    if folder is None or not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))


class RectificationService:
    def __init__(self, store: EventStore, policy: DeadlinePolicy, directory: Directory, clock: Clock,
                 metrics: RectificationMetrics, *, calendars_dir=None, device: str = "rectification") -> None:
        self.store, self.policy, self.directory, self.clock = store, policy, directory, clock
        self.metrics, self.calendars_dir, self.device = metrics, calendars_dir, device
        self.lock = threading.RLock()
        self.wake = threading.Event()  # set after a commit: the publisher has work
        self._calendar_stamp = calendar_stamp(calendars_dir)
        self.calendar = self.load_calendar()
        self.cases: dict[str, Case] = {}
        for body in store.case_events():
            ch = wire.to_change(parse_event(json.loads(body)))
            cid = ch.payload["case_id"]
            self.cases[cid] = apply(self.cases.get(cid), ch)

    def load_calendar(self) -> Calendar:
        dirs = [REPO_CALENDARS] + ([self.calendars_dir] if self.calendars_dir else [])
        return Calendar.from_dirs(*dirs)

    def now(self) -> datetime:
        return local(self.clock())

    # -- writing -------------------------------------------------------------
    def _commit(self, changes: list[Change], notices: Iterable[Envelope] = ()) -> None:
        events = []
        for ch in changes:
            cid = ch.payload["case_id"]
            case = self.cases.get(cid)
            hall, unit = (case.hall, case.unit) if case else (ch.payload["hall"], ch.payload["unit"])
            events.append(wire.to_event(ch, hall, unit, self.device))
        events += list(notices)
        if not events:
            return
        self.store.append([wire.row(e) for e in events])
        for ch in changes:
            cid = ch.payload["case_id"]
            self.cases[cid] = apply(self.cases.get(cid), ch)
            self.metrics.transitions.labels(type=ch.type).inc()
        self.wake.set()

    def _due(self, case: Case, now: datetime) -> tuple[list[Change], list[Envelope], Case]:
        """Re-dated deadlines and overdue milestones the clock alone causes."""
        changes: list[Change] = []
        notices: list[Envelope] = []
        for cmd in redated(case, self.calendar):
            for ch in decide(case, cmd, SYSTEM, now):
                changes.append(ch)
                case = apply(case, ch)
        for cmd in overdue_commands(case, now):
            due = case.deadlines[cmd.milestone].due
            for ch in decide(case, cmd, SYSTEM, wire.end_of_day(due)):
                changes.append(ch)
                case = apply(case, ch)
            rule = scoring_rule(self.policy.for_hall(case.hall, case.kind), case, cmd.milestone)
            if rule:
                notices.append(wire.overdue_notice(case, cmd.milestone, rule, self.device))
        return changes, notices, case

    def execute(self, case_id: str, cmd: Any, actor: Actor) -> Case:
        """Run a user's command on a case (after anything the clock decided first)."""
        with self.lock:
            case = self.get(case_id)
            now = self.now()
            changes, notices, case = self._due(case, now)
            new = decide(case, cmd, actor, now)
            if isinstance(cmd, cmds.Verify) and case.kind == "complaint":
                after = apply(case, new[0])
                notices.append(wire.complaint_outcome(after, cmd.substantiated, cmd.note, now, self.device))
            self._commit(changes + new, notices)
            return self.cases[case_id]

    def open(self, opened: list[tuple[str, cmds.Open]], actor: Actor) -> list[Case]:
        """Open several cases at once (a problem list: all items or none)."""
        with self.lock:
            now = self.now()
            changes = []
            for case_id, cmd in opened:
                if case_id in self.cases:
                    raise InvalidCommand(f"case {case_id} already exists", field="complaint_id")
                changes += decide(None, cmd, actor, now, case_id=case_id)
            self._commit(changes)
            return [self.cases[cid] for cid, _ in opened]

    def tick(self) -> int:
        """Raise overdue milestones and re-date provisional deadlines; events written."""
        with self.lock:
            self._reload_if_changed()
            now = self.now()
            changes: list[Change] = []
            notices: list[Envelope] = []
            for case in list(self.cases.values()):
                if not case.closed:
                    chs, ns, _ = self._due(case, now)
                    changes += chs
                    notices += ns
            self._commit(changes, notices)
            return len(changes)

    # -- events from devices (hallscore.reviews, hallscore.complaints) ---------
    def on_source_event(self, event: Envelope) -> str | None:
        """Open / settle the case a device event implies; the case id or None.
        Idempotent: a redelivered event finds its case already there."""
        if event.device == self.device:
            return None  # our own complaint.outcome coming back
        with self.lock:
            if sources.is_bad_review(event):
                return self._open_once(sources.bad_review_case_id(event.event_id),
                                       lambda: sources.open_bad_review(event, self.policy, self.calendar))
            if isinstance(event, ComplaintFiled):
                cid = sources.complaint_case_id(event.hall, event.payload.complaint_id)
                return self._open_once(cid, lambda: sources.open_filed_complaint(event, self.policy, self.calendar))
            if isinstance(event, ComplaintOutcome):
                case = self.cases.get(sources.complaint_case_id(event.hall, event.payload.complaint_id))
                if case is None or case.closed:
                    return None
                cmd = cmds.SourceVerdict(event.payload.substantiated, f"{event.device}: {event.payload.note}"[:2000])
                self._commit(decide(case, cmd, SYSTEM, self.now()))
                return case.case_id
        return None

    def _open_once(self, case_id: str, build: Callable[[], cmds.Open]) -> str:
        if case_id not in self.cases:
            try:
                self._commit(decide(None, build(), SYSTEM, self.now(), case_id=case_id))
            except Conflict:  # written by an earlier run we have not folded: harmless
                log.warning("case %s already stored", case_id)
        return case_id

    # -- calendars -------------------------------------------------------------
    def calendar_changed(self) -> int:
        """Reload holiday schedules and re-date provisional deadlines now."""
        with self.lock:
            self._calendar_stamp = None  # force
            return self.tick()

    def _reload_if_changed(self) -> None:
        # `hallscore calendar set` writes the file while we run: pick it up.
        stamp = calendar_stamp(self.calendars_dir)
        if stamp == self._calendar_stamp:
            return
        try:
            self.calendar = self.load_calendar()
            log.info("holiday schedules loaded: %s", sorted(self.calendar.schedules))
        except CalendarError as e:  # a hand-edited file went wrong: keep the last good calendar
            log.error("holiday schedule not loaded, keeping the previous one: %s", e)
        self._calendar_stamp = stamp

    # -- reading ---------------------------------------------------------------
    def get(self, case_id: str) -> Case:
        case = self.cases.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id!r}")
        return case

    def all_cases(self) -> list[Case]:
        return list(self.cases.values())
