"""Rubrics are data: a YAML file per rubric version, validated on load.

The models here are the whole contract of a rubric file; docs/rubric-format.md
describes it for hall managers. Scoring code never names a rule id: it reads
rules from the files, so a manager's edit changes scores with no code change.
"""
from __future__ import annotations

import hashlib
from datetime import date
from functools import cached_property
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from hallscore.core.datafile import DataFileError, load_yaml_model, parse_yaml_model

# Facts the core derives from events (hallscore.core.unit_week / evaluate).
FactKind = Literal[
    "late_arrival", "early_leave", "absence", "leave_unapproved", "leave_without_cover", "unsigned_absence",
    "complaint_substantiated", "work_order_substantiated", "dissatisfied_review", "review_not_invited",
    "unreviewed_transaction",
]
Period = Literal["week", "month", "quarter", "year"]
Tier = Literal["county", "township", "village"]
RULE_ID = r"^[a-z0-9][a-z0-9._\-]{0,63}$"
ZERO = Decimal(0)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SeedRef(_Strict):
    file: str = Field(description="Seed document in shared/seeds, or the user's own document.")
    quote: str = Field(min_length=2, description="The line of the document this rule encodes.")


class Source(_Strict):
    file: str
    title: str = ""


class AppliesTo(_Strict):
    tiers: tuple[Tier, ...] = ("county", "township", "village")
    halls: tuple[str, ...] = ()

    def covers(self, hall: str, tier: str | None) -> bool:
        return hall in self.halls or (tier is not None and tier in self.tiers)


class Condition(_Strict):
    # 001: 不满意数超总数5%的每人每次扣2分 — the rule applies only while the
    # period's dissatisfied share is above this fraction.
    dissatisfied_share_above: Decimal = Field(ge=0, le=1)


class Variant(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    per_occurrence: Decimal = Field(gt=0)
    seed: SeedRef
    interpretation: str = ""


class Item(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    points: Decimal = Field(gt=0, description="The item's weight in its category.")
    per_occurrence: Decimal | None = Field(default=None, gt=0, description="Deducted per occurrence (per person per time).")
    cap: Decimal = Field(gt=0, description="Most deducted from this item in one period.")
    scoring: Literal["per_occurrence", "assessed"] = "per_occurrence"
    facts: tuple[FactKind, ...] = ()
    condition: Condition | None = None
    variants: tuple[Variant, ...] = ()
    seed: SeedRef
    interpretation: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        if self.cap > self.points:
            raise ValueError(f"item {self.id}: cap {self.cap} is above the item's points {self.points}")
        if self.scoring == "per_occurrence" and self.per_occurrence is None and not self.variants:
            raise ValueError(f"item {self.id}: per_occurrence is required (or variants, or scoring: assessed)")
        for amount in [self.per_occurrence, *(v.per_occurrence for v in self.variants)]:
            if amount is not None and amount > self.cap:
                raise ValueError(f"item {self.id}: a deduction of {amount} is above the item's cap {self.cap}")
        if self.condition is not None and "dissatisfied_review" not in self.facts:
            raise ValueError(f"item {self.id}: condition needs facts: [dissatisfied_review]")
        return self


class Category(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    points: Decimal = Field(gt=0)
    unallocated_reason: str = Field(default="", description="Why the items' points do not add up to the category's.")
    items: tuple[Item, ...]
    seed: SeedRef

    @model_validator(mode="after")
    def _adds_up(self):
        total = sum((i.points for i in self.items), ZERO)
        if total > self.points:
            raise ValueError(f"category {self.id}: items add up to {total}, above the category's {self.points}")
        if total < self.points and not self.unallocated_reason:
            raise ValueError(f"category {self.id}: items add up to {total}, not {self.points}; say why in unallocated_reason")
        return self


class Bonus(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    per_occurrence: Decimal = Field(gt=0)
    cap: Decimal | None = Field(default=None, gt=0)
    seed: SeedRef
    interpretation: str = ""


class Veto(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    seed: SeedRef
    interpretation: str = ""


class YearComponent(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    share: Decimal = Field(gt=0, le=1)
    source: Literal["mean_of_months", "manual"]
    seed: SeedRef | None = None


class YearFolding(_Strict):
    components: tuple[YearComponent, ...]

    @model_validator(mode="after")
    def _shares(self):
        total = sum((c.share for c in self.components), ZERO)
        if total != 1:
            raise ValueError(f"year components' shares add up to {total}, not 1")
        return self


class Folding(_Strict):
    month: Literal["mean_of_weeks"] = "mean_of_weeks"
    year: YearFolding | None = None


class _Header(_Strict):
    format: Literal[1] = 1
    id: str = Field(pattern=RULE_ID)
    version: str = Field(pattern=r"^[0-9A-Za-z.\-]{1,32}$")
    title: str
    effective_from: date
    effective_to: date | None = None
    applies_to: AppliesTo = AppliesTo()
    sources: tuple[Source, ...] = ()

    @cached_property
    def digest(self) -> str:
        """Fingerprint of the rules (not of comments or layout)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:8]

    @cached_property
    def rubric_version(self) -> str:
        # The ledger key. The digest makes an edited file a different rubric
        # version even if nobody bumped `version`: its scores are computed
        # afresh beside the old ones, which stay readable for audit.
        return f"{self.id}@{self.version}+{self.digest}"

    def in_effect(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def rule_ids(self) -> list[str]:
        raise NotImplementedError

    @model_validator(mode="after")
    def _unique_ids(self):
        ids = self.rule_ids()
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class Rubric(_Header):
    """kind: assessment — a score out of base_points per period."""

    kind: Literal["assessment"] = "assessment"
    period: Period = "week"
    base_points: Decimal = Field(gt=0)
    categories: tuple[Category, ...]
    bonuses: tuple[Bonus, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    folding: Folding = Folding()

    @model_validator(mode="after")
    def _totals(self):
        total = sum((c.points for c in self.categories), ZERO)
        if total != self.base_points:
            raise ValueError(f"categories add up to {total}, not base_points {self.base_points}")
        return self

    def rule_ids(self) -> list[str]:
        return ([c.id for c in self.categories] + [i.id for c in self.categories for i in c.items]
                + [v.id for c in self.categories for i in c.items for v in i.variants]
                + [b.id for b in self.bonuses] + [v.id for v in self.vetoes])

    def items(self) -> dict[str, tuple[Category, Item]]:
        return {i.id: (c, i) for c in self.categories for i in c.items}

    def deduction_rule(self, rule_id: str) -> tuple[Category, Item, Decimal | None] | None:
        """(category, item, per-occurrence amount) of an item or variant id."""
        for c in self.categories:
            for i in c.items:
                if i.id == rule_id:
                    return c, i, i.per_occurrence
                for v in i.variants:
                    if v.id == rule_id:
                        return c, i, v.per_occurrence
        return None

    def items_for_fact(self, fact: str) -> list[tuple[Category, Item]]:
        return [(c, i) for c in self.categories for i in c.items if fact in i.facts]

    def bonus(self, rule_id: str) -> Bonus | None:
        return next((b for b in self.bonuses if b.id == rule_id), None)

    def veto(self, rule_id: str) -> Veto | None:
        return next((v for v in self.vetoes if v.id == rule_id), None)

    def owns(self, rule_id: str) -> bool:
        return rule_id in self.rule_ids()


class CheckItem(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    seed: SeedRef
    per_occurrence: Decimal | None = Field(default=None, gt=0)
    cap: Decimal | None = Field(default=None, gt=0)
    maps_to: tuple[str, ...] = ()
    interpretation: str = ""


class CheckGroup(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    seed: SeedRef
    items: tuple[CheckItem, ...]
    interpretation: str = ""


class Checklist(_Header):
    """kind: checklist — items that inspections refer to."""

    kind: Literal["checklist"]
    period: Period = "year"
    groups: tuple[CheckGroup, ...]

    def rule_ids(self) -> list[str]:
        return [g.id for g in self.groups] + [i.id for g in self.groups for i in g.items]

    def item(self, rule_id: str) -> CheckItem | None:
        return next((i for g in self.groups for i in g.items if i.id == rule_id), None)

    def owns(self, rule_id: str) -> bool:
        return self.item(rule_id) is not None


Measure = Literal["promised_cut_share", "avg_trips", "on_the_spot_share", "online_depth_share",
                  "real_name_bad_reviews_rectified_on_time", "complaints_closed_on_time"]


class Target(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    measure: Measure
    op: Literal[">=", "<="]
    threshold: Decimal = Field(ge=0)
    level: int | None = Field(default=None, ge=1, le=4)
    seed: SeedRef
    interpretation: str = ""

    @model_validator(mode="after")
    def _level(self):
        if (self.measure == "online_depth_share") != (self.level is not None):
            raise ValueError(f"target {self.id}: level is needed with online_depth_share and only there")
        return self

    def met(self, value: Decimal) -> bool:
        return value >= self.threshold if self.op == ">=" else value <= self.threshold


class KpiRubric(_Header):
    """kind: kpi — measurable targets computed from events."""

    kind: Literal["kpi"]
    period: Literal["month", "quarter", "year"] = "month"
    targets: tuple[Target, ...]

    def rule_ids(self) -> list[str]:
        return [t.id for t in self.targets]

    def owns(self, rule_id: str) -> bool:
        return False  # nothing is recorded against a KPI by hand


AnyRubric = Annotated[Union[Rubric, Checklist, KpiRubric], Field(discriminator="kind")]
_ANY: TypeAdapter = TypeAdapter(AnyRubric)


class RubricError(DataFileError):
    """A rubric file that cannot be used; the message names file, line and field."""


def load_any_rubric(path: str | Path) -> Rubric | Checklist | KpiRubric:
    return load_yaml_model(path, _ANY, RubricError)


def parse_any_rubric(text: str, name: str = "rubric.yaml") -> Rubric | Checklist | KpiRubric:
    """A rubric from YAML text (an upload); errors name `name`, the line and the field."""
    return parse_yaml_model(text, name, _ANY, RubricError)


def load_rubric(path: str | Path) -> Rubric:
    """An assessment rubric (the kind that scores and ranks)."""
    r = load_any_rubric(path)
    if not isinstance(r, Rubric):
        raise RubricError(f"{path}: kind {r.kind} is not an assessment rubric")
    return r


def seeded_rules(r: BaseModel) -> list[tuple[str, SeedRef | None]]:
    """Every rule of any rubric with its seed reference (None if it has none),
    found by walking the model: what the coverage tests check."""
    out: list[tuple[str, SeedRef | None]] = []

    def walk(node) -> None:
        if isinstance(node, BaseModel):
            if "id" in type(node).model_fields and "seed" in type(node).model_fields and node is not r:
                out.append((node.id, node.seed))
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, (tuple, list)):
            for x in node:
                walk(x)

    walk(r)
    return out


RUBRICS_DIR = Path(__file__).resolve().parents[2] / "rubrics"
DEFAULT_RUBRIC = RUBRICS_DIR / "tongxu-weekly-2023.yaml"
