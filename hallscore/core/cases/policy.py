"""Deadline rules per region (a set of halls) and case kind, as data.

The file (rectification/deadlines.yaml) gives each kind's milestones in
Chinese working days and, optionally, the rubric rule an overdue milestone
costs. Regions override single milestones for their halls.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hallscore.core.cases.model import KINDS, MILESTONES, Case, DeadlineRule
from hallscore.core.datafile import DataFileError, load_yaml_model
from hallscore.core.workdays import Calendar, add_workdays

DEFAULT_POLICY_FILE = Path(__file__).resolve().parents[3] / "rectification" / "deadlines.yaml"
RULE_PATTERN = r"^(item|[a-z0-9][a-z0-9._\-]{0,63})$"


class PolicyError(DataFileError):
    """A deadlines file that cannot be used."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Seed(_Strict):
    file: str
    quote: str = Field(min_length=1)


class MilestoneRule(_Strict):
    workdays: int = Field(ge=0, le=250, description="Working days after the start day; 0 = the same working day.")
    why: str = ""
    seed: Seed | None = None


class ScoringRule(_Strict):
    milestone: str
    rule: str = Field(pattern=RULE_PATTERN, description="'item': the case's own rubric item; else a rule id.")


class KindPolicy(_Strict):
    milestones: dict[str, MilestoneRule]
    scoring: ScoringRule | None = None


class KindOverride(_Strict):
    milestones: dict[str, MilestoneRule] = Field(default_factory=dict)
    scoring: ScoringRule | None = None


class Region(_Strict):
    halls: tuple[str, ...] = Field(min_length=1)
    problem_item: KindOverride | None = None
    bad_review: KindOverride | None = None
    complaint: KindOverride | None = None


def _check_kind(kind: str, milestones: dict, scoring: ScoringRule | None, where: str, full: bool) -> None:
    known = set(MILESTONES[kind])
    extra = set(milestones) - known
    if extra:
        raise ValueError(f"{where}: unknown milestone {sorted(extra)} for {kind} (known: {sorted(known)})")
    if full and set(milestones) != known:
        raise ValueError(f"{where}: {kind} needs every milestone {sorted(known)}")
    if scoring is not None and scoring.milestone not in known:
        raise ValueError(f"{where}: scoring.milestone {scoring.milestone!r} is not a milestone of {kind}")


class DeadlinePolicy(_Strict):
    default: dict[str, KindPolicy]
    regions: dict[str, Region] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self):
        missing = set(KINDS) - set(self.default)
        if missing or set(self.default) - set(KINDS):
            raise ValueError(f"default must give exactly the kinds {list(KINDS)}")
        for kind, p in self.default.items():
            _check_kind(kind, p.milestones, p.scoring, "default", True)
        seen: dict[str, str] = {}
        for name, region in self.regions.items():
            for hall in region.halls:
                if hall in seen:
                    raise ValueError(f"hall {hall!r} is in regions {seen[hall]!r} and {name!r}")
                seen[hall] = name
            for kind in KINDS:
                o = getattr(region, kind)
                if o is not None:
                    _check_kind(kind, o.milestones, o.scoring, f"regions.{name}", False)
        return self

    def region_of(self, hall: str) -> str | None:
        return next((n for n, r in self.regions.items() if hall in r.halls), None)

    def for_hall(self, hall: str, kind: str) -> KindPolicy:
        base = self.default[kind]
        name = self.region_of(hall)
        o = getattr(self.regions[name], kind) if name else None
        if o is None:
            return base
        return KindPolicy(milestones={**base.milestones, **o.milestones}, scoring=o.scoring or base.scoring)


def load_policy(path: str | Path = DEFAULT_POLICY_FILE) -> DeadlinePolicy:
    """Raises PolicyError naming the file, line and field."""
    return load_yaml_model(path, DeadlinePolicy, PolicyError)


def plan_deadlines(policy: KindPolicy, start: date, calendar: Calendar,
                   fixed: dict[str, date] | None = None) -> tuple[DeadlineRule, ...]:
    """Each milestone's due day: a fixed date where one is given (a list's
    整改期限), else `workdays` working days after `start`."""
    fixed = fixed or {}
    out = []
    for m, rule in policy.milestones.items():
        if m in fixed:
            out.append(DeadlineRule(m, fixed[m], False, None, None))
        else:
            out.append(recompute(DeadlineRule(m, start, False, start, rule.workdays), calendar))
    return tuple(out)


def recompute(rule: DeadlineRule, calendar: Calendar) -> DeadlineRule:
    """The same rule under (perhaps) newer calendar data; fixed dates stay."""
    if rule.workdays is None or rule.start is None:
        return rule
    d = add_workdays(rule.start, rule.workdays, calendar)
    return DeadlineRule(rule.milestone, d.due, d.provisional, rule.start, rule.workdays)


def scoring_rule(policy: KindPolicy, case: Case, milestone: str) -> str | None:
    """The rubric rule an overdue `milestone` of `case` costs, if any."""
    s = policy.scoring
    if s is None or s.milestone != milestone:
        return None
    return case.rule_id if s.rule == "item" else s.rule
