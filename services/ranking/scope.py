"""Which halls a ranking covers: one hall, every hall of a tier, or every hall of a county.

Tiers and counties come from the halls config (HallsConfig.halls[hall].tier / county).
A tier or county ranking ranks window units across its halls by one rubric; halls the
rubric does not apply to (rubric applies_to) are left out and listed as `skipped`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hallscore.core.rubric import Rubric
from hallscore.core.schedule import HallsConfig

from .common import NotFound

TIER_NAMES = {"county": "县级政务服务中心", "township": "乡镇（街道）便民服务中心",
              "village": "村（社区）便民服务站"}
KINDS = ("hall", "tier", "county")
PATH = {"hall": "halls", "tier": "tiers", "county": "counties"}


@dataclass(frozen=True)
class Scope:
    kind: str  # hall | tier | county
    id: str
    name: str
    halls: list[str]
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name, "halls": self.halls,
                "skipped_halls": self.skipped}


def resolve(kind: str, ident: str, config: HallsConfig, rubric: Rubric, hall_known) -> Scope:
    """A Scope, or NotFound. `hall_known(hall)` raises NotFound for an unknown hall."""
    if kind == "hall":
        hall_known(ident)
        entry = config.halls.get(ident)
        return Scope("hall", ident, entry.name if entry else ident, [ident])
    if kind == "tier":
        if ident not in TIER_NAMES:
            raise NotFound(f"unknown tier {ident!r} (known: {', '.join(TIER_NAMES)})")
        members = sorted(h for h, e in config.halls.items() if e.tier == ident)
        name = TIER_NAMES[ident]
    elif kind == "county":
        members = sorted(h for h, e in config.halls.items() if e.county == ident)
        if not members:
            counties = sorted({e.county for e in config.halls.values() if e.county})
            raise NotFound(f"unknown county {ident!r} (known: {', '.join(counties) or 'none'})")
        name = ident
    else:
        raise NotFound(f"unknown scope {kind!r}")
    covered = [h for h in members if rubric.applies_to.covers(h, config.halls[h].tier)]
    return Scope(kind, ident, name, covered, [h for h in members if h not in covered])
