"""Publishes stored events to Kafka in write order, then marks them published.

Store first, publish after: a crash in between only delays the publish (the
row stays unpublished and goes out on the next pass). Kafka is at-least-once
here like everywhere: consumers dedupe by event id.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from hallscore.background import BackgroundLoop
from hallscore.kafka.producer import send_all
from schemas.topics import unit_key
from services.rectification.db import EventStore

log = logging.getLogger(__name__)


class Publisher(BackgroundLoop):
    thread_name = "rectification-publisher"

    def __init__(self, store: EventStore, producer_factory: Callable[[], Any], wake: threading.Event,
                 *, idle_s: float = 1.0, batch: int = 500, backoff_max_s: float = 5.0) -> None:
        self.store, self.producer_factory, self.wake = store, producer_factory, wake
        self.idle_s, self.batch, self.backoff_max_s = idle_s, batch, backoff_max_s
        super().__init__()
        self.published = 0
        self.failures = 0
        self.last_error: str | None = None

    def _wake(self) -> None:
        self.wake.set()

    def _run(self) -> None:
        producer = None
        delay = 0.2
        while not self._stop.is_set():
            try:
                producer = producer or self.producer_factory()
                while self.drain_once(producer):
                    pass
                delay = 0.2
                self.wake.wait(self.idle_s)
                self.wake.clear()
            except Exception as exc:  # broker down, producer broken: retry, never die
                self.failures += 1
                self.last_error = repr(exc)
                log.warning("publishing failed (retry in %.1f s): %r", delay, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max_s)
        if producer is not None:
            try:
                producer.close(timeout=5)
            except Exception:
                log.exception("closing the producer")

    def drain_once(self, producer: Any) -> int:
        """Publish one batch of unpublished rows; how many (0: nothing left)."""
        rows = self.store.unpublished(self.batch)
        if not rows:
            return 0
        # Raises PublishError: nothing is marked, the whole batch goes again.
        send_all(producer, [(r.topic, unit_key(r.hall, r.unit), r.body) for _, r in rows], timeout_s=30)
        self.store.mark_published([pos for pos, _ in rows])
        self.published += len(rows)
        return len(rows)
