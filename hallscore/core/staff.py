"""Staff-level scores, for 服务之星 next to the unit scores.

A staff member starts from the rubric's base and carries the points of the
ledger lines attributed to them (their late arrivals, their 差评, bonuses
naming them). Unit-level caps are not re-applied: a person's record shows
every occurrence that counted against the unit. Lines naming nobody (a
unit-wide inspection finding) stay with the unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from hallscore.core.ledger import LedgerLine

COUNTED = ("applied", "capped")


@dataclass(frozen=True)
class StaffScore:
    staff: str
    unit: str
    score: Decimal
    deductions: Decimal
    bonuses: Decimal
    occurrences: int  # lines that cost points


def staff_scores(lines: Iterable[LedgerLine], base: Decimal) -> list[StaffScore]:
    """Per staff member, best first (then fewer occurrences, then id)."""
    acc: dict[tuple[str, str], list[Decimal | int]] = {}
    for l in lines:
        if not l.staff or l.status not in COUNTED or l.kind == "veto":
            continue
        d = acc.setdefault((l.staff, l.unit), [Decimal(0), Decimal(0), 0])
        if l.kind == "bonus":
            d[1] += l.points
        else:
            d[0] += l.points
            d[2] += 1 if l.points else 0
    out = [StaffScore(s, u, base + ded + bon, ded, bon, n) for (s, u), (ded, bon, n) in acc.items()]  # type: ignore[arg-type]
    return sorted(out, key=lambda x: (-x.score, x.occurrences, x.staff))
