"""Who may see and touch which case: hall and unit scope of a user token.
(What each role may do to a case is the core's rule: commands.ROLES.)"""
from __future__ import annotations

from hallscore.access import Principal, may_read
from hallscore.bearer import parse_bearer
from hallscore.core.cases.model import Actor
from services.rectification.users import UserStore


class Unauthorized(Exception):
    pass


class Forbidden(Exception):
    pass


def authenticate(users: UserStore, header: str | None) -> Principal:
    who = users.verify(parse_bearer(header))
    if who is None:
        raise Unauthorized("missing, unknown or revoked user token (Authorization: Bearer hu_...); "
                           "issue one with `hallscore user issue`")
    return who


def require_read(p: Principal, hall: str, unit: str | None) -> None:
    if not may_read(p, hall, unit):
        raise Forbidden(_scope(p, "read"))


def require_write(p: Principal, hall: str, unit: str) -> Actor:
    if p.role == "auditor":
        raise Forbidden("an auditor token reads only (审计只读)")
    if not may_read(p, hall, unit):
        raise Forbidden(_scope(p, "change"))
    return Actor(p.role, p.token_id)  # type: ignore[arg-type]


def _scope(p: Principal, verb: str) -> str:
    if p.role == "unit":
        return f"this unit token may only {verb} cases of unit {p.unit!r} in hall {p.hall!r}"
    return f"this {p.role} token may only {verb} cases of hall {p.hall!r}"
