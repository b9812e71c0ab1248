"""Device tokens: each scoped to one hall, stored only as a hash.

Token text is ``hs_<token_id>_<secret>`` (format and hashing: hallscore.bearer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hallscore.bearer import hash_secret, mint, now_iso, secret_matches, split
from schemas.envelope import CODE_PATTERN
from services.intake.db import connect, init_db

PREFIX = "hs"
_CODE_RE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class TokenInfo:
    """Who a verified token speaks for."""

    hall: str
    device: str
    token_id: str


@dataclass(frozen=True)
class TokenRecord:
    """A token as listed to operators: everything but the secret."""

    token_id: str
    hall: str
    device: str
    note: str
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class TokenStore:
    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        init_db(self.db_path)

    def issue(self, hall: str, device: str, note: str = "") -> str:
        """Create a token for one device of one hall; returns the plaintext (shown once)."""
        for name, value in (("hall", hall), ("device", device)):
            if not _CODE_RE.match(value or ""):
                raise ValueError(f"{name} {value!r} is not a valid id (pattern {CODE_PATTERN})")
        token_id, secret, token = mint(PREFIX)
        with connect(self.db_path) as conn:
            conn.execute(
                "INSERT INTO tokens (token_id, secret_hash, hall, device, note, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, hash_secret(secret), hall, device, note, now_iso()),
            )
        return token

    def revoke(self, token_id: str) -> bool:
        """Revoke a token; False if no active token has this id."""
        with connect(self.db_path) as conn:
            cur = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (now_iso(), token_id),
            )
            return cur.rowcount == 1

    def list(self) -> list[TokenRecord]:
        with connect(self.db_path) as conn:
            rows = conn.execute(
                "SELECT token_id, hall, device, note, created_at, revoked_at"
                " FROM tokens ORDER BY created_at, token_id"
            ).fetchall()
        return [TokenRecord(*r) for r in rows]

    def verify(self, token: str | None) -> TokenInfo | None:
        """The token's hall and device, or None if malformed, unknown or revoked."""
        parts = split(PREFIX, token)
        if parts is None:
            return None
        token_id, secret = parts
        with connect(self.db_path) as conn:
            row = conn.execute(
                "SELECT secret_hash, hall, device, revoked_at FROM tokens WHERE token_id = ?",
                (token_id,),
            ).fetchone()
        if row is None:
            return None
        stored, hall, device, revoked_at = row
        if not secret_matches(secret, stored) or revoked_at is not None:
            return None
        return TokenInfo(hall=hall, device=device, token_id=token_id)
