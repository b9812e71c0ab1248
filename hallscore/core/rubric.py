"""Rubrics are data: a YAML file per rubric version, validated on load.

The model here is the whole contract of a rubric file; see
docs/rubric-format.md. Scoring code never names a rule id: it reads rules
from the file, so a hall manager's edit changes scores with no code change.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hallscore.core.datafile import DataFileError, load_yaml_model

# Facts the core derives from events (hallscore.core.facts). An item lists
# the facts that trigger it; any item can also be hit by a supervision entry.
FactKind = Literal[
    "late_arrival",
    "early_leave",
    "leave_unapproved",
    "leave_without_cover",
    "unsigned_absence",
    "complaint_substantiated",
    "dissatisfied_review",
]
RULE_ID = r"^[a-z0-9][a-z0-9._\-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SeedRef(_Strict):
    file: str = Field(description="Seed document in shared/seeds, or the user's own document.")
    quote: str = Field(min_length=2, description="The line of the document this rule encodes.")


class Condition(_Strict):
    # 001: 不满意数超总数5%的每人每次扣2分 — the rule applies only while the
    # unit-week's dissatisfied share is above this fraction.
    dissatisfied_share_above: Decimal = Field(ge=0, le=1)


class Item(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    points: Decimal = Field(gt=0, description="The item's weight in its category.")
    per_occurrence: Decimal = Field(gt=0, description="Deducted per occurrence (per person per time).")
    cap: Decimal = Field(gt=0, description="Most deducted from this item in one period.")
    facts: tuple[FactKind, ...] = ()
    condition: Condition | None = None
    seed: SeedRef
    interpretation: str = ""

    @model_validator(mode="after")
    def _cap_fits(self):
        if self.cap > self.points:
            raise ValueError(f"item {self.id}: cap {self.cap} is above the item's points {self.points}")
        return self


class Category(_Strict):
    id: str = Field(pattern=RULE_ID)
    name: str
    points: Decimal = Field(gt=0)
    unallocated_reason: str = Field(default="", description="Why the items' points do not add up to the category's, if they don't.")
    items: tuple[Item, ...]
    seed: SeedRef

    @model_validator(mode="after")
    def _adds_up(self):
        total = sum((i.points for i in self.items), Decimal(0))
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


class Rubric(_Strict):
    id: str = Field(pattern=RULE_ID)
    version: str = Field(pattern=r"^[0-9A-Za-z.\-]{1,32}$")
    title: str
    effective_from: date
    period: Literal["week"]
    base_points: Decimal = Field(gt=0)
    categories: tuple[Category, ...]
    bonuses: tuple[Bonus, ...] = ()
    vetoes: tuple[Veto, ...] = ()

    @field_validator("categories")
    @classmethod
    def _unique_ids(cls, cats):
        seen: set[str] = set()
        for c in cats:
            for rid in (c.id, *(i.id for i in c.items)):
                if rid in seen:
                    raise ValueError(f"duplicate rule id {rid}")
                seen.add(rid)
        return cats

    @model_validator(mode="after")
    def _totals(self):
        total = sum((c.points for c in self.categories), Decimal(0))
        if total != self.base_points:
            raise ValueError(f"categories add up to {total}, not base_points {self.base_points}")
        ids = [i.id for c in self.categories for i in c.items] + [b.id for b in self.bonuses] + [v.id for v in self.vetoes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        return self

    @property
    def rubric_version(self) -> str:
        return f"{self.id}@{self.version}"

    def items(self) -> dict[str, tuple[Category, Item]]:
        return {i.id: (c, i) for c in self.categories for i in c.items}

    def items_for_fact(self, fact: str) -> list[tuple[Category, Item]]:
        return [(c, i) for c in self.categories for i in c.items if fact in i.facts]

    def bonus(self, rule_id: str) -> Bonus | None:
        return next((b for b in self.bonuses if b.id == rule_id), None)

    def veto(self, rule_id: str) -> Veto | None:
        return next((v for v in self.vetoes if v.id == rule_id), None)


class RubricError(DataFileError):
    """A rubric file that cannot be used; the message names file and field."""


def load_rubric(path: str | Path) -> Rubric:
    return load_yaml_model(path, Rubric, RubricError)


RUBRICS_DIR = Path(__file__).resolve().parents[2] / "rubrics"
DEFAULT_RUBRIC = RUBRICS_DIR / "tongxu-weekly-2023.yaml"
