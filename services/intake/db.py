"""The intake SQLite file (data_dir/intake.sqlite): device tokens + event archive.

Connections: hallscore.sqlite (one per operation, WAL, fsync per commit).
"""
from __future__ import annotations

from pathlib import Path

from hallscore import sqlite
from hallscore.sqlite import connect

__all__ = ["SCHEMA", "connect", "db_path", "init_db"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_id    TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,          -- sha256 hex of the secret part; the secret is never stored
    hall        TEXT NOT NULL,
    device      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,          -- of body
    type        TEXT NOT NULL,
    hall        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    body        TEXT NOT NULL,          -- canonical JSON (schemas.registry.event_to_json)
    accepted_at TEXT NOT NULL
);
"""


def db_path(data_dir: Path) -> Path:
    """Where intake keeps its SQLite file inside a data folder."""
    return Path(data_dir) / "intake.sqlite"


def init_db(path: Path) -> None:
    sqlite.init_db(path, SCHEMA)
