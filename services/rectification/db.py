"""The rectification SQLite file (data_dir/rectification.sqlite): the system
of record of every case, and an outbox to Kafka.

`events` holds every event this service writes, in the order written: case
transitions (case_id + seq) and the notices that go with them
(rectification.overdue, complaint.outcome; seq NULL). A row is appended
first and published after (published_at), so a crash between the two only
delays the publish; the embedded broker forgets everything on restart, so
`republish_on_start` publishes every row again (consumers dedupe by id).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from hallscore.bearer import now_iso
from hallscore.sqlite import connect, init_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    pos          INTEGER PRIMARY KEY AUTOINCREMENT,  -- write order = publish order
    event_id     TEXT NOT NULL UNIQUE,
    case_id      TEXT,
    seq          INTEGER,                            -- position in the case; NULL: a notice
    type         TEXT NOT NULL,
    hall         TEXT NOT NULL,
    unit         TEXT NOT NULL,
    topic        TEXT NOT NULL,
    body         TEXT NOT NULL,                      -- canonical JSON of the event
    recorded_at  TEXT NOT NULL,
    published_at TEXT,
    UNIQUE (case_id, seq)                            -- one history per case, no forks
);
CREATE INDEX IF NOT EXISTS events_unpublished ON events (pos) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS users (
    token_id    TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,          -- sha256 hex of the secret part; the secret is never stored
    role        TEXT NOT NULL,          -- manager | unit | auditor
    hall        TEXT,                   -- NULL: an auditor of every hall
    unit        TEXT,
    name        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
"""


@dataclass(frozen=True)
class Row:
    event_id: str
    case_id: str | None
    seq: int | None
    type: str
    hall: str
    unit: str
    topic: str
    body: bytes


class Conflict(RuntimeError):
    """Another writer got there first (an event id or case position taken)."""


class EventStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        init_db(self.path, SCHEMA)

    def append(self, rows: Sequence[Row]) -> None:
        """All rows or none (one transaction)."""
        now = now_iso()
        try:
            with connect(self.path) as conn:
                conn.executemany(
                    "INSERT INTO events (event_id, case_id, seq, type, hall, unit, topic, body, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.event_id, r.case_id, r.seq, r.type, r.hall, r.unit, r.topic, r.body.decode(), now)
                     for r in rows])
        except sqlite3.IntegrityError as e:
            raise Conflict(str(e)) from None

    def case_events(self, batch: int = 2000) -> Iterator[bytes]:
        """Bodies of every case transition, in write order."""
        last = 0
        while True:
            with connect(self.path) as conn:
                got = conn.execute("SELECT pos, body FROM events WHERE seq IS NOT NULL AND pos > ?"
                                   " ORDER BY pos LIMIT ?", (last, batch)).fetchall()
            if not got:
                return
            last = got[-1][0]
            yield from (b.encode() for _, b in got)

    def unpublished(self, limit: int = 500) -> list[tuple[int, Row]]:
        with connect(self.path) as conn:
            got = conn.execute(
                "SELECT pos, event_id, case_id, seq, type, hall, unit, topic, body FROM events"
                " WHERE published_at IS NULL ORDER BY pos LIMIT ?", (limit,)).fetchall()
        return [(g[0], Row(*g[1:8], g[8].encode())) for g in got]

    def mark_published(self, positions: Sequence[int]) -> None:
        now = now_iso()
        with connect(self.path) as conn:
            conn.executemany("UPDATE events SET published_at = ? WHERE pos = ?", [(now, p) for p in positions])

    def mark_all_unpublished(self) -> int:
        """Publish everything again (a fresh, empty broker)."""
        with connect(self.path) as conn:
            return conn.execute("UPDATE events SET published_at = NULL").rowcount

    def count_unpublished(self) -> int:
        with connect(self.path) as conn:
            return conn.execute("SELECT count(*) FROM events WHERE published_at IS NULL").fetchone()[0]
