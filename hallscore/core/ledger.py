"""A score-ledger line: one rule applied to one source event."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Kind = Literal["deduction", "bonus", "veto"]
# applied: counted in full; capped: the item/category cap cut it (maybe to 0);
# below_threshold: the rule's condition does not hold this week (0 points);
# unknown_rule: a supervision entry names no rule of this rubric (0 points);
# withdrawn: a later event removed the reason (e.g. an earlier clock-in);
# recorded: a checklist finding kept on the record, worth no points.
Status = Literal["applied", "capped", "below_threshold", "unknown_rule", "withdrawn", "recorded"]

# A line's `revision` is the ledger row version: (lineage epoch << LINEAGE_SHIFT) | the
# count of events folded (UnitPeriod.version). The count stays far below 2**32.
LINEAGE_SHIFT = 32


def lineage_of(revision: int) -> int:
    return revision >> LINEAGE_SHIFT


@dataclass(frozen=True)
class LedgerLine:
    rubric_version: str
    rule_id: str
    source_id: str
    hall: str
    unit: str
    staff: str
    category: str
    kind: Kind
    points: Decimal  # negative for a deduction, positive for a bonus, 0 for a veto
    status: Status
    week_monday: date
    occurred_at: datetime
    detail: str
    revision: int
    period: str = ""  # the rubric period the caps were applied in (2026-W47, 2026-Q4, …)

    @property
    def key(self) -> str:
        return f"{self.source_id}|{self.rule_id}"

    def to_json(self) -> dict:
        d = asdict(self)
        d["points"] = str(self.points)
        d["week_monday"] = self.week_monday.isoformat()
        d["occurred_at"] = self.occurred_at.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict) -> "LedgerLine":
        d = {"period": "", **d}
        return cls(**{**d, "points": Decimal(d["points"]), "week_monday": date.fromisoformat(d["week_monday"]),
                      "occurred_at": datetime.fromisoformat(d["occurred_at"])})
