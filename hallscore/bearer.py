"""Bearer tokens shared by every service that issues them (device tokens in
intake, user tokens in rectification).

Token text is ``<prefix>_<token_id>_<secret>``. The id is public (it names
the row and is what an operator revokes); the secret is 256 random bits of
which only sha256 is stored, compared in constant time. A plain hash is
enough (no salt/KDF): the secret is random, not a password.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

_SECRET_CHARS = r"[A-Za-z0-9_\-]{43}"


def mint(prefix: str) -> tuple[str, str, str]:
    """(token_id, secret, token text) of a new token; show the text once."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)  # 43 chars
    return token_id, secret, f"{prefix}_{token_id}_{secret}"


def split(prefix: str, token: str | None) -> tuple[str, str] | None:
    """(token_id, secret) of a well-formed token of this prefix, else None."""
    m = re.fullmatch(rf"{re.escape(prefix)}_([0-9a-f]{{16}})_({_SECRET_CHARS})", token or "")
    return (m.group(1), m.group(2)) if m else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
