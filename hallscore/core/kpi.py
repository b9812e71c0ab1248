"""Measurable targets (kind: kpi rubrics, e.g. 卫东 003) computed from events.

Transaction measures come from completed transactions; the two
rectification measures come from case histories (the rectification
service) and are passed in as rates.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from hallscore.core.rubric import KpiRubric, Target

Q = Decimal("0.0001")


@dataclass(frozen=True)
class Tx:
    on_the_spot: bool
    trips: int
    statutory_limit_days: int | None
    promised_limit_days: int | None
    online_depth: int | None


def _share(n: int, d: int) -> Decimal | None:
    return (Decimal(n) / Decimal(d)).quantize(Q, ROUND_HALF_UP) if d else None


def measure(name: str, txs: list[Tx], level: int | None = None) -> Decimal | None:
    """The value of a transaction measure, or None when there is nothing to measure."""
    if name == "on_the_spot_share":
        return _share(sum(t.on_the_spot for t in txs), len(txs))
    if name == "avg_trips":
        return (Decimal(sum(t.trips for t in txs)) / len(txs)).quantize(Q, ROUND_HALF_UP) if txs else None
    if name == "online_depth_share":
        return _share(sum(1 for t in txs if (t.online_depth or 0) >= (level or 1)), len(txs))
    if name == "promised_cut_share":
        cuts = [1 - Decimal(t.promised_limit_days) / Decimal(t.statutory_limit_days) for t in txs
                if t.statutory_limit_days and t.promised_limit_days is not None]
        return (sum(cuts, Decimal(0)) / len(cuts)).quantize(Q, ROUND_HALF_UP) if cuts else None
    raise KeyError(name)


@dataclass(frozen=True)
class KpiResult:
    target: Target
    value: Decimal | None
    met: bool | None  # None: no data for the period


def evaluate_kpis(rubric: KpiRubric, txs: Iterable[Tx], rates: dict[str, Decimal] | None = None) -> list[KpiResult]:
    txs = list(txs)
    rates = rates or {}
    out = []
    for t in rubric.targets:
        value = rates.get(t.measure) if t.measure not in _TX_MEASURES else measure(t.measure, txs, t.level)
        out.append(KpiResult(t, value, None if value is None else t.met(value)))
    return out


_TX_MEASURES = {"on_the_spot_share", "avg_trips", "online_depth_share", "promised_cut_share"}
