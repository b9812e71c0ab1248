"""Prometheus metrics of one app instance (its own CollectorRegistry)."""
from __future__ import annotations

from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .projector import TABLES, Projector


class _ProjectorCollector(Collector):
    """Reads the projector's counters at scrape time (no prometheus objects in the thread)."""

    def __init__(self, get: Callable[[], Projector | None]):
        self._get = get

    def collect(self):
        p = self._get()
        running = GaugeMetricFamily("hallscore_projector_running", "1 while the projector thread runs")
        running.add_metric([], 1 if p is not None and p.running else 0)
        yield running
        if p is None:
            return
        s = p.stats()
        rows = CounterMetricFamily("hallscore_projector_rows", "Rows inserted, per table", labels=["table"])
        rejected = CounterMetricFamily("hallscore_projector_rejected", "Records skipped as invalid",
                                       labels=["table"])
        for t in TABLES:
            rows.add_metric([t], s["rows"][t])
            rejected.add_metric([t], s["rejected"][t])
        yield rows
        yield rejected
        for name, key, doc in (("batches", "batches", "Batches inserted and committed"),
                               ("insert_failures", "insert_failures", "Failed INSERT attempts"),
                               ("commit_failures", "commit_failures", "Failed offset commits"),
                               ("consumer_errors", "consumer_errors", "Kafka consumer restarts")):
            yield CounterMetricFamily(f"hallscore_projector_{name}", doc, value=s[key])
        if s["last_insert_at"] is not None:
            yield GaugeMetricFamily("hallscore_projector_last_insert_timestamp_seconds",
                                    "Unix time of the last successful insert", value=s["last_insert_at"])
        if s["lag"] is not None:
            yield GaugeMetricFamily("hallscore_projector_lag_records",
                                    "Records behind the fetch high-water marks", value=s["lag"])
        per_tp = GaugeMetricFamily("hallscore_projector_consumer_lag",
                                   "Records behind the fetch high-water mark, per assigned topic and partition",
                                   labels=["topic", "partition"])
        for (topic, partition), n in sorted(p.partition_lag().items()):
            per_tp.add_metric([topic, str(partition)], n)
        yield per_tp
        yield GaugeMetricFamily("hallscore_projector_caught_up", "1 when lag is 0",
                                value=1 if s["caught_up"] else 0)


class Metrics:
    def __init__(self, get_projector: Callable[[], Projector | None]):
        self.registry = CollectorRegistry()
        self.query_seconds = Histogram(
            "hallscore_ranking_query_seconds", "Time to answer from the store, per endpoint",
            ["endpoint"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.registry.register(_ProjectorCollector(get_projector))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
