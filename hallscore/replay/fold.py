"""The pure replay fold: events -> every ledger line of one rubric, evaluated once per unit-period.

The live worker (services/scoring/handler.py) folds each event into its
unit-period and evaluates the rubric after every event, sending what changed.
A replay knows all the events up front: it folds all of a unit-period's events
into the same `UnitPeriod` and evaluates ONCE. Because the fold is idempotent
and order-independent and evaluation is a pure function of the folded state,
the lines are the ones the live worker ends with (its `withdrawn` lines aside:
a line whose reason a later event removed is never produced at all). That is
what makes a replay cheap, and tests/unit/test_replay_fold.py checks it against
the handler event by event.

Which events a rubric scores is decided exactly as live: `RubricSet.targets` of
the live rubric set with the replayed rubric added (a rule entry goes to every
version of the rubric id that owns the rule, an entry naming no known rule to the
hall's first assessment id). Targets depend only on the hall, the day and the
rule id, so the answer is memoised on those.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from hallscore.core.evaluate import evaluate
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import local, period_label
from hallscore.core.rubric import Rubric, RubricError
from hallscore.core.rubric_set import RubricSet, check_set
from hallscore.core.schedule import HallsConfig
from hallscore.core.unit_period import RULE_EVENTS, UnitPeriod
from schemas.envelope import Envelope


def with_rubric(live: RubricSet, rubric: Rubric) -> RubricSet:
    """The live set plus the replayed rubric (unless the set already has that version).
    Raises RubricError when the two cannot be scored side by side (shared rule ids)."""
    if live.by_version(rubric.rubric_version) is not None:
        return live
    rubrics = [*live.rubrics, rubric]
    check_set(rubrics)
    return RubricSet(tuple(rubrics))


class Router:
    """Does `rubric` score this event? RubricSet.targets, memoised per (hall, day, rule id)."""

    def __init__(self, rubrics: RubricSet, rubric: Rubric, halls: HallsConfig):
        if rubrics.by_version(rubric.rubric_version) is None:
            raise RubricError(f"{rubric.rubric_version} is not in the rubric set it is routed by")
        self.rubrics, self.version, self.halls = rubrics, rubric.rubric_version, halls
        self._memo: dict[tuple, bool] = {}

    def scores(self, event: Envelope, day: date) -> bool:
        rule = event.payload.rule_id if event.type in RULE_EVENTS else None
        key = (event.hall, day, rule)
        hit = self._memo.get(key)
        if hit is None:
            targets = self.rubrics.targets(event, self.halls.tier(event.hall))
            hit = self._memo[key] = any(r.rubric_version == self.version for r in targets)
        return hit


def fold(events: Iterable[Envelope], rubric: Rubric, router: Router, halls: HallsConfig
         ) -> tuple[list[LedgerLine], int]:
    """(ledger lines, events folded) of every unit-period the events touch, under `rubric`.

    Lines carry rubric.rubric_version; a caller writing a projection label puts its own."""
    states: dict[tuple[str, str, str], UnitPeriod] = {}
    labels: dict[date, str] = {}
    kind = rubric.period
    folded = 0
    for e in events:
        lt = local(e.occurred_at)
        day = lt.date()
        if not router.scores(e, day):
            continue
        label = labels.get(day)
        if label is None:
            label = labels[day] = period_label(kind, lt)
        key = (e.hall, e.unit, label)
        state = states.get(key)
        if state is None:
            state = states[key] = UnitPeriod(hall=e.hall, unit=e.unit, period=label)
        state.apply(e, halls.schedule(e.hall))
        folded += 1
    lines: list[LedgerLine] = []
    for key in sorted(states):
        state = states[key]
        lines += evaluate(state, rubric, halls.schedule(state.hall), halls.roster(state.hall, state.unit))
    return lines, folded
