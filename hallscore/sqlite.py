"""SQLite files in a data folder: the system of record of the services that
keep one (intake's archive, rectification's case store).

One short-lived connection per operation: safe from any thread, and WAL lets
readers run beside a writer.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def init_db(path: Path, schema: str) -> None:
    with connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
        conn.executescript(schema)


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection whose `with` block is one transaction (commit or rollback)."""
    conn = sqlite3.connect(str(path), timeout=10.0)
    try:
        # The file is a system of record: fsync every commit.
        conn.execute("PRAGMA synchronous=FULL")
        with conn:
            yield conn
    finally:
        conn.close()
