"""The scoring worker: events in, ledger lines and vetoes out (faust).

create_app(settings) builds the app; nothing is built at import, so tests
and the CLI choose the settings. The one agent only decodes, calls the pure
core (through handler.py) and encodes: no rule logic lives here.

Delivery is at-least-once (Tansu has no exactly-once; see
shared/PLATFORM.md). Per event the agent:
  1. decodes the bytes (invalid -> log + count + skip, never crash);
  2. loads the unit-week state from `unit_weeks` (or an empty one), folds the
     event in and evaluates it with the rubric;
  3. writes the state back (changelog goes to the event's partition: input
     topics are keyed by unit, so tables are co-partitioned with them);
  4. sends the changed ledger lines (all current lines for a duplicate) to
     LEDGER_TOPIC keyed by unit;
  5. records applied vetoes new for the unit-year in `vetoes` and sends them
     to VETO_TOPIC (again when the veto's own event is redelivered, as the
     first send may be the one a crash lost: consumers de-duplicate by
     source_id).
faust flushes the producer before it commits an input offset, so a crash
loses nothing: unflushed work is redelivered, and the fold is idempotent.
Metrics: prometheus_client on its own port (settings.metrics_port, default
8102, /metrics); see metrics.py, lag.py (consumer lag) and faust_sensors.py
(faust's sensor series).
"""
from __future__ import annotations

import logging
import time
from typing import Optional

import faust

from hallscore.kafka.tansu_fix import install_end_offsets_fix
from schemas.topics import DEFAULT_PARTITIONS, EVENT_TOPICS, LEDGER_TOPIC, VETO_TOPIC, unit_key
from services.scoring import faust_sensors, handler, lag, metrics
from services.scoring.settings import ScoringConfig, ScoringSettings, load_config

log = logging.getLogger("services.scoring")

_TABLE = {"key_type": str, "value_type": None}  # keys utf-8 (raw), values JSON (app default)
_RAW = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}


def _broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{h.strip()}" for h in bootstrap.split(",") if h.strip()]


def create_app(settings: ScoringSettings, config: Optional[ScoringConfig] = None) -> faust.App:
    """Build the faust app. Loads and validates the rubric and halls files
    first (RubricError / ConfigFileError: fail fast, before any Kafka I/O)."""
    config = config or load_config(settings)
    rubrics, halls = config.rubrics, config.halls

    # Tansu answers ListOffsets(LATEST) with a too-low end offset; faust's
    # table recovery reads changelog end offsets through aiokafka's
    # AIOKafkaConsumer.end_offsets and would stop early, silently dropping
    # table updates on restart. The patch takes max(ListOffsets, fetch
    # high-water mark): exact on Tansu, a no-op on Kafka. It must be in place
    # before the worker's consumers start, hence here (idempotent).
    install_end_offsets_fix()

    settings.faust_datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=_broker_urls(settings.kafka_bootstrap),
        autodiscover=False,
        store=settings.table_store,
        datadir=str(settings.faust_datadir),
        # No exactly-once on Tansu (InitProducerId v0 rejected). The fold is
        # idempotent by event id and ledger rows are idempotent downstream.
        processing_guarantee="at_least_once",
        # Harmless on Kafka, needed for Tansu: it holds a group join for
        # session_timeout/2 (45 s default -> 23 s join; 6 s -> 3 s). The
        # timeout is fixed when the group is created: changing it needs a
        # new app_id (group id).
        broker_session_timeout=6,
        broker_heartbeat_interval=1,
        broker_rebalance_timeout=6,
        topic_partitions=DEFAULT_PARTITIONS,
        topic_replication_factor=settings.topic_replication_factor,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # One worker holds all partitions; a standby would replay every
        # changelog a second time for nothing.
        table_standby_replicas=0,
        web_enabled=True,
        web_port=settings.web_port,
        web_host=settings.web_host,
        web_bind=settings.web_host,
    )

    app.monitor = faust_sensors.make_monitor()  # faust's sensors -> our /metrics, not faust web

    # This worker's lineage (UnitPeriod.epoch): a state it builds from empty
    # outranks a lost one; states recovered from the changelog keep theirs.
    lineage = int(time.time())

    events_topic = app.topic(*EVENT_TOPICS, **_RAW)
    ledger_topic = app.topic(LEDGER_TOPIC, **_RAW)
    veto_topic = app.topic(VETO_TOPIC, **_RAW)

    # "rubric_version/hall/unit/period" -> UnitPeriod.to_json()
    unit_periods = app.Table("unit_periods", partitions=DEFAULT_PARTITIONS, **_TABLE)
    # "hall/unit/year" -> {"rule_ids": [...], "source_ids": [...]}
    vetoes = app.Table("vetoes", partitions=DEFAULT_PARTITIONS, **_TABLE)

    @app.task
    async def _serve_metrics() -> None:
        metrics.serve(settings.metrics_host, settings.metrics_port)

    consumer_lag = lag.LagGauge(metrics.CONSUMER_LAG, EVENT_TOPICS)

    @app.timer(settings.lag_refresh_s)
    async def _refresh_lag() -> None:
        await consumer_lag.refresh(app.consumer)

    @app.agent(events_topic, name="score")
    async def score(stream):
        producer_buffer = app.producer.buffer
        async for message_event in stream.events():
            msg = message_event.message
            try:
                event = handler.decode(message_event.value)
            except handler.InvalidMessage as exc:
                metrics.INVALID.labels(exc.reason).inc()
                log.warning("skipped invalid message %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset,
                            str(exc)[:500])
                continue
            key = unit_key(event.hall, event.unit)
            if message_event.key != key:
                # Tables follow the input partition; a producer keying by
                # something else splits a unit's state over partitions.
                metrics.MISROUTED.inc()
                log.warning("event %s on %s[%d] keyed %r, expected %r (processed anyway)", event.event_id,
                            msg.topic, msg.partition, message_event.key, key)
            try:
                scored_all = handler.score(event, unit_periods.get, rubrics, halls, lineage)
                raised = [v for s in scored_all for v in handler.vetoes_to_raise(s, vetoes.get)]
            except Exception:  # a bug or a case the core cannot handle: skip, loudly
                metrics.INVALID.labels("core_error").inc()
                log.exception("scoring failed for event %s (%s) at %s[%d]@%d; skipped", event.event_id,
                              event.type, msg.topic, msg.partition, msg.offset)
                continue
            # Table writes and sends are outside the try: a producer error
            # must stop the worker (the offset stays uncommitted), not skip.
            #
            # Order matters for crash safety. Table writes go through faust's
            # producer buffer, a FIFO queue that one task hands to the Kafka
            # producer (which keeps per-broker order). The lines and vetoes go
            # through the same queue (send_soon), right after the state that
            # produced them: a line or veto that reached the broker implies
            # its state did, so after a kill -9 its event is a duplicate when
            # redelivered and everything is re-sent with a revision >= the
            # one already in the ledger. (`await topic.send` skips the queue:
            # a line could land while its state is lost, and a replay in
            # another cross-topic order could leave that stale line with a
            # higher revision than its correction.)
            for scored in scored_all:
                unit_periods[scored.key] = scored.state
                for line in scored.lines:
                    ledger_topic.send_soon(key=key, value=handler.encode(line.to_json()))
                    metrics.LEDGER_LINES.labels(line.kind, line.status).inc()
            for v in raised:
                vetoes[v.key] = v.entry
                veto_topic.send_soon(key=key, value=handler.encode(v.message))
                metrics.VETOES.inc()
                log.info("veto %s for %s/%s %d (source %s)", v.message["rule_id"], event.hall, event.unit,
                         v.message["year"], v.message["source_id"])
            # Drain the queue at each event boundary: offset commits wait for
            # an empty queue, and a busy agent that keeps it non-empty starves
            # them (seen: ~3,000 redeliveries after a kill -9 instead of
            # ~1,000). Also the backpressure for the agent.
            await producer_buffer.flush()
            metrics.EVENTS.labels(event.type).inc()
            if any(s.duplicate for s in scored_all):
                metrics.DUPLICATES.labels(event.type).inc()
            metrics.LATENCY.observe(max(time.time() - event.occurred_at.timestamp(), 0.0))

    app.scoring_tables = {"unit_periods": unit_periods, "vetoes": vetoes}  # type: ignore[attr-defined]
    return app
