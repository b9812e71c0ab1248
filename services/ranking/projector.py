"""Kafka -> ClickHouse projector: events -> raw_events, ledger lines -> ledger,
case transitions -> case_events.

At-least-once, no loss: offsets are committed only after the batch's INSERTs succeeded.
While the store is down (StoreUnavailable / StoreError) the batch is retried with
backoff and nothing is committed; partitions are paused meanwhile so the consumer keeps
polling (heartbeats, no max.poll.interval eviction) without fetching more. A replayed
record is harmless: every table is ReplacingMergeTree, read with FINAL.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Sequence

from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata, TopicPartition

from hallscore.kafka.admin import ensure_topics
from hallscore.store.adapter import Store, StoreError
from schemas.topics import CASE_TOPIC, DEFAULT_PARTITIONS, EVENT_TOPICS, LEDGER_TOPIC

from .lineage import Lineages
from .rows import (CASE_EVENT_COLUMNS, LEDGER_COLUMNS, RAW_EVENT_COLUMNS, RowError, case_event_row, ledger_row,
                   raw_event_row)

log = logging.getLogger(__name__)
TABLES = ("raw_events", "ledger", "case_events")
_COLUMNS = {"raw_events": RAW_EVENT_COLUMNS, "ledger": LEDGER_COLUMNS, "case_events": CASE_EVENT_COLUMNS}


@dataclass
class _Batch:
    rows: dict[str, list[tuple]] = field(default_factory=lambda: {t: [] for t in TABLES})
    done: set[str] = field(default_factory=set)  # tables already inserted (on a retry)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)  # next offset to commit
    records: int = 0
    started: float = 0.0


class Projector:
    """One background thread, one consumer of the group, both tables per batch."""

    def __init__(self, store: Store, bootstrap: str, *, group: str = "hallscore-projector",
                 event_topics: Sequence[str] = EVENT_TOPICS, ledger_topic: str = LEDGER_TOPIC,
                 case_topic: str | None = CASE_TOPIC, batch_max_rows: int = 5000, batch_max_ms: int = 200,
                 backoff_initial_s: float = 0.2, backoff_max_s: float = 5.0) -> None:
        self.store, self.bootstrap, self.group = store, bootstrap, group
        self.table_of = {**{t: "raw_events" for t in event_topics}, ledger_topic: "ledger"}
        self.lineages = Lineages()
        if case_topic:
            self.table_of[case_topic] = "case_events"
        self.batch_max_rows, self.batch_max_s = batch_max_rows, batch_max_ms / 1000
        self.backoff = (backoff_initial_s, backoff_max_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stats: dict = {"rows": {t: 0 for t in TABLES}, "rejected": {t: 0 for t in TABLES},
                             "batches": 0, "insert_failures": 0, "commit_failures": 0,
                             "consumer_errors": 0, "last_insert_at": None, "last_error": None,
                             "lag": None, "caught_up": False, "retrying": False}
        self._lag_by_tp: dict[tuple[str, int], int] = {}  # metrics only (tuple keys: not in stats())

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> "Projector":
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ranking-projector", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop polling; an uncommitted batch is dropped (it is redelivered later)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("projector thread did not stop within %.0f s", timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> dict:
        with self._lock:
            s = dict(self._stats)
            s["rows"], s["rejected"] = dict(s["rows"]), dict(s["rejected"])
        s["running"] = self.running
        return s

    def _set(self, **kw) -> None:
        with self._lock:
            self._stats.update(kw)

    # -- the loop --------------------------------------------------------------
    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            consumer = None
            try:
                ensure_topics(self.bootstrap, {t: DEFAULT_PARTITIONS for t in self.table_of})
                consumer = KafkaConsumer(
                    bootstrap_servers=self.bootstrap, group_id=self.group,
                    client_id="hallscore-projector", enable_auto_commit=False,
                    auto_offset_reset="earliest",
                    # Tansu holds a group join for session_timeout/2: 6 s -> 3 s (45 s default
                    # -> 23 s). Fixed when the group is created (PLATFORM.md).
                    session_timeout_ms=6000, heartbeat_interval_ms=1000,
                    max_poll_records=self.batch_max_rows, fetch_max_wait_ms=100,
                    bootstrap_timeout_ms=5000, allow_auto_create_topics=False)
                consumer.subscribe(topics=sorted(self.table_of))
                delay = self.backoff[0]
                while not self._stop.is_set():
                    batch = self._collect(consumer)
                    if batch.records:
                        self._flush(consumer, batch)
                    self._measure_lag(consumer)  # local figures only: no broker round trip
            except Exception as exc:  # broker down, rebalance trouble...: rebuild the consumer
                log.warning("projector consumer error (retrying in %.1f s): %r", delay, exc)
                with self._lock:
                    self._stats["consumer_errors"] += 1
                    self._stats.update(last_error=f"kafka: {exc!r}", caught_up=False)
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
            finally:
                if consumer is not None:
                    try:
                        consumer.close(autocommit=False, timeout_ms=3000)
                    except Exception as exc:  # closing a broken client must not kill the loop
                        log.warning("consumer close failed: %r", exc)
        self._set(caught_up=False, retrying=False)

    def _collect(self, consumer: KafkaConsumer) -> _Batch:
        """Poll until batch_max_rows records or batch_max_ms after the first one."""
        batch = _Batch()
        while not self._stop.is_set():
            wait = 0.1 if not batch.records else batch.started + self.batch_max_s - time.monotonic()
            if batch.records and wait <= 0:
                break
            polled = consumer.poll(timeout_ms=int(min(wait, 0.1) * 1000),
                                   max_records=self.batch_max_rows - batch.records)
            if not polled and not batch.records:
                break  # idle: let the caller measure lag
            self._add(batch, polled)
            if batch.records >= self.batch_max_rows:
                break
        return batch

    def _add(self, batch: _Batch, polled: dict) -> None:
        received = None
        for tp, records in polled.items():
            table = self.table_of[tp.topic]
            for rec in records:
                if not batch.records:
                    batch.started = time.monotonic()
                batch.records += 1
                batch.offsets[tp] = rec.offset + 1
                batch.done.discard(table)
                if table == "ledger":
                    batch.done.discard("lineage")
                try:
                    if table == "ledger":
                        batch.rows[table].append(ledger_row(rec.value))
                    elif table == "case_events":
                        batch.rows[table].append(case_event_row(rec.value))
                    else:
                        received = received or datetime.now(timezone.utc)
                        batch.rows[table].append(raw_event_row(rec.value, received))
                except RowError as exc:
                    log.error("skipping %s record %s[%d]@%d: %s", table, tp.topic, tp.partition,
                              rec.offset, exc)
                    with self._lock:
                        self._stats["rejected"][table] += 1

    def _flush(self, consumer: KafkaConsumer, batch: _Batch) -> None:
        delay = self.backoff[0]
        while True:
            try:
                if batch.rows["ledger"] and "lineage" not in batch.done:
                    # A rebuilt scoring lineage retires the lines of the lost one (lineage.py).
                    batch.rows["ledger"] += self.lineages.retire_older(self.store, batch.rows["ledger"])
                    batch.done.add("lineage")
                for table in TABLES:
                    if batch.rows[table] and table not in batch.done:
                        self.store.insert(table, _COLUMNS[table], batch.rows[table])
                        batch.done.add(table)
                break
            except StoreError as exc:
                log.warning("insert failed (not committing; retry in %.1f s): %s", delay, exc)
                with self._lock:
                    self._stats["insert_failures"] += 1
                    self._stats.update(last_error=f"store: {exc}", retrying=True, caught_up=False)
                if self._stop.is_set() or not self._wait_paused(consumer, batch, delay):
                    return  # stopping: nothing committed, the batch will be redelivered
                delay = min(delay * 2, self.backoff[1])
        with self._lock:
            for table in TABLES:
                self._stats["rows"][table] += len(batch.rows[table])
            self._stats["batches"] += 1
            self._stats.update(last_insert_at=time.time(), retrying=False)
        try:
            consumer.commit({tp: OffsetAndMetadata(off, "", -1) for tp, off in batch.offsets.items()},
                            timeout_ms=5000)
        except Exception as exc:  # rebalance or broker trouble: rows are stored; replay is harmless
            log.warning("offset commit failed (records will be replayed): %r", exc)
            with self._lock:
                self._stats["commit_failures"] += 1

    def _wait_paused(self, consumer: KafkaConsumer, batch: _Batch, seconds: float) -> bool:
        """Sleep `seconds` while polling with every partition paused; False if stopping."""
        consumer.pause(*consumer.assignment())
        try:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if self._stop.is_set():
                    return False
                polled = consumer.poll(timeout_ms=100)
                if polled:  # not expected while paused; keep them rather than lose them
                    self._add(batch, polled)
            return not self._stop.is_set()
        finally:
            consumer.resume(*consumer.paused())

    def _measure_lag(self, consumer: KafkaConsumer) -> None:
        """Lag from fetch high-water marks (right on Tansu, unlike ListOffsets)."""
        assigned = consumer.assignment()
        lag: int | None = 0
        by_tp: dict[tuple[str, int], int] = {}
        for tp in assigned:
            hw, pos = consumer.highwater(tp), consumer.position(tp, timeout_ms=0)
            if hw is None or pos is None:
                lag = None
                continue
            by_tp[(tp.topic, tp.partition)] = max(hw - pos, 0)
            if lag is not None:
                lag += by_tp[(tp.topic, tp.partition)]
        with self._lock:
            self._lag_by_tp = by_tp
        self._set(lag=lag, caught_up=bool(assigned) and lag == 0)

    def partition_lag(self) -> dict[tuple[str, int], int]:
        """{(topic, partition): records behind the high-water mark} of the assigned partitions."""
        with self._lock:
            return dict(self._lag_by_tp)
