"""Prometheus metrics of one intake app, in its own registry (several apps may share a process)."""
from __future__ import annotations

from collections import Counter as Tally
from typing import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

OUTCOMES = ("accepted", "duplicate", "rejected")
REJECT_REASONS = ("malformed", "too_many", "invalid", "service_only_type", "wrong_hall", "conflict_in_request",
                  "id_reused", "batch_refused")


class IntakeMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "hallscore_intake_events", "Events received, by type and outcome (accepted|duplicate|rejected).",
            ["type", "outcome"], registry=self.registry,
        )
        self.requests = Counter(
            "hallscore_intake_requests", "POST /v1/events answers, by HTTP status.",
            ["status"], registry=self.registry,
        )
        self.rejected = Counter(
            "hallscore_intake_rejected_events",
            "Events refused, by type and reason (malformed|too_many|invalid|service_only_type|wrong_hall|"
            "conflict_in_request|id_reused|batch_refused: valid, refused with its request). "
            "Request-level refusals (malformed, too_many) count once with type 'unknown'.",
            ["type", "reason"], registry=self.registry,
        )
        self.republished = Counter(
            "hallscore_intake_republished_events",
            "Archived events published again onto a broker that came back empty (recovery.py).",
            registry=self.registry,
        )
        self.publish_seconds = Histogram(
            "hallscore_intake_publish_seconds", "Publishing one request's new events until every ack (or failure).",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )

    def count_events(self, types: Iterable[str], outcome: str) -> None:
        assert outcome in OUTCOMES
        for type_, n in Tally(types).items():
            self.events.labels(type=type_, outcome=outcome).inc(n)

    def count_rejected(self, types: Iterable[str], reason: str) -> None:
        assert reason in REJECT_REASONS, reason
        for type_, n in Tally(types).items():
            self.rejected.labels(type=type_, reason=reason).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
