"""The demo county hall scored by the pure core and written straight into a Store.

No broker and no scoring worker: the events are folded and evaluated as the worker does
(tests/integration/test_scoring_worker.py's reference), and the final ledger lines and
the raw events are inserted through the projector's own row builders. `add()` folds
more events in later (a late upload) and inserts the re-evaluated lines of the unit-
periods they touched, with higher revisions, exactly as the worker would re-emit them.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hallscore.core.evaluate import changed_lines, evaluate, evaluate_checklist
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import period_label
from hallscore.core.rubric import RUBRICS_DIR, Rubric
from hallscore.core.rubric_set import load_rubric_set, rubric_files
from hallscore.core.schedule import DEFAULT_HALLS_FILE, HallsConfig, load_halls
from hallscore.core.unit_period import UnitPeriod, state_key
from hallscore.demo.generate import demo_events
from hallscore.store.adapter import Store
from hallscore.store.schema import LEDGER_COLUMNS, RAW_EVENT_COLUMNS
from schemas.registry import parse_event
from services.ranking.rows import ledger_row, raw_event_row

DELAY = timedelta(minutes=2)  # devices upload a couple of minutes after the fact


class DemoLedger:
    def __init__(self, store: Store, halls: HallsConfig | None = None):
        self.store = store
        self.halls = halls or load_halls(DEFAULT_HALLS_FILE)
        self.rubrics = load_rubric_set(rubric_files(RUBRICS_DIR))
        self.states: dict[str, tuple] = {}
        self.lines: dict[tuple[str, str, str], LedgerLine] = {}  # (rubric_version, source, rule) -> latest
        self.events: list[dict] = []

    def load_demo(self) -> "DemoLedger":
        self.add(list(demo_events(self.halls)))
        return self

    def add(self, events: list[dict], received_at: datetime | None = None) -> list[LedgerLine]:
        """Fold events in; insert them and the re-evaluated lines of every touched state."""
        touched: set[str] = set()
        raw_rows = []
        for raw in events:
            e = parse_event(raw)
            for r in self.rubrics.targets(e, self.halls.tier(e.hall)):
                k = state_key(r.rubric_version, e.hall, e.unit, period_label(r.period, e.occurred_at))
                st = self.states.setdefault(k, (r, UnitPeriod.empty_for(e, r.period)))[1]
                if st.apply(e, self.halls.schedule(e.hall)):
                    touched.add(k)
            at = received_at or (e.occurred_at + DELAY).astimezone(timezone.utc)
            raw_rows.append(raw_event_row(json.dumps(raw, ensure_ascii=False).encode(), at))
            self.events.append(raw)
        new_lines = []
        for k in sorted(touched):
            r, st = self.states[k]
            lines = (evaluate(st, r, self.halls.schedule(st.hall), self.halls.roster(st.hall, st.unit))
                     if isinstance(r, Rubric) else evaluate_checklist(st, r))
            for line in changed_lines(st, lines, r.rubric_version):  # as the worker emits them
                self.lines[(line.rubric_version, line.source_id, line.rule_id)] = line
                new_lines.append(line)
        self.store.insert("raw_events", RAW_EVENT_COLUMNS, raw_rows)
        self.store.insert("ledger", LEDGER_COLUMNS,
                          [ledger_row(json.dumps(x.to_json()).encode()) for x in new_lines])
        return new_lines

    def ledger(self, rubric_version: str) -> list[LedgerLine]:
        """The latest line per key of one rubric version (what ledger FINAL holds)."""
        return [x for (rv, _, _), x in self.lines.items() if rv == rubric_version]
