"""Prometheus metrics of the scoring worker.

Served by prometheus_client's own HTTP server on settings.metrics_port
(default 8102, host settings.metrics_host, path /metrics), started when the
worker starts; faust web keeps its own port for faust's pages. Module-level
collectors: one set per process, whatever number of apps a test builds.

Also on this port: CONSUMER_LAG (kept by lag.py from the consumer's own
state) and faust's sensor series, hallscore_scoring_faust_* (faust_sensors.py).
"""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

EVENTS = Counter("hallscore_scoring_events", "Valid events processed (new and duplicate), by event type.", ["type"])
DUPLICATES = Counter("hallscore_scoring_duplicates", "Events already folded into their unit-week (redelivery or retry), by type.", ["type"])
INVALID = Counter("hallscore_scoring_invalid", "Messages skipped: not_json, contract (not the event contract) or core_error (the core raised).", ["reason"])
MISROUTED = Counter("hallscore_scoring_misrouted", "Events whose message key is not unit_key(hall, unit) (processed anyway).")
LEDGER_LINES = Counter("hallscore_scoring_ledger_lines", "Ledger lines sent to the ledger topic, by kind and status.", ["kind", "status"])
VETOES = Counter("hallscore_scoring_vetoes", "Veto events sent to the veto topic.")
# Event time (occurred_at) to the moment its ledger lines are handed to the
# producer. Includes device/intake delay, so the buckets reach days.
LATENCY = Histogram(
    "hallscore_scoring_event_to_score_seconds",
    "Seconds from an event's occurred_at to its scoring.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400),
)

# Records behind the fetch high-water mark, per input partition assigned to
# this worker (committed offset as the base; see lag.py). Refreshed every 5 s.
CONSUMER_LAG = Gauge("hallscore_scoring_consumer_lag",
                     "Records of an event topic partition not yet processed and committed by this worker "
                     "(fetch high-water mark - committed offset).", ["topic", "partition"])

_started: set[tuple[str, int]] = set()


def serve(host: str, port: int) -> None:
    """Start the /metrics HTTP server once per process (port 0: disabled)."""
    if not port or (host, port) in _started:
        return
    start_http_server(port, addr=host)
    _started.add((host, port))
    log.info("scoring metrics on http://%s:%d/metrics", host, port)
