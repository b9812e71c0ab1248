"""Refill a broker that came back empty: the archive is intake's durable outbox.

The embedded broker (Tansu, memory only) loses every record when it is
killed and restarted. Intake acknowledges an event only after the broker
acknowledged it AND it is in the SQLite archive, so everything ever
acknowledged is in the archive. This watcher notices a broker restart
without an intake restart and republishes the archive onto it:

- an outage ended (the bootstrap server stopped accepting connections,
  then accepts again), or
- the end offset of a partition of an event topic went BACKWARDS, or a
  topic seen before is gone (a restart faster than one probe interval).

Neither happens on a healthy Apache Kafka cluster except after a real
outage; republishing there is harmless (every consumer dedupes by event id)
but costs a full replay, so production sets
HALLSCORE_REPUBLISH_ON_RECOVERY=false (default: same as republish_on_start).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from kafka import KafkaConsumer, TopicPartition

from schemas.topics import EVENT_TOPICS

log = logging.getLogger(__name__)


def end_offsets(bootstrap: str, topics=EVENT_TOPICS, timeout_s: float = 2.0) -> dict[tuple[str, int], int]:
    """{(topic, partition): ListOffsets LATEST} of the topics that exist (fresh client each call).

    On Tansu the answer is the last batch's base offset + 1 (PLATFORM.md), which
    is still monotonic on a live broker and drops to 0 after a restart: enough here."""
    ms = max(int(timeout_s * 1000), 500)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             client_id="hallscore-intake-watch", request_timeout_ms=ms, bootstrap_timeout_ms=ms,
                             allow_auto_create_topics=False)
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not tps:
            return {}
        return {(tp.topic, tp.partition): off for tp, off in consumer.end_offsets(tps, timeout_ms=ms).items()}
    finally:
        consumer.close(autocommit=False)


class BrokerWatch:
    """Background thread: probe the broker every interval_s; on a restart call recover()."""

    def __init__(self, bootstrap: str, reachable: Callable[[str], bool], recover: Callable[[], Any],
                 interval_s: float = 1.0) -> None:
        self.bootstrap, self.reachable, self.recover, self.interval_s = bootstrap, reachable, recover, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._outage = False
        self._misses = 0
        self._last: dict[tuple[str, int], int] = {}
        self.recoveries = 0  # completed republishes (health / tests)
        self.last_recovery_s: float | None = None

    def start(self) -> "BrokerWatch":
        self._thread = threading.Thread(target=self._run, name="intake-broker-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception as e:  # never let the watcher die; the next probe retries
                log.warning("broker watch: %r", e)

    def check(self) -> bool:
        """One probe; True if it recovered (republished) the broker."""
        if not self.reachable(self.bootstrap):
            # Two misses in a row: one slow accept on a busy broker is not an outage
            # (a full republish is costly). A restart between probes is caught below.
            self._misses += 1
            if self._misses >= 2 and not self._outage:
                log.warning("broker %s unreachable: will republish the archive when it is back", self.bootstrap)
                self._outage = True
            return False
        self._misses = 0
        try:
            now = end_offsets(self.bootstrap)
        except Exception as e:
            # Reachable but slow (seen on a loaded broker): not an outage; a real
            # restart shows as offsets going back on a later probe.
            log.info("broker watch: end offsets unavailable (%r); retrying next probe", e)
            return False
        went_back = [tp for tp, off in self._last.items() if now.get(tp, 0) < off]
        if not (self._outage or went_back):
            self._last = now
            return False
        why = "outage ended" if self._outage else f"end offsets went back on {sorted(went_back)[:3]}"
        log.warning("broker %s restarted (%s): republishing the archive", self.bootstrap, why)
        t0 = time.monotonic()
        self.recover()  # raises on failure: the outage stays flagged and the next probe retries
        self.last_recovery_s = time.monotonic() - t0
        self.recoveries += 1
        self._outage = False
        self._last = end_offsets(self.bootstrap)
        log.warning("broker %s refilled from the archive in %.2f s", self.bootstrap, self.last_recovery_s)
        return True
