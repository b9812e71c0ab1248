"""User tokens for the rectification API, stored only as hashes.

Roles: a `manager` of one hall issues lists and verifies; a `unit` of one
hall sees and answers only its own unit's cases; an `auditor` reads (one
hall, or every hall when issued without one). Token text `hu_<id>_<secret>`
(format and hashing: hallscore.bearer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hallscore.access import ROLES, Principal
from hallscore.bearer import hash_secret, mint, now_iso, secret_matches, split
from hallscore.sqlite import connect
from schemas.envelope import CODE_PATTERN
from services.rectification.db import EventStore

PREFIX = "hu"
_CODE_RE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class UserRecord:
    token_id: str
    role: str
    hall: str | None
    unit: str | None
    name: str
    created_at: str
    revoked_at: str | None


def check_scope(role: str, hall: str | None, unit: str | None) -> None:
    """ValueError naming the option that does not fit the role."""
    if role not in ROLES:
        raise ValueError(f"--role must be one of {', '.join(ROLES)}")
    if role in ("manager", "unit") and not hall:
        raise ValueError(f"a {role} token needs --hall")
    if role == "unit" and not unit:
        raise ValueError("a unit token needs --unit")
    if role != "unit" and unit:
        raise ValueError(f"--unit is only for unit tokens, not {role}")
    for name, value in (("hall", hall), ("unit", unit)):
        if value is not None and not _CODE_RE.match(value):
            raise ValueError(f"--{name} {value!r} is not a valid id (pattern {CODE_PATTERN})")


class UserStore:
    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        EventStore(self.db_path)  # creates the file and its tables

    def issue(self, role: str, hall: str | None, unit: str | None = None, name: str = "") -> str:
        """Create a token and return its text (shown once; only its hash is kept)."""
        check_scope(role, hall, unit)
        token_id, secret, token = mint(PREFIX)
        with connect(self.db_path) as conn:
            conn.execute("INSERT INTO users (token_id, secret_hash, role, hall, unit, name, created_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (token_id, hash_secret(secret), role, hall, unit, name, now_iso()))
        return token

    def verify(self, token: str | None) -> Principal | None:
        parts = split(PREFIX, token)
        if parts is None:
            return None
        token_id, secret = parts
        with connect(self.db_path) as conn:
            row = conn.execute("SELECT secret_hash, role, hall, unit, name, revoked_at FROM users"
                               " WHERE token_id = ?", (token_id,)).fetchone()
        if row is None or row[5] is not None or not secret_matches(secret, row[0]):
            return None
        return Principal(row[1], row[2], row[3], token_id, row[4])

    def revoke(self, token_id: str) -> bool:
        with connect(self.db_path) as conn:
            return conn.execute("UPDATE users SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                                (now_iso(), token_id)).rowcount == 1

    def list(self) -> list[UserRecord]:
        with connect(self.db_path) as conn:
            rows = conn.execute("SELECT token_id, role, hall, unit, name, created_at, revoked_at FROM users"
                                " ORDER BY created_at, token_id").fetchall()
        return [UserRecord(*r) for r in rows]
