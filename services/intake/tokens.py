"""Device tokens: each scoped to one hall, stored only as a hash.

Token text is ``hs_<token_id>_<secret>``. The id is public (it names the
row and is what an operator revokes); the secret is 256 random bits of which
only sha256 is stored, compared in constant time. A plain hash is enough
here (no salt/KDF): the secret is random, not a password.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from schemas.envelope import CODE_PATTERN
from services.intake.db import connect, init_db

PREFIX = "hs"
_TOKEN_RE = re.compile(r"^hs_([0-9a-f]{16})_([A-Za-z0-9_\-]{43})$")
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


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class TokenStore:
    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        init_db(self.db_path)

    def issue(self, hall: str, device: str, note: str = "") -> str:
        """Create a token for one device of one hall; returns the plaintext (shown once)."""
        for name, value in (("hall", hall), ("device", device)):
            if not _CODE_RE.match(value or ""):
                raise ValueError(f"{name} {value!r} is not a valid id (pattern {CODE_PATTERN})")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)  # 43 chars
        with connect(self.db_path) as conn:
            conn.execute(
                "INSERT INTO tokens (token_id, secret_hash, hall, device, note, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, _hash(secret), hall, device, note, _now()),
            )
        return f"{PREFIX}_{token_id}_{secret}"

    def revoke(self, token_id: str) -> bool:
        """Revoke a token; False if no active token has this id."""
        with connect(self.db_path) as conn:
            cur = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (_now(), token_id),
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
        m = _TOKEN_RE.match(token or "")
        if m is None:
            return None
        token_id, secret = m.groups()
        with connect(self.db_path) as conn:
            row = conn.execute(
                "SELECT secret_hash, hall, device, revoked_at FROM tokens WHERE token_id = ?",
                (token_id,),
            ).fetchone()
        if row is None:
            return None
        stored, hall, device, revoked_at = row
        if not hmac.compare_digest(_hash(secret), stored) or revoked_at is not None:
            return None
        return TokenInfo(hall=hall, device=device, token_id=token_id)
