"""The durable record of every accepted event (table `events` in intake.sqlite).

Two jobs:
* dedupe at the edge: an event id already accepted is answered "duplicate"
  (same content) or 409 (different content) and never published again;
* the source of truth for the broker: the embedded Tansu broker keeps nothing
  across a restart, so on start intake can republish everything from here.
  Every downstream store is idempotent by event id, so a republish onto a
  real Kafka is harmless too.

Rows are written only after the broker acknowledged the event (see
service.py), so the archive never claims an event the broker has not seen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from services.intake.db import connect, init_db

_LOOKUP_CHUNK = 500  # stay well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class ArchivedEvent:
    event_id: str
    sha256: str
    type: str
    hall: str
    unit: str
    body: bytes  # canonical JSON


class Archive:
    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        init_db(self.db_path)

    def lookup(self, event_ids: Iterable[str]) -> dict[str, str]:
        """{event_id: sha256} for the ids already accepted."""
        ids = list(dict.fromkeys(event_ids))
        found: dict[str, str] = {}
        with connect(self.db_path) as conn:
            for i in range(0, len(ids), _LOOKUP_CHUNK):
                chunk = ids[i:i + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(conn.execute(
                    f"SELECT event_id, sha256 FROM events WHERE event_id IN ({marks})", chunk
                ).fetchall())
        return found

    def record(self, events: Iterable[Any]) -> int:
        """Store events the broker acknowledged, in one transaction.

        Each item needs attributes event_id, sha256, type, hall, unit, body
        (bytes). Ids already present are left alone. Returns rows inserted.
        """
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        rows = [(e.event_id, e.sha256, e.type, e.hall, e.unit, e.body.decode(), now) for e in events]
        with connect(self.db_path) as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO events (event_id, sha256, type, hall, unit, body, accepted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return conn.total_changes - before

    def count(self) -> int:
        with connect(self.db_path) as conn:
            return conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def iter_all(self, batch: int = 1000) -> Iterator[list[ArchivedEvent]]:
        """Every archived event in acceptance order, `batch` at a time."""
        last = 0
        while True:
            with connect(self.db_path) as conn:
                rows = conn.execute(
                    "SELECT rowid, event_id, sha256, type, hall, unit, body FROM events"
                    " WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [ArchivedEvent(r[1], r[2], r[3], r[4], r[5], r[6].encode()) for r in rows]
