"""Intake's stateful side: tokens, archive, producer, and the accept sequence.

The decisions are in acceptance.py; this module does the I/O around them.
All methods block (SQLite, Kafka): the app calls them in a worker thread.
"""
from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from typing import Any, Callable

from hallscore.kafka.producer import PublishError, send_all
from schemas.topics import all_topics
from services.intake.acceptance import (
    Rejection, check_request_conflicts, check_scope, classify, decode_body, parse_bearer,
    raw_type, records_for, to_record, unavailable, validate_items,
)
from services.intake.archive import Archive
from services.intake.metrics import IntakeMetrics
from services.intake.recovery import BrokerWatch
from services.intake.settings import IntakeSettings
from services.intake.tokens import TokenInfo, TokenStore

log = logging.getLogger(__name__)

ProducerFactory = Callable[[str], Any]  # bootstrap -> KafkaProducer-like (send/close)
TopicSetup = Callable[[str, dict[str, int]], Any]  # hallscore.kafka.admin.ensure_topics


def broker_reachable(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True if a TCP connection to any bootstrap server succeeds."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


class InFlight:
    """Event ids being published right now.

    A request claims all its ids at once, waiting while another request holds
    any of them; so lookup -> publish -> record is atomic per id and two
    concurrent requests can never both publish one id (e.g. with different
    content). Per process: run intake as ONE process (one uvicorn worker).
    """

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._cond = threading.Condition()

    def claim(self, ids: set[str], timeout_s: float) -> bool:
        with self._cond:
            if not self._cond.wait_for(lambda: self._ids.isdisjoint(ids), timeout_s):
                return False
            self._ids |= ids
            return True

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no request is publishing (True) or timeout_s passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._ids, timeout_s)

    def release(self, ids: set[str]) -> None:
        with self._cond:
            self._ids -= ids
            self._cond.notify_all()


class IntakeService:
    def __init__(self, settings: IntakeSettings, tokens: TokenStore, archive: Archive,
                 producer: Any, metrics: IntakeMetrics, setup_topics: TopicSetup) -> None:
        self.settings = settings
        self.tokens = tokens
        self.archive = archive
        self.producer = producer
        self.metrics = metrics
        self.setup_topics = setup_topics
        self.inflight = InFlight()
        # False after a failed publish: the broker may have restarted empty
        # (Tansu), so topics are ensured again before the next publish.
        self._topics_ok = True
        self._recover_lock = threading.Lock()
        self.watch: BrokerWatch | None = None

    def start_watch(self) -> None:
        """Republish the archive whenever the broker comes back empty (see recovery.py)."""
        self.watch = BrokerWatch(self.settings.kafka_bootstrap, broker_reachable, self.recover,
                                 self.settings.broker_watch_interval_s).start()

    def recover(self) -> int:
        """The broker restarted: topics again, then every archived event again (in order)."""
        with self._recover_lock:
            self._restore_topics()
            # Requests publishing right now finish (and archive) first; later ones go to
            # the new broker themselves. Either way each event lands at least once.
            self.inflight.wait_idle(self.settings.publish_timeout_s * 2)
            try:
                n = self.republish()
            except PublishError:
                self._topics_ok = False
                raise
            self.metrics.republished.inc(n)
            return n

    def authenticate(self, authorization: str | None) -> TokenInfo:
        info = self.tokens.verify(parse_bearer(authorization))
        if info is None:
            raise Rejection(401, "missing, unknown or revoked device token (Authorization: Bearer hs_...)",
                            {"WWW-Authenticate": "Bearer"})
        return info

    def submit(self, who: TokenInfo, body: bytes) -> dict[str, Any]:
        """Accept one request from a verified device; the 200 body, or raises Rejection."""
        try:
            raws = decode_body(body, self.settings.max_batch)
        except Rejection as r:
            self.metrics.count_rejected(["unknown"], "too_many" if r.status == 413 else "malformed")
            raise
        stage = "invalid"
        try:
            items = validate_items(raws)
            stage = "wrong_hall"
            check_scope(items, who.hall)
            stage = "conflict_in_request"
            check_request_conflicts(items)
        except Rejection as r:
            self.metrics.count_events(map(raw_type, raws), "rejected")
            self._count_rejected(raws, r, stage)
            raise
        ids = {it.event_id for it in items}
        if not self.inflight.claim(ids, self.settings.publish_timeout_s):
            raise unavailable("some of these event ids are being published by another request; retry")
        try:
            try:
                known = self.archive.lookup(ids)
            except sqlite3.Error as e:
                raise unavailable(f"archive unavailable: {e}") from None
            try:
                plan = classify(items, known)
            except Rejection:
                self.metrics.count_events((it.type for it in items), "rejected")
                self.metrics.count_rejected((it.type for it in items), "id_reused")
                raise
            if plan.new:
                self._publish(records_for(plan.new))
                try:
                    self.archive.record(plan.new)
                except sqlite3.Error as e:
                    log.error("published %d events but could not archive them: %s", len(plan.new), e)
                    raise unavailable("events could not be recorded; retry (redelivery is harmless)") from None
        finally:
            self.inflight.release(ids)
        new_ids = {id(it) for it in plan.new}
        self.metrics.count_events((it.type for it in plan.new), "accepted")
        self.metrics.count_events((it.type for it in items if id(it) not in new_ids), "duplicate")
        return plan.response()

    def _count_rejected(self, raws: list[Any], r: Rejection, stage: str) -> None:
        """Per raw item of a refused request: its type and why (a valid item of a request refused
        for another item's error counts as batch_refused: nothing of the request was accepted)."""
        reasons: dict[int, str] = {}
        if stage == "invalid" and isinstance(r.detail, list):
            for err in r.detail:
                if isinstance(err, dict) and isinstance(err.get("index"), int):
                    service_only = err.get("field") == "type" and "not accepted from devices" in str(err.get("message"))
                    reasons.setdefault(err["index"], "service_only_type" if service_only else "invalid")
        by_reason: dict[str, list[str]] = {}
        default = "batch_refused" if reasons else stage  # a valid item refused with its request
        for i, raw in enumerate(raws):
            by_reason.setdefault(reasons.get(i, default), []).append(raw_type(raw))
        for reason, types in by_reason.items():
            self.metrics.count_rejected(types, reason)

    def _publish(self, records: list[tuple[str, bytes, bytes]]) -> None:
        if not self._topics_ok:
            self._restore_topics()
        t0 = time.monotonic()
        try:
            send_all(self.producer, records, timeout_s=self.settings.publish_timeout_s)
        except PublishError as e:
            self._topics_ok = False
            log.warning("publish failed: %s", e)
            raise unavailable(f"broker did not acknowledge the events ({e}); nothing was recorded: "
                              "retry with the same event ids") from None
        finally:
            self.metrics.publish_seconds.observe(time.monotonic() - t0)

    def _restore_topics(self) -> None:
        bootstrap = self.settings.kafka_bootstrap
        if not broker_reachable(bootstrap):
            raise unavailable(f"broker {bootstrap} unreachable; nothing was recorded: retry later")
        try:
            self.setup_topics(bootstrap, all_topics())
        except Exception as e:
            raise unavailable(f"broker {bootstrap} not ready ({e}); nothing was recorded: retry later") from None
        self._topics_ok = True

    def republish(self, batch: int = 1000) -> int:
        """Publish every archived event again, in acceptance order. Raises PublishError."""
        total, done, t0 = self.archive.count(), 0, time.monotonic()
        log.info("republishing %d archived events to %s", total, self.settings.kafka_bootstrap)
        for chunk in self.archive.iter_all(batch):
            records = [to_record(e.type, e.hall, e.unit, e.body) for e in chunk]
            send_all(self.producer, records, timeout_s=max(self.settings.publish_timeout_s, 30.0))
            done += len(chunk)
            log.info("republished %d/%d events (%.0f/s)", done, total, done / max(time.monotonic() - t0, 1e-6))
        return done

    def health(self) -> dict[str, Any]:
        h = {"status": "ok", "broker_reachable": broker_reachable(self.settings.kafka_bootstrap),
             "last_publish_ok": self._topics_ok}
        if self.watch is not None:
            h["broker_recoveries"] = self.watch.recoveries
        return h

    def close(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        try:
            self.producer.close(timeout=5)
        except Exception:
            log.exception("closing the producer")


def open_service(settings: IntakeSettings, metrics: IntakeMetrics,
                 producer_factory: ProducerFactory, setup_topics: TopicSetup) -> IntakeService:
    """Open storage, ensure topics, connect the producer, and republish if asked."""
    tokens, archive = TokenStore(settings.db_path), Archive(settings.db_path)
    try:
        setup_topics(settings.kafka_bootstrap, all_topics())
    except Exception as e:
        log.error("cannot set up topics on %s (is the broker running?): %r", settings.kafka_bootstrap, e)
        raise
    producer = producer_factory(settings.kafka_bootstrap)
    svc = IntakeService(settings, tokens, archive, producer, metrics, setup_topics)
    if settings.republish_on_start:
        try:
            svc.republish()
        except BaseException:
            svc.close()
            raise
    if settings.watch_broker:
        svc.start_watch()
    return svc
