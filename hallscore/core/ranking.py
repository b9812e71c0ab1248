"""Ranking with ties: first to last, equal scores share a rank (1, 1, 3)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class UnitScore:
    unit: str
    score: Decimal
    deductions: Decimal
    bonuses: Decimal
    vetoed: bool


@dataclass(frozen=True)
class Ranked:
    rank: int
    entry: UnitScore


def weekly_score(base: Decimal, deductions: Decimal, bonuses: Decimal) -> Decimal:
    """deductions are <= 0 in the ledger; bonuses >= 0."""
    return base + deductions + bonuses


def rank(entries: list[UnitScore]) -> list[Ranked]:
    """Highest score first; ties share the rank and are listed by unit id.

    A vetoed unit keeps its weekly place (the veto fails its year, 001 第二十三条)
    and is flagged rather than moved.
    """
    ordered = sorted(entries, key=lambda e: (-e.score, e.unit))
    out: list[Ranked] = []
    for pos, e in enumerate(ordered, start=1):
        r = out[-1].rank if out and out[-1].entry.score == e.score else pos
        out.append(Ranked(r, e))
    return out
