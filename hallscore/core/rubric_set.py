"""The set of rubric files in force, and which of them scores an event.

A hall is scored by every assessment rubric that applies to it (by tier or
by name) and is in effect on the event's day. An entry that names a rule
(finding, commendation, veto, overdue rectification) goes to the rubric that
owns the rule id — an assessment or a checklist — or, if none does, to the
hall's first assessment rubric, which keeps it as `unknown_rule` so nobody's
entry disappears.

Several versions of the SAME rubric id may be in force on the same days
(blue/green: a corrected rubric is scored beside the one the bulletins use
until a manager activates it, docs/replay.md). Each version is scored on its
own ledger key, so a rule entry goes to every version of the id that owns
it. Rubrics with different ids must never share a rule id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hallscore.core.periods import local
from hallscore.core.rubric import Checklist, KpiRubric, Rubric, RubricError, load_any_rubric
from hallscore.core.unit_period import RULE_EVENTS
from schemas.envelope import Envelope

Scoring = Rubric | Checklist


@dataclass(frozen=True)
class RubricSet:
    rubrics: tuple[Rubric | Checklist | KpiRubric, ...]

    def in_force(self, hall: str, tier: str | None, day: date) -> list[Scoring]:
        return [r for r in self.rubrics if not isinstance(r, KpiRubric)
                and r.in_effect(day) and r.applies_to.covers(hall, tier)]

    def targets(self, event: Envelope, tier: str | None) -> list[Scoring]:
        active = self.in_force(event.hall, tier, local(event.occurred_at).date())
        assessments = [r for r in active if isinstance(r, Rubric)]
        if event.type in RULE_EVENTS:
            rule_id = event.payload.rule_id
            owners = [r for r in active if r.owns(rule_id)] or assessments
            # every version of the owning id (different ids never share a rule id)
            return [r for r in owners if r.id == owners[0].id] if owners else []
        return assessments

    def assessments(self) -> list[Rubric]:
        return [r for r in self.rubrics if isinstance(r, Rubric)]

    def by_version(self, rubric_version: str) -> Rubric | Checklist | KpiRubric | None:
        return next((r for r in self.rubrics if r.rubric_version == rubric_version), None)


def check_set(rubrics: list[Rubric | Checklist | KpiRubric]) -> None:
    """Refuse a set where scoring would be ambiguous. Versions of one id may
    overlap in time (each is scored on its own ledger key)."""
    versions = [r.rubric_version for r in rubrics]
    dupes = sorted({v for v in versions if versions.count(v) > 1})
    if dupes:
        raise RubricError(f"the same rubric version in two files: {', '.join(dupes)}")
    for i, a in enumerate(rubrics):
        for b in rubrics[i + 1:]:
            if a.id != b.id:
                shared = set(a.rule_ids()) & set(b.rule_ids())
                if shared:
                    raise RubricError(f"{a.rubric_version} and {b.rubric_version} share rule ids: {', '.join(sorted(shared)[:5])}")


def load_rubric_set(paths: list[Path]) -> RubricSet:
    rubrics = [load_any_rubric(p) for p in sorted(paths)]
    check_set(rubrics)
    return RubricSet(tuple(rubrics))


def rubric_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml"))
