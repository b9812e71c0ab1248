"""Prometheus metrics of one rectification app (its own registry)."""
from __future__ import annotations

from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hallscore.core.cases.model import KINDS


class _CaseCollector(Collector):
    """Open / overdue cases by kind, read from the service at scrape time."""

    def __init__(self, snapshot: Callable[[], dict]):
        self._snapshot = snapshot

    def collect(self):
        s = self._snapshot()
        if not s:
            return
        cases = GaugeMetricFamily("hallscore_rectification_cases", "Cases not closed, by kind and status",
                                  labels=["kind", "status"])
        for kind in KINDS:
            cases.add_metric([kind, "open"], s["open"].get(kind, 0))
            cases.add_metric([kind, "overdue"], s["overdue"].get(kind, 0))
        yield cases
        yield GaugeMetricFamily("hallscore_rectification_provisional_deadlines",
                                "Deadlines counted over a year without a holiday schedule", value=s["provisional"])
        yield GaugeMetricFamily("hallscore_rectification_unpublished", "Stored events not yet on Kafka",
                                value=s["unpublished"])
        yield GaugeMetricFamily("hallscore_rectification_consumer_assigned",
                                "1 while the review/complaint consumer holds partitions", value=s["assigned"])


class RectificationMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.transitions = Counter("hallscore_rectification_transitions", "Case events written, by type",
                                   ["type"], registry=self.registry)
        self.requests = Counter("hallscore_rectification_requests", "API answers, by HTTP status",
                                ["status"], registry=self.registry)
        self.source_events = Counter("hallscore_rectification_source_events",
                                     "Review / complaint records consumed, by outcome", ["outcome"],
                                     registry=self.registry)
        # Record timestamp (when the producer sent it) -> case stored: the 差评 latency.
        self.open_lag = Histogram("hallscore_rectification_open_lag_seconds",
                                  "From a source record's timestamp to its case being stored",
                                  buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60), registry=self.registry)
        self.snapshot: Callable[[], dict] = lambda: {}
        self.registry.register(_CaseCollector(lambda: self.snapshot()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
