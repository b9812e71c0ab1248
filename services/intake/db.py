"""The intake SQLite file (data_dir/intake.sqlite): device tokens + event archive.

One short-lived connection per operation: safe from any worker thread, and
WAL lets readers (dedupe lookups, token checks) run beside a writer.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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
    with connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
        conn.executescript(SCHEMA)


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection whose `with` block is one transaction (commit or rollback)."""
    conn = sqlite3.connect(str(path), timeout=10.0)
    try:
        # The archive is the system of record: fsync every commit.
        conn.execute("PRAGMA synchronous=FULL")
        with conn:
            yield conn
    finally:
        conn.close()
