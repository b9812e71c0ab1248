"""Consumes the device topics that open cases by themselves: every 差评
(hallscore.reviews) and every filed complaint / outcome (hallscore.complaints).

One kafka-python consumer in a thread, group `hallscore-rectification`.
Offsets are committed after the poll's records are handled (stored), so a
crash redelivers, and handling is idempotent by source. Tansu holds a group
join for session_timeout/2, hence 6 s (PLATFORM.md).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Callable, Sequence

from kafka import KafkaConsumer

from hallscore.background import BackgroundLoop
from hallscore.kafka.admin import ensure_topics
from schemas.envelope import Envelope
from schemas.registry import EventError, parse_event
from schemas.topics import DEFAULT_PARTITIONS, FAMILY_TOPICS

log = logging.getLogger(__name__)
SOURCE_TOPICS = (FAMILY_TOPICS["review"], FAMILY_TOPICS["complaint"])


class SourceConsumer(BackgroundLoop):
    thread_name = "rectification-consumer"

    def __init__(self, bootstrap: str, handle: Callable[[Envelope], str | None], *,
                 group: str = "hallscore-rectification", topics: Sequence[str] = SOURCE_TOPICS,
                 on_opened: Callable[[float], None] | None = None,
                 on_record: Callable[[str], None] | None = None) -> None:
        self.bootstrap, self.handle, self.group, self.topics = bootstrap, handle, group, tuple(topics)
        self.on_opened = on_opened or (lambda lag: None)
        self.on_record = on_record or (lambda outcome: None)
        super().__init__()
        self.assigned = False
        self.records = 0
        self.errors = 0
        self.last_error: str | None = None

    def _run(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            consumer = None
            try:
                ensure_topics(self.bootstrap, {t: DEFAULT_PARTITIONS for t in self.topics})
                consumer = KafkaConsumer(
                    bootstrap_servers=self.bootstrap, group_id=self.group, client_id="hallscore-rectification",
                    enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6000,
                    heartbeat_interval_ms=1000, fetch_max_wait_ms=100, max_poll_records=500,
                    bootstrap_timeout_ms=5000, allow_auto_create_topics=False)
                consumer.subscribe(topics=list(self.topics))
                delay = 0.2
                while not self._stop.is_set():
                    polled = consumer.poll(timeout_ms=200)
                    self.assigned = bool(consumer.assignment())
                    if polled:
                        for records in polled.values():
                            for rec in records:
                                self._one(rec)
                        consumer.commit()
            except Exception as exc:  # broker gone, rebalance trouble: rebuild the consumer
                self.errors += 1
                self.last_error = repr(exc)
                self.assigned = False
                log.warning("source consumer error (retry in %.1f s): %r", delay, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
            finally:
                if consumer is not None:
                    try:
                        consumer.close(autocommit=False, timeout_ms=3000)
                    except Exception as exc:
                        log.warning("consumer close failed: %r", exc)
        self.assigned = False

    def _one(self, rec) -> None:
        self.records += 1
        try:
            event = parse_event(json.loads(rec.value))
        except (EventError, ValueError, TypeError) as exc:  # not our contract: skip, loudly
            log.warning("skipped invalid record %s[%d]@%d: %s", rec.topic, rec.partition, rec.offset, str(exc)[:300])
            self.on_record("invalid")
            return
        case_id = self.handle(event)  # a store failure raises: nothing committed, redelivered
        self.on_record("case" if case_id else "ignored")
        if case_id and rec.timestamp and rec.timestamp > 0:
            self.on_opened(max(time.time() - rec.timestamp / 1000, 0.0))
