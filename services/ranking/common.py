"""Errors and money formatting shared by the ranking service's modules."""
from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


class NotFound(LookupError):
    """An unknown hall, unit, tier, county or rubric version (404)."""


class BadInput(ValueError):
    """A malformed request value (422); `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Conflict(Exception):
    """The request contradicts what is stored, e.g. publishing a week twice (409)."""


def money(value: Decimal) -> str:
    """Exactly two decimals ("98.50", "-2.00"); never "-0.00"."""
    q = value.quantize(CENT)
    return str(q if not q.is_zero() else ZERO.quantize(CENT))
