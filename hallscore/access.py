"""Who may read what: the scope of a user token, shared by every service that
serves people (rectification issues and holds the tokens; ranking asks it).

Roles (issued with `hallscore user issue`):
  manager  one hall: reads everything of its hall, publishes, verifies;
  unit     one window unit of one hall: reads its hall's rankings (the 周通报
           is sent to every unit) but only its OWN unit's lines, events and cases;
  auditor  reads only; one hall, or every hall when issued without one.

Plain functions, no HTTP: the services turn a False into 401/403.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("manager", "unit", "auditor")


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    role: str
    hall: str | None
    unit: str | None
    token_id: str
    name: str = ""

    def to_json(self) -> dict:
        return {"role": self.role, "hall": self.hall, "unit": self.unit, "token_id": self.token_id,
                "name": self.name}

    @classmethod
    def from_json(cls, d: dict) -> "Principal":
        return cls(d["role"], d.get("hall"), d.get("unit"), d["token_id"], d.get("name") or "")


def may_read(p: Principal, hall: str, unit: str | None = None) -> bool:
    """A hall's data (unit None) or one unit's data in that hall."""
    if p.role == "auditor":
        return p.hall is None or p.hall == hall
    if p.role == "manager":
        return p.hall == hall
    return p.hall == hall and (unit is None or p.unit == unit)


def may_read_any(p: Principal, halls: list[str]) -> bool:
    """A ranking across several halls (a tier, a county): the halls ranked together
    may all see it, as they see their own hall's ranking."""
    return any(may_read(p, h) for h in halls)


def may_manage(p: Principal, hall: str) -> bool:
    """Publish a hall's bulletin, record its annual components: its manager only."""
    return p.role == "manager" and p.hall == hall


def scope_text(p: Principal) -> str:
    """What this token may read, for a 403 message."""
    if p.role == "unit":
        return f"a unit token reads only unit {p.unit!r} of hall {p.hall!r} (and that hall's rankings)"
    if p.role == "auditor" and p.hall is None:
        return "an auditor token reads every hall and changes nothing"
    if p.role == "auditor":
        return f"an auditor token reads only hall {p.hall!r} and changes nothing"
    return f"a manager token reads and manages only hall {p.hall!r}"
