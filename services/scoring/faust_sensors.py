"""faust's own sensor series on the scoring worker's /metrics.

faust-streaming ships faust.sensors.prometheus: PrometheusMonitor (the
sensor hooks: messages in, events, table ops, sends, commits, assignments,
rebalances) fed by FaustMetrics, a named tuple of prometheus_client
collectors. We keep PrometheusMonitor's hooks but not the rest:

- setup_prometheus_sensors() also adds a /metrics page to faust web. Our
  metrics are served by prometheus_client's own server on
  settings.metrics_port (metrics.serve), from the default registry; faust web
  is another port. So the monitor is built directly and the collectors
  register in the default registry: no faust web route.
- FaustMetrics.create() names break Prometheus conventions (gauges ending in
  _total, counters named total_*_total, latencies in milliseconds without a
  unit, "commited"), and its prefix would be the app id, which is also the
  consumer group id and changes per deployment/test. The same fields are
  built here under one fixed prefix, hallscore_scoring_faust_ (no clash with
  the worker's own hallscore_scoring_* series), in seconds: PrometheusMonitor
  observes milliseconds, so each histogram is wrapped to divide by 1000.

The collectors are module-level (created once per process, like metrics.py);
each app gets its own monitor object sharing them.
"""
from __future__ import annotations

import threading
from typing import Optional

from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "hallscore_scoring_faust_"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _MsToSeconds:
    """What PrometheusMonitor sees as a histogram: takes ms, records seconds."""

    __slots__ = ("histogram",)

    def __init__(self, histogram: Histogram):
        self.histogram = histogram

    def observe(self, ms: float) -> None:
        self.histogram.observe(ms / 1000.0)


def build_metrics(registry: CollectorRegistry = REGISTRY, prefix: str = PREFIX) -> FaustMetrics:
    """FaustMetrics with conventional names (counters get _total from prometheus_client)."""
    def c(name, doc, labels=()):
        return Counter(prefix + name, doc, list(labels), registry=registry)

    def g(name, doc, labels=()):
        return Gauge(prefix + name, doc, list(labels), registry=registry)

    def h(name, doc):
        return _MsToSeconds(Histogram(prefix + name, doc, buckets=LATENCY_BUCKETS, registry=registry))

    tp = ("topic", "partition")
    return FaustMetrics(
        messages_received=c("messages_received", "Messages received from Kafka (all topics, incl. changelogs)."),
        active_messages=g("messages_active", "Messages received and not yet acknowledged."),
        messages_received_per_topics=c("topic_messages_received", "Messages received, by topic.", ["topic"]),
        messages_received_per_topics_partition=g("read_offset", "Offset of the last message read, by topic and partition.", tp),
        events_runtime_latency=h("event_runtime_seconds", "Seconds a stream event spent in the agent."),
        total_events=c("events", "Stream events started."),
        total_active_events=g("events_active", "Stream events being processed."),
        total_events_per_stream=c("stream_events", "Stream events, by stream.", ["stream"]),
        table_operations=c("table_operations", "Table operations, by table and operation (keys_retrieved/updated/deleted).", ["table", "operation"]),
        topic_messages_sent=c("topic_messages_sent", "Messages handed to the producer, by topic.", ["topic"]),
        total_sent_messages=c("messages_sent", "Messages the producer delivered."),
        producer_send_latency=h("send_latency_seconds", "Seconds from send to delivery report."),
        total_error_messages_sent=c("send_errors", "Messages the producer failed to deliver."),
        producer_error_send_latency=h("send_error_latency_seconds", "Seconds from send to the error."),
        assignment_operations=c("assignments", "Partition assignments, by outcome (completed/error).", ["operation"]),
        assign_latency=h("assignment_latency_seconds", "Seconds the partition assignor took."),
        total_rebalances=g("rebalances_in_progress", "Rebalances started and not yet returned to the broker."),
        total_rebalances_recovering=g("rebalances_recovering", "Rebalances returned and still recovering tables."),
        rebalance_done_consumer_latency=h("rebalance_return_latency_seconds", "Seconds to reply to the broker that the rebalance is done."),
        rebalance_done_latency=h("rebalance_end_latency_seconds", "Seconds to finish a rebalance (incl. table recovery)."),
        count_metrics_by_name=g("counts", "Counts recorded through app.monitor.count(), by name.", ["metric"]),
        http_status_codes=c("web_responses", "faust web responses, by status code.", ["status_code"]),
        http_latency=h("web_latency_seconds", "Seconds per faust web request."),
        topic_partition_end_offset=g("end_offset", "High-water mark seen with the last records fetched, by topic and partition.", tp),
        topic_partition_offset_commited=g("committed_offset", "Offset last committed, by topic and partition.", tp),
        consumer_commit_latency=h("commit_latency_seconds", "Seconds per consumer offset commit."),
    )


_metrics: Optional[FaustMetrics] = None
_lock = threading.Lock()


def shared_metrics() -> FaustMetrics:
    """The process's FaustMetrics in the default registry (created on first use)."""
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = build_metrics()
        return _metrics


def make_monitor() -> PrometheusMonitor:
    """A monitor for one app: ``app.monitor = make_monitor()`` before it starts."""
    return PrometheusMonitor(metrics=shared_metrics())
